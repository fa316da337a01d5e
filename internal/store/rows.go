package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// q is what reads need: the read pool outside a transaction, the transaction inside one.
type q interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func get(ctx context.Context, db q, what string, dest any, query string, args ...any) error {
	if err := db.GetContext(ctx, dest, query, args...); err != nil {
		return fmt.Errorf("store: %s: %w", what, mapErr(err))
	}
	return nil
}

func sel(ctx context.Context, db q, what string, dest any, query string, args ...any) error {
	if err := db.SelectContext(ctx, dest, query, args...); err != nil {
		return fmt.Errorf("store: %s: %w", what, mapErr(err))
	}
	return nil
}

func (tx *Tx) exec(what string, query string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(tx.ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, mapErr(err))
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (tx *Tx) insert(what string, query string, args ...any) (int64, error) {
	res, err := tx.tx.ExecContext(tx.ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store: %s: %w", what, mapErr(err))
	}
	return res.LastInsertId()
}

// Staff is a staff account.
type Staff struct {
	ID           int64  `db:"id"`
	Email        string `db:"email"`
	Name         string `db:"name"`
	Role         string `db:"role"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    string `db:"created_at"`
	DisabledAt   string `db:"disabled_at"`
}

const staffCols = `id, email, name, role, password_hash, created_at, COALESCE(disabled_at, '') AS disabled_at`

// CreateStaff adds a staff account.
func (tx *Tx) CreateStaff(email, name, role, hash string) (int64, error) {
	return tx.insert("create staff", `INSERT INTO staff (email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		email, name, role, hash, tx.now)
}

// SetStaffPassword replaces a password hash.
func (tx *Tx) SetStaffPassword(id int64, hash string) error {
	_, err := tx.exec("set password", `UPDATE staff SET password_hash = ? WHERE id = ?`, hash, id)
	return err
}

// StaffByEmail finds an account by email (case-insensitive).
func (s *Store) StaffByEmail(ctx context.Context, email string) (Staff, error) {
	var st Staff
	err := get(ctx, s.r, "staff by email", &st, `SELECT `+staffCols+` FROM staff WHERE email = ?`, email)
	return st, err
}

// StaffByID finds an account.
func (s *Store) StaffByID(ctx context.Context, id int64) (Staff, error) {
	var st Staff
	err := get(ctx, s.r, "staff by id", &st, `SELECT `+staffCols+` FROM staff WHERE id = ?`, id)
	return st, err
}

// ListStaff lists every account.
func (s *Store) ListStaff(ctx context.Context) ([]Staff, error) {
	var out []Staff
	err := sel(ctx, s.r, "list staff", &out, `SELECT `+staffCols+` FROM staff ORDER BY id`)
	return out, err
}

// CountStaff counts accounts (first start creates the admin when there are none).
func (tx *Tx) CountStaff() (int, error) {
	var n int
	err := get(tx.ctx, tx.tx, "count staff", &n, `SELECT count(*) FROM staff`)
	return n, err
}

// Study is a study row.
type Study struct {
	ID             int64  `db:"id"`
	SurveyID       string `db:"survey_id"`
	Title          string `db:"title"`
	Definition     []byte `db:"definition"`
	DefinitionHash string `db:"definition_hash"`
	State          string `db:"state"`
	Contact        string `db:"contact"`
	ContactName    string `db:"contact_name"`
	TimeZone       string `db:"time_zone"` // an IANA name: "UTC", "Europe/Paris"
	CreatedAt      string `db:"created_at"`
	FinishedAt     string `db:"finished_at"`
	// OutcomeRule is the tier rule frozen when the study was finished (JSON), with its sha256.
	OutcomeRule     string `db:"outcome_rule"`
	OutcomeRuleHash string `db:"outcome_rule_hash"`
}

const studyCols = `id, survey_id, title, definition, definition_hash, state, contact, contact_name, time_zone, created_at, COALESCE(finished_at, '') AS finished_at,
	outcome_rule, outcome_rule_hash`

// CreateStudy stores a study with the exact definition bytes it was made from.
func (tx *Tx) CreateStudy(surveyID, title string, def []byte, hash, contact string, by int64) (int64, error) {
	return tx.insert("create study", `INSERT INTO studies (survey_id, title, definition, definition_hash, contact, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0))`, surveyID, title, def, hash, contact, tx.now, by)
}

// SetStudyContact changes whom experts contact about the study (name and email).
func (tx *Tx) SetStudyContact(id int64, name, email string) (int64, error) {
	return tx.exec("set study contact", `UPDATE studies SET contact_name = ?, contact = ? WHERE id = ?`, name, email, id)
}

// SetStudyTimeZone changes the zone in which the study's dates are shown and deadlines read.
func (tx *Tx) SetStudyTimeZone(id int64, zone string) (int64, error) {
	return tx.exec("set study time zone", `UPDATE studies SET time_zone = ? WHERE id = ?`, zone, id)
}

// FinishStudy marks an active study finished.
func (tx *Tx) FinishStudy(id int64) (int64, error) {
	return tx.exec("finish study", `UPDATE studies SET state = 'finished', finished_at = ? WHERE id = ? AND state = 'active'`, tx.now, id)
}

// Study reads one study.
func (s *Store) Study(ctx context.Context, id int64) (Study, error) { return study(ctx, s.r, id) }

// StudyHead reads one study without its definition bytes (Definition is nil): the definition
// never changes, so callers that have it parsed already need not copy it again.
func (s *Store) StudyHead(ctx context.Context, id int64) (Study, error) {
	var st Study
	err := get(ctx, s.r, "study", &st, `SELECT id, survey_id, title, definition_hash, state, contact, contact_name, time_zone, created_at,
		COALESCE(finished_at, '') AS finished_at, outcome_rule, outcome_rule_hash FROM studies WHERE id = ?`, id)
	return st, err
}

// Study reads one study inside the transaction.
func (tx *Tx) Study(id int64) (Study, error) { return study(tx.ctx, tx.tx, id) }

func study(ctx context.Context, db q, id int64) (Study, error) {
	var st Study
	err := get(ctx, db, "study", &st, `SELECT `+studyCols+` FROM studies WHERE id = ?`, id)
	return st, err
}

// Studies lists every study, newest first.
func (s *Store) Studies(ctx context.Context) ([]Study, error) {
	var out []Study
	err := sel(ctx, s.r, "list studies", &out, `SELECT `+studyCols+` FROM studies ORDER BY id DESC`)
	return out, err
}

// CountStudies counts studies.
func (tx *Tx) CountStudies() (int, error) {
	var n int
	err := get(tx.ctx, tx.tx, "count studies", &n, `SELECT count(*) FROM studies`)
	return n, err
}
