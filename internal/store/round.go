package store

import (
	"context"
	"fmt"
)

// Round is a round row.
type Round struct {
	ID        int64  `db:"id"`
	StudyID   int64  `db:"study_id"`
	Number    int    `db:"number"`
	State     string `db:"state"`
	Deadline  string `db:"deadline"`
	Rule      string `db:"rule"`
	RuleHash  string `db:"rule_hash"`
	CreatedAt string `db:"created_at"`
	OpenedAt  string `db:"opened_at"`
	ClosedAt  string `db:"closed_at"`
}

const roundCols = `id, study_id, number, state, COALESCE(deadline, '') AS deadline, rule, rule_hash, created_at,
	COALESCE(opened_at, '') AS opened_at, COALESCE(closed_at, '') AS closed_at`

// RoundItem is an item of a round, in order. Override is the JSON of a survey item when the item
// is new or reworded in this round.
type RoundItem struct {
	RoundID     int64  `db:"round_id"`
	ItemID      string `db:"item_id"`
	Position    int    `db:"position"`
	SectionID   string `db:"section_id"`
	Override    string `db:"override"`
	DerivedFrom string `db:"derived_from"`
}

// CreateOpenRound inserts round number n, already open, with its frozen rule, items and panel.
// The partial unique index rounds_one_open refuses a second open round of a study.
func (tx *Tx) CreateOpenRound(studyID int64, n int, deadline, rule, ruleHash string, by int64, items []RoundItem, panelists []int64) (int64, error) {
	id, err := tx.insert("create round", `INSERT INTO rounds (study_id, number, state, deadline, rule, rule_hash, created_at, opened_at, opened_by)
		VALUES (?, ?, 'open', NULLIF(?, ''), ?, ?, ?, ?, NULLIF(?, 0))`, studyID, n, deadline, rule, ruleHash, tx.now, tx.now, by)
	if err != nil {
		return 0, err
	}
	for i, it := range items {
		if _, err := tx.exec("add round item", `INSERT INTO round_items (round_id, item_id, position, section_id, override, derived_from)
			VALUES (?, ?, ?, ?, ?, ?)`, id, it.ItemID, i+1, it.SectionID, it.Override, it.DerivedFrom); err != nil {
			return 0, err
		}
	}
	for _, p := range panelists {
		if _, err := tx.exec("invite to round", `INSERT INTO round_panelists (round_id, panelist_id) VALUES (?, ?)`, id, p); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// CloseRound marks an open round closed; it returns 0 rows when the round was not open.
func (tx *Tx) CloseRound(id int64, by int64) (int64, error) {
	return tx.exec("close round", `UPDATE rounds SET state = 'closed', closed_at = ?, closed_by = NULLIF(?, 0)
		WHERE id = ? AND state = 'open'`, tx.now, by, id)
}

// SetDeadline changes an open round's deadline.
func (tx *Tx) SetDeadline(id int64, deadline string) (int64, error) {
	return tx.exec("set deadline", `UPDATE rounds SET deadline = NULLIF(?, '') WHERE id = ? AND state = 'open'`, deadline, id)
}

// Rounds lists a study's rounds in order.
func (s *Store) Rounds(ctx context.Context, studyID int64) ([]Round, error) {
	return rounds(ctx, s.r, studyID)
}

// Rounds lists a study's rounds inside the transaction.
func (tx *Tx) Rounds(studyID int64) ([]Round, error) { return rounds(tx.ctx, tx.tx, studyID) }

func rounds(ctx context.Context, db q, studyID int64) ([]Round, error) {
	var out []Round
	err := sel(ctx, db, "list rounds", &out, `SELECT `+roundCols+` FROM rounds WHERE study_id = ? ORDER BY number`, studyID)
	return out, err
}

// Round reads round n of a study.
func (s *Store) Round(ctx context.Context, studyID int64, n int) (Round, error) {
	return round(ctx, s.r, studyID, n)
}

// Round reads round n of a study inside the transaction.
func (tx *Tx) Round(studyID int64, n int) (Round, error) { return round(tx.ctx, tx.tx, studyID, n) }

func round(ctx context.Context, db q, studyID int64, n int) (Round, error) {
	var r Round
	err := get(ctx, db, fmt.Sprintf("round %d", n), &r, `SELECT `+roundCols+` FROM rounds WHERE study_id = ? AND number = ?`, studyID, n)
	return r, err
}

// OpenRounds lists every open round of every study (for deadline closing).
func (s *Store) OpenRounds(ctx context.Context) ([]Round, error) {
	var out []Round
	err := sel(ctx, s.r, "open rounds", &out, `SELECT `+roundCols+` FROM rounds WHERE state = 'open' ORDER BY id`)
	return out, err
}

// RoundItems lists a round's items in order.
func (s *Store) RoundItems(ctx context.Context, roundID int64) ([]RoundItem, error) {
	return roundItems(ctx, s.r, roundID)
}

// RoundItems lists a round's items inside the transaction.
func (tx *Tx) RoundItems(roundID int64) ([]RoundItem, error) {
	return roundItems(tx.ctx, tx.tx, roundID)
}

func roundItems(ctx context.Context, db q, roundID int64) ([]RoundItem, error) {
	var out []RoundItem
	err := sel(ctx, db, "round items", &out, `SELECT round_id, item_id, position, section_id, override, derived_from
		FROM round_items WHERE round_id = ? ORDER BY position`, roundID)
	return out, err
}

// RoundPanelists lists the ids of panelists invited to a round.
func (s *Store) RoundPanelists(ctx context.Context, roundID int64) ([]int64, error) {
	return roundPanelists(ctx, s.r, roundID)
}

// RoundPanelists lists invited panelist ids inside the transaction.
func (tx *Tx) RoundPanelists(roundID int64) ([]int64, error) {
	return roundPanelists(tx.ctx, tx.tx, roundID)
}

func roundPanelists(ctx context.Context, db q, roundID int64) ([]int64, error) {
	var out []int64
	err := sel(ctx, db, "round panelists", &out, `SELECT panelist_id FROM round_panelists WHERE round_id = ? ORDER BY panelist_id`, roundID)
	return out, err
}

// AddRoundPanelist invites one more panelist to a round (no error if already invited).
func (tx *Tx) AddRoundPanelist(roundID, panelistID int64) error {
	_, err := tx.exec("invite to round", `INSERT OR IGNORE INTO round_panelists (round_id, panelist_id) VALUES (?, ?)`, roundID, panelistID)
	return err
}

// InRound reports whether a panelist is invited to a round.
func (tx *Tx) InRound(roundID, panelistID int64) (bool, error) {
	return inRound(tx.ctx, tx.tx, roundID, panelistID)
}

// InRound reports whether a panelist is invited to a round (read pool).
func (s *Store) InRound(ctx context.Context, roundID, panelistID int64) (bool, error) {
	return inRound(ctx, s.r, roundID, panelistID)
}

func inRound(ctx context.Context, db q, roundID, panelistID int64) (bool, error) {
	var n int
	err := get(ctx, db, "in round", &n, `SELECT count(*) FROM round_panelists WHERE round_id = ? AND panelist_id = ?`, roundID, panelistID)
	return n > 0, err
}
