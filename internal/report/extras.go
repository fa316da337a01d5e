package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
)

// Kendall's W is reported only where it means something: over at least KendallMinComplete
// panelists who rated every item, and at least half of those who submitted the round.
const KendallMinComplete = 5

// KendallStatus says whether W is reported for a round and, if not, why: "ok" or
// "not computed: 2 of 23 panelists rated every item". The statistic itself stays exact
// (consensus-definitions.md); this only decides whether reports show it.
func KendallStatus(snap *delphi.Snapshot) (ok bool, status string) {
	k := snap.Result.Kendall
	m, sub := k.NCompletePanelists, snap.Result.NSubmitted
	switch {
	case k.Status == consensus.InsufficientItems:
		return false, "not computed: the round has fewer than two items"
	case m < KendallMinComplete || 2*m < sub:
		return false, fmt.Sprintf("not computed: %d of %d panelists rated every item (at least %d and half are needed)", m, sub, KendallMinComplete)
	case k.Corrected == nil:
		return false, "not computed: every complete panelist gave one rating to all items"
	}
	return true, "ok"
}

// PlacementView is an item's placement answers with shares of n_p (in percent; null without
// answers), overall or for one stakeholder group.
type PlacementView struct {
	N            int      `json:"n"`
	Core         int      `json:"core"`
	Expansion    int      `json:"expansion"`
	NotNeeded    int      `json:"not_needed"`
	PctCore      *float64 `json:"pct_core"`
	PctExpansion *float64 `json:"pct_expansion"`
	PctNotNeeded *float64 `json:"pct_not_needed"`
}

func placementView(m map[string]int) PlacementView {
	p := outcome.PlacementOf(m)
	v := PlacementView{N: p.N, Core: p.Core, Expansion: p.Expansion, NotNeeded: p.NotNeeded}
	if p.N > 0 {
		pc := func(n int) *float64 { x := 100 * float64(n) / float64(p.N); return &x }
		v.PctCore, v.PctExpansion, v.PctNotNeeded = pc(p.Core), pc(p.Expansion), pc(p.NotNeeded)
	}
	return v
}

// ItemPlacement is an item's proposed tier, module and placement, per group under the
// small-group rule: a group with fewer than min_group_size placement answers is not broken out,
// and when the groups left out would be given away by subtraction (fewer than the minimum
// together) the smallest groups shown are left out too.
type ItemPlacement struct {
	ProposedTier string                   `json:"proposed_tier"`
	Module       *string                  `json:"module"`
	Placement    PlacementView            `json:"placement"`
	Groups       map[string]PlacementView `json:"groups"`
	HiddenGroups int                      `json:"hidden_groups"`
}

// Placements returns every item's placement view (items without a placement question: none).
func Placements(snap *delphi.Snapshot, minGroup int) map[string]ItemPlacement {
	if minGroup < 1 {
		minGroup = 5
	}
	out := map[string]ItemPlacement{}
	for _, it := range snap.Items {
		ip := ItemPlacement{ProposedTier: it.ProposedTier, Placement: placementView(snap.Placement[it.ID]), Groups: map[string]PlacementView{}}
		if ip.ProposedTier == "" {
			ip.ProposedTier = outcome.Core
		}
		if it.Module != "" {
			m := it.Module
			ip.Module = &m
		}
		type gv struct {
			id string
			v  PlacementView
		}
		var shown []gv
		for g, m := range snap.PlacementGroups[it.ID] {
			v := placementView(m)
			if v.N == 0 {
				continue
			}
			if v.N < minGroup {
				ip.HiddenGroups++
				continue
			}
			shown = append(shown, gv{g, v})
		}
		sort.Slice(shown, func(i, j int) bool { return shown[i].id < shown[j].id })
		rest := ip.Placement.N
		for _, g := range shown {
			rest -= g.v.N
		}
		for rest > 0 && rest < minGroup && len(shown) > 0 {
			small := 0
			for i, g := range shown {
				if g.v.N < shown[small].v.N {
					small = i
				}
			}
			rest += shown[small].v.N
			shown = append(shown[:small:small], shown[small+1:]...)
			ip.HiddenGroups++
		}
		for _, g := range shown {
			ip.Groups[g.id] = g.v
		}
		out[it.ID] = ip
	}
	return out
}

// ItemFlow counts items per round: asked, decided in (consensus in), decided out, carried into
// the next round, added (new in this round), dropped by the facilitators when the next round
// opened, and left without consensus.
type ItemFlow struct {
	Round    int `json:"round"`
	Asked    int `json:"asked"`
	In       int `json:"decided_in"`
	Out      int `json:"decided_out"`
	None     int `json:"no_consensus"`
	Carried  int `json:"carried"`
	Added    int `json:"added"`
	Dropped  int `json:"dropped"`
	Replaced int `json:"replaced"`
}

// Flow counts the items of each closed round (snaps, 1..n) and, with the outcome, where the
// rounds ended: the core set, each module, undecided and excluded.
func Flow(snaps []*delphi.Snapshot, entries []outcome.Entry) (rounds []ItemFlow, final map[string]int) {
	for i, snap := range snaps {
		f := ItemFlow{Round: snap.Round, Asked: len(snap.Items)}
		prev := map[string]bool{}
		if i > 0 {
			for _, it := range snaps[i-1].Items {
				prev[it.ID] = true
			}
		}
		for _, it := range snap.Items {
			switch snap.ClassOf(it.ID) {
			case consensus.ConsensusIn:
				f.In++
			case consensus.ConsensusOut:
				f.Out++
			default:
				f.None++
			}
			if i > 0 && !prev[it.ID] {
				f.Added++
			}
		}
		if i+1 < len(snaps) {
			next := map[string]bool{}
			for _, it := range snaps[i+1].Items {
				next[it.ID] = true
			}
			for _, it := range snap.Items {
				if next[it.ID] {
					f.Carried++
				}
			}
			for _, c := range snaps[i+1].Changes {
				switch c.Kind {
				case outcome.ChangeDropped:
					f.Dropped++
				case outcome.ChangeReworded, outcome.ChangeMerged:
					for _, d := range c.DerivedFrom {
						if d != c.Item {
							f.Replaced++
						}
					}
				}
			}
		}
		rounds = append(rounds, f)
	}
	final = map[string]int{}
	for _, e := range entries {
		k := e.FinalTier
		if k == outcome.Expansion {
			k = "module:" + deref(e.FinalModule)
		}
		final[k]++
	}
	return rounds, final
}

// ReportExtras are what report.json adds to the stored snapshot: whether Kendall's W is
// reported and why not, placement per item and group, the item flow, and the outcome rule.
type ReportExtras struct {
	KendallStatus string                   `json:"kendall_status"`
	KendallShown  bool                     `json:"kendall_reported"`
	Placements    map[string]ItemPlacement `json:"placements,omitempty"`
	ItemFlow      []ItemFlow               `json:"item_flow"`
	FinalFlow     map[string]int           `json:"item_flow_final"`
	OutcomeRule   string                   `json:"outcome_rule_text"`
}

// AugmentJSON writes the stored snapshot b (of the last of snaps) with the extras spliced in as
// top-level keys, the snapshot's bytes unchanged before them.
func AugmentJSON(w io.Writer, b []byte, st Study, snaps []*delphi.Snapshot) error {
	snap := snaps[len(snaps)-1]
	x := ReportExtras{OutcomeRule: OutcomeRuleText(ruleOr(st.OutcomeRule))}
	x.KendallShown, x.KendallStatus = KendallStatus(snap)
	if len(snap.Placement) > 0 || st.Placement {
		x.Placements = Placements(snap, st.Feedback.MinGroupSize)
	}
	rows := Outcome(st, snaps)
	var es []outcome.Entry
	for _, r := range rows {
		fm := r.FinalModule
		es = append(es, outcome.Entry{FinalTier: r.Tier, FinalModule: &fm})
	}
	x.ItemFlow, x.FinalFlow = Flow(snaps, es)
	xb, err := json.Marshal(x)
	if err != nil {
		return err
	}
	b = bytes.TrimRight(b, " \n\r\t")
	if len(b) < 2 || b[len(b)-1] != '}' || len(xb) < 2 {
		return fmt.Errorf("report: snapshot is not a JSON object")
	}
	if _, err := w.Write(b[:len(b)-1]); err != nil {
		return err
	}
	if len(bytes.TrimSpace(b[1:len(b)-1])) > 0 {
		if _, err := io.WriteString(w, ","); err != nil {
			return err
		}
	}
	if _, err := w.Write(xb[1:]); err != nil {
		return err
	}
	return nil
}

func ruleOr(r outcome.Rule) outcome.Rule {
	if r == (outcome.Rule{}) {
		return defaultRule()
	}
	return r
}

var suggestionsHeader = []string{"id", "round", "label", "rationale", "status", "item", "note", "created_at"}

// SuggestionsCSV writes the panelists' suggestions with their triage: accepted as a new item,
// merged into an item, or rejected with the reason. No panelist is named.
func SuggestionsCSV(w io.Writer, sgs []delphi.Suggestion) error {
	t := &table{name: "suggestions", header: suggestionsHeader}
	for _, s := range sgs {
		t.rows = append(t.rows, []any{int(s.ID), s.Round, s.Label, s.Rationale, s.Status, nilIfEmpty(s.ItemID), nilIfEmpty(s.Note),
			s.CreatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	return t.writeCSV(w)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
