package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Answer is a panelist's answer to one item in one round. Rating is nil when not rated;
// Unable marks "unable to score".
type Answer struct {
	RoundID    int64  `db:"round_id"`
	PanelistID int64  `db:"panelist_id"`
	ItemID     string `db:"item_id"`
	Rating     *int   `db:"rating"`
	Unable     bool   `db:"unable"`
	Placement  string `db:"placement"`
	Comment    string `db:"comment"`
	Reason     string `db:"reason"`
	UpdatedAt  string `db:"updated_at"`
}

const answerCols = `round_id, panelist_id, item_id, rating, unable, placement, comment, reason, updated_at`

// upsertConflict is what an upsert of answers does to an existing answer: replace it whole.
const upsertConflict = `
		ON CONFLICT (round_id, panelist_id, item_id) DO UPDATE SET rating = excluded.rating, unable = excluded.unable,
		placement = excluded.placement, comment = excluded.comment, reason = excluded.reason, updated_at = excluded.updated_at`

// upsertChunk bounds the rows of one multi-row upsert (6 parameters each, far below SQLite's
// 32,766), so that a handful of statement texts serve every save size.
const upsertChunk = 64

// UpsertAnswers writes answers (insert or replace by round, panelist, item) with one multi-row
// statement per chunk and per round and panelist (a save has one of each): a 40-answer section
// is one statement, not 40, and the round, panelist and time are bound once, not per row (each
// bind is a cgo call, and the writer does this for every save). Statements are prepared once
// per connection and size (the driver's statement cache).
func (tx *Tx) UpsertAnswers(as []Answer) error {
	args := make([]any, 0, 3+6*min(len(as), upsertChunk))
	for len(as) > 0 {
		n := 1
		for n < min(len(as), upsertChunk) && as[n].RoundID == as[0].RoundID && as[n].PanelistID == as[0].PanelistID {
			n++
		}
		args = append(args[:0], as[0].RoundID, as[0].PanelistID, tx.now)
		for _, a := range as[:n] {
			args = append(args, a.ItemID, a.Rating, a.Unable, a.Placement, a.Comment, a.Reason)
		}
		if _, err := tx.tx.ExecContext(tx.ctx, upsertSQL(n), args...); err != nil {
			return fmt.Errorf("store: save %d answers: %w", n, mapErr(err))
		}
		as = as[n:]
	}
	return nil
}

// upsertSQL is the upsert of n answers of one round and panelist.
func upsertSQL(n int) string { return upsertSQLs[n] }

// upsertSQLs holds the statement text for 1..upsertChunk rows: ?1 round, ?2 panelist, ?3 time,
// then six per row. Built once: the writer picks one for every save.
var upsertSQLs = func() (texts [upsertChunk + 1]string) {
	for n := 1; n <= upsertChunk; n++ {
		var b strings.Builder
		b.WriteString(`INSERT INTO answers (` + answerCols + `) VALUES `)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			p := 4 + 6*i
			fmt.Fprintf(&b, "(?1, ?2, ?%d, ?%d, ?%d, ?%d, ?%d, ?%d, ?3)", p, p+1, p+2, p+3, p+4, p+5)
		}
		b.WriteString(upsertConflict)
		texts[n] = b.String()
	}
	return texts
}()

// Answers lists one panelist's answers to a round.
// It scans columns directly rather than through sqlx: every questionnaire view reads two rounds'.
func (s *Store) Answers(ctx context.Context, roundID, panelistID int64) ([]Answer, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT item_id, rating, unable, placement, comment, reason, updated_at
		FROM answers WHERE round_id = ? AND panelist_id = ?`, roundID, panelistID)
	if err != nil {
		return nil, fmt.Errorf("store: answers: %w", err)
	}
	defer rows.Close()
	var out []Answer
	var rating sql.NullInt64
	for rows.Next() {
		a := Answer{RoundID: roundID, PanelistID: panelistID}
		if err := rows.Scan(&a.ItemID, &rating, &a.Unable, &a.Placement, &a.Comment, &a.Reason, &a.UpdatedAt); err != nil {
			return nil, fmt.Errorf("store: answers: %w", err)
		}
		if rating.Valid {
			v := int(rating.Int64)
			a.Rating = &v
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: answers: %w", err)
	}
	return out, nil
}

// ScanAnswers calls fn for every answer of a round, in panelist order, inside the transaction.
// It scans columns directly: closing a round of 10,000 × 300 reads 3 million rows.
func (tx *Tx) ScanAnswers(roundID int64, fn func(a *Answer) error) error {
	return scanAnswers(tx.ctx, tx.tx, roundID, fn)
}

// ScanAnswers calls fn for every answer of a round on the read pool.
func (s *Store) ScanAnswers(ctx context.Context, roundID int64, fn func(a *Answer) error) error {
	return scanAnswers(ctx, s.r, roundID, fn)
}

func scanAnswers(ctx context.Context, db q, roundID int64, fn func(a *Answer) error) error {
	rows, err := db.QueryContext(ctx, `SELECT panelist_id, item_id, rating, unable, placement, comment, reason
		FROM answers WHERE round_id = ? ORDER BY panelist_id`, roundID)
	if err != nil {
		return fmt.Errorf("store: scan answers: %w", err)
	}
	defer rows.Close()
	var a Answer
	a.RoundID = roundID
	var rating sql.NullInt64
	for rows.Next() {
		if err := rows.Scan(&a.PanelistID, &a.ItemID, &rating, &a.Unable, &a.Placement, &a.Comment, &a.Reason); err != nil {
			return fmt.Errorf("store: scan answers: %w", err)
		}
		a.Rating = nil
		if rating.Valid {
			v := int(rating.Int64)
			a.Rating = &v
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan answers: %w", err)
	}
	return nil
}

// Submit records a panelist's submission of a round (idempotent: the first time stays).
func (tx *Tx) Submit(roundID, panelistID int64) error {
	_, err := tx.exec("submit", `INSERT OR IGNORE INTO submissions (round_id, panelist_id, submitted_at) VALUES (?, ?, ?)`,
		roundID, panelistID, tx.now)
	return err
}

// Submission is a panelist's submission of a round.
type Submission struct {
	PanelistID  int64  `db:"panelist_id"`
	SubmittedAt string `db:"submitted_at"`
}

// Submissions lists a round's submissions.
func (s *Store) Submissions(ctx context.Context, roundID int64) ([]Submission, error) {
	return submissions(ctx, s.r, roundID)
}

// Submissions lists a round's submissions inside the transaction.
func (tx *Tx) Submissions(roundID int64) ([]Submission, error) {
	return submissions(tx.ctx, tx.tx, roundID)
}

func submissions(ctx context.Context, db q, roundID int64) ([]Submission, error) {
	var out []Submission
	err := sel(ctx, db, "submissions", &out, `SELECT panelist_id, submitted_at FROM submissions WHERE round_id = ? ORDER BY panelist_id`, roundID)
	return out, err
}

// SubmittedAt returns when a panelist submitted a round, or "".
func (s *Store) SubmittedAt(ctx context.Context, roundID, panelistID int64) (string, error) {
	var out []string
	err := sel(ctx, s.r, "submission", &out, `SELECT submitted_at FROM submissions WHERE round_id = ? AND panelist_id = ?`, roundID, panelistID)
	if err != nil || len(out) == 0 {
		return "", err
	}
	return out[0], nil
}

// Activity is, per panelist of a round, how many answers they saved and whether they submitted.
type Activity struct {
	PanelistID int64  `db:"panelist_id"`
	Answered   int    `db:"answered"`
	Submitted  string `db:"submitted_at"`
	LastSaved  string `db:"last_saved"`

	// the panelist's current link (the newest not revoked; "" for none) and the latest email of
	// the round to them ("" for none)
	LinkIssued  string `db:"link_issued"`
	LinkExpires string `db:"link_expires"`
	LinkOpened  string `db:"link_opened"`
	Opened      string `db:"opened_at"` // the first use of a link while the round was open
	MailQueued  string `db:"mail_queued"`
	MailSent    string `db:"mail_sent"`
	MailError   string `db:"mail_error"`
}

// RoundActivity returns activity for every panelist invited to a round.
func (s *Store) RoundActivity(ctx context.Context, roundID int64) ([]Activity, error) {
	var out []Activity
	err := sel(ctx, s.r, "round activity", &out, `SELECT rp.panelist_id,
		(SELECT count(*) FROM answers a WHERE a.round_id = rp.round_id AND a.panelist_id = rp.panelist_id
			AND (a.rating IS NOT NULL OR a.unable = 1)) AS answered,
		COALESCE((SELECT max(a.updated_at) FROM answers a WHERE a.round_id = rp.round_id AND a.panelist_id = rp.panelist_id), '') AS last_saved,
		COALESCE(s.submitted_at, '') AS submitted_at, COALESCE(rp.opened_at, '') AS opened_at,
		COALESCE(i.issued_at, '') AS link_issued, COALESCE(i.expires_at, '') AS link_expires, COALESCE(i.opened_at, '') AS link_opened,
		COALESCE(m.created_at, '') AS mail_queued, COALESCE(m.sent_at, '') AS mail_sent, COALESCE(m.error, '') AS mail_error
		FROM round_panelists rp LEFT JOIN submissions s ON s.round_id = rp.round_id AND s.panelist_id = rp.panelist_id
		LEFT JOIN invitations i ON i.id = (SELECT id FROM invitations WHERE panelist_id = rp.panelist_id AND revoked_at IS NULL
			ORDER BY issued_at DESC, rowid DESC LIMIT 1)
		LEFT JOIN outbox m ON m.id = (SELECT max(id) FROM outbox WHERE round_id = rp.round_id AND panelist_id = rp.panelist_id)
		WHERE rp.round_id = ? ORDER BY rp.panelist_id`, roundID)
	return out, err
}

// SubmittedAnswers is one submitted panelist's answers to a round, as the close reads them: items
// by their position in the round (round_items.position). Its slices are reused from one call to
// the next.
type SubmittedAnswers struct {
	PanelistID int64
	Ratings    []ItemRating
	Placements []ItemText
	Comments   []ItemText
	Reasons    []ItemText
}

// ItemRating is an answer's rating: Rating is -1 when none was given (only text), Unable marks
// "unable to score".
type ItemRating struct {
	Position int
	Rating   int
	Unable   bool
}

// ItemText is a non-empty text answer to an item.
type ItemText struct {
	Position int
	Text     string
}

// scanSubmittedSQL packs each submitted panelist's answers into one row, so that closing a round
// of 10,000 × 300 moves 10,000 rows through the driver instead of 3 million. Per answer, the
// ratings string holds two code points, position+32 and a code+32 (1 unable, 2 no rating,
// 3+r rating r); placements are position+32 followed by the option, separated by U+001E (the
// options are identifiers); comments and reasons, rare and free text, come as JSON.
const scanSubmittedSQL = `SELECT a.panelist_id,
	group_concat(char(ri.position + 32, CASE WHEN a.unable THEN 33 WHEN a.rating IS NULL THEN 34 ELSE a.rating + 35 END), ''),
	COALESCE(group_concat(CASE WHEN a.placement <> '' THEN char(ri.position + 32) || a.placement END, char(30)), ''),
	COALESCE(json_group_array(json_array(ri.position, a.comment, a.reason)) FILTER (WHERE a.comment <> '' OR a.reason <> ''), '[]')
	FROM answers a
	JOIN submissions s ON s.round_id = a.round_id AND s.panelist_id = a.panelist_id
	JOIN round_items ri ON ri.round_id = a.round_id AND ri.item_id = a.item_id
	WHERE a.round_id = ?
	GROUP BY a.panelist_id
	ORDER BY a.panelist_id`

// ScanSubmitted calls fn for every panelist who submitted the round, with their answers to the
// round's items, inside the transaction.
func (tx *Tx) ScanSubmitted(roundID int64, fn func(a *SubmittedAnswers) error) error {
	rows, err := tx.tx.QueryContext(tx.ctx, scanSubmittedSQL, roundID)
	if err != nil {
		return fmt.Errorf("store: scan answers: %w", err)
	}
	defer rows.Close()
	var (
		a                 SubmittedAnswers
		ratings, placings sql.RawBytes
		texts             sql.RawBytes
		parsed            [][3]json.RawMessage
	)
	for rows.Next() {
		if err := rows.Scan(&a.PanelistID, &ratings, &placings, &texts); err != nil {
			return fmt.Errorf("store: scan answers: %w", err)
		}
		a.Ratings, a.Placements, a.Comments, a.Reasons = a.Ratings[:0], a.Placements[:0], a.Comments[:0], a.Reasons[:0]
		for b := ratings; len(b) > 0; {
			pos, n := utf8.DecodeRune(b)
			code, m := utf8.DecodeRune(b[n:])
			b = b[n+m:]
			r := ItemRating{Position: int(pos) - 32, Rating: int(code) - 35}
			switch code - 32 {
			case 1:
				r.Rating, r.Unable = -1, true
			case 2:
				r.Rating = -1
			}
			a.Ratings = append(a.Ratings, r)
		}
		for _, f := range bytes.Split(placings, []byte{30}) {
			if len(f) == 0 {
				continue
			}
			pos, n := utf8.DecodeRune(f)
			a.Placements = append(a.Placements, ItemText{Position: int(pos) - 32, Text: string(f[n:])})
		}
		if len(texts) > 2 {
			parsed = parsed[:0]
			if err := json.Unmarshal(texts, &parsed); err != nil {
				return fmt.Errorf("store: scan answers: texts: %w", err)
			}
			for _, t := range parsed {
				var pos int
				var comment, reason string
				if json.Unmarshal(t[0], &pos) != nil || json.Unmarshal(t[1], &comment) != nil || json.Unmarshal(t[2], &reason) != nil {
					return fmt.Errorf("store: scan answers: texts of panelist %d", a.PanelistID)
				}
				if comment != "" {
					a.Comments = append(a.Comments, ItemText{Position: pos, Text: comment})
				}
				if reason != "" {
					a.Reasons = append(a.Reasons, ItemText{Position: pos, Text: reason})
				}
			}
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: scan answers: %w", err)
	}
	return nil
}
