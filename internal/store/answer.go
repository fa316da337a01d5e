package store

import (
	"context"
	"database/sql"
	"fmt"
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

// UpsertAnswerSQL writes one answer (insert or replace by round, panelist, item), with the
// arguments in the order of Answer's fields. Exported for the load tool's raw ceiling, which runs
// the same statement straight into SQLite.
const UpsertAnswerSQL = `INSERT INTO answers (` + answerCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (round_id, panelist_id, item_id) DO UPDATE SET rating = excluded.rating, unable = excluded.unable,
		placement = excluded.placement, comment = excluded.comment, reason = excluded.reason, updated_at = excluded.updated_at`

// UpsertAnswers writes answers (insert or replace by round, panelist, item). The statement is
// prepared once per connection (the driver's statement cache), not once per save.
func (tx *Tx) UpsertAnswers(as []Answer) error {
	for _, a := range as {
		if _, err := tx.tx.ExecContext(tx.ctx, UpsertAnswerSQL, a.RoundID, a.PanelistID, a.ItemID, a.Rating, a.Unable, a.Placement, a.Comment, a.Reason, tx.now); err != nil {
			return fmt.Errorf("store: save answer %s: %w", a.ItemID, mapErr(err))
		}
	}
	return nil
}

// Answers lists one panelist's answers to a round.
func (s *Store) Answers(ctx context.Context, roundID, panelistID int64) ([]Answer, error) {
	var out []Answer
	err := sel(ctx, s.r, "answers", &out, `SELECT `+answerCols+` FROM answers WHERE round_id = ? AND panelist_id = ?`, roundID, panelistID)
	return out, err
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
}

// RoundActivity returns activity for every panelist invited to a round.
func (s *Store) RoundActivity(ctx context.Context, roundID int64) ([]Activity, error) {
	var out []Activity
	err := sel(ctx, s.r, "round activity", &out, `SELECT rp.panelist_id,
		(SELECT count(*) FROM answers a WHERE a.round_id = rp.round_id AND a.panelist_id = rp.panelist_id
			AND (a.rating IS NOT NULL OR a.unable = 1)) AS answered,
		COALESCE((SELECT max(a.updated_at) FROM answers a WHERE a.round_id = rp.round_id AND a.panelist_id = rp.panelist_id), '') AS last_saved,
		COALESCE(s.submitted_at, '') AS submitted_at
		FROM round_panelists rp LEFT JOIN submissions s ON s.round_id = rp.round_id AND s.panelist_id = rp.panelist_id
		WHERE rp.round_id = ? ORDER BY rp.panelist_id`, roundID)
	return out, err
}
