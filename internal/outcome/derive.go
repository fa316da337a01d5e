package outcome

import (
	"slices"
	"sort"

	"github.com/cart-cd/delphi/internal/survey"
)

// RoundItem is an item as one round asked it, with its results when the round is closed.
type RoundItem struct {
	survey.Item
	Section     string
	DerivedFrom []string // reworded from one id, merged from several
	// Results of a closed round: the importance class, the number of ratings, % in the top band,
	// the median, and the placement answers.
	Importance string
	NRated     int
	PctHigh    *float64
	Median     *float64
	Placement  Placement
}

// Round is one round of the study, in order. An open round has no results; it still says which
// items the facilitators carried, reworded, merged, added and dropped.
type Round struct {
	Number int
	Closed bool
	Items  []RoundItem
}

// Change is a facilitator's change to the item set when a round opened, with the reason they
// recorded: added, reworded, merged or dropped.
type Change struct {
	Round       int          `json:"round"`
	Item        string       `json:"item"`
	Kind        string       `json:"kind"`
	Reason      string       `json:"reason"`
	DerivedFrom []string     `json:"derived_from,omitempty"`
	Earlier     *survey.Item `json:"earlier,omitempty"` // the wording before (reworded)
}

// Change kinds.
const (
	ChangeAdded    = "added"
	ChangeReworded = "reworded"
	ChangeMerged   = "merged"
	ChangeDropped  = "dropped"
)

// Input is everything the outcome is derived from.
type Input struct {
	Rule              Rule
	PlacementQuestion bool
	Finished          bool
	Sections          []string // the definition's section ids, in order
	Rounds            []Round  // 1..n in order; the last may be open
	Changes           []Change
	Decisions         []Decision
}

// HistoryEntry is one round that asked an item (or the item it continues).
type HistoryEntry struct {
	Round      int    `json:"round"`
	Item       string `json:"item,omitempty"` // set when the round asked the item under an earlier id
	Importance string `json:"importance"`     // "" while the round is open or when nobody rated it
}

// Entry is one item of the outcome (outcome-definitions.md §4).
type Entry struct {
	Item         string      `json:"item"`
	Label        survey.Text `json:"label"`
	Description  survey.Text `json:"description,omitempty"`
	Section      string      `json:"section"`
	ProposedTier string      `json:"proposed_tier"`
	Module       *string     `json:"module"`
	Unit         *string     `json:"unit"`
	Categories   []string    `json:"categories"`
	// CategoryLabels labels the codes of Categories per language (absent: the codes are shown).
	CategoryLabels survey.CategoryLabels `json:"category_labels,omitempty"`
	Derived        bool                  `json:"derived"`
	Sources        []string              `json:"sources"`
	DerivedFrom    []string              `json:"derived_from,omitempty"`

	LastRound  *int       `json:"last_round"`
	Importance *string    `json:"importance"`
	NRated     *int       `json:"n_rated"`
	PctHigh    *float64   `json:"pct_high"`
	Median     *float64   `json:"median"`
	Placement  *Placement `json:"placement"`

	RuleTier   string  `json:"rule_tier"`
	RuleModule *string `json:"rule_module"`
	RuleReason *string `json:"rule_reason"`
	// ReplacedBy names the item that replaced this one; ChangeReason is the facilitators'
	// recorded reason for dropping or replacing it.
	ReplacedBy   string `json:"replaced_by,omitempty"`
	ChangeReason string `json:"change_reason,omitempty"`

	Decisions   []Decision     `json:"decisions"`
	FinalTier   string         `json:"final_tier"`
	FinalModule *string        `json:"final_module"`
	FinalReason *string        `json:"final_reason"`
	History     []HistoryEntry `json:"history"`

	first int // order of first appearance
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Derive returns one entry per item ever asked, in order of first appearance.
//
// An item's last round is the last closed round that asked it. A reworded item keeps its id
// (and so its history); one reworded under a new id (one derived_from) continues its source's
// history; a merged item (several derived_from) starts its own. An item that a later round
// does not ask, and that did not leave by consensus, was dropped, or replaced when a later item
// derives from it. Finishing never excludes: no consensus becomes undecided.
func Derive(in Input) []Entry {
	var order []string
	entries := map[string]*Entry{}
	lastAsked := map[string]int{} // item → last round (open or closed) that asked it
	lastClosed := map[string]*RoundItem{}
	replacedBy := map[string]string{}
	lastRound := 0
	for ri := range in.Rounds {
		r := &in.Rounds[ri]
		lastRound = r.Number
		for ii := range r.Items {
			it := &r.Items[ii]
			e := entries[it.ID]
			if e == nil {
				e = &Entry{Item: it.ID, first: len(order)}
				entries[it.ID] = e
				order = append(order, it.ID)
				// a rewording under a new id continues its source's history
				if len(it.DerivedFrom) == 1 && it.DerivedFrom[0] != it.ID {
					if src := entries[it.DerivedFrom[0]]; src != nil {
						for _, h := range src.History {
							if h.Item == "" {
								h.Item = src.Item
							}
							e.History = append(e.History, h)
						}
					}
				}
			}
			for _, d := range it.DerivedFrom {
				if d != it.ID {
					replacedBy[d] = it.ID
				}
			}
			// the latest wording is the one the outcome shows
			setItem(e, it)
			lastAsked[it.ID] = r.Number
			h := HistoryEntry{Round: r.Number}
			if r.Closed {
				h.Importance = it.Importance
				lastClosed[it.ID] = it
				n := r.Number
				e.LastRound = &n
			}
			e.History = append(e.History, h)
		}
	}
	dropReason := map[string]string{}
	replaceReason := map[string]string{}
	for _, c := range in.Changes {
		switch c.Kind {
		case ChangeDropped:
			dropReason[c.Item] = c.Reason
		case ChangeReworded, ChangeMerged:
			for _, d := range c.DerivedFrom {
				replaceReason[d] = c.Reason
			}
		}
	}
	decisions := map[string][]Decision{}
	for _, d := range in.Decisions {
		decisions[d.Item] = append(decisions[d.Item], d)
	}

	out := make([]Entry, 0, len(order))
	for _, id := range order {
		e := entries[id]
		last := lastClosed[id]
		if last != nil {
			imp := last.Importance
			e.Importance = strp(imp)
			n := last.NRated
			e.NRated, e.PctHigh, e.Median = &n, last.PctHigh, last.Median
			if in.PlacementQuestion {
				p := last.Placement
				e.Placement = &p
			}
		}
		left := last != nil && (last.Importance == ConsensusIn || last.Importance == ConsensusOut)
		switch {
		case lastAsked[id] < lastRound && replacedBy[id] != "" && replacedBy[id] != id && !left:
			e.RuleTier, e.RuleReason = Excluded, strp(ReasonReplaced)
			e.ReplacedBy, e.ChangeReason = replacedBy[id], replaceReason[id]
		case lastAsked[id] < lastRound && !left:
			e.RuleTier, e.RuleReason = Excluded, strp(ReasonDropped)
			e.ChangeReason = dropReason[id]
		case last == nil:
			// asked only in the round that is open now
			e.RuleTier, e.RuleReason = Pending, strp(ReasonNotYetClosed)
			if in.Finished {
				e.RuleTier = Undecided
			}
		default:
			ev := Evidence{Importance: last.Importance, PlacementQuestion: in.PlacementQuestion, Placement: last.Placement,
				ProposedTier: last.ProposedTier, Module: last.Module}
			tier, module, reason := Tier(in.Rule, ev, in.Finished)
			// carried into a round that is still open: the panel has not finished with it
			if lastAsked[id] > *e.LastRound && tier != Excluded {
				tier, module, reason = Pending, "", ReasonNotYetClosed
			}
			e.RuleTier, e.RuleModule, e.RuleReason = tier, strp(module), strp(reason)
		}
		e.Decisions = decisions[id]
		sortDecisions(e.Decisions)
		if e.Decisions == nil {
			e.Decisions = []Decision{}
		}
		e.FinalTier, e.FinalModule, e.FinalReason = e.RuleTier, e.RuleModule, e.RuleReason
		if d := Latest(e.Decisions); d != nil {
			e.FinalTier, e.FinalModule, e.FinalReason = d.Tier, strp(d.Module), nil
			if d.Tier == Undecided {
				e.FinalReason = strp(ReasonMeetingNoAgreement)
			}
		}
		out = append(out, *e)
	}
	return out
}

func setItem(e *Entry, it *RoundItem) {
	e.Label, e.Description, e.Section = it.Label, it.Description, it.Section
	e.ProposedTier = it.ProposedTier
	if e.ProposedTier == "" {
		e.ProposedTier = Core
	}
	e.Module, e.Unit = strp(it.Module), strp(it.Unit)
	e.Categories, e.CategoryLabels, e.Derived = it.Categories, it.CategoryLabels, it.Derived
	e.Sources = it.Source
	if e.Sources == nil {
		e.Sources = []string{}
	}
	if e.Categories == nil {
		e.Categories = []string{}
	}
	e.DerivedFrom = it.DerivedFrom
}

// Group kinds, in the order the outcome lists them.
const (
	GroupCore      = "core"
	GroupModule    = "module"
	GroupUndecided = "undecided"
	GroupExcluded  = "excluded"
)

// Group is one part of the grouped outcome: the core set, one expansion module, the undecided
// (and pending) items, or the excluded ones.
type Group struct {
	Kind    string      `json:"kind"`
	Module  string      `json:"module,omitempty"`
	Label   survey.Text `json:"label"`
	Entries []Entry     `json:"items"`
}

// Grouped orders entries as the outcome is read: the core set, then each module by its English
// label (a module not in modules, such as unassigned, after them), then the undecided and
// pending items, then the excluded ones. Within a group, items follow the definition's
// section order, then the order they were first asked.
func Grouped(entries []Entry, modules []survey.Module, sections []string) []Group {
	secIdx := map[string]int{}
	for i, s := range sections {
		secIdx[s] = i
	}
	sorted := slices.Clone(entries)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		ai, aok := secIdx[a.Section]
		bi, bok := secIdx[b.Section]
		if !aok {
			ai = len(sections)
		}
		if !bok {
			bi = len(sections)
		}
		if ai != bi {
			return ai < bi
		}
		return a.first < b.first
	})
	label := map[string]survey.Text{}
	for _, m := range modules {
		label[m.ID] = m.Label
	}
	core := Group{Kind: GroupCore, Label: survey.Text{"en": "Core set"}}
	undecided := Group{Kind: GroupUndecided, Label: survey.Text{"en": "Undecided"}}
	excluded := Group{Kind: GroupExcluded, Label: survey.Text{"en": "Excluded"}}
	mods := map[string]*Group{}
	for _, e := range sorted {
		switch e.FinalTier {
		case Core:
			core.Entries = append(core.Entries, e)
		case Expansion:
			m := Unassigned
			if e.FinalModule != nil {
				m = *e.FinalModule
			}
			g := mods[m]
			if g == nil {
				l := label[m]
				if l == nil {
					l = survey.Text{"en": "Module to assign"}
					if m != Unassigned {
						l = survey.Text{"en": m}
					}
				}
				g = &Group{Kind: GroupModule, Module: m, Label: l}
				mods[m] = g
			}
			g.Entries = append(g.Entries, e)
		case Excluded:
			excluded.Entries = append(excluded.Entries, e)
		default:
			undecided.Entries = append(undecided.Entries, e)
		}
	}
	keys := make([]string, 0, len(mods))
	for k := range mods {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		_, ki := label[keys[i]]
		_, kj := label[keys[j]]
		if ki != kj {
			return ki // declared modules before unknown ones
		}
		li, lj := mods[keys[i]].Label.In("en"), mods[keys[j]].Label.In("en")
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	out := []Group{core}
	for _, k := range keys {
		out = append(out, *mods[k])
	}
	return append(out, undecided, excluded)
}

// Counts counts entries per final tier.
func Counts(entries []Entry) map[string]int {
	m := map[string]int{}
	for _, e := range entries {
		m[e.FinalTier]++
	}
	return m
}
