package store

import (
	"context"
	"fmt"
)

// Meeting is a consensus meeting of a study.
type Meeting struct {
	ID        int64  `db:"id"`
	StudyID   int64  `db:"study_id"`
	Title     string `db:"title"`
	Date      string `db:"date"`
	Place     string `db:"place"`
	JoinCode  string `db:"join_code"`
	JoinOpen  bool   `db:"join_open"`
	State     string `db:"state"` // running, ended
	CreatedBy int64  `db:"created_by"`
	CreatedAt string `db:"created_at"`
	EndedAt   string `db:"ended_at"`
}

const meetingCols = `id, study_id, title, date, place, join_code, join_open, state, COALESCE(created_by, 0) AS created_by,
	created_at, COALESCE(ended_at, '') AS ended_at`

// MeetingItem is an item on a meeting's list.
type MeetingItem struct {
	MeetingID  int64  `db:"meeting_id"`
	ItemID     string `db:"item_id"`
	Position   int    `db:"position"`
	State      string `db:"state"` // waiting, open, closed
	Question   string `db:"question"`
	OpenedAt   string `db:"opened_at"`
	ClosedAt   string `db:"closed_at"`
	DecisionID int64  `db:"decision_id"`
}

const meetingItemCols = `meeting_id, item_id, position, state, question, COALESCE(opened_at, '') AS opened_at,
	COALESCE(closed_at, '') AS closed_at, COALESCE(decision_id, 0) AS decision_id`

// Attendee is someone who joined a meeting.
type Attendee struct {
	ID         int64  `db:"id"`
	MeetingID  int64  `db:"meeting_id"`
	Name       string `db:"name"`
	GroupID    string `db:"group_id"`
	PanelistID int64  `db:"panelist_id"`
	JoinedAt   string `db:"joined_at"`
}

const attendeeCols = `id, meeting_id, name, group_id, COALESCE(panelist_id, 0) AS panelist_id, joined_at`

// VoteCount is the number of votes for one option from one group.
type VoteCount struct {
	GroupID string `db:"group_id"`
	Option  string `db:"option"`
	N       int    `db:"n"`
}

// GroupCount is a number of attendees of one group.
type GroupCount struct {
	GroupID string `db:"group_id"`
	N       int    `db:"n"`
}

// CreateMeeting adds a meeting; its join code may be empty (joining closed).
func (tx *Tx) CreateMeeting(m Meeting) (int64, error) {
	return tx.insert("create meeting", `INSERT INTO meetings (study_id, title, date, place, join_code, state, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, 'running', NULLIF(?, 0), ?)`, m.StudyID, m.Title, m.Date, m.Place, m.JoinCode, m.CreatedBy, tx.now)
}

// Meeting reads a meeting.
func (tx *Tx) Meeting(id int64) (Meeting, error) { return meeting(tx.ctx, tx.tx, id) }

// Meeting reads a meeting.
func (s *Store) Meeting(ctx context.Context, id int64) (Meeting, error) { return meeting(ctx, s.r, id) }

func meeting(ctx context.Context, db q, id int64) (Meeting, error) {
	var m Meeting
	err := get(ctx, db, "meeting", &m, `SELECT `+meetingCols+` FROM meetings WHERE id = ?`, id)
	return m, err
}

// MeetingByCode finds the meeting with a join code (open to attendees or not).
func (s *Store) MeetingByCode(ctx context.Context, code string) (Meeting, error) {
	var m Meeting
	err := get(ctx, s.r, "meeting by code", &m, `SELECT `+meetingCols+` FROM meetings WHERE join_code = ?`, code)
	return m, err
}

// StudyMeetings lists a study's meetings, newest first.
func (s *Store) StudyMeetings(ctx context.Context, studyID int64) ([]Meeting, error) {
	var out []Meeting
	err := sel(ctx, s.r, "study meetings", &out, `SELECT `+meetingCols+` FROM meetings WHERE study_id = ? ORDER BY id DESC`, studyID)
	return out, err
}

// SetJoin sets a meeting's join code and whether it takes attendees.
func (tx *Tx) SetJoin(id int64, code string, open bool) error {
	_, err := tx.exec("set join", `UPDATE meetings SET join_code = ?, join_open = ? WHERE id = ?`, code, open, id)
	return err
}

// EndMeeting ends a meeting and closes joining.
func (tx *Tx) EndMeeting(id int64) error {
	_, err := tx.exec("end meeting", `UPDATE meetings SET state = 'ended', ended_at = ?, join_open = 0 WHERE id = ?`, tx.now, id)
	return err
}

// MeetingItems lists a meeting's items in order.
func (tx *Tx) MeetingItems(id int64) ([]MeetingItem, error) { return meetingItems(tx.ctx, tx.tx, id) }

// MeetingItems lists a meeting's items in order.
func (s *Store) MeetingItems(ctx context.Context, id int64) ([]MeetingItem, error) {
	return meetingItems(ctx, s.r, id)
}

func meetingItems(ctx context.Context, db q, id int64) ([]MeetingItem, error) {
	var out []MeetingItem
	err := sel(ctx, db, "meeting items", &out, `SELECT `+meetingItemCols+` FROM meeting_items WHERE meeting_id = ? ORDER BY position`, id)
	return out, err
}

// SetMeetingItems makes ids the meeting's list, in order. Items voted on or being voted on must
// be among them (the caller checks); waiting items not listed leave the list.
func (tx *Tx) SetMeetingItems(id int64, ids []string) error {
	if _, err := tx.exec("clear meeting items", `DELETE FROM meeting_items WHERE meeting_id = ? AND state = 'waiting'`, id); err != nil {
		return err
	}
	for i, it := range ids {
		if _, err := tx.exec("set meeting item", `INSERT INTO meeting_items (meeting_id, item_id, position) VALUES (?, ?, ?)
			ON CONFLICT (meeting_id, item_id) DO UPDATE SET position = excluded.position`, id, it, i+1); err != nil {
			return err
		}
	}
	return nil
}

// OpenMeetingItem opens the vote on a waiting item with the question put.
func (tx *Tx) OpenMeetingItem(id int64, item, question string) error {
	n, err := tx.exec("open meeting item", `UPDATE meeting_items SET state = 'open', question = ?, opened_at = ?
		WHERE meeting_id = ? AND item_id = ? AND state = 'waiting'`, question, tx.now, id, item)
	if err == nil && n == 0 {
		err = fmt.Errorf("store: open meeting item: %w", ErrConflict)
	}
	return err
}

// CloseMeetingItem closes an open vote, records its decision, and unties the votes from their
// attendees.
func (tx *Tx) CloseMeetingItem(id int64, item string, decisionID int64) error {
	n, err := tx.exec("close meeting item", `UPDATE meeting_items SET state = 'closed', closed_at = ?, decision_id = ?
		WHERE meeting_id = ? AND item_id = ? AND state = 'open'`, tx.now, decisionID, id, item)
	if err == nil && n == 0 {
		err = fmt.Errorf("store: close meeting item: %w", ErrConflict)
	}
	if err != nil {
		return err
	}
	_, err = tx.exec("anonymise votes", `UPDATE meeting_votes SET attendee_id = NULL WHERE meeting_id = ? AND item_id = ?`, id, item)
	return err
}

// AddAttendee records someone joining a meeting.
func (tx *Tx) AddAttendee(a Attendee) (int64, error) {
	return tx.insert("add attendee", `INSERT INTO meeting_attendees (meeting_id, name, group_id, panelist_id, joined_at)
		VALUES (?, ?, ?, NULLIF(?, 0), ?)`, a.MeetingID, a.Name, a.GroupID, a.PanelistID, tx.now)
}

// Attendee reads an attendee.
func (s *Store) Attendee(ctx context.Context, id int64) (Attendee, error) {
	var a Attendee
	err := get(ctx, s.r, "attendee", &a, `SELECT `+attendeeCols+` FROM meeting_attendees WHERE id = ?`, id)
	return a, err
}

// Attendees lists a meeting's attendees, in the order they joined.
func (s *Store) Attendees(ctx context.Context, id int64) ([]Attendee, error) {
	var out []Attendee
	err := sel(ctx, s.r, "attendees", &out, `SELECT `+attendeeCols+` FROM meeting_attendees WHERE meeting_id = ? ORDER BY id`, id)
	return out, err
}

// RemoveAttendee removes an attendee of a meeting and their votes still tied to them (those
// of a vote still open; a closed vote's are no longer tied to anyone, and stay). It returns
// the number of votes dropped; ErrNotFound when the meeting has no such attendee.
func (tx *Tx) RemoveAttendee(id, attendee int64) (int64, error) {
	dropped, err := tx.exec("drop attendee's votes", `DELETE FROM meeting_votes WHERE meeting_id = ? AND attendee_id = ?`, id, attendee)
	if err != nil {
		return 0, err
	}
	n, err := tx.exec("remove attendee", `DELETE FROM meeting_attendees WHERE meeting_id = ? AND id = ?`, id, attendee)
	if err == nil && n == 0 {
		err = fmt.Errorf("store: remove attendee %d of meeting %d: %w", attendee, id, ErrNotFound)
	}
	return dropped, err
}

// AttendeeGroups counts a meeting's attendees per group.
func (s *Store) AttendeeGroups(ctx context.Context, id int64) ([]GroupCount, error) {
	var out []GroupCount
	err := sel(ctx, s.r, "attendee groups", &out, `SELECT group_id, COUNT(*) AS n FROM meeting_attendees
		WHERE meeting_id = ? GROUP BY group_id ORDER BY group_id`, id)
	return out, err
}

// MeetingVotes counts an item's votes per group and option.
func (tx *Tx) MeetingVotes(id int64, item string) ([]VoteCount, error) {
	return meetingVotes(tx.ctx, tx.tx, id, item)
}

// MeetingVotes counts an item's votes per group and option.
func (s *Store) MeetingVotes(ctx context.Context, id int64, item string) ([]VoteCount, error) {
	return meetingVotes(ctx, s.r, id, item)
}

func meetingVotes(ctx context.Context, db q, id int64, item string) ([]VoteCount, error) {
	var out []VoteCount
	err := sel(ctx, db, "meeting votes", &out, `SELECT group_id, option, COUNT(*) AS n FROM meeting_votes
		WHERE meeting_id = ? AND item_id = ? GROUP BY group_id, option ORDER BY group_id, option`, id, item)
	return out, err
}

// VotesCast counts the votes cast on an item (every option, abstentions too).
func (s *Store) VotesCast(ctx context.Context, id int64, item string) (int, error) {
	var n int
	err := get(ctx, s.r, "votes cast", &n, `SELECT COUNT(*) FROM meeting_votes WHERE meeting_id = ? AND item_id = ?`, id, item)
	return n, err
}

// VoteTx is a unit of an attendee's vote: it may read the meeting, its item and the attendee,
// and write the vote and its audit entry, nothing else. Like AnswerTx it leaves Meta unchanged,
// so a room voting keeps every other cache.
type VoteTx struct{ tx *Tx }

// InVoteTx is InTx for a unit that writes only a vote (VoteTx).
func (s *Store) InVoteTx(ctx context.Context, fn func(*VoteTx) error) error {
	return s.enqueue(writeReq{ctx: ctx, fn: func(tx *Tx) error { return fn(&VoteTx{tx}) }, done: make(chan error, 1), answers: true, votes: true})
}

// Meeting reads a meeting.
func (v *VoteTx) Meeting(id int64) (Meeting, error) { return v.tx.Meeting(id) }

// OpenItem returns the meeting's item whose vote is open, or ErrNotFound.
func (v *VoteTx) OpenItem(id int64) (MeetingItem, error) {
	var it MeetingItem
	err := get(v.tx.ctx, v.tx.tx, "open meeting item", &it, `SELECT `+meetingItemCols+` FROM meeting_items
		WHERE meeting_id = ? AND state = 'open'`, id)
	return it, err
}

// MeetingItem reads one item of a meeting.
func (v *VoteTx) MeetingItem(id int64, item string) (MeetingItem, error) {
	var it MeetingItem
	err := get(v.tx.ctx, v.tx.tx, "meeting item", &it, `SELECT `+meetingItemCols+` FROM meeting_items
		WHERE meeting_id = ? AND item_id = ?`, id, item)
	return it, err
}

// AddAttendee records someone joining a meeting.
func (v *VoteTx) AddAttendee(a Attendee) (int64, error) { return v.tx.AddAttendee(a) }

// Attendee reads an attendee.
func (v *VoteTx) Attendee(id int64) (Attendee, error) {
	var a Attendee
	err := get(v.tx.ctx, v.tx.tx, "attendee", &a, `SELECT `+attendeeCols+` FROM meeting_attendees WHERE id = ?`, id)
	return a, err
}

// PutVote records an attendee's vote on an item, replacing their earlier one.
func (v *VoteTx) PutVote(meetingID int64, item string, attendeeID int64, group, option string) error {
	_, err := v.tx.exec("put vote", `INSERT INTO meeting_votes (meeting_id, item_id, attendee_id, group_id, option) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (meeting_id, item_id, attendee_id) DO UPDATE SET option = excluded.option`, meetingID, item, attendeeID, group, option)
	return err
}

// Audit records an entry of the audit log; see Tx.Audit.
func (v *VoteTx) Audit(actor, action string, studyID int64, detail string) error {
	return v.tx.Audit(actor, action, studyID, detail)
}

// OpenMeetingItem returns the meeting's item whose vote is open, or ErrNotFound.
func (s *Store) OpenMeetingItem(ctx context.Context, id int64) (MeetingItem, error) {
	var it MeetingItem
	err := get(ctx, s.r, "open meeting item", &it, `SELECT `+meetingItemCols+` FROM meeting_items
		WHERE meeting_id = ? AND state = 'open'`, id)
	return it, err
}

// MyVote returns an attendee's vote on an open item ("" for none).
func (s *Store) MyVote(ctx context.Context, id int64, item string, attendee int64) (string, error) {
	var o []string
	err := sel(ctx, s.r, "my vote", &o, `SELECT option FROM meeting_votes WHERE meeting_id = ? AND item_id = ? AND attendee_id = ?`, id, item, attendee)
	if len(o) == 0 {
		return "", err
	}
	return o[0], err
}
