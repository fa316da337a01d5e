package delphi

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/store"
)

// Proposal is the default item set of the next round: items of the last round without
// consensus go on; items in or out leave; accepted suggestions are added.
type Proposal struct {
	FromRound int                        `json:"from_round"`
	Items     []ItemSpec                 `json:"items"`
	Leaving   map[string]consensus.Class `json:"leaving"` // item → class that took it out
	Added     []int64                    `json:"added_suggestions"`
	Panelists []int64                    `json:"panelists"` // submitted the last round, not withdrawn
}

// ProposeNextRound returns the proposal for the round after the last closed one.
func (s *Service) ProposeNextRound(ctx context.Context, studyID int64) (*Proposal, error) {
	var p *Proposal
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.activeStudy(tx, studyID)
		if err != nil {
			return err
		}
		rs, err := tx.Rounds(studyID)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return Errorf(EConflict, "", "round 1 has not been opened yet")
		}
		last := rs[len(rs)-1]
		if last.State == "open" {
			return Errorf(EConflict, "", "round %d is still open", last.Number)
		}
		p, err = s.proposal(tx, st, &last)
		return err
	})
	return p, err
}

func (s *Service) proposal(tx *store.Tx, st *Study, prev *store.Round) (*Proposal, error) {
	snap, err := s.snapshotIn(tx, prev)
	if err != nil {
		return nil, err
	}
	p := &Proposal{FromRound: prev.Number, Leaving: map[string]consensus.Class{}}
	for _, it := range snap.Items {
		c := snap.ClassOf(it.ID)
		if c == "consensus_in" || c == "consensus_out" {
			p.Leaving[it.ID] = c
			continue
		}
		sp := ItemSpec{ID: it.ID}
		if it.Changed { // copies: the snapshot is shared, the proposal is the facilitator's to edit
			sp = ItemSpec{ID: it.ID, Section: it.SectionID, Label: maps.Clone(it.Label), Description: maps.Clone(it.Description),
				Unit: it.Unit, Categories: slices.Clone(it.Categories), ProposedTier: it.ProposedTier, Module: it.Module,
				DerivedFrom: slices.Clone(it.DerivedFrom)}
		}
		p.Items = append(p.Items, sp)
	}
	sugs, err := tx.Suggestions(st.ID)
	if err != nil {
		return nil, err
	}
	for _, sg := range sugs {
		if sg.Status != "accepted" || sg.ItemID == "" || used(p.Items, sg.ItemID) || inRounds(tx, st.ID, sg.ItemID) {
			continue
		}
		p.Items = append(p.Items, ItemSpec{ID: sg.ItemID, Section: sg.SectionID, Label: map[string]string{"en": sg.Label},
			Description: descText(sg.Rationale)})
		p.Added = append(p.Added, sg.ID)
	}
	subs, err := tx.Submissions(prev.ID)
	if err != nil {
		return nil, err
	}
	for _, sb := range subs {
		pl, err := tx.Panelist(sb.PanelistID)
		if err != nil {
			return nil, err
		}
		if pl.WithdrawnAt == "" {
			p.Panelists = append(p.Panelists, sb.PanelistID)
		}
	}
	return p, nil
}

func descText(s string) map[string]string {
	if s == "" {
		return nil
	}
	return map[string]string{"en": s}
}

func used(specs []ItemSpec, id string) bool {
	for _, sp := range specs {
		if sp.ID == id {
			return true
		}
	}
	return false
}

// inRounds reports whether an item id was already asked in some round of the study.
func inRounds(tx *store.Tx, studyID int64, id string) bool {
	rs, err := tx.Rounds(studyID)
	if err != nil {
		return false
	}
	for _, r := range rs {
		items, err := tx.RoundItems(r.ID)
		if err != nil {
			return false
		}
		for _, it := range items {
			if it.ItemID == id {
				return true
			}
		}
	}
	return false
}

// Suggestions lists a study's suggestions with their triage status (staff only).
func (s *Service) Suggestions(ctx context.Context, studyID int64) ([]Suggestion, error) {
	meta := s.st.Meta()
	if c, ok := s.suggestions.Get(studyID); ok && c.meta == meta {
		return slices.Clone(c.list), nil
	}
	rows, err := s.st.Suggestions(ctx, studyID)
	if err != nil {
		return nil, err
	}
	rs, err := s.st.Rounds(ctx, studyID)
	if err != nil {
		return nil, err
	}
	num := map[int64]int{}
	for _, r := range rs {
		num[r.ID] = r.Number
	}
	out := make([]Suggestion, len(rows))
	for i, r := range rows {
		out[i] = Suggestion{ID: r.ID, Round: num[r.RoundID], PanelistID: r.PanelistID, Label: r.Label, Rationale: r.Rationale,
			CreatedAt: store.ParseTime(r.CreatedAt), Status: r.Status, ItemID: r.ItemID, Note: r.Note}
	}
	s.suggestions.Put(studyID, &cachedSuggestions{meta: meta, list: slices.Clone(out)})
	return out, nil
}

// cachedSuggestions is a study's suggestions as read when the store's Meta was meta.
type cachedSuggestions struct {
	meta uint64
	list []Suggestion
}

// Triage is a facilitator's decision on a suggestion: accept as a new item (ItemID, Section),
// merge into an existing item (ItemID), or reject (Note says why).
type Triage struct {
	Decision string `json:"decision"` // accept, merge, reject
	ItemID   string `json:"item_id"`
	Section  string `json:"section"`
	Note     string `json:"note"`
}

// TriageSuggestion records a decision on a suggestion.
func (s *Service) TriageSuggestion(ctx context.Context, a Actor, studyID, id int64, t Triage) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	t.ItemID, t.Note = strings.TrimSpace(t.ItemID), strings.TrimSpace(t.Note)
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.activeStudy(tx, studyID)
		if err != nil {
			return err
		}
		status := ""
		switch t.Decision {
		case "accept":
			status = "accepted"
			if !itemIDRe.MatchString(t.ItemID) {
				return Errorf(EInvalid, "item_id", "give the new item an id (lower-case letters, digits, _ and -)")
			}
			if _, exists := st.Def.Item(t.ItemID); exists || inRounds(tx, studyID, t.ItemID) {
				return Errorf(EInvalid, "item_id", "item %q already exists: merge into it instead", t.ItemID)
			}
			if !hasSection(st.Def, t.Section) {
				return Errorf(EInvalid, "section", "unknown section %q", t.Section)
			}
		case "merge":
			status = "merged"
			if _, exists := st.Def.Item(t.ItemID); !exists && !inRounds(tx, studyID, t.ItemID) {
				return Errorf(EInvalid, "item_id", "unknown item %q", t.ItemID)
			}
		case "reject":
			status = "rejected"
			if t.Note == "" {
				return Errorf(EInvalid, "note", "say why the suggestion is rejected")
			}
			t.ItemID, t.Section = "", ""
		default:
			return Errorf(EInvalid, "decision", "decision must be accept, merge or reject")
		}
		n, err := tx.DecideSuggestion(studyID, id, status, t.ItemID, t.Section, t.Note, a.StaffID)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(ENotFound, "", "suggestion %d does not exist", id)
		}
		return tx.Audit(a.String(), "suggestion."+t.Decision, studyID, fmt.Sprintf(`{"suggestion":%d,"item":%q}`, id, t.ItemID))
	})
}

// Progress is a live view of an open round: counts, never ratings.
type Progress struct {
	Round     int              `json:"round"`
	State     string           `json:"state"`
	Deadline  *time.Time       `json:"deadline"`
	Items     int              `json:"items"`
	Counts    ProgressCounts   `json:"counts"`
	Groups    []ProgressRow    `json:"groups"`
	Countries []ProgressRow    `json:"countries"`
	NotYet    []ProgressPerson `json:"not_submitted"`
	// Links counts the invited panelists (withdrawn ones aside) by where their link stands;
	// Panelists says it for each, in panelist id order (not in the progress JSON, which
	// facilitators poll: see RoundInvitations).
	Links     LinkCounts       `json:"links"`
	Panelists []PanelistStatus `json:"-"`
}

// RoundInvitations is where each invited panelist's link stands in a round, with the counts.
type RoundInvitations struct {
	Round     int              `json:"round"`
	Links     LinkCounts       `json:"links"`
	Panelists []PanelistStatus `json:"panelists"`
}

// LinkCounts counts invited panelists who are still on the panel: with a current link, whose
// latest email of the round was sent or failed, who opened their link while the round was open,
// who submitted.
type LinkCounts struct {
	Invited   int `json:"invited"`
	Issued    int `json:"issued"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Opened    int `json:"opened"`
	Submitted int `json:"submitted"`
}

// PanelistStatus is where one invited panelist stands in a round: their current link (issued,
// expiring, first opened), the latest email of the round to them, their submission.
type PanelistStatus struct {
	PanelistID  int64      `json:"panelist_id"`
	Pseudonym   string     `json:"pseudonym"`
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Group       string     `json:"group"`
	Withdrawn   bool       `json:"withdrawn"`
	LinkIssued  *time.Time `json:"link_issued"` // nil: no current link (none issued, or revoked)
	LinkExpires *time.Time `json:"link_expires"`
	LinkOpened  *time.Time `json:"link_opened"` // first use of the current link, in any round
	Opened      *time.Time `json:"opened"`      // first use of a link while this round was open
	// Mail is the latest email of the round: "none", "queued", "sent" or "failed" (MailError
	// says why); MailAt is when it was sent, or queued when not sent.
	Mail      string     `json:"mail"`
	MailAt    *time.Time `json:"mail_at"`
	MailError string     `json:"mail_error,omitempty"`
	Answered  int        `json:"answered"`
	Submitted *time.Time `json:"submitted"`
}

func timePtr(s string) *time.Time {
	t := store.ParseTime(s)
	if t.IsZero() {
		return nil
	}
	return &t
}

// panelistStatus reads one panelist's activity into a status, and counts it.
func panelistStatus(p store.Panelist, a store.Activity, now time.Time, c *LinkCounts) PanelistStatus {
	ps := PanelistStatus{PanelistID: p.ID, Pseudonym: p.Pseudonym, Name: p.Name, Email: p.Email, Group: p.Group,
		Withdrawn: p.WithdrawnAt != "", Answered: a.Answered, Submitted: timePtr(a.Submitted), Opened: timePtr(a.Opened), Mail: "none"}
	if exp := timePtr(a.LinkExpires); exp != nil && exp.After(now) {
		ps.LinkIssued, ps.LinkExpires, ps.LinkOpened = timePtr(a.LinkIssued), exp, timePtr(a.LinkOpened)
	}
	switch {
	case a.MailSent != "":
		ps.Mail, ps.MailAt = "sent", timePtr(a.MailSent)
	case a.MailError != "":
		ps.Mail, ps.MailAt, ps.MailError = "failed", timePtr(a.MailQueued), a.MailError
	case a.MailQueued != "":
		ps.Mail, ps.MailAt = "queued", timePtr(a.MailQueued)
	}
	if ps.Withdrawn {
		return ps
	}
	c.Invited++
	for _, on := range []struct {
		yes bool
		n   *int
	}{{ps.LinkIssued != nil, &c.Issued}, {ps.Mail == "sent", &c.Sent}, {ps.Mail == "failed", &c.Failed},
		{ps.Opened != nil, &c.Opened}, {ps.Submitted != nil, &c.Submitted}} {
		if on.yes {
			*on.n++
		}
	}
	return ps
}

// ProgressCounts counts panelists by state.
type ProgressCounts struct {
	Invited      int     `json:"invited"`
	Submitted    int     `json:"submitted"`
	Started      int     `json:"started"`
	NotStarted   int     `json:"not_started"`
	ResponseRate float64 `json:"response_rate"` // percent submitted of invited
}

// ProgressRow is the counts for one group or country.
type ProgressRow struct {
	Key string `json:"key"`
	ProgressCounts
}

// ProgressPerson is a panelist who has not submitted yet (for reminders).
type ProgressPerson struct {
	PanelistID int64  `json:"panelist_id"`
	Pseudonym  string `json:"pseudonym"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Group      string `json:"group"`
	Country    string `json:"country"`
	Answered   int    `json:"answered"`
	LastSaved  string `json:"last_saved,omitempty"`
}

func (c *ProgressCounts) add(answered int, submitted bool) {
	c.Invited++
	switch {
	case submitted:
		c.Submitted++
	case answered > 0:
		c.Started++
	default:
		c.NotStarted++
	}
	c.ResponseRate = 100 * float64(c.Submitted) / float64(c.Invited)
}

// progressKey names a cached Progress.
type progressKey struct {
	study int64
	round int
}

// cachedProgress is a Progress with the store version it was read at.
type cachedProgress struct {
	version uint64
	p       *Progress
}

// Progress counts a round's panelists by state, per group and per country. Facilitators poll
// it; it is computed again only when something was written since (Store.Version), so a room of
// facilitators watching an idle round costs one computation. The result is shared: callers
// must not modify it.
func (s *Service) Progress(ctx context.Context, studyID int64, n int) (*Progress, error) {
	key, v := progressKey{studyID, n}, s.st.Version()
	if c, ok := s.progress.Get(key); ok && c.version == v {
		return c.p, nil
	}
	p, err := s.readProgress(ctx, studyID, n)
	if err != nil {
		return nil, err
	}
	s.progress.Put(key, &cachedProgress{version: v, p: p})
	return p, nil
}

func (s *Service) readProgress(ctx context.Context, studyID int64, n int) (*Progress, error) {
	r, err := s.st.Round(ctx, studyID, n)
	if err != nil {
		return nil, notFound(err, "study %d has no round %d", studyID, n)
	}
	acts, err := s.st.RoundActivity(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	items, err := s.st.RoundItems(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	panel, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return nil, err
	}
	byID := panelByID(panel)
	pr := &Progress{Round: n, State: r.State, Items: len(items)}
	if d := store.ParseTime(r.Deadline); !d.IsZero() {
		pr.Deadline = &d
	}
	// first the rows, in order of appearance, then the counts (pointers into settled slices)
	country := func(p store.Panelist) string {
		if p.Country == "" {
			return "unknown"
		}
		return p.Country
	}
	gi, ci := map[string]int{}, map[string]int{}
	for _, a := range acts {
		p := byID[a.PanelistID]
		if _, ok := gi[p.Group]; !ok {
			gi[p.Group] = len(pr.Groups)
			pr.Groups = append(pr.Groups, ProgressRow{Key: p.Group})
		}
		if _, ok := ci[country(p)]; !ok {
			ci[country(p)] = len(pr.Countries)
			pr.Countries = append(pr.Countries, ProgressRow{Key: country(p)})
		}
	}
	for _, a := range acts {
		p := byID[a.PanelistID]
		pr.Panelists = append(pr.Panelists, panelistStatus(p, a, s.now(), &pr.Links))
		sub := a.Submitted != ""
		pr.Counts.add(a.Answered, sub)
		pr.Groups[gi[p.Group]].add(a.Answered, sub)
		pr.Countries[ci[country(p)]].add(a.Answered, sub)
		if !sub && p.WithdrawnAt == "" {
			pr.NotYet = append(pr.NotYet, ProgressPerson{PanelistID: p.ID, Pseudonym: p.Pseudonym, Name: p.Name, Email: p.Email,
				Group: p.Group, Country: p.Country, Answered: a.Answered, LastSaved: a.LastSaved})
		}
	}
	return pr, nil
}
