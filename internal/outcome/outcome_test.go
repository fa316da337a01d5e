package outcome

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/survey"
)

var defRule = survey.DefaultOutcome()

func pl(core, exp, nn int) Placement {
	return Placement{N: core + exp + nn, Core: core, Expansion: exp, NotNeeded: nn}
}

func TestTier(t *testing.T) {
	in := func(p Placement) Evidence {
		return Evidence{Importance: ConsensusIn, PlacementQuestion: true, Placement: p, ProposedTier: Expansion, Module: "myeloma"}
	}
	tests := []struct {
		name              string
		rule              Rule
		ev                Evidence
		finished          bool
		tier, module, why string
	}{
		// consensus in, step 1: too few placement answers
		{"n_p = min − 1", defRule, in(pl(4, 0, 0)), false, Undecided, "", ReasonTooFewPlacement},
		{"n_p = 0", defRule, in(pl(0, 0, 0)), true, Undecided, "", ReasonTooFewPlacement},
		{"n_p = min, all core", defRule, in(pl(5, 0, 0)), false, Core, "", ""},
		{"min 1, one answer", Rule{CoreAtLeast: 70, CollectAtLeast: 70, MinPlacementAnswers: 1}, in(pl(1, 0, 0)), false, Core, "", ""},
		// step 2: core at exactly 70 %, and just below
		{"core exactly 70 %", defRule, in(pl(7, 0, 3)), false, Core, "", ""},
		{"core 69 % (69/100)", defRule, in(pl(69, 31, 0)), false, Expansion, "myeloma", ""},
		{"core 7 of 10 with expansion", defRule, in(pl(7, 3, 0)), false, Core, "", ""},
		{"core 2/3 = 66.7 %", defRule, in(pl(4, 2, 0)), false, Expansion, "myeloma", ""},
		// step 3: collected at exactly 70 %, and just below
		{"collect exactly 70 %", defRule, in(pl(3, 4, 3)), false, Expansion, "myeloma", ""},
		{"collect 69 %", defRule, in(pl(30, 39, 31)), false, Undecided, "", ReasonPlacementSplit},
		{"issue example: core 2 · expansion 1 · not needed 3", Rule{CoreAtLeast: 70, CollectAtLeast: 70, MinPlacementAnswers: 5}, in(pl(2, 1, 3)), false, Undecided, "", ReasonPlacementSplit},
		{"proposed core, all expansion", defRule, Evidence{Importance: ConsensusIn, PlacementQuestion: true, Placement: pl(0, 6, 0), ProposedTier: Core}, false,
			Expansion, Unassigned, ReasonModuleToAssign},
		{"module-less expansion", defRule, Evidence{Importance: ConsensusIn, PlacementQuestion: true, Placement: pl(1, 5, 0)}, false,
			Expansion, Unassigned, ReasonModuleToAssign},
		{"core beats collect", Rule{CoreAtLeast: 50, CollectAtLeast: 90, MinPlacementAnswers: 5}, in(pl(5, 0, 5)), false, Core, "", ""},
		{"100 % threshold met", Rule{CoreAtLeast: 100, CollectAtLeast: 100, MinPlacementAnswers: 1}, in(pl(3, 0, 0)), false, Core, "", ""},
		{"100 % threshold missed by one", Rule{CoreAtLeast: 100, CollectAtLeast: 100, MinPlacementAnswers: 1}, in(pl(3, 0, 1)), false, Undecided, "", ReasonPlacementSplit},
		// no placement question
		{"no placement question, proposed core", defRule, Evidence{Importance: ConsensusIn, ProposedTier: Core}, false, Core, "", ReasonNoPlacementQuestion},
		{"no placement question, no proposed tier", defRule, Evidence{Importance: ConsensusIn}, false, Core, "", ReasonNoPlacementQuestion},
		{"no placement question, proposed expansion", defRule, Evidence{Importance: ConsensusIn, ProposedTier: Expansion, Module: "m"}, false,
			Expansion, "m", ReasonNoPlacementQuestion},
		{"no placement question, expansion without module", defRule, Evidence{Importance: ConsensusIn, ProposedTier: Expansion}, false,
			Expansion, Unassigned, ReasonModuleToAssign},
		// the other classes
		{"consensus out", defRule, Evidence{Importance: ConsensusOut, PlacementQuestion: true, Placement: pl(9, 0, 0)}, false, Excluded, "", ReasonConsensusOut},
		{"consensus out, finished", defRule, Evidence{Importance: ConsensusOut}, true, Excluded, "", ReasonConsensusOut},
		{"no consensus, running", defRule, Evidence{Importance: NoConsensus, PlacementQuestion: true, Placement: pl(9, 0, 0)}, false, Pending, "", ReasonNoConsensus},
		{"no consensus, finished: undecided, never excluded", defRule, Evidence{Importance: NoConsensus}, true, Undecided, "", ReasonNoConsensus},
		{"not rated, running", defRule, Evidence{}, false, Pending, "", ReasonNotRated},
		{"not rated, finished", defRule, Evidence{}, true, Undecided, "", ReasonNotRated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, module, why := Tier(tt.rule, tt.ev, tt.finished)
			if tier != tt.tier || module != tt.module || why != tt.why {
				t.Errorf("Tier = %q, %q, %q; want %q, %q, %q", tier, module, why, tt.tier, tt.module, tt.why)
			}
		})
	}
}

func TestCarry(t *testing.T) {
	m := survey.Meeting{AgreeAtLeast: 70, MinVoters: 10}
	prop := func(agree, disagree, abstain int) Vote {
		return Vote{Kind: VoteProposal, Tier: Expansion, Module: "m", Counts: map[string]int{OptAgree: agree, OptDisagree: disagree, OptAbstain: abstain}}
	}
	opts := func(c map[string]int) Vote { return Vote{Kind: VoteOptions, Counts: c} }
	tests := []struct {
		name         string
		meeting      survey.Meeting
		v            Vote
		tier, module string
		ok           bool
	}{
		{"proposal exactly 70 %", m, prop(7, 3, 5), Expansion, "m", true},
		{"proposal 69 %", m, prop(69, 31, 0), "", "", false},
		{"abstentions not counted", m, prop(7, 3, 20), Expansion, "m", true},
		{"voters = min − 1", m, prop(9, 0, 4), "", "", false},
		{"voters = min", m, prop(10, 0, 0), Expansion, "m", true},
		{"nobody voted", survey.Meeting{AgreeAtLeast: 70, MinVoters: 1}, prop(0, 0, 3), "", "", false},
		{"options: core carried", m, opts(map[string]int{OptCore: 8, OptExclude: 2, OptAbstain: 1}), Core, "", true},
		{"options: module carried", m, opts(map[string]int{OptCore: 3, OptModule + "myeloma": 7}), Expansion, "myeloma", true},
		{"options: exclude carried", m, opts(map[string]int{OptExclude: 10}), Excluded, "", true},
		{"options: split", m, opts(map[string]int{OptCore: 6, OptModule + "m": 4}), "", "", false},
		{"options: two reach a low threshold", survey.Meeting{AgreeAtLeast: 50, MinVoters: 1}, opts(map[string]int{OptCore: 5, OptExclude: 5}), "", "", false},
		{"options: abstain cannot carry", survey.Meeting{AgreeAtLeast: 50, MinVoters: 1}, opts(map[string]int{OptAbstain: 9, OptCore: 1}), Core, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tier, module, ok := Carry(tt.meeting, tt.v)
			if tier != tt.tier || module != tt.module || ok != tt.ok {
				t.Errorf("Carry = %q, %q, %v; want %q, %q, %v", tier, module, ok, tt.tier, tt.module, tt.ok)
			}
		})
	}
}

func TestFreeze(t *testing.T) {
	js, h := Freeze(defRule)
	if js != `{"core_at_least":70,"collect_at_least":70,"min_placement_answers":5,"meeting":{"agree_at_least":70,"min_voters":10}}` {
		t.Errorf("frozen rule %s", js)
	}
	if len(h) != 64 {
		t.Errorf("hash %q", h)
	}
	if _, h2 := Freeze(Rule{CoreAtLeast: 71, CollectAtLeast: 70, MinPlacementAnswers: 5, Meeting: defRule.Meeting}); h2 == h {
		t.Error("different rules, same hash")
	}
}

func item(id, section string, derived ...string) RoundItem {
	return RoundItem{Item: survey.Item{ID: id, Label: survey.Text{"en": strings.ToUpper(id)}}, Section: section, DerivedFrom: derived}
}

func with(it RoundItem, class string, p Placement) RoundItem {
	it.Importance, it.Placement, it.NRated = class, p, p.N
	return it
}

func find(t *testing.T, es []Entry, id string) Entry {
	t.Helper()
	for _, e := range es {
		if e.Item == id {
			return e
		}
	}
	t.Fatalf("no entry %q", id)
	return Entry{}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// study is a three-round study exercising every path of Derive:
// round 1: a in, b out, c none, d none, e none, f none, g none, x none (expansion, module-less)
// round 2: c (as is), d2 reworded from d, m merged from e and f; g dropped; x in, h added
// round 3: c, h; m dropped, d2 carried
func study(finished bool) Input {
	x := item("x", "s2")
	x.ProposedTier = Expansion
	r1 := Round{Number: 1, Closed: true, Items: []RoundItem{
		with(item("a", "s1"), ConsensusIn, pl(8, 1, 1)),
		with(item("b", "s1"), ConsensusOut, pl(0, 0, 9)),
		with(item("c", "s1"), NoConsensus, pl(3, 3, 3)),
		with(item("d", "s2"), NoConsensus, pl(3, 3, 3)),
		with(item("e", "s2"), NoConsensus, pl(3, 3, 3)),
		with(item("f", "s2"), NoConsensus, pl(3, 3, 3)),
		with(item("g", "s2"), NoConsensus, pl(3, 3, 3)),
		with(x, NoConsensus, pl(1, 5, 0)),
	}}
	r2 := Round{Number: 2, Closed: true, Items: []RoundItem{
		with(item("c", "s1"), NoConsensus, pl(3, 3, 3)),
		with(item("d2", "s2", "d"), ConsensusIn, pl(2, 5, 0)),
		with(item("m", "s2", "e", "f"), NoConsensus, pl(1, 1, 1)),
		with(x, ConsensusIn, pl(1, 5, 0)),
		with(item("h", "s1"), NoConsensus, pl(5, 0, 0)),
	}}
	r3 := Round{Number: 3, Closed: true, Items: []RoundItem{
		with(item("c", "s1"), NoConsensus, pl(3, 3, 3)),
		with(item("h", "s1"), ConsensusIn, pl(4, 0, 0)),
	}}
	return Input{Rule: defRule, PlacementQuestion: true, Finished: finished, Sections: []string{"s1", "s2"},
		Rounds: []Round{r1, r2, r3},
		Changes: []Change{
			{Round: 2, Item: "g", Kind: ChangeDropped, Reason: "duplicate of a registry field"},
			{Round: 2, Item: "d2", Kind: ChangeReworded, Reason: "clearer wording", DerivedFrom: []string{"d"}},
			{Round: 2, Item: "m", Kind: ChangeMerged, Reason: "same concept", DerivedFrom: []string{"e", "f"}},
			{Round: 2, Item: "h", Kind: ChangeAdded, Reason: "suggested by panelists"},
			{Round: 3, Item: "m", Kind: ChangeDropped, Reason: "covered by the core set"},
		}}
}

func TestDerive(t *testing.T) {
	tests := []struct {
		item, tier, module, reason string
		replacedBy, changeReason   string
		lastRound                  int
		history                    string
	}{
		{"a", Core, "", "", "", "", 1, "1:consensus_in"},
		{"b", Excluded, "", ReasonConsensusOut, "", "", 1, "1:consensus_out"},
		{"c", Undecided, "", ReasonNoConsensus, "", "", 3, "1:no_consensus 2:no_consensus 3:no_consensus"},
		{"d", Excluded, "", ReasonReplaced, "d2", "clearer wording", 1, "1:no_consensus"},
		{"d2", Expansion, Unassigned, ReasonModuleToAssign, "", "", 2, "1:d:no_consensus 2:consensus_in"},
		{"e", Excluded, "", ReasonReplaced, "m", "same concept", 1, "1:no_consensus"},
		{"f", Excluded, "", ReasonReplaced, "m", "same concept", 1, "1:no_consensus"},
		{"g", Excluded, "", ReasonDropped, "", "duplicate of a registry field", 1, "1:no_consensus"},
		{"m", Excluded, "", ReasonDropped, "", "covered by the core set", 2, "2:no_consensus"},
		{"x", Expansion, Unassigned, ReasonModuleToAssign, "", "", 2, "1:no_consensus 2:consensus_in"},
		{"h", Undecided, "", ReasonTooFewPlacement, "", "", 3, "2:no_consensus 3:consensus_in"},
	}
	es := Derive(study(true))
	if len(es) != len(tests) {
		t.Fatalf("%d entries, want %d", len(es), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.item, func(t *testing.T) {
			e := find(t, es, tt.item)
			if e.RuleTier != tt.tier || deref(e.RuleModule) != tt.module || deref(e.RuleReason) != tt.reason {
				t.Errorf("rule = %s %q %q; want %s %q %q", e.RuleTier, deref(e.RuleModule), deref(e.RuleReason), tt.tier, tt.module, tt.reason)
			}
			if e.FinalTier != e.RuleTier || deref(e.FinalModule) != deref(e.RuleModule) {
				t.Errorf("final %s differs from the rule without a decision", e.FinalTier)
			}
			if e.ReplacedBy != tt.replacedBy || e.ChangeReason != tt.changeReason {
				t.Errorf("replaced by %q (%q), want %q (%q)", e.ReplacedBy, e.ChangeReason, tt.replacedBy, tt.changeReason)
			}
			if e.LastRound == nil || *e.LastRound != tt.lastRound {
				t.Errorf("last round %v, want %d", e.LastRound, tt.lastRound)
			}
			var hs []string
			for _, h := range e.History {
				s := ""
				if h.Item != "" {
					s = h.Item + ":"
				}
				hs = append(hs, strings.TrimSpace(strings.Join([]string{itoa(h.Round), s + h.Importance}, ":")))
			}
			if got := strings.ReplaceAll(strings.Join(hs, " "), "::", ":"); got != tt.history {
				t.Errorf("history %q, want %q", got, tt.history)
			}
		})
	}
	// while the study runs, no consensus is pending, never undecided or excluded
	running := Derive(study(false))
	if e := find(t, running, "c"); e.RuleTier != Pending || deref(e.RuleReason) != ReasonNoConsensus {
		t.Errorf("running: c = %s %s, want pending no_consensus", e.RuleTier, deref(e.RuleReason))
	}
	if e := find(t, running, "a"); e.RuleTier != Core {
		t.Errorf("running: a = %s", e.RuleTier)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestDeriveOpenRound(t *testing.T) {
	in := study(false)
	// round 4 is open: it asks c again and a new item n
	in.Rounds = append(in.Rounds, Round{Number: 4, Items: []RoundItem{item("c", "s1"), item("n", "s2")}})
	es := Derive(in)
	if e := find(t, es, "c"); e.RuleTier != Pending || *e.LastRound != 3 || len(e.History) != 4 || e.History[3].Importance != "" {
		t.Errorf("c in an open round: %s last %d, history %v", e.RuleTier, *e.LastRound, e.History)
	}
	if e := find(t, es, "n"); e.RuleTier != Pending || deref(e.RuleReason) != ReasonNotYetClosed || e.LastRound != nil || e.Importance != nil {
		t.Errorf("n: %+v", e)
	}
	// h was not carried into round 4 but left with consensus in round 3: not dropped
	if e := find(t, es, "h"); e.RuleTier != Undecided || deref(e.RuleReason) != ReasonTooFewPlacement {
		t.Errorf("h: %s %s", e.RuleTier, deref(e.RuleReason))
	}
}

func TestDecisions(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	in := study(true)
	in.Decisions = []Decision{
		{ID: 2, Item: "c", Tier: Core, Basis: BasisCommittee, Reason: "needed for EMA", At: t0.Add(time.Hour)},
		{ID: 1, Item: "c", Tier: Excluded, Basis: BasisCommittee, Reason: "first thought", At: t0},
		{ID: 3, Item: "x", Tier: Expansion, Module: "myeloma", Basis: BasisCommittee, Reason: "module assigned", At: t0},
		{ID: 4, Item: "a", Tier: Undecided, Basis: BasisMeetingVote, At: t0},
	}
	es := Derive(in)
	c := find(t, es, "c")
	if c.FinalTier != Core || c.RuleTier != Undecided || len(c.Decisions) != 2 || c.Decisions[0].ID != 1 {
		t.Errorf("c: final %s rule %s decisions %v", c.FinalTier, c.RuleTier, c.Decisions)
	}
	x := find(t, es, "x")
	if x.FinalTier != Expansion || deref(x.FinalModule) != "myeloma" || deref(x.RuleModule) != Unassigned {
		t.Errorf("x: final %s %s", x.FinalTier, deref(x.FinalModule))
	}
	a := find(t, es, "a")
	if a.FinalTier != Undecided || deref(a.FinalReason) != ReasonMeetingNoAgreement || a.RuleTier != Core {
		t.Errorf("a: %s %s", a.FinalTier, deref(a.FinalReason))
	}
	if b := find(t, es, "b"); b.Decisions == nil || len(b.Decisions) != 0 {
		t.Errorf("b: decisions %v, want an empty list", b.Decisions)
	}
}

func TestNoPlacementQuestion(t *testing.T) {
	in := study(true)
	in.PlacementQuestion = false
	es := Derive(in)
	a := find(t, es, "a")
	if a.RuleTier != Core || deref(a.RuleReason) != ReasonNoPlacementQuestion || a.Placement != nil {
		t.Errorf("a: %s %s %v", a.RuleTier, deref(a.RuleReason), a.Placement)
	}
	if x := find(t, es, "x"); x.RuleTier != Expansion || deref(x.RuleModule) != Unassigned {
		t.Errorf("x: %s %s", x.RuleTier, deref(x.RuleModule))
	}
}

func TestGrouped(t *testing.T) {
	in := study(true)
	in.Decisions = []Decision{
		{ID: 1, Item: "c", Tier: Expansion, Module: "zeta", Basis: BasisCommittee, Reason: "r"},
		{ID: 2, Item: "h", Tier: Expansion, Module: "alpha", Basis: BasisCommittee, Reason: "r"},
	}
	es := Derive(in)
	gs := Grouped(es, []survey.Module{{ID: "zeta", Label: survey.Text{"en": "A first by label"}}, {ID: "alpha", Label: survey.Text{"en": "B second"}}},
		in.Sections)
	var got []string
	for _, g := range gs {
		var ids []string
		for _, e := range g.Entries {
			ids = append(ids, e.Item)
		}
		got = append(got, g.Kind+"/"+g.Module+":"+strings.Join(ids, ","))
	}
	want := []string{"core/:a", "module/zeta:c", "module/alpha:h", "module/unassigned:x,d2", "undecided/:", "excluded/:b,d,e,f,g,m"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups\n got %v\nwant %v", got, want)
	}
	if n := Counts(es); n[Excluded] != 6 || n[Expansion] != 4 || n[Core] != 1 {
		t.Errorf("counts %v", n)
	}
}

func TestPlacementOf(t *testing.T) {
	p := PlacementOf(map[string]int{"core": 3, "expansion": 2, "not_needed": 1, "other": 9})
	if p != (Placement{N: 6, Core: 3, Expansion: 2, NotNeeded: 1}) {
		t.Errorf("PlacementOf = %+v", p)
	}
}
