package report

import (
	"strings"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
)

// PlaceView is an item's placement as the summary shows it: the proposed tier and module, the
// placement answers with their shares of n_p, and the groups broken out under the small-group
// rule (Placements).
type PlaceView struct {
	ProposedTier string // core or expansion
	Module       string // the proposed module's label ("" for none)
	PlaceCounts
	Groups       []PlaceGroup
	HiddenGroups int // groups not broken out (below the minimum group size, or to protect them)
}

// PlaceCounts are placement answers with their shares of N, formatted ("" without answers).
type PlaceCounts struct {
	N                                   int
	Core, Expansion, NotNeeded          int
	PctCore, PctExpansion, PctNotNeeded string
}

// PlaceGroup is one stakeholder group's placement answers.
type PlaceGroup struct {
	Label string
	PlaceCounts
}

// ChangeLogRow is one change to the item set when the round opened, with the facilitators'
// reason and the earlier wording.
type ChangeLogRow struct {
	Kind, KindLabel string
	Item, Label     string
	Reason          string
	Earlier         string // the earlier label of a reworded item
	From            string // the items it derives from, comma-separated
}

// SuggestionView is a panelist's suggestion with its triage in words. No panelist is named.
type SuggestionView struct {
	Round            int
	Label, Rationale string
	Status           string // accepted, merged, rejected, pending
	Triage           string // "accepted as item x", "merged into item y", "rejected: reason"
}

// FinalCount is where the items stood after the round by the tier rule: the core set, each
// module (by its label), undecided or pending, excluded.
type FinalCount struct {
	Kind, Label string
	N           int
}

var changeKindLabels = map[string]string{
	outcome.ChangeAdded:    "added",
	outcome.ChangeReworded: "reworded",
	outcome.ChangeMerged:   "merged",
	outcome.ChangeDropped:  "dropped",
}

// pages fills what the summary shows of placement, item changes and the item flow.
func (s *Summary) pages(st Study, snaps []*delphi.Snapshot) {
	snap := snaps[len(snaps)-1]
	modLabel := map[string]string{}
	for _, m := range st.Modules {
		modLabel[m.ID] = m.Label.In("en")
	}
	groupLabel := map[string]string{}
	for _, g := range snap.Groups {
		groupLabel[g.ID] = g.Label.In("en")
	}
	if len(snap.Placement) > 0 || st.Placement {
		s.Placed = true
		pl := Placements(snap, st.Feedback.MinGroupSize)
		for _, iv := range s.Items {
			ip, ok := pl[iv.ID]
			if !ok {
				continue
			}
			pv := &PlaceView{ProposedTier: ip.ProposedTier, PlaceCounts: placeCounts(ip.Placement), HiddenGroups: ip.HiddenGroups}
			if ip.Module != nil {
				pv.Module = labelOr(modLabel, *ip.Module)
			}
			for _, g := range snap.Groups {
				if v, ok := ip.Groups[g.ID]; ok {
					pv.Groups = append(pv.Groups, PlaceGroup{Label: g.Label.In("en"), PlaceCounts: placeCounts(v)})
				}
			}
			iv.Place = pv
		}
	}
	if s.Change != nil && len(snaps) > 1 {
		prev := snaps[len(snaps)-2]
		label := map[string]string{}
		for _, it := range prev.Items {
			label[it.ID] = it.Label.In("en")
		}
		for _, it := range snap.Items {
			label[it.ID] = it.Label.In("en")
		}
		for _, c := range snap.Changes {
			r := ChangeLogRow{Kind: c.Kind, KindLabel: labelOr(changeKindLabels, c.Kind), Item: c.Item, Label: labelOr(label, c.Item),
				Reason: c.Reason, From: strings.Join(c.DerivedFrom, ", ")}
			if c.Earlier != nil {
				r.Earlier = c.Earlier.Label.In("en")
			}
			s.Change.Log = append(s.Change.Log, r)
		}
	}
	rows := Outcome(st, snaps)
	var es []outcome.Entry
	for _, r := range rows {
		fm := r.FinalModule
		es = append(es, outcome.Entry{FinalTier: r.Tier, FinalModule: &fm})
		if n := len(s.FinalFlow); n > 0 && s.FinalFlow[n-1].Kind == r.Group && s.FinalFlow[n-1].Label == r.GroupLabel {
			s.FinalFlow[n-1].N++
		} else {
			s.FinalFlow = append(s.FinalFlow, FinalCount{Kind: r.Group, Label: r.GroupLabel, N: 1})
		}
	}
	s.ItemFlow, _ = Flow(snaps, es)
}

func placeCounts(v PlacementView) PlaceCounts {
	return PlaceCounts{N: v.N, Core: v.Core, Expansion: v.Expansion, NotNeeded: v.NotNeeded,
		PctCore: share(v.Core, v.N), PctExpansion: share(v.Expansion, v.N), PctNotNeeded: share(v.NotNeeded, v.N)}
}

func labelOr(m map[string]string, k string) string {
	if l, ok := m[k]; ok && l != "" {
		return l
	}
	return k
}

// SuggestionViews returns the suggestions made up to round n, oldest first, with their triage
// in words.
func SuggestionViews(sgs []delphi.Suggestion, n int) []SuggestionView {
	var out []SuggestionView
	for _, sg := range sgs {
		if sg.Round > n {
			continue
		}
		v := SuggestionView{Round: sg.Round, Label: sg.Label, Rationale: sg.Rationale, Status: sg.Status}
		switch sg.Status {
		case "accepted":
			v.Triage = "accepted as " + sg.ItemID
		case "merged":
			v.Triage = "merged into " + sg.ItemID
		case "rejected":
			v.Triage = "rejected"
			if sg.Note != "" {
				v.Triage += " because: " + sg.Note
			}
		default:
			v.Status, v.Triage = "pending", "not triaged yet"
		}
		if sg.Note != "" && sg.Status != "rejected" {
			v.Triage += " (" + sg.Note + ")"
		}
		out = append(out, v)
	}
	return out
}
