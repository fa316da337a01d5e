package delphi

import (
	"context"
	"encoding/json"

	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/survey"
)

// StudyOutcome is what the outcome is derived from and what it says: the study, the closed
// rounds' snapshots, the frozen rules, and the entries of outcome.Derive.
type StudyOutcome struct {
	Study     *Study
	Snapshots []*Snapshot // closed rounds, in order
	// Rule is the tier rule in force: the one frozen when the study was finished, else the one
	// frozen when the last round opened, else the definition's.
	Rule     outcome.Rule
	RuleJSON string
	RuleHash string
	Input    outcome.Input
	Entries  []outcome.Entry
	Groups   []outcome.Group
}

// Outcome derives a study's outcome (outcome-definitions.md) from its rounds' snapshots, the
// items of an open round, the reasons recorded for changes and the decisions.
func (s *Service) Outcome(ctx context.Context, studyID int64) (*StudyOutcome, error) {
	st, err := s.Study(ctx, studyID)
	if err != nil {
		return nil, err
	}
	def := st.Def
	so := &StudyOutcome{Study: st}
	so.RuleJSON, so.RuleHash = outcome.Freeze(def.Outcome)
	for _, r := range st.Rounds {
		if r.OutcomeRule != "" {
			so.RuleJSON, so.RuleHash = r.OutcomeRule, r.OutcomeRuleHash
		}
	}
	if st.OutcomeRule != "" {
		so.RuleJSON, so.RuleHash = st.OutcomeRule, st.OutcomeRuleHash
	}
	if err := json.Unmarshal([]byte(so.RuleJSON), &so.Rule); err != nil {
		return nil, Errorf(EInternal, "", "study %d: frozen outcome rule: %v", studyID, err)
	}
	in := outcome.Input{Rule: so.Rule, PlacementQuestion: def.Placement != nil, Finished: st.State == "finished"}
	for _, sec := range def.Sections {
		in.Sections = append(in.Sections, sec.ID)
	}
	for i := range st.Rounds {
		r := &st.Rounds[i]
		if r.State == "draft" {
			continue
		}
		or := outcome.Round{Number: r.Number, Closed: r.State == "closed"}
		if or.Closed {
			snap, err := s.Snapshot(ctx, studyID, r.Number)
			if err != nil {
				return nil, err
			}
			so.Snapshots = append(so.Snapshots, snap)
			for _, it := range snap.Items {
				ri := outcome.RoundItem{Item: it.Item, Section: it.SectionID, DerivedFrom: it.DerivedFrom}
				if res := snap.Result.Items.Get(it.ID); res != nil {
					ri.Importance, ri.NRated, ri.PctHigh, ri.Median = string(res.Comet), res.NRated, res.PctHigh, res.Median
				}
				ri.Placement = outcome.PlacementOf(snap.Placement[it.ID])
				or.Items = append(or.Items, ri)
			}
		} else {
			items, err := s.Items(ctx, st, r)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				or.Items = append(or.Items, outcome.RoundItem{Item: it.Item, Section: it.SectionID, DerivedFrom: it.DerivedFrom})
			}
		}
		rows, err := s.st.ItemChanges(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, c := range itemChangesOf(rows) {
			in.Changes = append(in.Changes, outcome.Change{Round: r.Number, Item: c.Item, Kind: c.Kind, Reason: c.Reason,
				DerivedFrom: c.DerivedFrom, Earlier: c.Earlier})
		}
		in.Rounds = append(in.Rounds, or)
	}
	if in.Decisions, err = s.Decisions(ctx, studyID); err != nil {
		return nil, err
	}
	so.Input = in
	so.Entries = outcome.Derive(in)
	so.Groups = outcome.Grouped(so.Entries, def.Modules, in.Sections)
	return so, nil
}

// ModuleLabel returns a module's label, or nil when the definition does not declare it.
func ModuleLabel(def *survey.Definition, id string) survey.Text {
	for _, m := range def.Modules {
		if m.ID == id {
			return m.Label
		}
	}
	return nil
}
