package delphi

import (
	"maps"
	"sort"
	"strconv"

	"github.com/cart-cd/delphi/internal/consensus"
)

// Disclosure says what a snapshot's staff-facing copy withholds: cells (a stakeholder group or
// a country) with fewer than MinGroupSize panelists, and the cells hidden with them so that the
// ones shown do not give them away by subtraction (complementary suppression, as in feedback).
// The counts of the withheld cells are never listed one by one; only their sum is, and the
// rule makes it 0 or at least MinGroupSize.
type Disclosure struct {
	MinGroupSize int  `json:"min_group_size"`
	Full         bool `json:"full"` // an admin's deliberate export of every cell: nothing withheld
	// Groups are the stakeholder groups withheld from participation and from every item;
	// Items, per item, the groups withheld from that item's results (Groups included).
	Groups []string            `json:"groups_withheld"`
	Items  map[string][]string `json:"items_withheld,omitempty"`
	// OtherGroups and OtherCountries are the withheld rows of the participation table, together
	// (nil when none is withheld); the countries withheld are not named.
	OtherGroups    *ParticipationRow `json:"other_groups,omitempty"`
	OtherCountries *ParticipationRow `json:"other_countries,omitempty"`
	Note           string            `json:"note"`
}

// Withheld reports whether group is withheld from item's results.
func (d *Disclosure) Withheld(item, group string) bool {
	if d == nil {
		return false
	}
	for _, g := range d.Items[item] {
		if g == group {
			return true
		}
	}
	return false
}

// suppress returns which cells to withhold: each cell has a size per dimension (submitted,
// invited, ratings …) and the totals are the sizes of the whole. A cell with any size in
// 1..min-1 is withheld; then, while the whole minus the cells shown (the withheld cells
// together) is 1..min-1 in some dimension, the smallest cell shown in that dimension is
// withheld too. pre marks cells withheld from the start.
func suppress(sizes [][]int, totals []int, min int, pre []bool) []bool {
	hide := make([]bool, len(sizes))
	copy(hide, pre)
	for i, s := range sizes {
		for _, n := range s {
			if n > 0 && n < min {
				hide[i] = true
			}
		}
	}
	for {
		changed := false
		for d, total := range totals {
			rest := total
			for i, s := range sizes {
				if !hide[i] {
					rest -= s[d]
				}
			}
			if rest <= 0 || rest >= min {
				continue
			}
			small := -1
			for i, s := range sizes {
				if !hide[i] && (small < 0 || s[d] < sizes[small][d]) {
					small = i
				}
			}
			if small < 0 {
				continue
			}
			hide[small], changed = true, true
		}
		if !changed {
			return hide
		}
	}
}

// DisclosureNote is what a withheld cell says on a page.
func DisclosureNote(min int) string { return "fewer than " + itoa(min) }

func itoa(n int) string { return strconv.Itoa(n) }

// Disclosed returns a copy of snap fit for staff-facing outputs (report pages, slides, exports):
// stakeholder groups and countries with fewer than min panelists are withheld from the
// participation table (their sum is kept as one row), from every item's results by group, and
// from placement by group, with complementary suppression. snap itself is not changed.
func (snap *Snapshot) Disclosed(min int) *Snapshot {
	if min < 1 {
		min = 5
	}
	c := *snap
	d := &Disclosure{MinGroupSize: min, Items: map[string][]string{},
		Note: "Stakeholder groups and countries with fewer than " + itoa(min) + " panelists are withheld, with the smallest others where subtraction would give them away."}
	p := snap.Participation
	rows := func(in []ParticipationRow, pre map[string]bool) (shown []ParticipationRow, hidden []string, other *ParticipationRow) {
		sizes := make([][]int, len(in))
		preb := make([]bool, len(in))
		for i, r := range in {
			sizes[i] = []int{r.Submitted, r.Invited}
			preb[i] = pre[r.Key]
		}
		hide := suppress(sizes, []int{p.Submitted, p.Invited}, min, preb)
		for i, r := range in {
			if !hide[i] {
				shown = append(shown, r)
				continue
			}
			hidden = append(hidden, r.Key)
			if other == nil {
				other = &ParticipationRow{}
			}
			other.Invited += r.Invited
			other.Submitted += r.Submitted
		}
		return shown, hidden, other
	}
	c.Participation.Groups, d.Groups, d.OtherGroups = rows(p.Groups, nil)
	c.Participation.Countries, _, d.OtherCountries = rows(p.Countries, nil)
	hiddenGroup := map[string]bool{}
	for _, g := range d.Groups {
		hiddenGroup[g] = true
	}
	if snap.Result != nil {
		r := *snap.Result
		var gs consensus.Counts
		for _, g := range r.GroupsSubmitted {
			if !hiddenGroup[g.Name] {
				gs = append(gs, g)
			}
		}
		r.GroupsSubmitted = gs
		r.Items = make(consensus.ItemList, len(snap.Result.Items))
		for k, it := range snap.Result.Items {
			sizes := make([][]int, len(it.Groups))
			pre := make([]bool, len(it.Groups))
			for i, g := range it.Groups {
				sizes[i] = []int{g.NSubmitted, g.NRated}
				pre[i] = hiddenGroup[g.Name]
			}
			hide := suppress(sizes, []int{r.NSubmitted, it.NRated}, min, pre)
			var shown consensus.GroupList
			for i, g := range it.Groups {
				if hide[i] {
					d.Items[it.ID] = append(d.Items[it.ID], g.Name)
				} else {
					shown = append(shown, g)
				}
			}
			it.Groups = shown
			r.Items[k] = it
		}
		c.Result = &r
	}
	if snap.PlacementGroups != nil {
		c.PlacementGroups = map[string]map[string]map[string]int{}
		for item, byGroup := range snap.PlacementGroups {
			names := make([]string, 0, len(byGroup))
			for g := range byGroup {
				names = append(names, g)
			}
			sort.Strings(names)
			sizes := make([][]int, len(names))
			pre := make([]bool, len(names))
			for i, g := range names {
				n := 0
				for _, v := range byGroup[g] {
					n += v
				}
				sizes[i], pre[i] = []int{n}, hiddenGroup[g]
			}
			total := 0
			for _, v := range snap.Placement[item] {
				total += v
			}
			hide := suppress(sizes, []int{total}, min, pre)
			kept := map[string]map[string]int{}
			for i, g := range names {
				if !hide[i] {
					kept[g] = maps.Clone(byGroup[g])
				}
			}
			c.PlacementGroups[item] = kept
		}
	}
	if d.Groups == nil {
		d.Groups = []string{}
	}
	c.Disclosure = d
	return &c
}

// Full returns a copy of snap marked as holding every cell, small ones included: an admin's
// deliberate export.
func (snap *Snapshot) Full(min int) *Snapshot {
	c := *snap
	c.Disclosure = &Disclosure{MinGroupSize: min, Full: true, Groups: []string{},
		Note: "FULL DISCLOSURE: this file holds stakeholder groups and countries with fewer than " + itoa(min) + " panelists, who may be identifiable. Exported on purpose by an admin; keep it within the study team."}
	return &c
}
