package consensus_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
)

// panelist is one row of a test round: ratings has one character per item, '1'..'9' a rating,
// 'U' unable, '.' missing; a panelist with ratings "" did not submit.
type panelist struct{ id, group, ratings string }

func mkRound(number int, items []string, rows ...panelist) *consensus.Round {
	rd := &consensus.Round{Number: number, Items: items}
	gi := map[string]int{}
	for _, r := range rows {
		if _, ok := gi[r.group]; !ok {
			gi[r.group] = len(rd.Groups)
			rd.Groups = append(rd.Groups, r.group)
		}
		rd.Panelists = append(rd.Panelists, r.id)
		rd.Group = append(rd.Group, gi[r.group])
		rd.Submitted = append(rd.Submitted, r.ratings != "")
		for i := range items {
			v := consensus.Missing
			if i < len(r.ratings) {
				switch c := r.ratings[i]; {
				case c == 'U':
					v = consensus.Unable
				case c >= '1' && c <= '9':
					v = int8(c - '0')
				}
			}
			rd.Ratings = append(rd.Ratings, v)
		}
	}
	return rd
}

var scale9 = consensus.ThirdsScale(9)

func TestComputeRoundEdges(t *testing.T) {
	items := []string{"none", "unable", "one", "two", "same"}
	rd := mkRound(1, items,
		panelist{"A", "g1", ".U722"},
		panelist{"B", "g1", ".U.82"},
		panelist{"C", "g2", "..U.2"},
		panelist{"D", "g2", ""}, // did not submit: outside every count
	)
	if err := rd.Validate(scale9); err != nil {
		t.Fatal(err)
	}
	res := consensus.ComputeRound(scale9, consensus.DefaultRule(), rd)
	if res.NSubmitted != 3 {
		t.Errorf("n_submitted = %d, want 3", res.NSubmitted)
	}
	if n, _ := res.GroupsSubmitted.Get("g2"); n != 1 {
		t.Errorf("groups_submitted[g2] = %d, want 1", n)
	}
	tests := []struct {
		item                   string
		rated, unable, missing int
		median, mean           *float64
		sd                     *float64
		comet                  consensus.Class
	}{
		{"none", 0, 0, 3, nil, nil, nil, ""},
		{"unable", 0, 2, 1, nil, nil, nil, ""},
		{"one", 1, 1, 1, ptr(7), ptr(7), nil, consensus.ConsensusIn},
		{"two", 2, 0, 1, ptr(5), ptr(5), ptr(3 * math.Sqrt2), consensus.NoConsensus},
		{"same", 3, 0, 0, ptr(2), ptr(2), ptr(0), consensus.ConsensusOut},
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			it := res.Items.Get(tt.item)
			if it.NRated != tt.rated || it.NUnable != tt.unable || it.NMissing != tt.missing {
				t.Errorf("counts rated/unable/missing = %d/%d/%d, want %d/%d/%d",
					it.NRated, it.NUnable, it.NMissing, tt.rated, tt.unable, tt.missing)
			}
			eqPtr(t, "median", it.Median, tt.median)
			eqPtr(t, "mean", it.Mean, tt.mean)
			eqPtr(t, "sd_sample", it.SDSample, tt.sd)
			if it.Comet != tt.comet {
				t.Errorf("comet = %q, want %q", it.Comet, tt.comet)
			}
			if tt.rated == 0 {
				if it.QuantileType7 != nil || it.QuantileType6 != nil || it.PctLow != nil || it.PctMid != nil ||
					it.PctHigh != nil || it.PctLowWilson95 != nil || it.PctHighWilson95 != nil || it.Fragile != nil || it.RAND != nil {
					t.Errorf("n_rated = 0 but some statistic is not null: %+v", it)
				}
			} else if it.RAND == nil || it.Fragile == nil || it.PctHighWilson95 == nil {
				t.Errorf("n_rated > 0 but rand, fragile or wilson is null")
			}
			if len(it.Groups) != 2 {
				t.Fatalf("%d groups, want every group of the panel (2)", len(it.Groups))
			}
		})
	}
	// Group g2 has one submitter (C) and D's row is ignored.
	g := res.Items.Get("same").Groups.Get("g2")
	if g.NSubmitted != 1 || g.NRated != 1 || *g.Median != 2 || *g.PctLow != 100 {
		t.Errorf("group g2 = %+v", g)
	}
	if g := res.Items.Get("none").Groups.Get("g1"); g.Median != nil || g.PctHigh != nil || g.NMissing != 2 {
		t.Errorf("empty group = %+v", g)
	}
	// The 1-5 scale has no RAND block.
	r5 := consensus.ComputeRound(consensus.ThirdsScale(5), consensus.DefaultRule(), rd)
	if it := r5.Items.Get("same"); it.RAND != nil || it.NLow != 3 || it.Comet != consensus.ConsensusOut {
		t.Errorf("scale 5: %+v", it)
	}
	// 8 is outside 1..5: counted as missing.
	if it := r5.Items.Get("two"); it.NRated != 1 || it.NMissing != 2 {
		t.Errorf("scale 5, rating outside: %+v", it)
	}
}

func ptr(v float64) *float64 { return &v }

func eqPtr(t *testing.T, name string, got, want *float64) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", name, got, want)
	case math.Abs(*got-*want) > 1e-12*math.Max(1, math.Abs(*want)):
		t.Errorf("%s = %v, want %v", name, *got, *want)
	}
}

func TestKendallEdges(t *testing.T) {
	tests := []struct {
		name   string
		items  []string
		rows   []panelist
		status consensus.KendallStatus
		m      int
		wUnc   float64
		wCor   *float64 // nil: corrected is null
	}{
		{"one item", []string{"a"}, []panelist{{"A", "g", "5"}, {"B", "g", "6"}},
			consensus.InsufficientItems, 2, 0, nil},
		{"no complete panelist", []string{"a", "b"}, []panelist{{"A", "g", "5."}, {"B", "g", "U6"}},
			consensus.InsufficientCompletePanelists, 0, 0, nil},
		{"one complete panelist", []string{"a", "b"}, []panelist{{"A", "g", "56"}, {"B", "g", "U6"}},
			consensus.InsufficientCompletePanelists, 1, 0, nil},
		{"constant raters", []string{"a", "b", "c"}, []panelist{{"A", "g", "333"}, {"B", "g", "999"}},
			consensus.KendallOK, 2, 0, nil},
		// Ranks A: 2,1; B: 1.5,1.5 → R = 3.5, 2.5, S = .5; T = 6.
		{"ties", []string{"a", "b"}, []panelist{{"A", "g", "85"}, {"B", "g", "33"}, {"C", "g", ""}},
			consensus.KendallOK, 2, 0.25, ptr(0.5)},
		{"perfect agreement", []string{"a", "b", "c"}, []panelist{{"A", "g", "123"}, {"B", "h", "159"}, {"C", "g", "789"}},
			consensus.KendallOK, 3, 1, ptr(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := consensus.ComputeRound(scale9, consensus.DefaultRule(), mkRound(1, tt.items, tt.rows...)).Kendall
			if k.Status != tt.status || k.NCompletePanelists != tt.m || k.NItems != len(tt.items) {
				t.Fatalf("got %+v, want status %s m %d", k, tt.status, tt.m)
			}
			if tt.status != consensus.KendallOK {
				if k.Uncorrected != nil || k.Corrected != nil {
					t.Errorf("blocks not null: %+v", k)
				}
				return
			}
			if math.Abs(k.Uncorrected.W-tt.wUnc) > 1e-15 || k.Uncorrected.DF != len(tt.items)-1 {
				t.Errorf("uncorrected = %+v, want W %v", k.Uncorrected, tt.wUnc)
			}
			if tt.wUnc == 0 && k.Uncorrected.PValue != 1 {
				t.Errorf("W = 0 but p = %v", k.Uncorrected.PValue)
			}
			if tt.wCor == nil {
				if k.Corrected != nil {
					t.Errorf("corrected = %+v, want null", k.Corrected)
				}
				return
			}
			if k.Corrected == nil || math.Abs(k.Corrected.W-*tt.wCor) > 1e-15 {
				t.Errorf("corrected = %+v, want W %v", k.Corrected, *tt.wCor)
			}
		})
	}
}

func TestStabilityEdges(t *testing.T) {
	items := []string{"nopairs", "zero", "ties", "dropped"}
	from := mkRound(1, items,
		panelist{"A", "g", "U55."},
		panelist{"B", "g", ".468"},
		panelist{"C", "g", "9377"},
		panelist{"Z", "g", "1111"}, // not in round 2
	)
	to := mkRound(2, []string{"ties", "zero", "nopairs", "new"}, // other order, one new item
		panelist{"C", "g", "55."},
		panelist{"B", "g", "24."},
		panelist{"A", "g", "75U"},
		panelist{"N", "g", "9949"}, // new panelist: no pair
	)
	st := consensus.ComputeStability(scale9, consensus.DefaultRule(), from, to)
	if st.FromRound != 1 || st.ToRound != 2 || len(st.Items) != 3 {
		t.Fatalf("got %d items (want the 3 of both rounds): %+v", len(st.Items), st)
	}
	if ids := []string{st.Items[0].ID, st.Items[1].ID, st.Items[2].ID}; !slices.Equal(ids, []string{"ties", "zero", "nopairs"}) {
		t.Errorf("items in order %v, want the later round's order", ids)
	}
	np := st.Items.Get("nopairs")
	if np.NPairs != 0 || np.PctChanged != nil || np.Wilcoxon.Wilcox.Approx.Error != consensus.NoPairs ||
		np.Wilcoxon.Pratt.Approx.Error != consensus.NoPairs || np.Wilcoxon.Wilcox.Approx.Z != nil ||
		np.Paired.DeltaIQRType7 != nil || np.Paired.CometFrom != "" {
		t.Errorf("no pairs: %+v", np)
	}
	// Over all ratings, "nopairs" has C's 9 and Z's 1 in round 1 and N's 4 in round 2.
	if np.DeltaPctHigh == nil || *np.DeltaPctHigh != -50 || np.CometFrom != consensus.NoConsensus || np.CometTo != consensus.NoConsensus {
		t.Errorf("no pairs: delta_pct_high = %v, comet %s → %s; want -50 over all ratings", np.DeltaPctHigh, np.CometFrom, np.CometTo)
	}
	zero := st.Items.Get("zero")
	if zero.NPairs != 3 || zero.NChanged != 1 {
		t.Errorf("zero: pairs %d changed %d", zero.NPairs, zero.NChanged)
	}
	ties := st.Items.Get("ties")
	// Pairs of "ties": A 5→7, B 6→2, C 7→5, so d = −2, 4, 2.
	if ties.NPairs != 3 || ties.NChanged != 3 || !ties.TiesInAbsDiff || *ties.PctChanged != 100 {
		t.Errorf("ties: %+v", ties)
	}
	// |d| = 2, 2, 4: ranks 1.5, 1.5, 3; R+ = 1.5 + 3 = 4.5, R− = 1.5.
	w := ties.Wilcoxon.Wilcox.Approx
	if w.Error != "" || *w.RPlus != 4.5 || *w.Statistic != 1.5 {
		t.Errorf("ties wilcoxon = %+v", w)
	}
	// mean 3, var = 3·4·7/24 − (8 − 2)/48 = 3.375; z of min(R+, R−) = 1.5.
	if want := -1.5 / math.Sqrt(3.375); math.Abs(*w.Z-want) > 1e-15 {
		t.Errorf("z = %v, want %v", *w.Z, want)
	}

	same := mkRound(2, items, panelist{"A", "g", "U55."}, panelist{"B", "g", ".468"})
	st = consensus.ComputeStability(scale9, consensus.DefaultRule(), from, same)
	for _, it := range st.Items {
		if it.NPairs > 0 && (it.Wilcoxon.Wilcox.Approx.Error != consensus.AllDifferencesZero ||
			it.Wilcoxon.Pratt.Approx.Error != consensus.AllDifferencesZero || *it.PctChanged != 0 || it.Wilcoxon.Pratt.Approx.PValue != nil) {
			t.Errorf("%s: all differences zero: %+v", it.ID, it)
		}
	}
}

// pratt ranks the zeros with the others: d = 0, 0, 1, −2, 3 → |d| ranks 1, 2, 3, 4, 5; the
// non-zero keep ranks 3, 4, 5. R+ = 8, R− = 4; mean = (5·6 − 2·3)/4 = 6;
// var = (5·6·11 − 2·3·5)/24 = 12.5.
func TestWilcoxonPratt(t *testing.T) {
	from := mkRound(1, []string{"x"}, panelist{"A", "g", "5"}, panelist{"B", "g", "5"}, panelist{"C", "g", "5"},
		panelist{"D", "g", "5"}, panelist{"E", "g", "5"})
	to := mkRound(2, []string{"x"}, panelist{"A", "g", "5"}, panelist{"B", "g", "5"}, panelist{"C", "g", "4"},
		panelist{"D", "g", "7"}, panelist{"E", "g", "2"})
	it := consensus.ComputeStability(scale9, consensus.DefaultRule(), from, to).Items[0]
	p := it.Wilcoxon.Pratt.Approx
	if *p.RPlus != 8 || *p.Statistic != 4 || math.Abs(*p.Z+2/math.Sqrt(12.5)) > 1e-15 {
		t.Errorf("pratt = r+ %v stat %v z %v", *p.RPlus, *p.Statistic, *p.Z)
	}
	// wilcox drops the zeros: |d| 1, 2, 3 → R+ = 1 + 3 = 4, mean 3, var 3.5; z of min = 2.
	w := it.Wilcoxon.Wilcox.Approx
	if *w.RPlus != 4 || *w.Statistic != 2 || math.Abs(*w.Z+1/math.Sqrt(3.5)) > 1e-15 {
		t.Errorf("wilcox = r+ %v stat %v z %v", *w.RPlus, *w.Statistic, *w.Z)
	}
}

func TestEveryGroup(t *testing.T) {
	// 8 of 10 high overall (80%, in), but group "b" rates it mid; group "c" has no rating.
	rows := []panelist{
		{"A1", "a", "8"}, {"A2", "a", "8"}, {"A3", "a", "9"}, {"A4", "a", "7"}, {"A5", "a", "7"},
		{"A6", "a", "8"}, {"A7", "a", "9"}, {"A8", "a", "7"}, {"B1", "b", "5"}, {"B2", "b", "4"},
		{"C1", "c", "U"},
	}
	rd := mkRound(1, []string{"x"}, rows...)
	r := consensus.DefaultRule()
	if c := consensus.ComputeRound(scale9, r, rd).Items[0].Comet; c != consensus.ConsensusIn {
		t.Errorf("whole panel: %s, want consensus_in", c)
	}
	r.EveryGroup = true
	res := consensus.ComputeRound(scale9, r, rd)
	it := res.Items[0]
	if it.Comet != consensus.NoConsensus || it.Groups.Get("a").Comet != consensus.ConsensusIn ||
		it.Groups.Get("b").Comet != consensus.NoConsensus || it.Groups.Get("c").Comet != "" {
		t.Errorf("every group: item %s, groups %s/%s/%q", it.Comet, it.Groups.Get("a").Comet,
			it.Groups.Get("b").Comet, it.Groups.Get("c").Comet)
	}
	if res.Rule != r {
		t.Errorf("result rule = %+v, want %+v", res.Rule, r)
	}
	// Without group b's ratings the groups with ratings all agree; c (unable only) does not block.
	rd = mkRound(1, []string{"x"}, rows[:8]...)
	rd.Panelists, rd.Group = append(rd.Panelists, "C1"), append(rd.Group, len(rd.Groups))
	rd.Groups, rd.Submitted, rd.Ratings = append(rd.Groups, "c"), append(rd.Submitted, true), append(rd.Ratings, consensus.Unable)
	if c := consensus.ComputeRound(scale9, r, rd).Items[0].Comet; c != consensus.ConsensusIn {
		t.Errorf("groups without ratings block: %s", c)
	}
	// Stability classes follow each round's rule.
	prev := mkRound(1, []string{"x"}, rows...)
	st := consensus.ComputeStabilityRules(scale9, r, consensus.DefaultRule(), prev, mkRound(2, []string{"x"}, rows...))
	if st.Items[0].CometFrom != consensus.NoConsensus || st.Items[0].CometTo != consensus.ConsensusIn ||
		st.Items[0].Paired.CometFrom != consensus.NoConsensus {
		t.Errorf("stability classes %s → %s", st.Items[0].CometFrom, st.Items[0].CometTo)
	}
}

func TestAnalyzeRulesPerRound(t *testing.T) {
	rows := []panelist{{"A", "a", "77"}, {"B", "a", "88"}, {"C", "b", "72"}, {"D", "b", "55"}}
	rs := consensus.RuleSet{Default: consensus.DefaultRule(), Rounds: map[int]consensus.Rule{2: {80, 15, 80, 15, false}}}
	res := consensus.Analyze(scale9, rs.For, []*consensus.Round{mkRound(2, []string{"x", "y"}, rows...), mkRound(1, []string{"x", "y"}, rows...)})
	if res.Rounds[0].Number != 1 || res.Rounds[1].Number != 2 {
		t.Fatalf("rounds not sorted")
	}
	// x: 3 of 4 high = 75%: in under 70, none under 80.
	if c1, c2 := res.Rounds.Get(1).Items.Get("x").Comet, res.Rounds.Get(2).Items.Get("x").Comet; c1 != consensus.ConsensusIn || c2 != consensus.NoConsensus {
		t.Errorf("classes %s, %s", c1, c2)
	}
	st := res.Stability[0].Items.Get("x")
	if st.CometFrom != consensus.ConsensusIn || st.CometTo != consensus.NoConsensus {
		t.Errorf("stability %s → %s", st.CometFrom, st.CometTo)
	}
	if res.Panel.NPanelists != 4 || res.Panel.NItems != 2 {
		t.Errorf("panel %+v", res.Panel)
	}
	if s := rs.For(2).String(); s != "consensus in: ≥80% high and <15% low; consensus out: ≥80% low and <15% high; whole panel" {
		t.Errorf("rule text %q", s)
	}
}

// randomRounds makes n rounds of a random study (any mix of answers, non-submitters, groups).
func randomRounds(rng *rand.Rand, n, np, ni, ng, max int) []*consensus.Round {
	var rounds []*consensus.Round
	items, panelists := make([]string, ni), make([]string, np)
	for i := range items {
		items[i] = string(rune('a'+i%26)) + string(rune('0'+i/26))
	}
	groups := make([]string, ng)
	for g := range groups {
		groups[g] = "g" + string(rune('0'+g))
	}
	group := make([]int, np)
	for p := range panelists {
		panelists[p] = "p" + string(rune('A'+p%26)) + string(rune('A'+p/26))
		group[p] = rng.IntN(ng)
	}
	for r := 1; r <= n; r++ {
		rd := &consensus.Round{Number: r, Items: items, Panelists: panelists, Groups: groups, Group: group,
			Submitted: make([]bool, np), Ratings: make([]int8, np*ni)}
		for p := range rd.Submitted {
			rd.Submitted[p] = rng.IntN(8) != 0
		}
		for x := range rd.Ratings {
			rd.Ratings[x] = int8(rng.IntN(max+2) - 1)
			if rng.IntN(3) == 0 { // more complete panelists
				rd.Ratings[x] = int8(1 + rng.IntN(max))
			}
		}
		rounds = append(rounds, rd)
	}
	return rounds
}

func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 7))
	for trial := 0; trial < 60; trial++ {
		max := []int{9, 5, 7}[trial%3]
		s := consensus.ThirdsScale(max)
		rounds := randomRounds(rng, 1+trial%3, 1+rng.IntN(30), 1+rng.IntN(8), 1+rng.IntN(4), max)
		res := consensus.Analyze(s, nil, rounds)
		for _, rr := range res.Rounds {
			for _, it := range rr.Items {
				if it.NLow+it.NMid+it.NHigh != it.NRated || it.NRated+it.NUnable+it.NMissing != rr.NSubmitted || sum(it.Hist) != it.NRated || len(it.Hist) != max {
					t.Fatalf("trial %d item %s: counts %+v", trial, it.ID, it)
				}
				nr := 0
				for _, g := range it.Groups {
					if g.NLow+g.NMid+g.NHigh != g.NRated || g.NRated+g.NUnable+g.NMissing != g.NSubmitted || sum(g.Hist) != g.NRated {
						t.Fatalf("trial %d item %s group %s: counts %+v", trial, it.ID, g.Name, g)
					}
					nr += g.NRated
				}
				if nr != it.NRated {
					t.Fatalf("groups sum to %d ratings, item has %d", nr, it.NRated)
				}
				if it.NRated > 0 && (*it.Median < 1 || *it.Median > float64(max) || it.QuantileType7.Q1 > *it.Median ||
					*it.Median > it.QuantileType7.Q3 || it.PctHighWilson95.Lo > *it.PctHigh || *it.PctHigh > it.PctHighWilson95.Hi) {
					t.Fatalf("trial %d item %s: order broken %+v", trial, it.ID, it)
				}
			}
			for _, w := range []*consensus.KendallW{rr.Kendall.Uncorrected, rr.Kendall.Corrected} {
				if w != nil && (w.W < 0 || w.W > 1+1e-12 || w.PValue < 0 || w.PValue > 1) {
					t.Fatalf("trial %d: W %+v outside [0, 1]", trial, w)
				}
			}
		}
		for _, st := range res.Stability {
			for _, it := range st.Items {
				for _, w := range []consensus.WilcoxonApprox{it.Wilcoxon.Wilcox.Approx, it.Wilcoxon.Pratt.Approx} {
					if w.Error == "" && (*w.PValue < 0 || *w.PValue > 1 || *w.Statistic > *w.RPlus) {
						t.Fatalf("trial %d: wilcoxon %+v", trial, w)
					}
				}
			}
		}
		// Permuting the panelists (and their rows) changes nothing.
		want := mustJSON(t, res)
		perm := permutePanelists(rng, rounds)
		if got := mustJSON(t, consensus.Analyze(s, nil, perm)); !bytes.Equal(got, want) {
			t.Fatalf("trial %d: permuting panelists changed the result", trial)
		}
	}
}

func sum(h []int) int {
	n := 0
	for _, c := range h {
		n += c
	}
	return n
}

func permutePanelists(rng *rand.Rand, rounds []*consensus.Round) []*consensus.Round {
	var out []*consensus.Round
	for _, rd := range rounds {
		np, ni := len(rd.Panelists), len(rd.Items)
		perm := rng.Perm(np)
		c := &consensus.Round{Number: rd.Number, Items: rd.Items, Groups: rd.Groups,
			Panelists: make([]string, np), Group: make([]int, np), Submitted: make([]bool, np), Ratings: make([]int8, np*ni)}
		for to, from := range perm {
			c.Panelists[to], c.Group[to], c.Submitted[to] = rd.Panelists[from], rd.Group[from], rd.Submitted[from]
			copy(c.Ratings[to*ni:(to+1)*ni], rd.Ratings[from*ni:(from+1)*ni])
		}
		out = append(out, c)
	}
	return out
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The service stores snapshots as JSON and reads them back.
func TestJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3} {
		res := consensus.Analyze(scale9, nil, randomRounds(rng, n, 12, 5, 3, 9))
		b := mustJSON(t, res)
		var back consensus.Result
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%d rounds: %v", n, err)
		}
		if !reflect.DeepEqual(&back, res) {
			t.Errorf("%d rounds: round trip differs", n)
		}
		if b2 := mustJSON(t, &back); !bytes.Equal(b, b2) {
			t.Errorf("%d rounds: second encoding differs", n)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		st, ok := doc["stability"]
		switch {
		case n == 1 && ok:
			t.Errorf("one round: stability present")
		case n == 2 && (!ok || st[0] != '{'):
			t.Errorf("two rounds: stability is not an object")
		case n == 3 && (!ok || st[0] != '['):
			t.Errorf("three rounds: stability is not a list")
		}
		// A RoundResult stored alone keeps its number.
		var rr consensus.RoundResult
		if err := json.Unmarshal(mustJSON(t, res.Rounds[0]), &rr); err != nil || !reflect.DeepEqual(&rr, res.Rounds[0]) {
			t.Errorf("round result round trip: %v", err)
		}
	}
}

func TestRoundValidate(t *testing.T) {
	good := mkRound(1, []string{"a", "b"}, panelist{"A", "g", "5U"}, panelist{"B", "h", ""})
	if err := good.Validate(scale9); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*consensus.Round)
	}{
		{"rating above max", func(r *consensus.Round) { r.Ratings[0] = 10 }},
		{"rating below missing", func(r *consensus.Round) { r.Ratings[1] = -2 }},
		{"short ratings", func(r *consensus.Round) { r.Ratings = r.Ratings[:3] }},
		{"short groups", func(r *consensus.Round) { r.Group = r.Group[:1] }},
		{"bad group index", func(r *consensus.Round) { r.Group[0] = 5 }},
		{"duplicate item", func(r *consensus.Round) { r.Items = []string{"a", "a"} }},
		{"empty panelist id", func(r *consensus.Round) { r.Panelists = []string{"A", ""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mkRound(1, []string{"a", "b"}, panelist{"A", "g", "5U"}, panelist{"B", "h", ""})
			tt.edit(r)
			if r.Validate(scale9) == nil {
				t.Error("Validate = nil, want an error")
			}
		})
	}
}

// FuzzAnalyze feeds arbitrary answers (including values outside the scale, which count as
// missing) to Analyze: it must not panic, must give finite numbers and must encode as JSON.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{7, 7, 7, 1, 2, 3, 255, 0, 9, 9, 4, 5}, uint8(3), uint8(2))
	f.Add([]byte{0, 0, 0, 0}, uint8(2), uint8(1))
	f.Add([]byte{}, uint8(1), uint8(1))
	f.Add([]byte{200, 100, 9, 10, 128, 127}, uint8(2), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, ni, ng uint8) {
		nItems, nGroups := 1+int(ni%6), 1+int(ng%4)
		np := len(data) / (2 * nItems)
		if np == 0 {
			np = 1
		}
		var rounds []*consensus.Round
		items, panelists := []string{"a", "b", "c", "d", "e", "f"}[:nItems], make([]string, np)
		group := make([]int, np)
		for p := range panelists {
			panelists[p] = string(rune('A'+p%26)) + string(rune('a'+p/26%26)) + string(rune('0'+p/676))
			group[p] = p % nGroups
		}
		for r := 0; r < 2; r++ {
			rd := &consensus.Round{Number: r + 1, Items: items, Panelists: panelists, Groups: []string{"w", "x", "y", "z"}[:nGroups],
				Group: group, Submitted: make([]bool, np), Ratings: make([]int8, np*nItems)}
			for x := range rd.Ratings {
				if k := r*np*nItems + x; k < len(data) {
					rd.Ratings[x] = int8(data[k])
				}
				rd.Submitted[x/nItems] = true
			}
			rounds = append(rounds, rd)
		}
		res := consensus.Analyze(scale9, nil, rounds)
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("encode: %v", err) // a NaN or Inf would fail here
		}
	})
}
