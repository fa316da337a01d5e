package store

import (
	"context"
	"fmt"
)

// Round is a round row.
type Round struct {
	ID       int64  `db:"id"`
	StudyID  int64  `db:"study_id"`
	Number   int    `db:"number"`
	State    string `db:"state"`
	Deadline string `db:"deadline"`
	Rule     string `db:"rule"`
	RuleHash string `db:"rule_hash"`
	// OutcomeRule is the tier rule frozen when the round opened (JSON), with its sha256.
	OutcomeRule     string `db:"outcome_rule"`
	OutcomeRuleHash string `db:"outcome_rule_hash"`
	CreatedAt       string `db:"created_at"`
	OpenedAt        string `db:"opened_at"`
	ClosedAt        string `db:"closed_at"`
}

const roundCols = `id, study_id, number, state, COALESCE(deadline, '') AS deadline, rule, rule_hash, outcome_rule, outcome_rule_hash, created_at,
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

// ItemChange is why the item set changed when a round opened (added, reworded, merged,
// dropped), with the earlier wording of a reworded item.
type ItemChange struct {
	RoundID     int64  `db:"round_id"`
	ItemID      string `db:"item_id"`
	Kind        string `db:"kind"`
	Reason      string `db:"reason"`
	DerivedFrom string `db:"derived_from"`
	Earlier     string `db:"earlier"`
}

// NewRound is what CreateOpenRound writes: the round, its frozen rules, items, panel and the
// reasons for the changes to the item set.
type NewRound struct {
	StudyID                      int64
	Number                       int
	Deadline                     string
	Rule, RuleHash               string
	OutcomeRule, OutcomeRuleHash string
	By                           int64
	Items                        []RoundItem
	Panelists                    []int64
	Changes                      []ItemChange
}

// CreateOpenRound inserts a round, already open, with its frozen rules, items, panel and the
// reasons for its changes. The partial unique index rounds_one_open refuses a second open round
// of a study.
func (tx *Tx) CreateOpenRound(nr NewRound) (int64, error) {
	studyID, n, deadline, rule, ruleHash, by, items, panelists := nr.StudyID, nr.Number, nr.Deadline, nr.Rule, nr.RuleHash, nr.By, nr.Items, nr.Panelists
	id, err := tx.insert("create round", `INSERT INTO rounds (study_id, number, state, deadline, rule, rule_hash, outcome_rule, outcome_rule_hash, created_at, opened_at, opened_by)
		VALUES (?, ?, 'open', NULLIF(?, ''), ?, ?, ?, ?, ?, ?, NULLIF(?, 0))`, studyID, n, deadline, rule, ruleHash, nr.OutcomeRule, nr.OutcomeRuleHash, tx.now, tx.now, by)
	if err != nil {
		return 0, err
	}
	for i, it := range items {
		if _, err := tx.exec("add round item", `INSERT INTO round_items (round_id, item_id, position, section_id, override, derived_from)
			VALUES (?, ?, ?, ?, ?, ?)`, id, it.ItemID, i+1, it.SectionID, it.Override, it.DerivedFrom); err != nil {
			return 0, err
		}
	}
	for _, c := range nr.Changes {
		if _, err := tx.exec("record item change", `INSERT INTO item_changes (round_id, item_id, kind, reason, derived_from, earlier)
			VALUES (?, ?, ?, ?, ?, ?)`, id, c.ItemID, c.Kind, c.Reason, c.DerivedFrom, c.Earlier); err != nil {
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

// RoundOpening reports whether a panelist is invited to a round and when they first opened it
// while it was open ("" for not yet), in one indexed read.
func (s *Store) RoundOpening(ctx context.Context, roundID, panelistID int64) (in bool, opened string, err error) {
	var rows []string
	err = sel(ctx, s.r, "round opening", &rows, `SELECT COALESCE(opened_at, '') FROM round_panelists WHERE round_id = ? AND panelist_id = ?`,
		roundID, panelistID)
	if err != nil || len(rows) == 0 {
		return false, "", err
	}
	return true, rows[0], nil
}

func inRound(ctx context.Context, db q, roundID, panelistID int64) (bool, error) {
	var n int
	err := get(ctx, db, "in round", &n, `SELECT count(*) FROM round_panelists WHERE round_id = ? AND panelist_id = ?`, roundID, panelistID)
	return n > 0, err
}

// ItemChanges lists the reasons recorded for a round's changes to the item set.
func (s *Store) ItemChanges(ctx context.Context, roundID int64) ([]ItemChange, error) {
	return itemChanges(ctx, s.r, roundID)
}

// ItemChanges lists a round's item changes inside the transaction.
func (tx *Tx) ItemChanges(roundID int64) ([]ItemChange, error) {
	return itemChanges(tx.ctx, tx.tx, roundID)
}

func itemChanges(ctx context.Context, db q, roundID int64) ([]ItemChange, error) {
	var out []ItemChange
	err := sel(ctx, db, "item changes", &out, `SELECT round_id, item_id, kind, reason, derived_from, earlier
		FROM item_changes WHERE round_id = ? ORDER BY rowid`, roundID)
	return out, err
}

// Decision is a decisions row.
type Decision struct {
	ID             int64  `db:"id"`
	StudyID        int64  `db:"study_id"`
	ItemID         string `db:"item_id"`
	Tier           string `db:"tier"`
	Module         string `db:"module"`
	Basis          string `db:"basis"`
	Reason         string `db:"reason"`
	Meeting        string `db:"meeting"`
	Provisional    bool   `db:"provisional"`
	DecidedAt      string `db:"decided_at"`
	DecidedBy      int64  `db:"decided_by"`
	DecidedByEmail string `db:"decided_by_email"`
}

// AddDecision records a decision on an item; decisions are append-only.
func (tx *Tx) AddDecision(d Decision) (int64, error) {
	return tx.insert("record decision", `INSERT INTO decisions (study_id, item_id, tier, module, basis, reason, meeting, provisional, decided_at, decided_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0))`, d.StudyID, d.ItemID, d.Tier, d.Module, d.Basis, d.Reason, d.Meeting, d.Provisional, tx.now, d.DecidedBy)
}

// Decisions lists a study's decisions, oldest first.
func (s *Store) Decisions(ctx context.Context, studyID int64) ([]Decision, error) {
	var out []Decision
	err := sel(ctx, s.r, "decisions", &out, `SELECT d.id, d.study_id, d.item_id, d.tier, d.module, d.basis, d.reason, d.meeting,
		d.provisional, d.decided_at, COALESCE(d.decided_by, 0) AS decided_by, COALESCE(s.email, '') AS decided_by_email
		FROM decisions d LEFT JOIN staff s ON s.id = d.decided_by WHERE d.study_id = ? ORDER BY d.decided_at, d.id`, studyID)
	return out, err
}

// FreezeOutcomeRule stores the outcome rule in force when the study is finished.
func (tx *Tx) FreezeOutcomeRule(studyID int64, rule, hash string) error {
	_, err := tx.exec("freeze outcome rule", `UPDATE studies SET outcome_rule = ?, outcome_rule_hash = ? WHERE id = ?`, rule, hash, studyID)
	return err
}
