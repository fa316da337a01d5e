package consensus

import (
	"math"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Stability is the change of every item from one round to the next (definitions, "STABILITY").
type Stability struct {
	FromRound int `json:"from_round,string"`
	ToRound   int `json:"to_round,string"`
	// Items are the items present in both rounds, in the order of the later round.
	Items StabilityItems `json:"items"`
}

// Change is the change of one item between two rounds, on some set of ratings: all ratings of
// each round, or the paired panelists only.
type Change struct {
	// DeltaIQRType7 is IQR(to) − IQR(from), type 7; nil if either side has no rating.
	DeltaIQRType7 *float64 `json:"delta_iqr_type7"`
	// DeltaIQRType6 is the same with type-6 quartiles.
	DeltaIQRType6 *float64 `json:"delta_iqr_type6"`
	// DeltaPctHigh is pct_high(to) − pct_high(from); nil if either side has no rating.
	DeltaPctHigh *float64 `json:"delta_pct_high"`
	// CometFrom and CometTo are the COMET classes of each side under that round's rule; the
	// zero Class (null) when the side has no rating.
	CometFrom Class `json:"comet_from"`
	CometTo   Class `json:"comet_to"`
}

// StabilityItem is the stability of one item.
type StabilityItem struct {
	// ID is the item id: the key in the JSON object "items".
	ID string `json:"-"`
	// NPairs counts the panelists with a rating 1..Max in both rounds (matched by id).
	NPairs int `json:"n_pairs"`
	// NChanged counts the pairs whose two ratings differ.
	NChanged int `json:"n_changed"`
	// PctChanged is 100·n_changed/n_pairs; nil if n_pairs = 0.
	PctChanged *float64 `json:"pct_changed"`
	// Change is computed on all ratings of each round.
	Change
	// Paired is the same five on the paired panelists only.
	Paired Change `json:"paired"`
	// TiesInAbsDiff says whether two non-zero |differences| are equal.
	TiesInAbsDiff bool     `json:"ties_in_abs_diff"`
	Wilcoxon      Wilcoxon `json:"wilcoxon"`
}

// Wilcoxon is the Wilcoxon signed-rank test on the pairs with both zero-handling methods.
// Reports use Wilcox.
type Wilcoxon struct {
	Wilcox WilcoxonTest `json:"wilcox"`
	Pratt  WilcoxonTest `json:"pratt"`
}

// WilcoxonTest holds the normal approximation of the test (the only method computed).
type WilcoxonTest struct {
	Approx WilcoxonApprox `json:"approx"`
}

// WilcoxonApprox is the two-sided normal approximation with tie-corrected variance and no
// continuity correction. With an Error, every other field is nil.
type WilcoxonApprox struct {
	// Statistic is min(R+, R−).
	Statistic *float64 `json:"statistic"`
	PValue    *float64 `json:"p_value"`
	// Z is (statistic − mean)/sd with statistic = min(R+, R−): the z of the two-sided test, so
	// never positive. This is what SciPy reports and what the definitions' worked example shows
	// (r_plus 20, statistic 16, z −0.2801); the definitions' prose "(R+ − mean)/sd" differs only
	// in sign, and the p-value is the same either way.
	Z *float64 `json:"z"`
	// RPlus is R+, the sum of the ranks of the positive differences.
	RPlus *float64      `json:"r_plus"`
	Error WilcoxonError `json:"error"`
}

// WilcoxonError says why a Wilcoxon test has no value; the zero value (JSON null) is no error.
type WilcoxonError string

// The Wilcoxon errors of the definitions.
const (
	NoPairs            WilcoxonError = "no_pairs"
	AllDifferencesZero WilcoxonError = "all_differences_zero"
)

// MarshalJSONTo writes the error, or null for none.
func (e WilcoxonError) MarshalJSONTo(enc *jsontext.Encoder) error { return writeEnum(enc, string(e)) }

// UnmarshalJSONFrom reads an error or null.
func (e *WilcoxonError) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return readEnum(dec, "wilcoxon error", e, NoPairs, AllDifferencesZero)
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (e WilcoxonError) MarshalJSON() ([]byte, error) { return json.Marshal(e) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (e *WilcoxonError) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, e) }

// ComputeStability computes the stability of every item present in both rounds, from round
// `from` to round `to`, with panelists matched by id, under one rule for both rounds' classes.
// Use ComputeStabilityRules when the rule changes between the rounds.
func ComputeStability(s Scale, r Rule, from, to *Round) *Stability {
	return ComputeStabilityRules(s, r, r, from, to)
}

// ComputeStabilityRules is ComputeStability with each round's own rule, so that comet_from and
// comet_to equal the classes of the rounds' own results.
func ComputeStabilityRules(s Scale, fromRule, toRule Rule, from, to *Round) *Stability {
	return computeStability(s, fromRule, toRule, from, to, newTally(s, from), newTally(s, to))
}

// pairTally holds, per item present in both rounds, the ratings of the paired panelists
// (per group, on each side) and the histogram of the differences d = from − to.
type pairTally struct {
	k, m1, nd int     // items, Max+1, 2·Max−1
	from, to  []int32 // [(g·k + x)·m1 + v]: rating v of item x by a paired panelist of group g
	diff      []int32 // [x·nd + d + Max − 1]: difference d of item x
}

func computeStability(s Scale, fromRule, toRule Rule, from, to *Round, tf, tt *tally) *Stability {
	st := &Stability{FromRound: from.Number, ToRound: to.Number}
	fromItem := make(map[string]int, len(from.Items))
	for j, id := range from.Items {
		fromItem[id] = j
	}
	var jf, jt []int // matched items: from index, to index
	for j, id := range to.Items {
		if f, ok := fromItem[id]; ok {
			jf, jt = append(jf, f), append(jt, j)
		}
	}
	k, m1, nd := len(jt), s.Max+1, 2*s.Max-1
	pt := &pairTally{
		k: k, m1: m1, nd: nd,
		from: make([]int32, len(from.Groups)*k*m1),
		to:   make([]int32, len(to.Groups)*k*m1),
		diff: make([]int32, k*nd),
	}
	fromPanelist := make(map[string]int, len(from.Panelists))
	for p, id := range from.Panelists {
		if from.Submitted[p] {
			fromPanelist[id] = p
		}
	}
	nif, nit := len(from.Items), len(to.Items)
	top := int8(s.Max)
	for q, id := range to.Panelists {
		if !to.Submitted[q] {
			continue
		}
		p, ok := fromPanelist[id]
		if !ok {
			continue
		}
		rowF, rowT := from.Ratings[p*nif:(p+1)*nif], to.Ratings[q*nit:(q+1)*nit]
		hf := pt.from[from.Group[p]*k*m1 : (from.Group[p]+1)*k*m1]
		ht := pt.to[to.Group[q]*k*m1 : (to.Group[q]+1)*k*m1]
		for x := range jt {
			a, b := rowF[jf[x]], rowT[jt[x]]
			if a < 1 || b < 1 || a > top || b > top {
				continue
			}
			hf[x*m1+int(a)]++
			ht[x*m1+int(b)]++
			pt.diff[x*nd+int(a-b)+s.Max-1]++
		}
	}

	st.Items = make(StabilityItems, k)
	a := &itemArena{f: make([]float64, 0, k*(1+6+8))}
	h, gh := make([]int32, m1), make([]int32, m1)
	classes := make([]Class, max(len(from.Groups), len(to.Groups)))
	for x := range jt {
		it := &st.Items[x]
		it.ID = to.Items[jt[x]]
		allFrom := summarize(s, fromRule, len(from.Groups), func(g int, h []int32) { tf.hist(g, jf[x], h) }, h, gh, classes)
		allTo := summarize(s, toRule, len(to.Groups), func(g int, h []int32) { tt.hist(g, jt[x], h) }, h, gh, classes)
		it.Change = change(a, allFrom, allTo)
		pairFrom := summarize(s, fromRule, len(from.Groups), func(g int, h []int32) {
			copy(h, pt.from[(g*k+x)*m1:(g*k+x+1)*m1])
		}, h, gh, classes)
		pairTo := summarize(s, toRule, len(to.Groups), func(g int, h []int32) {
			copy(h, pt.to[(g*k+x)*m1:(g*k+x+1)*m1])
		}, h, gh, classes)
		it.Paired = change(a, pairFrom, pairTo)
		wilcoxonItem(it, pt.diff[x*nd:(x+1)*nd], s.Max, a)
	}
	return st
}

// side is what stability needs of one set of ratings of an item.
type side struct {
	n, high        int
	iqr7x4, iqr6x4 int // 4·IQR, exact
	class          Class
}

// summarize sums the per-group histograms given by groupHist into the item's histogram and
// computes its class under r (with EveryGroup, over the groups too), its IQRs and counts.
func summarize(s Scale, r Rule, ng int, groupHist func(g int, h []int32), h, gh []int32, classes []Class) side {
	for v := range h {
		h[v] = 0
	}
	for g := 0; g < ng; g++ {
		groupHist(g, gh)
		for v := 1; v < len(h); v++ {
			h[v] += gh[v]
		}
		classes[g] = ""
		if r.EveryGroup {
			low, _, high, n := s.bandCounts(gh)
			if n > 0 {
				classes[g] = r.classify(low, high, n)
			}
		}
	}
	low, _, high, n := s.bandCounts(h)
	sd := side{n: n, high: high}
	if n == 0 {
		return sd
	}
	_, sd.iqr7x4 = quartiles7(h, n)
	_, sd.iqr6x4 = quartiles6(h, n)
	sd.class = r.combine(r.classify(low, high, n), classes[:ng])
	return sd
}

// change compares two sides of an item.
func change(a *itemArena, from, to side) Change {
	c := Change{CometFrom: from.class, CometTo: to.class}
	if from.n == 0 || to.n == 0 {
		return c
	}
	c.DeltaIQRType7 = a.float(float64(to.iqr7x4-from.iqr7x4) / 4)
	c.DeltaIQRType6 = a.float(float64(to.iqr6x4-from.iqr6x4) / 4)
	c.DeltaPctHigh = a.float(pct(to.high, to.n) - pct(from.high, from.n))
	return c
}

// wilcoxonItem fills the pair counts and both Wilcoxon tests of it from the histogram of the
// differences d = from − to, diff[d + top − 1], top = Scale.Max.
//
// |d| takes at most top − 1 non-zero values, so mid-ranks come from the histogram of |d| as in
// kendall, doubled to stay integers.
//
// wilcox (R wilcox.test(paired = TRUE, exact = FALSE, correct = FALSE); SciPy
// zero_method='wilcox'): zeros are dropped; with n non-zero differences, mean = n(n+1)/4 and
// var = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over the tie groups of |d|.
//
// pratt (SciPy zero_method='pratt', Cureton 1967): the z zeros are ranked with the others (they
// take ranks 1..z), then dropped; with N = n + z pairs, mean = N(N+1)/4 − z(z+1)/4 and
// var = [N(N+1)(2N+1) − z(z+1)(2z+1)]/24 − Σ(t³ − t)/48 over the tie groups of the non-zero
// |d| only (as SciPy does: its tie correction runs on the ranks of the non-zero differences).
// R− is then the sum of the ranks of the negative differences, not N(N+1)/2 − R+.
//
// In both, statistic = min(R+, R−), z = (statistic − mean)/sd = −|R+ − mean|/sd and the
// p-value is 2·Φ(z).
func wilcoxonItem(it *StabilityItem, diff []int32, top int, a *itemArena) {
	zeros := int64(diff[top-1])
	var n int64 // non-zero differences
	ties := false
	for d := 1; d < top; d++ {
		t := int64(diff[top-1+d]) + int64(diff[top-1-d])
		n += t
		if t >= 2 {
			ties = true
		}
	}
	it.NPairs = int(n + zeros)
	it.NChanged = int(n)
	it.TiesInAbsDiff = ties
	if it.NPairs == 0 {
		it.Wilcoxon.Wilcox.Approx.Error = NoPairs
		it.Wilcoxon.Pratt.Approx.Error = NoPairs
		return
	}
	it.PctChanged = a.float(pct(it.NChanged, it.NPairs))
	if n == 0 {
		it.Wilcoxon.Wilcox.Approx.Error = AllDifferencesZero
		it.Wilcoxon.Pratt.Approx.Error = AllDifferencesZero
		return
	}
	it.Wilcoxon.Wilcox.Approx = signedRank(diff, top, 0, a)
	it.Wilcoxon.Pratt.Approx = signedRank(diff, top, zeros, a)
}

// signedRank computes the test with the non-zero |d| ranked after `offset` zeros (0 for
// wilcox, the number of zeros for pratt).
func signedRank(diff []int32, top int, offset int64, a *itemArena) WilcoxonApprox {
	var n, rPlus2, rMinus2, ties int64
	c := offset // ranks taken so far
	for d := 1; d < top; d++ {
		pos, neg := int64(diff[top-1+d]), int64(diff[top-1-d])
		t := pos + neg
		if t == 0 {
			continue
		}
		rank2 := 2*c + t + 1
		rPlus2 += pos * rank2
		rMinus2 += neg * rank2
		ties += t*t*t - t
		c += t
		n += t
	}
	N, z0 := n+offset, offset
	// 4·mean and 48·var, exact integers.
	mean4 := N*(N+1) - z0*(z0+1)
	var48 := 2*(N*(N+1)*(2*N+1)-z0*(z0+1)*(2*z0+1)) - ties
	rPlus, rMinus := float64(rPlus2)/2, float64(rMinus2)/2
	z := -math.Abs(float64(2*rPlus2-mean4)/4) / math.Sqrt(float64(var48)/48)
	p := 2 * distuv.UnitNormal.CDF(-math.Abs(z))
	return WilcoxonApprox{
		Statistic: a.float(math.Min(rPlus, rMinus)),
		PValue:    a.float(p),
		Z:         a.float(z),
		RPlus:     a.float(rPlus),
	}
}
