package delphi

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// Meeting states, and the states of an item on a meeting's list.
const (
	MeetingRunning = "running"
	MeetingEnded   = "ended"

	ItemWaiting = "waiting"
	ItemOpen    = "open"
	ItemClosed  = "closed"
)

// AttendeeTTL is how long an attendee's token lasts: a day's workshop.
const AttendeeTTL = 24 * time.Hour

// MeetingInput creates a meeting. Items is the list in order; empty means the items the
// outcome leaves undecided, ranked by how close they came (RankUndecided).
type MeetingInput struct {
	Title string   `json:"title"`
	Date  string   `json:"date"`
	Place string   `json:"place"`
	Items []string `json:"items,omitempty"`
}

// Question is what a vote puts to the room: a proposal (agree / disagree / abstain on a tier)
// or options (core / each expansion module / exclude / abstain).
type Question struct {
	Kind   string `json:"question"`
	Tier   string `json:"tier,omitempty"`
	Module string `json:"module,omitempty"`
}

// Closeness is how close an item came to being settled by the rounds, what the list is
// ranked by: Distance first (smaller is closer), then more disagreeing groups.
type Closeness struct {
	Reason string `json:"reason"` // the outcome's reason for undecided
	// PctHigh is the item's % high in its last round, Threshold the consensus rule's
	// high_at_least then, and PctDistance |PctHigh − Threshold| for an item without consensus
	// (0 once consensus is in: the placement left it open).
	PctHigh     *float64 `json:"pct_high"`
	Threshold   int      `json:"threshold"`
	PctDistance float64  `json:"pct_distance"`
	// Placement is the last round's placement answers; PlacementDistance how many points of
	// core-or-expansion answers were missing for the collect_at_least threshold (for an item
	// with consensus in; too few answers count as the whole threshold).
	Placement         *outcome.Placement `json:"placement"`
	PlacementDistance float64            `json:"placement_distance"`
	// GroupsDisagree counts the groups of at least min_group_size ratings whose own class
	// differs from the panel's.
	GroupsDisagree int     `json:"groups_disagree"`
	Distance       float64 `json:"distance"` // PctDistance + PlacementDistance
}

// Candidate is an item the outcome leaves undecided, with its closeness.
type Candidate struct {
	Item      string      `json:"item"`
	Label     survey.Text `json:"label"`
	Section   string      `json:"section"`
	Closeness Closeness   `json:"closeness"`
}

// MeetingItemView is an item on a meeting's list.
type MeetingItemView struct {
	Candidate
	Position int       `json:"position"`
	State    string    `json:"state"`
	Question *Question `json:"question,omitempty"`
	Options  []string  `json:"options,omitempty"`
	// VotesCast counts the votes cast while the vote is open (never their split).
	VotesCast *int           `json:"votes_cast,omitempty"`
	Result    *MeetingResult `json:"result,omitempty"`
}

// MeetingResult is a closed vote: the counts, and the decision it became.
type MeetingResult struct {
	Counts    map[string]int `json:"counts"`
	Voters    int            `json:"voters"`
	Abstained int            `json:"abstained"`
	// Groups are the counts of the groups with at least min_group_size votes, when the rest
	// cannot be deduced from them; HiddenGroups counts the groups not broken out.
	Groups       map[string]map[string]int `json:"groups,omitempty"`
	HiddenGroups int                       `json:"hidden_groups"`
	Carried      bool                      `json:"carried"`
	Tier         string                    `json:"tier"`
	Module       string                    `json:"module,omitempty"`
	DecisionID   int64                     `json:"decision"`
	Rule         survey.Meeting            `json:"rule"`
	RuleHash     string                    `json:"rule_hash"`
}

// MeetingView is a meeting as its staff see it.
type MeetingView struct {
	ID       int64             `json:"id"`
	StudyID  int64             `json:"study_id"`
	Title    string            `json:"title"`
	Date     string            `json:"date"`
	Place    string            `json:"place"`
	State    string            `json:"state"`
	JoinCode string            `json:"join_code"`
	JoinOpen bool              `json:"join_open"`
	Open     string            `json:"open,omitempty"` // the item whose vote is open
	Items    []MeetingItemView `json:"items"`
	// Attendees counts who joined, per group (never by name).
	Attendees      int            `json:"attendees"`
	AttendeeGroups map[string]int `json:"attendee_groups"`
	Rule           survey.Meeting `json:"rule"`
	MinGroupSize   int            `json:"min_group_size"`
}

// minGroup is the definition's min_group_size (5 when unset).
func minGroup(def *survey.Definition) int {
	if def.Feedback.MinGroupSize < 1 {
		return 5
	}
	return def.Feedback.MinGroupSize
}

// RankUndecided lists the items the outcome leaves undecided, closest first.
func (s *Service) RankUndecided(so *StudyOutcome) []Candidate {
	return s.rank(so, func(tier string) bool { return tier == outcome.Undecided })
}

// RankOpen lists the items the outcome leaves undecided or, in a study not finished yet,
// pending, closest first as RankUndecided: the items under discussion in a workshop deck.
func (s *Service) RankOpen(so *StudyOutcome) []Candidate {
	return s.rank(so, func(tier string) bool { return tier == outcome.Undecided || tier == outcome.Pending })
}

// rank lists the entries whose final tier is chosen, closest first.
func (s *Service) rank(so *StudyOutcome, chosen func(tier string) bool) []Candidate {
	all := s.closeness(so)
	var out []Candidate
	for _, e := range so.Entries {
		if chosen(e.FinalTier) {
			out = append(out, all[e.Item])
		}
	}
	slices.SortStableFunc(out, func(a, b Candidate) int {
		if c := cmp.Compare(a.Closeness.Distance, b.Closeness.Distance); c != 0 {
			return c
		}
		return cmp.Compare(b.Closeness.GroupsDisagree, a.Closeness.GroupsDisagree)
	})
	return out
}

// closeness computes every entry's closeness from its last round's snapshot.
func (s *Service) closeness(so *StudyOutcome) map[string]Candidate {
	byRound := map[int]*Snapshot{}
	for _, sn := range so.Snapshots {
		byRound[sn.Round] = sn
	}
	min := minGroup(so.Study.Def)
	out := make(map[string]Candidate, len(so.Entries))
	for _, e := range so.Entries {
		c := Candidate{Item: e.Item, Label: e.Label, Section: e.Section}
		cl := &c.Closeness
		if e.FinalReason != nil {
			cl.Reason = *e.FinalReason
		}
		cl.PctHigh, cl.Placement = e.PctHigh, e.Placement
		if e.LastRound != nil {
			if sn := byRound[*e.LastRound]; sn != nil {
				cl.Threshold = sn.Rule.In.HighAtLeast
				id := e.Item
				if n := len(e.History); n > 0 && e.History[n-1].Item != "" {
					id = e.History[n-1].Item
				}
				if res := sn.Result.Items.Get(id); res != nil {
					for _, g := range res.Groups {
						if g.NRated >= min && g.Comet != res.Comet {
							cl.GroupsDisagree++
						}
					}
				}
			}
		}
		if e.Importance != nil && *e.Importance == outcome.ConsensusIn {
			collect := float64(so.Rule.CollectAtLeast)
			switch p := e.Placement; {
			case p == nil || p.N == 0 || p.N < so.Rule.MinPlacementAnswers:
				cl.PlacementDistance = collect
			default:
				cl.PlacementDistance = math.Max(0, collect-100*float64(p.Core+p.Expansion)/float64(p.N))
			}
		} else if cl.PctHigh != nil {
			cl.PctDistance = math.Abs(*cl.PctHigh - float64(cl.Threshold))
		} else {
			cl.PctDistance = 100
		}
		cl.Distance = math.Round((cl.PctDistance+cl.PlacementDistance)*100) / 100
		out[e.Item] = c
	}
	return out
}

// meetingFor reads a meeting and checks that the actor may see it (run: may change it). The
// routes name no study: the meeting's study is checked here, as RevokeInvitation checks an
// invitation's; someone outside the study is told the meeting does not exist.
func (s *Service) meetingFor(ctx context.Context, a Actor, id int64, run bool) (store.Meeting, Actor, error) {
	m, err := s.st.Meeting(ctx, id)
	if err != nil {
		return m, a, notFound(err, "meeting %d does not exist", id)
	}
	b, err := s.StudyAccess(ctx, a, m.StudyID)
	if err != nil {
		return m, a, Errorf(ENotFound, "", "meeting %d does not exist", id)
	}
	if run {
		if err := b.mustRun(); err != nil {
			return m, b, err
		}
	}
	return m, b, nil
}

// codeAlphabet leaves out letters and digits that are easily confused on a projected screen
// (0/O, 1/I/L, 5/S, 2/Z, U/V).
const codeAlphabet = "346789ABCDEFGHJKMNPQRTWXY"

// newJoinCode returns a random 6-character join code (25^6 ≈ 2.4·10^8 codes).
func newJoinCode() string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)] // 256 % 25 = 6: a bias of under 3 %, harmless here
	}
	return string(b)
}

// NormalizeCode upper-cases a typed join code and drops spaces and dashes.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
}

func checkText(field, v string, min, max int) error {
	n := utf8.RuneCountInString(v)
	switch {
	case n < min:
		return Errorf(EInvalid, field, "%s is required", field)
	case n > max:
		return Errorf(EInvalid, field, "%s is longer than %d characters", field, max)
	}
	return nil
}

// CreateMeeting creates a meeting of a study (facilitators and admins) with a fresh join code.
func (s *Service) CreateMeeting(ctx context.Context, a Actor, studyID int64, in MeetingInput) (*MeetingView, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	in.Title, in.Date, in.Place = strings.TrimSpace(in.Title), strings.TrimSpace(in.Date), strings.TrimSpace(in.Place)
	if err := checkText("title", in.Title, 1, 200); err != nil {
		return nil, err
	}
	if _, err := time.Parse(time.DateOnly, in.Date); err != nil {
		return nil, Errorf(EInvalid, "date", "the date must be YYYY-MM-DD, not %q", in.Date)
	}
	if err := checkText("place", in.Place, 0, 200); err != nil {
		return nil, err
	}
	so, err := s.Outcome(ctx, studyID)
	if err != nil {
		return nil, err
	}
	items := in.Items
	if len(items) == 0 {
		for _, c := range s.RankUndecided(so) {
			items = append(items, c.Item)
		}
	}
	var id int64
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.anyStudy(tx, studyID)
		if err != nil {
			return err
		}
		if err := checkMeetingItems(tx, st, items, nil); err != nil {
			return err
		}
		for try := 0; ; try++ {
			id, err = tx.CreateMeeting(store.Meeting{StudyID: studyID, Title: in.Title, Date: in.Date, Place: in.Place,
				JoinCode: newJoinCode(), CreatedBy: a.StaffID})
			if !errors.Is(err, store.ErrConflict) || try == 5 {
				break
			}
		}
		if err != nil {
			return err
		}
		if err := tx.SetMeetingItems(id, items); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"meeting": id, "title": in.Title, "date": in.Date, "items": len(items)})
		return tx.Audit(a.String(), "meeting.create", studyID, string(detail))
	})
	if err != nil {
		return nil, err
	}
	return s.Meeting(ctx, a, id)
}

// checkMeetingItems requires known, distinct items, and every item already voted on or being
// voted on (kept) among them.
func checkMeetingItems(tx *store.Tx, st *Study, items []string, kept []store.MeetingItem) error {
	if len(items) > 1000 {
		return Errorf(EInvalid, "items", "a meeting takes at most 1000 items")
	}
	seen := map[string]bool{}
	for i, it := range items {
		f := fmt.Sprintf("items[%d]", i)
		if seen[it] {
			return Errorf(EInvalid, f, "item %q is listed twice", it)
		}
		seen[it] = true
		if err := checkDecisionItem(tx, st, it); err != nil {
			return Errorf(EInvalid, f, "%s", err.(*Error).Message)
		}
	}
	for _, k := range kept {
		if k.State != ItemWaiting && !seen[k.ItemID] {
			return Errorf(EConflict, "items", "item %q has been put to the vote: it stays on the list", k.ItemID)
		}
	}
	return nil
}

// Meeting returns a meeting as its staff see it.
func (s *Service) Meeting(ctx context.Context, a Actor, id int64) (*MeetingView, error) {
	m, _, err := s.meetingFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

func (s *Service) meetingView(ctx context.Context, m store.Meeting) (*MeetingView, error) {
	so, err := s.Outcome(ctx, m.StudyID)
	if err != nil {
		return nil, err
	}
	def := so.Study.Def
	v := &MeetingView{ID: m.ID, StudyID: m.StudyID, Title: m.Title, Date: m.Date, Place: m.Place, State: m.State,
		JoinCode: m.JoinCode, JoinOpen: m.JoinOpen, AttendeeGroups: map[string]int{}, Rule: def.Outcome.Meeting,
		MinGroupSize: minGroup(def)}
	groups, err := s.st.AttendeeGroups(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		v.AttendeeGroups[g.GroupID] = g.N
		v.Attendees += g.N
	}
	rows, err := s.st.MeetingItems(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	cands := s.closeness(so)
	decisions := map[int64]outcome.Decision{}
	for _, d := range so.Input.Decisions {
		decisions[d.ID] = d
	}
	for _, r := range rows {
		iv := MeetingItemView{Candidate: cands[r.ItemID], Position: r.Position, State: r.State}
		iv.Item = r.ItemID
		if r.Question != "" {
			var q Question
			if json.Unmarshal([]byte(r.Question), &q) == nil {
				iv.Question = &q
				iv.Options = VoteOptions(def, q)
			}
		}
		switch r.State {
		case ItemOpen:
			v.Open = r.ItemID
			n, err := s.st.VotesCast(ctx, m.ID, r.ItemID)
			if err != nil {
				return nil, err
			}
			iv.VotesCast = &n
		case ItemClosed:
			if d, ok := decisions[r.DecisionID]; ok && d.Meeting != nil {
				iv.Result = resultOf(d)
			}
		}
		v.Items = append(v.Items, iv)
	}
	if v.Items == nil {
		v.Items = []MeetingItemView{}
	}
	return v, nil
}

// freshView reads a meeting again after a change and returns its view.
func (s *Service) freshView(ctx context.Context, id int64) (*MeetingView, error) {
	m, err := s.st.Meeting(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.meetingView(ctx, m)
}

func resultOf(d outcome.Decision) *MeetingResult {
	mb := d.Meeting
	return &MeetingResult{Counts: mb.Vote.Counts, Voters: mb.Voters, Abstained: mb.Abstained, Groups: mb.GroupVotes,
		HiddenGroups: mb.HiddenGroups, Carried: d.Tier != outcome.Undecided, Tier: d.Tier, Module: d.Module, DecisionID: d.ID,
		Rule: mb.Rule, RuleHash: mb.RuleHash}
}

// VoteOptions lists the options of a question, in the order buttons show them.
func VoteOptions(def *survey.Definition, q Question) []string {
	if q.Kind == outcome.VoteProposal {
		return []string{outcome.OptAgree, outcome.OptDisagree, outcome.OptAbstain}
	}
	out := []string{outcome.OptCore}
	for _, m := range def.Modules {
		out = append(out, outcome.OptModule+m.ID)
	}
	return append(out, outcome.OptExclude, outcome.OptAbstain)
}

// SetMeetingItems replaces a meeting's list (edit and reorder). Items voted on stay.
func (s *Service) SetMeetingItems(ctx context.Context, a Actor, id int64, items []string) (*MeetingView, error) {
	m, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	if items == nil {
		return nil, Errorf(EInvalid, "items", "give the list of items in order")
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := runningMeeting(tx, id, "the meeting has ended")
		if err != nil {
			return err
		}
		st, err := s.anyStudy(tx, m.StudyID)
		if err != nil {
			return err
		}
		kept, err := tx.MeetingItems(id)
		if err != nil {
			return err
		}
		if err := checkMeetingItems(tx, st, items, kept); err != nil {
			return err
		}
		if err := tx.SetMeetingItems(id, items); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"meeting": id, "items": items})
		return tx.Audit(b.String(), "meeting.items", m.StudyID, string(detail))
	})
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

// MeetingEdit is what the page that edits a meeting's list needs: the meeting, and the study's
// items not on the list, those the outcome leaves undecided first (closest first), then the
// others in the outcome's order.
type MeetingEdit struct {
	Meeting   *MeetingView
	Addable   []Candidate
	Undecided int // the first Undecided of Addable are undecided
}

// MeetingEditor returns a meeting's list and the items that may be added to it.
func (s *Service) MeetingEditor(ctx context.Context, a Actor, id int64) (*MeetingEdit, error) {
	m, _, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	v, err := s.freshView(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	so, err := s.Outcome(ctx, v.StudyID)
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, it := range v.Items {
		listed[it.Item] = true
	}
	ed := &MeetingEdit{Meeting: v}
	for _, c := range s.RankUndecided(so) {
		if !listed[c.Item] {
			ed.Addable = append(ed.Addable, c)
			listed[c.Item] = true
		}
	}
	ed.Undecided = len(ed.Addable)
	cands := s.closeness(so)
	for _, e := range so.Entries {
		if !listed[e.Item] {
			ed.Addable = append(ed.Addable, cands[e.Item])
		}
	}
	return ed, nil
}

// AttendeeRow is an attendee as the meeting's organisers see them: the name appears in no
// result, export or audit entry.
type AttendeeRow struct {
	ID       int64
	Name     string
	Group    string
	Panelist bool // joined through their invite link
	JoinedAt time.Time
}

// MeetingAttendees lists a meeting's attendees by name, for its facilitators and admins.
func (s *Service) MeetingAttendees(ctx context.Context, a Actor, id int64) (*MeetingView, []AttendeeRow, error) {
	m, _, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.freshView(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.st.Attendees(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	out := make([]AttendeeRow, len(as))
	for i, at := range as {
		out[i] = AttendeeRow{ID: at.ID, Name: at.Name, Group: at.GroupID, Panelist: at.PanelistID > 0, JoinedAt: store.ParseTime(at.JoinedAt)}
	}
	return v, out, nil
}

// RemoveAttendee takes an attendee out of a running meeting: their token stops working, their
// vote on an open item is dropped (closed votes are anonymous counts and stay), and they no
// longer count among the attendees. Audited without the name.
func (s *Service) RemoveAttendee(ctx context.Context, a Actor, id, attendee int64) error {
	_, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := runningMeeting(tx, id, "the meeting has ended: its attendees are part of its record")
		if err != nil {
			return err
		}
		dropped, err := tx.RemoveAttendee(id, attendee)
		if errors.Is(err, store.ErrNotFound) {
			return Errorf(ENotFound, "attendee", "attendee %d is not at this meeting (removed already?)", attendee)
		}
		if err != nil {
			return err
		}
		return tx.Audit(b.String(), "meeting.attendee_remove", m.StudyID,
			fmt.Sprintf(`{"meeting":%d,"attendee":%d,"open_votes_dropped":%d}`, id, attendee, dropped))
	})
}

// OpenVote opens the vote on an item of the list. One vote is open at a time.
func (s *Service) OpenVote(ctx context.Context, a Actor, id int64, item string, q Question) (*MeetingView, error) {
	m, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	q.Tier, q.Module = strings.TrimSpace(q.Tier), strings.TrimSpace(q.Module)
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := runningMeeting(tx, id, "the meeting has ended")
		if err != nil {
			return err
		}
		st, err := s.anyStudy(tx, m.StudyID)
		if err != nil {
			return err
		}
		switch q.Kind {
		case outcome.VoteProposal:
			switch q.Tier {
			case outcome.Core, outcome.Excluded:
				if q.Module != "" {
					return Errorf(EInvalid, "module", "a module goes with tier expansion, not %s", q.Tier)
				}
			case outcome.Expansion:
				if err := checkModule(st.Def, "module", q.Module); err != nil {
					return err
				}
			default:
				return Errorf(EInvalid, "tier", "a proposal states a tier: core, expansion or excluded")
			}
		case outcome.VoteOptions:
			if q.Tier != "" || q.Module != "" {
				return Errorf(EInvalid, "tier", "an options vote states no tier: the options are the tiers")
			}
		default:
			return Errorf(EInvalid, "question", `question must be "proposal" or "options", not %q`, q.Kind)
		}
		items, err := tx.MeetingItems(id)
		if err != nil {
			return err
		}
		var this *store.MeetingItem
		for i := range items {
			if items[i].State == ItemOpen {
				return Errorf(EConflict, "", "the vote on %q is open: close it before opening another", items[i].ItemID)
			}
			if items[i].ItemID == item {
				this = &items[i]
			}
		}
		switch {
		case this == nil:
			return Errorf(ENotFound, "item", "item %q is not on this meeting's list", item)
		case this.State == ItemClosed:
			return Errorf(EConflict, "item", "item %q has been voted on at this meeting", item)
		}
		qj, _ := json.Marshal(q)
		if err := tx.OpenMeetingItem(id, item, string(qj)); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"meeting": id, "item": item, "question": q})
		return tx.Audit(b.String(), "meeting.vote_open", m.StudyID, string(detail))
	})
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

// QuestionText is the question as the decision and the meeting's record state it.
func QuestionText(q Question) string {
	if q.Kind == outcome.VoteOptions {
		return "options: core, an expansion module, or exclude"
	}
	if q.Tier == outcome.Expansion {
		return fmt.Sprintf("proposal: expansion (module %s)", q.Module)
	}
	return "proposal: " + q.Tier
}

// CloseVote closes the open vote on an item and records it as a decision (§3), in one
// transaction: the item is closed, the decision written through RecordMeetingVote's path, and
// the stored votes untied from their attendees.
func (s *Service) CloseVote(ctx context.Context, a Actor, id int64, item string) (*MeetingView, error) {
	m, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := tx.Meeting(id)
		if err != nil {
			return err
		}
		items, err := tx.MeetingItems(id)
		if err != nil {
			return err
		}
		var this *store.MeetingItem
		for i := range items {
			if items[i].ItemID == item {
				this = &items[i]
			}
		}
		switch {
		case this == nil:
			return Errorf(ENotFound, "item", "item %q is not on this meeting's list", item)
		case this.State != ItemOpen:
			return Errorf(EConflict, "item", "the vote on %q is not open", item)
		}
		st, err := s.anyStudy(tx, m.StudyID)
		if err != nil {
			return err
		}
		var q Question
		if err := json.Unmarshal([]byte(this.Question), &q); err != nil {
			return fmt.Errorf("delphi: meeting %d item %s: question: %w", id, item, err)
		}
		counts, err := tx.MeetingVotes(id, item)
		if err != nil {
			return err
		}
		in := MeetingVoteInput{Item: item, Meeting: fmt.Sprintf("%s (%s, meeting %d)", m.Title, m.Date, m.ID),
			Question: QuestionText(q), Vote: outcome.Vote{Kind: q.Kind, Tier: q.Tier, Module: q.Module, Counts: map[string]int{}}}
		perGroup := map[string]map[string]int{}
		for _, c := range counts {
			in.Vote.Counts[c.Option] += c.N
			if perGroup[c.GroupID] == nil {
				perGroup[c.GroupID] = map[string]int{}
			}
			perGroup[c.GroupID][c.Option] += c.N
		}
		for _, o := range VoteOptions(st.Def, q) {
			in.Vote.Counts[o] += 0 // every option is reported, 0 too
		}
		in.GroupVotes, in.hidden = SuppressGroups(perGroup, minGroup(st.Def))
		d, err := s.recordMeetingVote(tx, b, st, in)
		if err != nil {
			return err
		}
		if err := tx.CloseMeetingItem(id, item, d.ID); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"meeting": id, "item": item, "decision": d.ID, "tier": d.Tier})
		return tx.Audit(b.String(), "meeting.vote_close", m.StudyID, string(detail))
	})
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

// SuppressGroups keeps the groups with at least min votes (abstentions count: they are votes
// cast), then hides the smallest of those kept while the votes of the hidden groups together
// number 1..min−1 (they could be deduced from the total). It returns the groups kept and the
// number hidden.
func SuppressGroups(per map[string]map[string]int, min int) (map[string]map[string]int, int) {
	size := func(m map[string]int) int {
		n := 0
		for _, c := range m {
			n += c
		}
		return n
	}
	var shown []string
	rest, hidden := 0, 0
	for g, m := range per {
		if size(m) >= min {
			shown = append(shown, g)
		} else {
			rest += size(m)
			hidden++
		}
	}
	slices.SortFunc(shown, func(a, b string) int {
		if c := cmp.Compare(size(per[a]), size(per[b])); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for rest > 0 && rest < min && len(shown) > 0 {
		rest += size(per[shown[0]])
		shown = shown[1:]
		hidden++
	}
	if len(shown) == 0 {
		return nil, hidden
	}
	out := make(map[string]map[string]int, len(shown))
	for _, g := range shown {
		out[g] = per[g]
	}
	return out, hidden
}

// SetJoin opens or closes joining, or gives the meeting a new code (the old one stops working).
// action is "open", "close" or "new_code".
func (s *Service) SetJoin(ctx context.Context, a Actor, id int64, action string) (*MeetingView, error) {
	m, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := runningMeeting(tx, id, "the meeting has ended")
		if err != nil {
			return err
		}
		code, open := m.JoinCode, m.JoinOpen
		switch action {
		case "open":
			open = true
		case "close":
			open = false
		case "new_code":
			code, open = newJoinCode(), true
		default:
			return Errorf(EInvalid, "join", `join must be "open", "close" or "new_code", not %q`, action)
		}
		if err := tx.SetJoin(id, code, open); err != nil {
			return err
		}
		return tx.Audit(b.String(), "meeting.join_"+action, m.StudyID, fmt.Sprintf(`{"meeting":%d}`, id))
	})
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

// EndMeeting ends a meeting: joining closes and no vote is taken any more. A vote still open
// must be closed first.
func (s *Service) EndMeeting(ctx context.Context, a Actor, id int64) (*MeetingView, error) {
	m, b, err := s.meetingFor(ctx, a, id, true)
	if err != nil {
		return nil, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		m, err := runningMeeting(tx, id, "the meeting has already ended")
		if err != nil {
			return err
		}
		items, err := tx.MeetingItems(id)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.State == ItemOpen {
				return Errorf(EConflict, "", "the vote on %q is open: close it before ending the meeting", it.ItemID)
			}
		}
		if err := tx.EndMeeting(id); err != nil {
			return err
		}
		return tx.Audit(b.String(), "meeting.end", m.StudyID, fmt.Sprintf(`{"meeting":%d}`, id))
	})
	if err != nil {
		return nil, err
	}
	return s.freshView(ctx, m.ID)
}

// StudyMeetings lists a study's meetings (the route names the study: staffAuth checked it).
func (s *Service) StudyMeetings(ctx context.Context, studyID int64) ([]store.Meeting, error) {
	return s.st.StudyMeetings(ctx, studyID)
}

// JoinInput is what an attendee types to join.
type JoinInput struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Group string `json:"group"`
}

// Joined is an attendee's token and what they joined.
type Joined struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Meeting   int64     `json:"meeting"`
	Title     string    `json:"title"`
	Name      string    `json:"name"`
	Group     string    `json:"group"`
}

// Join makes someone an attendee of the meeting whose code they typed. A panelist of the
// meeting's study who comes through their invite link (ex) joins under their own name and
// group; anyone else (a panelist of another study too) gives a name and one of the study's
// stakeholder groups.
func (s *Service) Join(ctx context.Context, in JoinInput, ex *Expert) (*Joined, error) {
	code := NormalizeCode(in.Code)
	if code == "" {
		return nil, Errorf(EInvalid, "code", "type the code shown on the screen")
	}
	m, err := s.st.MeetingByCode(ctx, code)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errUnknownCode
	case err != nil:
		return nil, err
	case m.State == MeetingEnded:
		return nil, Errorf(EGone, "code", "this meeting has ended")
	case !m.JoinOpen:
		return nil, Errorf(EConflict, "code", "joining this meeting is closed: ask the presenter")
	}
	st, err := s.Study(ctx, m.StudyID)
	if err != nil {
		return nil, err
	}
	att := store.Attendee{MeetingID: m.ID, Name: strings.TrimSpace(in.Name), GroupID: strings.TrimSpace(in.Group)}
	if ex != nil && ex.Study.ID == m.StudyID { // an invitation to another study says nothing here
		att.Name, att.GroupID, att.PanelistID = ex.Panelist.Name, ex.Panelist.Group, ex.Panelist.ID
	}
	if err := checkText("name", att.Name, 1, 200); err != nil {
		return nil, err
	}
	if !st.Def.HasGroup(att.GroupID) {
		ids := make([]string, len(st.Def.Groups))
		for i, g := range st.Def.Groups {
			ids[i] = g.ID
		}
		return nil, Errorf(EInvalid, "group", "unknown stakeholder group %q: one of %s", att.GroupID, strings.Join(ids, ", "))
	}
	var aid int64
	err = s.st.InVoteTx(ctx, func(tx *store.VoteTx) error {
		m, err := tx.Meeting(m.ID) // again, in the transaction: it may have ended or closed since
		if err != nil {
			return err
		}
		if m.State == MeetingEnded {
			return Errorf(EGone, "code", "this meeting has ended")
		}
		if !m.JoinOpen || m.JoinCode != code {
			return Errorf(EConflict, "code", "joining this meeting is closed: ask the presenter")
		}
		if aid, err = tx.AddAttendee(att); err != nil {
			return err
		}
		// the name stays out of the audit log: it is shown to no one but the meeting's staff
		return tx.Audit(fmt.Sprintf("attendee:%d", aid), "meeting.join", m.StudyID,
			fmt.Sprintf(`{"meeting":%d,"attendee":%d,"group":%q,"panelist":%t}`, m.ID, aid, att.GroupID, att.PanelistID > 0))
	})
	if err != nil {
		return nil, err
	}
	tok, claims, err := s.signer.SignAttendee(m.ID, aid, AttendeeTTL)
	if err != nil {
		return nil, err
	}
	return &Joined{Token: tok, ExpiresAt: claims.Expires, Meeting: m.ID, Title: m.Title, Name: att.Name, Group: att.GroupID}, nil
}

// VoteInput is an attendee's vote.
type VoteInput struct {
	Item   string `json:"item"`
	Option string `json:"option"`
}

// Vote records an attendee's vote on the item whose vote is open, replacing their earlier vote
// on it. It returns once the vote is durable.
func (s *Service) Vote(ctx context.Context, who auth.Attendee, in VoteInput) error {
	in.Item, in.Option = strings.TrimSpace(in.Item), strings.TrimSpace(in.Option)
	if in.Item == "" {
		return Errorf(EInvalid, "item", "name the item voted on")
	}
	if in.Option == "" {
		return Errorf(EInvalid, "option", "choose an option")
	}
	// the definition (for the options) is read before the transaction, from the cache: the
	// writer runs every unit of the batch one after another, so a unit must not wait on reads
	def, err := s.MeetingDefinition(ctx, who.MeetingID)
	if err != nil {
		return err
	}
	return s.st.InVoteTx(ctx, func(tx *store.VoteTx) error {
		m, err := tx.Meeting(who.MeetingID)
		if err != nil {
			return notFound(err, "meeting %d does not exist", who.MeetingID)
		}
		if m.State == MeetingEnded {
			return Errorf(EGone, "", "the meeting has ended: votes are no longer taken")
		}
		att, err := tx.Attendee(who.AttendeeID)
		if err != nil || att.MeetingID != m.ID {
			return Errorf(EUnauthorized, "", "join the meeting with the code on the screen first")
		}
		it, err := tx.MeetingItem(m.ID, in.Item)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Errorf(ENotFound, "item", "item %q is not on this meeting's list", in.Item)
		case err != nil:
			return err
		case it.State == ItemWaiting:
			return Errorf(EConflict, "item", "the vote on %q has not opened", in.Item)
		case it.State == ItemClosed:
			return Errorf(EConflict, "item", "the vote on %q is closed", in.Item)
		}
		var q Question
		if err := json.Unmarshal([]byte(it.Question), &q); err != nil {
			return fmt.Errorf("delphi: meeting %d item %s: question: %w", m.ID, in.Item, err)
		}
		if opts := VoteOptions(def, q); !slices.Contains(opts, in.Option) {
			return Errorf(EInvalid, "option", "%q is not an option of this vote (%s)", in.Option, strings.Join(opts, ", "))
		}
		if err := tx.PutVote(m.ID, in.Item, att.ID, att.GroupID, in.Option); err != nil {
			return err
		}
		// which option is not logged: votes are anonymous
		return tx.Audit("attendee", "meeting.vote", m.StudyID, fmt.Sprintf(`{"meeting":%d,"item":%q}`, m.ID, in.Item))
	})
}

// AttendeeView is what an attendee's phone shows: the meeting, and the open vote if any.
type AttendeeView struct {
	Meeting int64  `json:"meeting"`
	Title   string `json:"title"`
	State   string `json:"state"`
	Group   string `json:"group"`
	// Open is the item being voted on, with its question and options (nil between votes).
	Open *AttendeeItem `json:"open"`
}

// AttendeeItem is the open vote as an attendee sees it; Mine is their vote ("" for none).
type AttendeeItem struct {
	Item     string      `json:"item"`
	Label    survey.Text `json:"label"`
	Question Question    `json:"question"`
	Options  []string    `json:"options"`
	Mine     string      `json:"mine"`
}

// Attending returns an attendee's view of their meeting.
func (s *Service) Attending(ctx context.Context, who auth.Attendee) (*AttendeeView, error) {
	m, err := s.st.Meeting(ctx, who.MeetingID)
	if err != nil {
		return nil, notFound(err, "meeting %d does not exist", who.MeetingID)
	}
	att, err := s.st.Attendee(ctx, who.AttendeeID)
	if err != nil || att.MeetingID != m.ID {
		return nil, Errorf(EUnauthorized, "", "join the meeting with the code on the screen first")
	}
	v := &AttendeeView{Meeting: m.ID, Title: m.Title, State: m.State, Group: att.GroupID}
	if m.State == MeetingEnded {
		return v, nil
	}
	open, err := s.st.OpenMeetingItem(ctx, m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := s.Study(ctx, m.StudyID)
	if err != nil {
		return nil, err
	}
	var q Question
	if err := json.Unmarshal([]byte(open.Question), &q); err != nil {
		return nil, fmt.Errorf("delphi: meeting %d item %s: question: %w", m.ID, open.ItemID, err)
	}
	ai := &AttendeeItem{Item: open.ItemID, Question: q, Options: VoteOptions(st.Def, q)}
	if it, ok := st.Def.Item(open.ItemID); ok {
		ai.Label = it.Label
	}
	if ai.Mine, err = s.st.MyVote(ctx, m.ID, open.ItemID, att.ID); err != nil {
		return nil, err
	}
	v.Open = ai
	return v, nil
}

var errUnknownCode = Errorf(ENotFound, "code", "no meeting has this code: check it against the screen")

// AttendeeOf checks an attendee token (signature, expiry). The meeting's state is checked by
// each use.
func (s *Service) AttendeeOf(token string) (auth.Attendee, error) {
	a, err := s.signer.ParseAttendee(token)
	switch {
	case errors.Is(err, auth.ErrExpired):
		return a, Errorf(EGone, "", "your place at this meeting has expired; join again with the code")
	case err != nil:
		return a, Errorf(EUnauthorized, "", "join the meeting with the code on the screen first")
	}
	return a, nil
}

// Pulse is what the presenter's screen follows live: the meeting's state, the open vote and
// how many votes it has (never their split), who joined.
type Pulse struct {
	Meeting   int64  `json:"meeting"`
	State     string `json:"state"`
	JoinOpen  bool   `json:"join_open"`
	JoinCode  string `json:"join_code"`
	Attendees int    `json:"attendees"`
	Open      string `json:"open"`
	VotesCast int    `json:"votes_cast"`
	Closed    int    `json:"closed"` // items voted on: a change tells the screen to show the result
}

// MeetingPulse reads a meeting's pulse. Access was checked when the stream began (Meeting).
func (s *Service) MeetingPulse(ctx context.Context, id int64) (Pulse, error) {
	m, err := s.st.Meeting(ctx, id)
	if err != nil {
		return Pulse{}, notFound(err, "meeting %d does not exist", id)
	}
	p := Pulse{Meeting: id, State: m.State, JoinOpen: m.JoinOpen, JoinCode: m.JoinCode}
	groups, err := s.st.AttendeeGroups(ctx, id)
	if err != nil {
		return p, err
	}
	for _, g := range groups {
		p.Attendees += g.N
	}
	items, err := s.st.MeetingItems(ctx, id)
	if err != nil {
		return p, err
	}
	for _, it := range items {
		switch it.State {
		case ItemOpen:
			p.Open = it.ItemID
			if p.VotesCast, err = s.st.VotesCast(ctx, id, it.ItemID); err != nil {
				return p, err
			}
		case ItemClosed:
			p.Closed++
		}
	}
	return p, nil
}

// MeetingReport is the record of a meeting: attendees by group (never by name), and each item's
// question, counts and result. It carries no join code and nothing that names a voter.
type MeetingReport struct {
	Meeting    int64  `json:"meeting"`
	Study      int64  `json:"study"`
	StudyTitle string `json:"study_title"`
	Title      string `json:"title"`
	Date       string `json:"date"`
	Place      string `json:"place"`
	State      string `json:"state"`
	Attendees  int    `json:"attendees"`
	// AttendeeGroups are the groups with at least MinGroupSize attendees, less any whose
	// removal would let a smaller one be deduced; OtherAttendees is the rest together (0 or at
	// least MinGroupSize), HiddenGroups how many groups they are.
	AttendeeGroups map[string]int    `json:"attendee_groups"`
	OtherAttendees int               `json:"other_attendees"`
	HiddenGroups   int               `json:"hidden_groups"`
	Rule           survey.Meeting    `json:"rule"`
	RuleHash       string            `json:"rule_hash"`
	MinGroupSize   int               `json:"min_group_size"`
	Items          []MeetingItemView `json:"items"`
}

// Report returns a meeting's record; the caller audits the download.
func (s *Service) Report(ctx context.Context, a Actor, id int64) (*MeetingReport, error) {
	m, _, err := s.meetingFor(ctx, a, id, false)
	if err != nil {
		return nil, err
	}
	return s.reportOf(ctx, m)
}

// StudyMeetingReports returns the records of a study's meetings, oldest first, for the study's
// exports and methods text (the route names the study: its guard checked access).
func (s *Service) StudyMeetingReports(ctx context.Context, studyID int64) ([]*MeetingReport, error) {
	ms, err := s.st.StudyMeetings(ctx, studyID)
	if err != nil {
		return nil, err
	}
	out := make([]*MeetingReport, 0, len(ms))
	for i := len(ms) - 1; i >= 0; i-- {
		r, err := s.reportOf(ctx, ms[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// MeetingsPrint fingerprints what the records of a study's meetings hold (meetings, lists,
// votes closed, attendees), cheaply: cached exports and pages that include them are keyed by it.
func (s *Service) MeetingsPrint(ctx context.Context, studyID int64) (uint64, error) {
	// Kept against the store's Meta (the staff's meeting writes) and Votes (attendees' joins
	// and votes): a room reloading a summary reads no meeting rows, while a panel saves answers
	// too.
	meta, votes := s.st.Meta(), s.st.Votes()
	if c, ok := s.meetingPrints.Get(studyID); ok && c.meta == meta && c.votes == votes {
		return c.print, nil
	}
	p, err := s.meetingsPrint(ctx, studyID)
	if err == nil {
		s.meetingPrints.Put(studyID, cachedPrint{meta: meta, votes: votes, print: p})
	}
	return p, err
}

// cachedPrint is a fingerprint read when the store's Meta and Votes were meta and votes.
type cachedPrint struct {
	meta, votes, print uint64
}

func (s *Service) meetingsPrint(ctx context.Context, studyID int64) (uint64, error) {
	ms, err := s.st.StudyMeetings(ctx, studyID)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	h := fnv.New64a()
	for _, m := range ms {
		fmt.Fprintf(h, "%d|%s|%s|%s|%s\n", m.ID, m.Title, m.Date, m.Place, m.State)
		items, err := s.st.MeetingItems(ctx, m.ID)
		if err != nil {
			return 0, err
		}
		for _, it := range items {
			fmt.Fprintf(h, "%s|%s|%d|%s\n", it.ItemID, it.State, it.DecisionID, it.Question)
		}
		groups, err := s.st.AttendeeGroups(ctx, m.ID)
		if err != nil {
			return 0, err
		}
		for _, g := range groups {
			fmt.Fprintf(h, "%s=%d\n", g.GroupID, g.N)
		}
	}
	return h.Sum64(), nil
}

func (s *Service) reportOf(ctx context.Context, m store.Meeting) (*MeetingReport, error) {
	v, err := s.meetingView(ctx, m)
	if err != nil {
		return nil, err
	}
	st, err := s.Study(ctx, v.StudyID)
	if err != nil {
		return nil, err
	}
	rb, _ := json.Marshal(v.Rule) // hashed as RecordMeetingVote hashes it
	sum := sha256.Sum256(rb)
	r := &MeetingReport{Meeting: v.ID, Study: v.StudyID, StudyTitle: st.Title, Title: v.Title, Date: v.Date, Place: v.Place,
		State: v.State, Attendees: v.Attendees, AttendeeGroups: map[string]int{}, Rule: v.Rule, RuleHash: hex.EncodeToString(sum[:]),
		MinGroupSize: v.MinGroupSize, Items: v.Items}
	ids := slices.Sorted(maps.Keys(v.AttendeeGroups))
	sizes := make([][]int, len(ids))
	for i, g := range ids {
		sizes[i] = []int{v.AttendeeGroups[g]}
	}
	hide := suppress(sizes, []int{v.Attendees}, v.MinGroupSize, nil)
	for i, g := range ids {
		if hide[i] {
			r.OtherAttendees += v.AttendeeGroups[g]
			r.HiddenGroups++
		} else {
			r.AttendeeGroups[g] = v.AttendeeGroups[g]
		}
	}
	return r, nil
}

// AuditMeetingExport records a download of a meeting's record.
func (s *Service) AuditMeetingExport(ctx context.Context, a Actor, r *MeetingReport, file string) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(a.String(), "meeting.export", r.Study, fmt.Sprintf(`{"meeting":%d,"file":%q}`, r.Meeting, file))
	})
}

// Brief is what the presenter's screen shows of an item: its history over the rounds, for the
// whole panel and per stakeholder group, its placement and a few comments.
type Brief struct {
	Rounds []BriefRound `json:"rounds"`
	// Groups are the stakeholder groups that rated the item in some round, in the definition's
	// order, each with a cell per round of Rounds. A group is withheld from a round as the
	// snapshot's disclosure rule withholds it (fewer than MinGroupSize, or deducible).
	Groups       []BriefGroup       `json:"groups"`
	MinGroupSize int                `json:"min_group_size"`
	Placement    *outcome.Placement `json:"placement"`
	Comments     []string           `json:"comments"`
}

// BriefRound is one round that asked the item.
type BriefRound struct {
	Round     int      `json:"round"`
	NRated    int      `json:"n_rated"`
	PctHigh   *float64 `json:"pct_high"`
	Class     string   `json:"class"`
	Threshold int      `json:"threshold"`
}

// BriefGroup is one group's results, a cell per round of the brief.
type BriefGroup struct {
	ID    string      `json:"id"`
	Cells []BriefCell `json:"cells"`
}

// BriefCell is a group's result in a round. Withheld says why it is not shown (Small: fewer
// than MinGroupSize ratings; Deducible: hidden so that a small one cannot be deduced), and then
// NRated and PctHigh are zero.
type BriefCell struct {
	NRated   int      `json:"n_rated"`
	PctHigh  *float64 `json:"pct_high"`
	Withheld string   `json:"withheld,omitempty"`
}

// Why a group's cell is withheld.
const (
	WithheldSmall     = "small"
	WithheldDeducible = "deducible"
)

// maxBriefComments bounds the comments on a screen: a room reads three, not thirty.
const maxBriefComments = 3

// ItemBrief builds an item's brief from the study's outcome.
func ItemBrief(so *StudyOutcome, item string) Brief {
	def := so.Study.Def
	b := Brief{MinGroupSize: minGroup(def)}
	var e *outcome.Entry
	for i := range so.Entries {
		if so.Entries[i].Item == item {
			e = &so.Entries[i]
		}
	}
	if e == nil {
		return b
	}
	b.Placement = e.Placement
	ids := map[int]string{}
	for _, h := range e.History {
		ids[h.Round] = cmp.Or(h.Item, item)
	}
	cells := map[string][]BriefCell{}
	rated := map[string]bool{}
	var last *Snapshot
	var lastID string
	for _, sn := range so.Snapshots {
		id, ok := ids[sn.Round]
		if !ok {
			continue
		}
		res := sn.Result.Items.Get(id)
		if res == nil {
			continue
		}
		b.Rounds = append(b.Rounds, BriefRound{Round: sn.Round, NRated: res.NRated, PctHigh: res.PctHigh, Class: string(res.Comet),
			Threshold: sn.Rule.In.HighAtLeast})
		last, lastID = sn, id
		shown := sn.Disclosed(b.MinGroupSize) // the deck's rule, so the screen shows no more than the slides
		for _, g := range def.Groups {
			raw := res.Groups.Get(g.ID)
			c := BriefCell{}
			switch {
			case raw == nil || raw.NRated == 0:
			case shown.Disclosure.Withheld(id, g.ID) && raw.NRated < b.MinGroupSize:
				c.Withheld, rated[g.ID] = WithheldSmall, true
			case shown.Disclosure.Withheld(id, g.ID):
				c.Withheld, rated[g.ID] = WithheldDeducible, true
			default:
				c.NRated, c.PctHigh, rated[g.ID] = raw.NRated, raw.PctHigh, true
			}
			cells[g.ID] = append(cells[g.ID], c)
		}
	}
	for _, g := range def.Groups {
		if rated[g.ID] {
			b.Groups = append(b.Groups, BriefGroup{ID: g.ID, Cells: cells[g.ID]})
		}
	}
	if last != nil {
		cs := last.Comments[lastID]
		b.Comments = cs[:min(len(cs), maxBriefComments)]
	}
	return b
}

// Screen is the presenter's screen of a meeting: the meeting, and the item shown with its brief.
type Screen struct {
	Meeting *MeetingView
	Study   *Study
	Item    *MeetingItemView // nil when the list is empty
	Index   int              // of Item in Meeting.Items
	Brief   Brief
}

// MeetingScreen builds the presenter's screen for one item of a meeting ("" for the item whose
// vote is open, else the first not yet voted on, else the last).
func (s *Service) MeetingScreen(ctx context.Context, a Actor, id int64, item string) (*Screen, error) {
	v, err := s.Meeting(ctx, a, id)
	if err != nil {
		return nil, err
	}
	so, err := s.Outcome(ctx, v.StudyID)
	if err != nil {
		return nil, err
	}
	sc := &Screen{Meeting: v, Study: so.Study, Index: -1}
	if item == "" {
		item = v.Open
	}
	for i, it := range v.Items {
		if item == "" && it.State == ItemWaiting {
			item = it.Item
		}
		if it.Item == item {
			sc.Index = i
		}
	}
	if sc.Index < 0 && item != "" {
		return nil, Errorf(ENotFound, "item", "item %q is not on this meeting's list", item)
	}
	if sc.Index < 0 && len(v.Items) > 0 {
		sc.Index = len(v.Items) - 1
	}
	if sc.Index >= 0 {
		sc.Item = &v.Items[sc.Index]
		sc.Brief = ItemBrief(so, sc.Item.Item)
	}
	return sc, nil
}

// MeetingGroups returns the stakeholder groups of the study whose meeting has this join code
// (for the join form's choices); not found for an unknown code.
func (s *Service) MeetingGroups(ctx context.Context, code string) ([]survey.Group, error) {
	m, err := s.st.MeetingByCode(ctx, NormalizeCode(code))
	if err != nil {
		return nil, notFound(err, "no meeting has this code")
	}
	st, err := s.Study(ctx, m.StudyID)
	if err != nil {
		return nil, err
	}
	return st.Def.Groups, nil
}

// MeetingDefinition returns the definition of a meeting's study (option labels).
func (s *Service) MeetingDefinition(ctx context.Context, id int64) (*survey.Definition, error) {
	m, err := s.st.Meeting(ctx, id)
	if err != nil {
		return nil, notFound(err, "meeting %d does not exist", id)
	}
	st, err := s.Study(ctx, m.StudyID)
	if err != nil {
		return nil, err
	}
	return st.Def, nil
}

// runningMeeting reads a meeting in a write transaction and refuses one that has ended with
// msg (what can no longer change): every change of a meeting's list, votes or attendees.
func runningMeeting(tx *store.Tx, id int64, msg string) (store.Meeting, error) {
	m, err := tx.Meeting(id)
	if err == nil && m.State == MeetingEnded {
		err = Errorf(EConflict, "", "%s", msg)
	}
	return m, err
}
