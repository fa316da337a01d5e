package delphi

import (
	"fmt"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/survey"
)

func fp(v float64) *float64 { return &v }
func ip(v int) *int         { return &v }
func sp(v string) *string   { return &v }

// TestRankUndecided: the items the outcome leaves undecided, closest first (outcome
// definitions §2 and issue 15: distance of % high to the threshold, or of the placement to
// collect_at_least; then more disagreeing groups of sufficient size), and nothing else.
func TestRankUndecided(t *testing.T) {
	def := &survey.Definition{Feedback: survey.Feedback{MinGroupSize: 5}}
	grp := func(name string, n int, c consensus.Class) consensus.Group {
		return consensus.Group{Name: name, NRated: n, Comet: c}
	}
	snap := &Snapshot{Round: 2, Rule: survey.Rule{In: survey.InRule{HighAtLeast: 70}}, Result: &consensus.RoundResult{Items: consensus.ItemList{
		{ID: "near", Comet: consensus.NoConsensus, Groups: consensus.GroupList{grp("a", 6, consensus.ConsensusIn), grp("b", 6, consensus.NoConsensus)}},
		{ID: "near_split", Comet: consensus.NoConsensus, Groups: consensus.GroupList{grp("a", 6, consensus.ConsensusIn), grp("b", 6, consensus.ConsensusOut),
			grp("c", 2, consensus.ConsensusIn)}}, // c is too small to count
		{ID: "far", Comet: consensus.NoConsensus},
		{ID: "placed", Comet: consensus.ConsensusIn},
		{ID: "thin", Comet: consensus.ConsensusIn},
	}}}
	entry := func(id, importance, final, reason string, pct *float64, p *outcome.Placement) outcome.Entry {
		e := outcome.Entry{Item: id, LastRound: ip(2), Importance: sp(importance), PctHigh: pct, Placement: p, FinalTier: final,
			History: []outcome.HistoryEntry{{Round: 2, Importance: importance}}}
		if reason != "" {
			e.FinalReason = sp(reason)
		}
		return e
	}
	so := &StudyOutcome{Study: &Study{Def: def}, Snapshots: []*Snapshot{snap},
		Rule: outcome.Rule{CoreAtLeast: 70, CollectAtLeast: 70, MinPlacementAnswers: 5},
		Entries: []outcome.Entry{
			entry("far", "no_consensus", "undecided", "no_consensus", fp(20), nil),
			entry("placed", "consensus_in", "undecided", "placement_split", fp(80), &outcome.Placement{N: 10, Core: 3, Expansion: 3, NotNeeded: 4}), // 60 % collect: 10 short
			entry("near", "no_consensus", "undecided", "no_consensus", fp(64), nil),                                                                 // 6 from 70
			entry("near_split", "no_consensus", "undecided", "no_consensus", fp(76), nil),                                                           // 6 from 70, 2 groups disagree
			entry("thin", "consensus_in", "undecided", "too_few_placement_answers", fp(90), &outcome.Placement{N: 2, Core: 2}),                      // the whole 70
			entry("core", "consensus_in", "core", "", fp(95), &outcome.Placement{N: 10, Core: 9}),                                                   // decided: not listed
		}}
	got := (&Service{}).RankUndecided(so)
	want := []struct {
		item     string
		distance float64
		disagree int
	}{{"near_split", 6, 2}, {"near", 6, 1}, {"placed", 10, 0}, {"far", 50, 0}, {"thin", 70, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		c := got[i]
		if c.Item != w.item || c.Closeness.Distance != w.distance || c.Closeness.GroupsDisagree != w.disagree {
			t.Errorf("#%d: %s distance %v disagree %d, want %s %v %d", i, c.Item, c.Closeness.Distance, c.Closeness.GroupsDisagree, w.item, w.distance, w.disagree)
		}
	}
}

// TestNormalizeCode: codes as people type them.
func TestNormalizeCode(t *testing.T) {
	for in, want := range map[string]string{"7tpw9q": "7TPW9Q", " 7TP-W9Q ": "7TPW9Q", "7TP W9Q": "7TPW9Q", "": ""} {
		if got := NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
	for range 100 {
		c := newJoinCode()
		if len(c) != 6 || NormalizeCode(c) != c {
			t.Fatalf("join code %q", c)
		}
	}
}

// TestItemBrief: the presenter's history has every round asked, for the whole panel and per
// group, each round under the disclosure rule: a group under min_group_size reads "small",
// the smallest other one is withheld with it when their sum would give it away, and a round
// where every group is large enough shows them all.
func TestItemBrief(t *testing.T) {
	def := &survey.Definition{Feedback: survey.Feedback{MinGroupSize: 3},
		Groups: []survey.Group{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}}
	grp := func(name string, n int, pct float64) consensus.Group {
		return consensus.Group{Name: name, NSubmitted: n, NRated: n, PctHigh: fp(pct)}
	}
	round := func(n int, id string, groups ...consensus.Group) *Snapshot {
		total := 0
		for _, g := range groups {
			total += g.NRated
		}
		return &Snapshot{Round: n, Rule: survey.Rule{In: survey.InRule{HighAtLeast: 70}}, Result: &consensus.RoundResult{NSubmitted: total,
			Items: consensus.ItemList{{ID: id, NRated: total, PctHigh: fp(50), Comet: consensus.NoConsensus, Groups: groups}}}}
	}
	so := &StudyOutcome{Study: &Study{Def: def}, Snapshots: []*Snapshot{
		round(1, "x_old", grp("a", 6, 50), grp("b", 5, 40), grp("c", 2, 100)), // c small; b withheld, else 13 − 6 − 5 = 2
		round(2, "x", grp("a", 6, 60), grp("b", 6, 30), grp("c", 4, 75)),      // all shown; d never rated
	}, Entries: []outcome.Entry{{Item: "x", History: []outcome.HistoryEntry{{Round: 1, Item: "x_old"}, {Round: 2}}}}}
	b := ItemBrief(so, "x")
	if len(b.Rounds) != 2 || b.Rounds[0].Round != 1 || b.Rounds[1].NRated != 16 {
		t.Fatalf("rounds %+v", b.Rounds)
	}
	want := map[string][2]string{"a": {"50 n6", "60 n6"}, "b": {"deducible", "30 n6"}, "c": {"small", "75 n4"}}
	if len(b.Groups) != len(want) {
		t.Fatalf("groups %+v", b.Groups)
	}
	for _, g := range b.Groups {
		for i, c := range g.Cells {
			got := c.Withheld
			if got == "" {
				got = fmt.Sprintf("%.0f n%d", *c.PctHigh, c.NRated)
			} else if c.NRated != 0 || c.PctHigh != nil {
				t.Errorf("%s round %d is withheld but carries %+v", g.ID, i+1, c)
			}
			if got != want[g.ID][i] {
				t.Errorf("%s round %d: %s, want %s", g.ID, i+1, got, want[g.ID][i])
			}
		}
	}
}
