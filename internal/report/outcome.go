package report

import (
	"fmt"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/survey"
)

// Final tiers of the outcome (see internal/outcome).
const (
	TierCore      = outcome.Core
	TierExpansion = outcome.Expansion
	TierExcluded  = outcome.Excluded
	TierUndecided = outcome.Undecided
	TierPending   = outcome.Pending // no consensus yet: the study goes on
)

// OutcomeRow is one parameter of the outcome: its evidence, the tier rule's tier, the
// decisions, and the final tier. Rows come in the grouped order (core set, each module by
// label, undecided, excluded).
type OutcomeRow struct {
	Item         string
	Section      string
	Label        string
	Description  string
	Unit         string
	Categories   string
	ProposedTier string
	Module       string // the item's own module (proposed)
	// Status is the importance class in the item's last round (consensus_in, consensus_out,
	// no_consensus, "" when nobody rated it), or dropped or replaced.
	Status string
	// Tier is the final tier: the latest decision, else the tier rule's.
	Tier string
	// FinalModule is the final tier's module (expansion only; "unassigned" when the committee
	// has yet to assign one).
	FinalModule string
	// DecidedRound is the item's last round when the rule settled the tier (0 while pending or
	// undecided).
	DecidedRound int
	LastRound    int    // the last closed round that asked the item
	Median       string // in the last round, formatted
	PctHigh      string
	MedianValue  *float64 // the same, as numbers, for exports
	PctHighValue *float64
	NRated       int
	Placement    map[string]int
	// NP is the number of placement answers; PctCore etc. are % of NP ("" without answers).
	NP                                  int
	PctCore, PctExpansion, PctNotNeeded string
	ReplacedBy                          string
	// RuleTier, RuleModule and RuleReason are what the tier rule says; Reason is the final
	// tier's reason (the rule's, or meeting_no_agreement).
	RuleTier, RuleModule, RuleReason string
	Reason                           string
	// ChangeReason is the facilitators' recorded reason for dropping or replacing the item.
	ChangeReason string
	Derived      bool
	Sources      []string
	Decisions    []outcome.Decision
	// Group is where the row is listed: core, module, undecided or excluded; GroupLabel names
	// it (the module's label for modules).
	Group, GroupLabel string
	Basis             string // how the final tier was reached, in words
}

// OutcomeRule says in words how the outcome assigns tiers, with the default thresholds; reports
// of a study print OutcomeRuleText of its frozen rule.
var OutcomeRule = OutcomeRuleText(survey.DefaultOutcome())

// OutcomeRuleText states the tier rule and the meeting rule with r's thresholds.
func OutcomeRuleText(r outcome.Rule) string {
	return fmt.Sprintf("An item's tier follows from its last round. Consensus in: with fewer than %d placement answers it is undecided; "+
		"it joins the core set when at least %d%% of the placement answers chose core; otherwise its expansion module when at least %d%% "+
		"chose core or expansion (an item without a module goes to “unassigned”, for the committee to assign); otherwise it is "+
		"undecided (placement split). Consensus out: excluded. No consensus: pending while the study runs, undecided once it is "+
		"finished: finishing never excludes an item by itself. Items the facilitators dropped or replaced are excluded, with "+
		"their recorded reason. A meeting vote carries a proposal or option with at least %d%% of the votes cast (abstentions not "+
		"counted) and at least %d voters; a committee decision records its reason. The final tier is the latest decision, else "+
		"the rule's. Shares are compared on counts (100·count ≥ threshold·n).",
		r.MinPlacementAnswers, r.CoreAtLeast, r.CollectAtLeast, r.Meeting.AgreeAtLeast, r.Meeting.MinVoters)
}

// Outcome returns the outcome after the closed rounds snaps (1..n in order) by the tier rule of
// st, with st's decisions, in the grouped order. Callers with the whole study at hand (an open
// round, every decision) use OutcomeRows on delphi.Service.Outcome instead.
func Outcome(st Study, snaps []*delphi.Snapshot) []OutcomeRow {
	in := outcome.Input{Rule: st.OutcomeRule, PlacementQuestion: st.Placement, Finished: st.Finished, Sections: st.Sections,
		Decisions: st.Decisions}
	if in.Rule == (outcome.Rule{}) {
		in.Rule = survey.DefaultOutcome()
	}
	for _, snap := range snaps {
		or := outcome.Round{Number: snap.Round, Closed: true}
		for _, it := range snap.Items {
			ri := outcome.RoundItem{Item: it.Item, Section: it.SectionID, DerivedFrom: it.DerivedFrom}
			if res := snap.Result.Items.Get(it.ID); res != nil {
				ri.Importance, ri.NRated, ri.PctHigh, ri.Median = string(res.Comet), res.NRated, res.PctHigh, res.Median
			}
			ri.Placement = outcome.PlacementOf(snap.Placement[it.ID])
			if len(snap.Placement) > 0 {
				in.PlacementQuestion = true
			}
			or.Items = append(or.Items, ri)
		}
		for _, c := range snap.Changes {
			in.Changes = append(in.Changes, outcome.Change{Round: snap.Round, Item: c.Item, Kind: c.Kind, Reason: c.Reason,
				DerivedFrom: c.DerivedFrom, Earlier: c.Earlier})
		}
		in.Rounds = append(in.Rounds, or)
	}
	es := outcome.Derive(in)
	return OutcomeRows(outcome.Grouped(es, st.Modules, in.Sections), snaps)
}

// OutcomeRows flattens grouped entries into rows, in order. snaps give the section labels.
func OutcomeRows(groups []outcome.Group, snaps []*delphi.Snapshot) []OutcomeRow {
	secLabel := map[string]string{}
	for _, snap := range snaps {
		for _, s := range snap.Sections {
			secLabel[s.ID] = s.Label.In("en")
		}
	}
	var out []OutcomeRow
	for _, g := range groups {
		for _, e := range g.Entries {
			r := OutcomeRow{Item: e.Item, Section: secLabel[e.Section], Label: e.Label.In("en"), Description: e.Description.In("en"),
				Unit: deref(e.Unit), Categories: survey.CategoryText(e.Categories, e.CategoryLabels, "en", "; "), ProposedTier: e.ProposedTier, Module: deref(e.Module),
				Tier: e.FinalTier, FinalModule: deref(e.FinalModule), RuleTier: e.RuleTier, RuleModule: deref(e.RuleModule),
				RuleReason: deref(e.RuleReason), Reason: deref(e.FinalReason), ReplacedBy: e.ReplacedBy, ChangeReason: e.ChangeReason,
				Derived: e.Derived, Sources: e.Sources, Decisions: e.Decisions, Group: g.Kind, GroupLabel: g.Label.In("en"),
				MedianValue: e.Median, PctHighValue: e.PctHigh}
			if r.Section == "" {
				r.Section = e.Section
			}
			if e.LastRound != nil {
				r.LastRound = *e.LastRound
				r.Median, r.PctHigh = nump(e.Median), pctp(e.PctHigh)
			}
			if e.NRated != nil {
				r.NRated = *e.NRated
			}
			r.Status = deref(e.Importance)
			switch r.RuleReason {
			case outcome.ReasonDropped, outcome.ReasonReplaced:
				r.Status = r.RuleReason
			}
			if p := e.Placement; p != nil {
				r.Placement = map[string]int{"core": p.Core, "expansion": p.Expansion, "not_needed": p.NotNeeded}
				r.NP = p.N
				r.PctCore, r.PctExpansion, r.PctNotNeeded = share(p.Core, p.N), share(p.Expansion, p.N), share(p.NotNeeded, p.N)
			}
			if r.RuleTier != outcome.Pending && r.RuleTier != outcome.Undecided {
				r.DecidedRound = r.LastRound
			}
			r.Basis = basis(e)
			out = append(out, r)
		}
	}
	return out
}

func share(n, of int) string {
	if of == 0 {
		return ""
	}
	return rate(n, of)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// reasonWords says a reason of the tier rule in words.
var reasonWords = map[string]string{
	outcome.ReasonTooFewPlacement:     "too few placement answers",
	outcome.ReasonModuleToAssign:      "module to assign",
	outcome.ReasonPlacementSplit:      "placement split",
	outcome.ReasonNoPlacementQuestion: "no placement question: proposed tier",
	outcome.ReasonConsensusOut:        "consensus out",
	outcome.ReasonNoConsensus:         "no consensus",
	outcome.ReasonNotRated:            "not rated",
	outcome.ReasonNotYetClosed:        "asked in the open round",
	outcome.ReasonDropped:             "dropped by the facilitators",
	outcome.ReasonReplaced:            "replaced",
	outcome.ReasonMeetingNoAgreement:  "no agreement at the meeting",
}

// ReasonWords says an outcome reason in words ("" stays "").
func ReasonWords(r string) string {
	if w, ok := reasonWords[r]; ok {
		return w
	}
	return r
}

func basis(e outcome.Entry) string {
	var s string
	switch {
	case e.RuleTier == outcome.Pending:
		s = "no consensus yet"
		if deref(e.RuleReason) == outcome.ReasonNotYetClosed {
			s = "asked in the open round"
		}
	case deref(e.RuleReason) == outcome.ReasonReplaced:
		s = "replaced by " + e.ReplacedBy
	case deref(e.RuleReason) != "":
		s = ReasonWords(deref(e.RuleReason))
	case e.RuleTier == outcome.Core:
		s = "consensus in; placement: core"
	case e.RuleTier == outcome.Expansion:
		s = "consensus in; placement: expansion module"
	}
	if e.ChangeReason != "" {
		s += " (" + e.ChangeReason + ")"
	}
	if d := outcome.Latest(e.Decisions); d != nil {
		switch d.Basis {
		case outcome.BasisCommittee:
			s += "; committee: " + d.Tier
			if d.Module != "" {
				s += " (" + d.Module + ")"
			}
			s += ", " + d.Reason
		case outcome.BasisMeetingVote:
			s += "; meeting vote: " + d.Tier
		}
		if d.Provisional {
			s += " (provisional)"
		}
	}
	return s
}

// OutcomeCounts counts the outcome's items per final tier.
func OutcomeCounts(rows []OutcomeRow) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r.Tier]++
	}
	return m
}

func defaultRule() outcome.Rule { return survey.DefaultOutcome() }
