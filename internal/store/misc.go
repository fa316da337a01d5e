package store

import (
	"context"
	"fmt"
)

// Invitation is an issued invite link (the token itself is not stored; its jti is the id).
type Invitation struct {
	ID         string `db:"id"`
	StudyID    int64  `db:"study_id"`
	PanelistID int64  `db:"panelist_id"`
	IssuedAt   string `db:"issued_at"`
	ExpiresAt  string `db:"expires_at"`
	RevokedAt  string `db:"revoked_at"`
	OpenedAt   string `db:"opened_at"` // the first request the link authenticated; "" before
}

const invitationCols = `id, study_id, panelist_id, issued_at, expires_at, COALESCE(revoked_at, '') AS revoked_at,
	COALESCE(opened_at, '') AS opened_at`

// IssueInvitation revokes a panelist's live invitations and records a new one: re-issuing a link
// makes the old one stop working.
func (tx *Tx) IssueInvitation(inv Invitation, by int64) error {
	if _, err := tx.exec("revoke old invitations", `UPDATE invitations SET revoked_at = ? WHERE panelist_id = ? AND revoked_at IS NULL`,
		tx.now, inv.PanelistID); err != nil {
		return err
	}
	_, err := tx.exec("issue invitation", `INSERT INTO invitations (id, study_id, panelist_id, issued_at, issued_by, expires_at)
		VALUES (?, ?, ?, ?, NULLIF(?, 0), ?)`, inv.ID, inv.StudyID, inv.PanelistID, tx.now, by, inv.ExpiresAt)
	return err
}

// RevokeInvitation revokes one invitation; 0 rows when unknown or already revoked.
func (tx *Tx) RevokeInvitation(id string) (int64, error) {
	return tx.exec("revoke invitation", `UPDATE invitations SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, tx.now, id)
}

// RevokePanelistInvitations revokes every live invitation of a panelist.
func (tx *Tx) RevokePanelistInvitations(panelistID int64) error {
	_, err := tx.exec("revoke invitations", `UPDATE invitations SET revoked_at = ? WHERE panelist_id = ? AND revoked_at IS NULL`, tx.now, panelistID)
	return err
}

// Invitation reads one invitation by its jti.
func (s *Store) Invitation(ctx context.Context, id string) (Invitation, error) {
	var inv Invitation
	err := get(ctx, s.r, "invitation", &inv, `SELECT `+invitationCols+` FROM invitations WHERE id = ?`, id)
	return inv, err
}

// Invitation reads one invitation inside the transaction.
func (tx *Tx) Invitation(id string) (Invitation, error) {
	var inv Invitation
	err := get(tx.ctx, tx.tx, "invitation", &inv, `SELECT `+invitationCols+` FROM invitations WHERE id = ?`, id)
	return inv, err
}

// Invitations lists a study's invitations, newest first.
func (s *Store) Invitations(ctx context.Context, studyID int64) ([]Invitation, error) {
	var out []Invitation
	err := sel(ctx, s.r, "invitations", &out, `SELECT `+invitationCols+` FROM invitations WHERE study_id = ? ORDER BY issued_at DESC`, studyID)
	return out, err
}

// Suggestion is a new item proposed by a panelist.
type Suggestion struct {
	ID         int64  `db:"id"`
	StudyID    int64  `db:"study_id"`
	RoundID    int64  `db:"round_id"`
	PanelistID int64  `db:"panelist_id"`
	Label      string `db:"label"`
	Rationale  string `db:"rationale"`
	CreatedAt  string `db:"created_at"`
	Status     string `db:"status"`
	ItemID     string `db:"item_id"`
	SectionID  string `db:"section_id"`
	Note       string `db:"note"`
	DecidedAt  string `db:"decided_at"`
}

const suggestionCols = `id, study_id, round_id, panelist_id, label, rationale, created_at, status, item_id, section_id, note, COALESCE(decided_at, '') AS decided_at`

// AddSuggestion stores a suggestion.
func (tx *Tx) AddSuggestion(sg Suggestion) (int64, error) {
	return tx.insert("add suggestion", `INSERT INTO suggestions (study_id, round_id, panelist_id, label, rationale, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sg.StudyID, sg.RoundID, sg.PanelistID, sg.Label, sg.Rationale, tx.now)
}

// DecideSuggestion records a triage decision.
func (tx *Tx) DecideSuggestion(studyID, id int64, status, itemID, sectionID, note string, by int64) (int64, error) {
	return tx.exec("decide suggestion", `UPDATE suggestions SET status = ?, item_id = ?, section_id = ?, note = ?, decided_by = NULLIF(?, 0), decided_at = ?
		WHERE id = ? AND study_id = ?`, status, itemID, sectionID, note, by, tx.now, id, studyID)
}

// Suggestions lists a study's suggestions.
func (s *Store) Suggestions(ctx context.Context, studyID int64) ([]Suggestion, error) {
	return suggestions(ctx, s.r, studyID)
}

// Suggestions lists a study's suggestions inside the transaction.
func (tx *Tx) Suggestions(studyID int64) ([]Suggestion, error) {
	return suggestions(tx.ctx, tx.tx, studyID)
}

func suggestions(ctx context.Context, db q, studyID int64) ([]Suggestion, error) {
	var out []Suggestion
	err := sel(ctx, db, "suggestions", &out, `SELECT `+suggestionCols+` FROM suggestions WHERE study_id = ? ORDER BY id`, studyID)
	return out, err
}

// PanelistSuggestions lists what one panelist suggested.
func (s *Store) PanelistSuggestions(ctx context.Context, panelistID int64) ([]Suggestion, error) {
	var out []Suggestion
	err := sel(ctx, s.r, "suggestions", &out, `SELECT `+suggestionCols+` FROM suggestions WHERE panelist_id = ? ORDER BY id`, panelistID)
	return out, err
}

// PutSnapshot stores a round's snapshot; a round has one, written once.
func (tx *Tx) PutSnapshot(roundID int64, result []byte) error {
	_, err := tx.exec("store snapshot", `INSERT INTO snapshots (round_id, computed_at, result) VALUES (?, ?, ?)`, roundID, tx.now, result)
	return err
}

// Snapshot reads a round's snapshot JSON.
func (s *Store) Snapshot(ctx context.Context, roundID int64) ([]byte, error) {
	var b []byte
	err := get(ctx, s.r, fmt.Sprintf("snapshot of round %d", roundID), &b, `SELECT result FROM snapshots WHERE round_id = ?`, roundID)
	return b, err
}

// Snapshot reads a round's snapshot JSON inside the transaction.
func (tx *Tx) Snapshot(roundID int64) ([]byte, error) {
	var b []byte
	err := get(tx.ctx, tx.tx, fmt.Sprintf("snapshot of round %d", roundID), &b, `SELECT result FROM snapshots WHERE round_id = ?`, roundID)
	return b, err
}

// Message is an email in the outbox.
type Message struct {
	ID         int64  `db:"id"`
	StudyID    int64  `db:"study_id"`
	PanelistID int64  `db:"panelist_id"`
	RoundID    int64  `db:"round_id"`
	Kind       string `db:"kind"`
	To         string `db:"to_addr"`
	Subject    string `db:"subject"`
	Body       string `db:"body"`
	CreatedAt  string `db:"created_at"`
	SentAt     string `db:"sent_at"`
	Error      string `db:"error"`
}

const messageCols = `id, study_id, panelist_id, COALESCE(round_id, 0) AS round_id, kind, to_addr, subject, body, created_at,
	COALESCE(sent_at, '') AS sent_at, error`

// QueueMessage adds an email to the outbox.
func (tx *Tx) QueueMessage(m Message) (int64, error) {
	return tx.insert("queue message", `INSERT INTO outbox (study_id, panelist_id, round_id, kind, to_addr, subject, body, created_at)
		VALUES (?, ?, NULLIF(?, 0), ?, ?, ?, ?, ?)`, m.StudyID, m.PanelistID, m.RoundID, m.Kind, m.To, m.Subject, m.Body, tx.now)
}

// MarkMessage records the outcome of sending a message.
func (tx *Tx) MarkMessage(id int64, sent bool, errText string) error {
	var err error
	if sent {
		_, err = tx.exec("mark sent", `UPDATE outbox SET sent_at = ?, error = '' WHERE id = ?`, tx.now, id)
	} else {
		_, err = tx.exec("mark failed", `UPDATE outbox SET error = ?, attempts = attempts + 1 WHERE id = ?`, errText, id)
	}
	return err
}

// Outbox lists a study's messages, newest first.
func (s *Store) Outbox(ctx context.Context, studyID int64) ([]Message, error) {
	var out []Message
	err := sel(ctx, s.r, "outbox", &out, `SELECT `+messageCols+` FROM outbox WHERE study_id = ? ORDER BY id DESC`, studyID)
	return out, err
}

// MaxSendAttempts is how often a message is tried before it stays failed in the outbox.
const MaxSendAttempts = 5

// UnsentMessages lists messages not yet sent and not yet given up on.
func (s *Store) UnsentMessages(ctx context.Context, limit int) ([]Message, error) {
	var out []Message
	err := sel(ctx, s.r, "unsent messages", &out, `SELECT `+messageCols+` FROM outbox
		WHERE sent_at IS NULL AND attempts < ? ORDER BY id LIMIT ?`, MaxSendAttempts, limit)
	return out, err
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID      int64  `db:"id"`
	At      string `db:"at"`
	Actor   string `db:"actor"`
	Action  string `db:"action"`
	StudyID *int64 `db:"study_id"`
	Detail  string `db:"detail"`
}

// Audit appends to the audit log inside the transaction, so the record and the change commit together.
func (tx *Tx) Audit(actor, action string, studyID int64, detail string) error {
	_, err := tx.exec("audit", `INSERT INTO audit_log (at, actor, action, study_id, detail) VALUES (?, ?, ?, NULLIF(?, 0), ?)`,
		tx.now, actor, action, studyID, detail)
	return err
}

// AuditLog lists audit entries of a study (0: all), oldest first.
func (s *Store) AuditLog(ctx context.Context, studyID int64) ([]AuditEntry, error) {
	var out []AuditEntry
	var err error
	if studyID == 0 {
		err = sel(ctx, s.r, "audit log", &out, `SELECT id, at, actor, action, study_id, detail FROM audit_log ORDER BY id`)
	} else {
		err = sel(ctx, s.r, "audit log", &out, `SELECT id, at, actor, action, study_id, detail FROM audit_log WHERE study_id = ? ORDER BY id`, studyID)
	}
	return out, err
}

// PanelistInvitations lists a panelist's invitations, oldest first.
func (s *Store) PanelistInvitations(ctx context.Context, panelistID int64) ([]Invitation, error) {
	var out []Invitation
	err := sel(ctx, s.r, "panelist invitations", &out, `SELECT `+invitationCols+` FROM invitations WHERE panelist_id = ? ORDER BY issued_at, id`, panelistID)
	return out, err
}
