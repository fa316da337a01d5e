package delphi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// RoundItem is an item as asked in a round: the definition's, or new or reworded in this round.
type RoundItem struct {
	survey.Item
	SectionID   string   `json:"section"`
	DerivedFrom []string `json:"derived_from,omitempty"` // reworded from one id, merged from several
	Changed     bool     `json:"changed,omitempty"`      // new or reworded in this round
}

// ItemSpec says how an item goes into a round. An existing id alone keeps the item as defined;
// with a label it is reworded; a new id (with section and label) adds an item, e.g. an accepted
// suggestion; DerivedFrom links a reworded or merged item to what it came from.
type ItemSpec struct {
	ID           string      `json:"id"`
	Section      string      `json:"section,omitempty"`
	Label        survey.Text `json:"label,omitempty"`
	Description  survey.Text `json:"description,omitempty"`
	Unit         string      `json:"unit,omitempty"`
	Categories   []string    `json:"categories,omitempty"`
	ProposedTier string      `json:"proposed_tier,omitempty"`
	Module       string      `json:"module,omitempty"`
	DerivedFrom  []string    `json:"derived_from,omitempty"`
	// Reason says why the item is added, reworded or merged in this round (required then, from
	// round 2; an accepted suggestion's triage is its reason when none is given).
	Reason string `json:"reason,omitempty"`
}

// UnmarshalJSON accepts a bare item id as well as an object, whose unknown fields it refuses
// as the API refuses them everywhere else (a misspelt "lable" would silently drop a rewording).
func (sp *ItemSpec) UnmarshalJSON(b []byte) error {
	var id string
	if json.Unmarshal(b, &id) == nil {
		*sp = ItemSpec{ID: id}
		return nil
	}
	type plain ItemSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(sp))
}

var itemIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// resolveItems turns specs into round items, checking every one.
func resolveItems(def *survey.Definition, prev map[string]RoundItem, specs []ItemSpec) ([]store.RoundItem, error) {
	out := make([]store.RoundItem, 0, len(specs))
	seen := map[string]bool{}
	for i, sp := range specs {
		field := fmt.Sprintf("items[%d]", i)
		sp.ID = strings.TrimSpace(sp.ID)
		if !itemIDRe.MatchString(sp.ID) {
			return nil, Errorf(EInvalid, field+".id", "%q is not an item id (lower-case letters, digits, _ and -)", sp.ID)
		}
		if seen[sp.ID] {
			return nil, Errorf(EInvalid, field+".id", "item %q is listed twice", sp.ID)
		}
		seen[sp.ID] = true
		base, known := def.Item(sp.ID)
		section := def.SectionOf(sp.ID)
		if p, ok := prev[sp.ID]; ok && !known {
			base, known, section = p.Item, true, p.SectionID
		}
		ri := store.RoundItem{ItemID: sp.ID, SectionID: section, DerivedFrom: strings.Join(sp.DerivedFrom, ",")}
		reworded := sp.Label != nil || sp.Description != nil || sp.Unit != "" || sp.Categories != nil || sp.ProposedTier != "" || sp.Module != ""
		if sp.Section != "" {
			if !hasSection(def, sp.Section) {
				return nil, Errorf(EInvalid, field+".section", "unknown section %q", sp.Section)
			}
			if known && sp.Section != section {
				reworded = true
			}
			ri.SectionID = sp.Section
		}
		if !known {
			if sp.Section == "" {
				return nil, Errorf(EInvalid, field+".section", "new item %q needs a section", sp.ID)
			}
			if strings.TrimSpace(sp.Label.In("en")) == "" {
				return nil, Errorf(EInvalid, field+".label", "new item %q needs an English label", sp.ID)
			}
			reworded = true
			base = survey.Item{ID: sp.ID}
		}
		for _, d := range sp.DerivedFrom {
			if _, ok := def.Item(d); !ok {
				if _, ok := prev[d]; !ok {
					return nil, Errorf(EInvalid, field+".derived_from", "unknown item %q", d)
				}
			}
		}
		if p, ok := prev[sp.ID]; ok && p.Changed && !reworded {
			// carried on unchanged from a round where it was new or reworded: keep that wording
			b, _ := json.Marshal(p.Item)
			ri.Override = string(b)
		}
		if reworded {
			it := base
			if sp.Label != nil {
				it.Label = sp.Label
			}
			if sp.Description != nil {
				it.Description = sp.Description
			}
			if sp.Unit != "" {
				it.Unit = sp.Unit
			}
			if sp.Categories != nil {
				it.Categories = sp.Categories
			}
			if sp.ProposedTier != "" {
				if sp.ProposedTier != "core" && sp.ProposedTier != "expansion" {
					return nil, Errorf(EInvalid, field+".proposed_tier", "proposed tier must be core or expansion")
				}
				it.ProposedTier = sp.ProposedTier
			}
			if sp.Module != "" {
				it.Module = sp.Module
			}
			if len(it.Label.In("en")) > 500 || len(it.Description.In("en")) > 4000 {
				return nil, Errorf(EInvalid, field+".label", "label or description too long")
			}
			b, _ := json.Marshal(it)
			ri.Override = string(b)
		}
		out = append(out, ri)
	}
	if len(out) == 0 {
		return nil, Errorf(EInvalid, "items", "a round needs at least one item")
	}
	return out, nil
}

func hasSection(def *survey.Definition, id string) bool {
	for _, s := range def.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}

// roundItems resolves a round's stored items against the definition.
func roundItems(def *survey.Definition, rows []store.RoundItem) []RoundItem {
	out := make([]RoundItem, 0, len(rows))
	for _, r := range rows {
		ri := RoundItem{SectionID: r.SectionID}
		if r.DerivedFrom != "" {
			ri.DerivedFrom = strings.Split(r.DerivedFrom, ",")
		}
		if r.Override != "" {
			_ = json.Unmarshal([]byte(r.Override), &ri.Item)
			ri.Changed = true
		} else {
			ri.Item, _ = def.Item(r.ItemID)
		}
		ri.ID = r.ItemID
		out = append(out, ri)
	}
	return out
}

// Items returns a round's items in order.
func (s *Service) Items(ctx context.Context, st *Study, r *Round) ([]RoundItem, error) {
	ri, err := s.roundItemsOf(func(id int64) ([]store.RoundItem, error) { return s.st.RoundItems(ctx, id) }, st.Def, r.ID)
	if err != nil {
		return nil, err
	}
	return slices.Clone(ri.items), nil
}

// cachedItems is a round's items, resolved, with each id's index.
type cachedItems struct {
	items []RoundItem
	index map[string]int
}

// roundItemsOf returns a round's items from the cache, reading them with read the first time.
// A round's items are written once, when it opens, and never change, so the cache needs no
// invalidation; every save checks its items against them.
func (s *Service) roundItemsOf(read func(int64) ([]store.RoundItem, error), def *survey.Definition, roundID int64) (*cachedItems, error) {
	if ci, ok := s.items.Get(roundID); ok {
		return ci, nil
	}
	rows, err := read(roundID)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return &cachedItems{}, nil // not cached: the round may be a draft still being written
	}
	ci := &cachedItems{items: roundItems(def, rows), index: make(map[string]int, len(rows))}
	for i, it := range ci.items {
		ci.index[it.ID] = i
	}
	s.items.Put(roundID, ci)
	return ci, nil
}

// OpenRoundInput is what a facilitator gives to open the next round. Zero values take the
// defaults: round 1 asks every item of the definition of the whole panel; later rounds ask the
// proposal (items without consensus, plus accepted suggestions) of those who submitted the
// previous round.
type OpenRoundInput struct {
	Deadline  time.Time  `json:"deadline"`
	Items     []ItemSpec `json:"items"`
	Panelists []int64    `json:"panelists"`
	// Dropped gives the reason for each item of the previous round, without consensus there,
	// that this round no longer asks (item id → reason). Required for every such item.
	Dropped map[string]string `json:"dropped,omitempty"`
}

// OpenRound opens the study's next round. The consensus rule in force is frozen with its hash.
func (s *Service) OpenRound(ctx context.Context, a Actor, studyID int64, in OpenRoundInput) (*Round, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	var n int
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.activeStudy(tx, studyID)
		if err != nil {
			return err
		}
		if !in.Deadline.IsZero() && !in.Deadline.After(s.now()) {
			// in the study's zone, in which the console reads the deadline typed
			return Errorf(EInvalid, "deadline", "the deadline %s is in the past", i18n.Dates{Zone: st.Zone}.DateTime(in.Deadline))
		}
		rs, err := tx.Rounds(studyID)
		if err != nil {
			return err
		}
		n = len(rs) + 1
		if n == 1 && st.Contact == "" {
			return Errorf(EConflict, "contact", "set the study's contact (a name and an email experts can write to) before opening round 1: experts see it on every page and in every email")
		}
		var prev *store.Round
		if len(rs) > 0 {
			prev = &rs[len(rs)-1]
			if prev.State == "open" {
				return Errorf(EConflict, "", "round %d is still open: close it before opening round %d", prev.Number, n)
			}
		}
		specs := in.Items
		prevItems := map[string]RoundItem{}
		if prev != nil {
			rows, err := tx.RoundItems(prev.ID)
			if err != nil {
				return err
			}
			for _, it := range roundItems(st.Def, rows) {
				prevItems[it.ID] = it
			}
		}
		if len(specs) == 0 {
			if prev == nil {
				for _, it := range st.Def.Items() {
					specs = append(specs, ItemSpec{ID: it.ID})
				}
			} else {
				p, err := s.proposal(tx, st, prev)
				if err != nil {
					return err
				}
				specs = p.Items
				if len(specs) == 0 {
					return Errorf(EConflict, "items", "every item of round %d reached consensus: nothing to ask in round %d (finish the study, or list items)", prev.Number, n)
				}
			}
		}
		items, err := resolveItems(st.Def, prevItems, specs)
		if err != nil {
			return err
		}
		panel, err := tx.Panelists(studyID)
		if err != nil {
			return err
		}
		active := map[int64]bool{}
		for _, p := range panel {
			if p.WithdrawnAt == "" {
				active[p.ID] = true
			}
		}
		invite := in.Panelists
		if len(invite) == 0 {
			if prev == nil {
				for _, p := range panel {
					if active[p.ID] {
						invite = append(invite, p.ID)
					}
				}
			} else {
				subs, err := tx.Submissions(prev.ID)
				if err != nil {
					return err
				}
				for _, sb := range subs {
					if active[sb.PanelistID] {
						invite = append(invite, sb.PanelistID)
					}
				}
			}
		}
		for i, id := range invite {
			if !active[id] {
				return Errorf(EInvalid, fmt.Sprintf("panelists[%d]", i), "panelist %d is not an active member of this panel", id)
			}
		}
		if len(invite) == 0 {
			return Errorf(EConflict, "panelists", "nobody to invite: add panelists first")
		}
		var changes []store.ItemChange
		if prev != nil {
			if changes, err = s.itemChanges(tx, st, prev, prevItems, specs, items, in.Dropped); err != nil {
				return err
			}
		}
		rule := st.Def.Consensus.ForRound(n)
		rb, _ := json.Marshal(rule)
		sum := sha256.Sum256(rb)
		orule, ohash := outcome.Freeze(st.Def.Outcome)
		deadline := ""
		if !in.Deadline.IsZero() {
			deadline = store.FormatTime(in.Deadline)
		}
		_, err = tx.CreateOpenRound(store.NewRound{StudyID: studyID, Number: n, Deadline: deadline, Rule: string(rb),
			RuleHash: hex.EncodeToString(sum[:]), OutcomeRule: orule, OutcomeRuleHash: ohash, By: a.StaffID,
			Items: items, Panelists: invite, Changes: changes})
		if errors.Is(err, store.ErrConflict) {
			return Errorf(EConflict, "", "another round of study %d was opened at the same time", studyID)
		}
		if err != nil {
			return err
		}
		// the audit names the items asked and those new or reworded in this round
		ids, changed := make([]string, len(items)), []string{}
		for i, it := range items {
			ids[i] = it.ItemID
			if it.Override != "" {
				changed = append(changed, it.ItemID)
			}
		}
		idsJSON, _ := json.Marshal(ids)
		changedJSON, _ := json.Marshal(changed)
		changesJSON, _ := json.Marshal(changes)
		return tx.Audit(a.String(), "round.open", studyID, fmt.Sprintf(`{"round":%d,"items":%d,"panelists":%d,"rule_hash":%q,"outcome_rule_hash":%q,"item_ids":%s,"changed":%s,"changes":%s}`,
			n, len(items), len(invite), hex.EncodeToString(sum[:]), ohash, idsJSON, changedJSON, changesJSON))
	})
	if err != nil {
		return nil, err
	}
	st, err := s.Study(ctx, studyID)
	if err != nil {
		return nil, err
	}
	return st.Round(n), nil
}

// SetDeadline changes an open round's deadline.
func (s *Service) SetDeadline(ctx context.Context, a Actor, studyID int64, n int, deadline time.Time) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.Round(studyID, n)
		if err != nil {
			return notFound(err, "study %d has no round %d", studyID, n)
		}
		d := ""
		if !deadline.IsZero() {
			d = store.FormatTime(deadline)
		}
		if c, err := tx.SetDeadline(r.ID, d); err != nil {
			return err
		} else if c == 0 {
			return Errorf(EConflict, "", "round %d is %s: its deadline cannot change", n, r.State)
		}
		return tx.Audit(a.String(), "round.deadline", studyID, fmt.Sprintf(`{"round":%d,"deadline":%q}`, n, d))
	})
}

// CloseDueRounds closes every open round whose deadline has passed; it returns how many.
func (s *Service) CloseDueRounds(ctx context.Context) (int, error) {
	rs, err := s.st.OpenRounds(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	now := s.now()
	for _, r := range rs {
		d := store.ParseTime(r.Deadline)
		if d.IsZero() || d.After(now) {
			continue
		}
		if _, err := s.CloseRound(ctx, System, r.StudyID, r.Number); err != nil {
			if ErrorCode(err) == EConflict {
				continue // closed by hand meanwhile
			}
			return n, fmt.Errorf("close study %d round %d at deadline: %w", r.StudyID, r.Number, err)
		}
		n++
	}
	return n, nil
}

// maxReason is the longest reason a facilitator may record for a change or a decision.
const maxReason = 2000

// itemChanges works out how round n's items differ from the previous round's and pairs each
// change with its reason: an item added (not asked in the previous round), reworded (asked
// with other words, or under a new id derived from one item), merged (derived from several),
// or dropped (asked in the previous round, without consensus there, and not asked now nor
// continued by a derived item). Every change needs a reason; an accepted suggestion's triage
// is its reason when the facilitator gives none. Items that left by consensus need none.
func (s *Service) itemChanges(tx *store.Tx, st *Study, prev *store.Round, prevItems map[string]RoundItem, specs []ItemSpec,
	items []store.RoundItem, dropped map[string]string) ([]store.ItemChange, error) {
	snap, err := s.snapshotIn(tx, prev) // kept from the close: no decoding on the writer
	if err != nil {
		return nil, err
	}
	sugs, err := tx.Suggestions(st.ID)
	if err != nil {
		return nil, err
	}
	triaged := map[string]string{}
	for _, sg := range sugs {
		if sg.Status == "accepted" && sg.ItemID != "" {
			r := fmt.Sprintf("accepted suggestion %d (%q)", sg.ID, sg.Label)
			if sg.Note != "" {
				r += ": " + sg.Note
			}
			triaged[sg.ItemID] = r
		}
	}
	now := roundItems(st.Def, items)
	asked, continued := map[string]bool{}, map[string]bool{}
	var out []store.ItemChange
	for i, it := range now {
		asked[it.ID] = true
		for _, d := range it.DerivedFrom {
			continued[d] = true
		}
		field := fmt.Sprintf("items[%d].reason", i)
		reason := ""
		if i < len(specs) {
			reason = strings.TrimSpace(specs[i].Reason)
		}
		ch := store.ItemChange{ItemID: it.ID, DerivedFrom: strings.Join(it.DerivedFrom, ",")}
		p, had := prevItems[it.ID]
		var sources []string
		for _, d := range it.DerivedFrom {
			if d != it.ID {
				sources = append(sources, d)
			}
		}
		switch {
		case len(sources) > 1:
			ch.Kind = outcome.ChangeMerged
		case len(sources) == 1 && !had:
			ch.Kind = outcome.ChangeReworded
			if src, ok := prevItems[sources[0]]; ok {
				e, _ := json.Marshal(src.Item)
				ch.Earlier = string(e)
			}
		case !had:
			ch.Kind = outcome.ChangeAdded
			if reason == "" {
				reason = triaged[it.ID]
			}
		default:
			was, _ := json.Marshal(p.Item)
			is, _ := json.Marshal(it.Item)
			if string(was) == string(is) && p.SectionID == it.SectionID {
				continue // asked as before
			}
			ch.Kind, ch.Earlier = outcome.ChangeReworded, string(was)
		}
		if reason == "" {
			return nil, Errorf(EInvalid, field, "item %q is %s in round %d: say why", it.ID, ch.Kind, prev.Number+1)
		}
		if len(reason) > maxReason {
			return nil, Errorf(EInvalid, field, "the reason is longer than %d characters", maxReason)
		}
		ch.Reason = reason
		out = append(out, ch)
	}
	for id := range dropped {
		if _, ok := prevItems[id]; !ok || asked[id] {
			return nil, Errorf(EInvalid, "dropped."+id, "item %q is not an item of round %d left out of round %d", id, prev.Number, prev.Number+1)
		}
	}
	for _, it := range snap.Items {
		c := snap.ClassOf(it.ID)
		if asked[it.ID] || continued[it.ID] || c == "consensus_in" || c == "consensus_out" {
			continue
		}
		reason := strings.TrimSpace(dropped[it.ID])
		if reason == "" {
			return nil, Errorf(EInvalid, "dropped."+it.ID, "item %q had no consensus in round %d and is left out of round %d: say why", it.ID, prev.Number, prev.Number+1)
		}
		if len(reason) > maxReason {
			return nil, Errorf(EInvalid, "dropped."+it.ID, "the reason is longer than %d characters", maxReason)
		}
		out = append(out, store.ItemChange{ItemID: it.ID, Kind: outcome.ChangeDropped, Reason: reason})
	}
	return out, nil
}
