package store

import "context"

// StaffSession is a sign-in: a row of staff_sessions, with the account it belongs to.
type StaffSession struct {
	ID        string `db:"id"`
	StaffID   int64  `db:"staff_id"`
	CreatedAt string `db:"created_at"`
	ExpiresAt string `db:"expires_at"`
	EndedAt   string `db:"ended_at"`
	EndReason string `db:"end_reason"`
	Client    string `db:"client"`
	Address   string `db:"address"`
}

const sessionCols = `id, staff_id, created_at, expires_at, COALESCE(ended_at, '') AS ended_at, end_reason, client, address`

// CreateSession records a sign-in.
func (tx *Tx) CreateSession(s StaffSession) error {
	_, err := tx.exec("create session", `INSERT INTO staff_sessions (id, staff_id, created_at, expires_at, client, address)
		VALUES (?, ?, ?, ?, ?, ?)`, s.ID, s.StaffID, tx.now, s.ExpiresAt, s.Client, s.Address)
	return err
}

// Session reads a session by its id (the token's jti).
func (s *Store) Session(ctx context.Context, id string) (StaffSession, error) {
	var out StaffSession
	err := get(ctx, s.r, "session", &out, `SELECT `+sessionCols+` FROM staff_sessions WHERE id = ?`, id)
	return out, err
}

// Session reads a session inside a transaction.
func (tx *Tx) Session(id string) (StaffSession, error) {
	var out StaffSession
	err := get(tx.ctx, tx.tx, "session", &out, `SELECT `+sessionCols+` FROM staff_sessions WHERE id = ?`, id)
	return out, err
}

// EndSession ends one live session; it returns 0 when it had ended already.
func (tx *Tx) EndSession(id, reason string) (int64, error) {
	return tx.exec("end session", `UPDATE staff_sessions SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL`,
		tx.now, reason, id)
}

// EndStaffSessions ends every live session of an account but keep (which may be "").
func (tx *Tx) EndStaffSessions(staffID int64, reason, keep string) (int64, error) {
	return tx.exec("end sessions", `UPDATE staff_sessions SET ended_at = ?, end_reason = ?
		WHERE staff_id = ? AND ended_at IS NULL AND id != ?`, tx.now, reason, staffID, keep)
}

// LiveSessions lists an account's sessions that have neither ended nor expired, newest first.
func (s *Store) LiveSessions(ctx context.Context, staffID int64) ([]StaffSession, error) {
	var out []StaffSession
	err := sel(ctx, s.r, "live sessions", &out, `SELECT `+sessionCols+` FROM staff_sessions
		WHERE staff_id = ? AND ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id`, staffID, FormatTime(s.Now()))
	return out, err
}

// StaffByID reads an account inside a transaction.
func (tx *Tx) StaffByID(id int64) (Staff, error) {
	var st Staff
	err := get(tx.ctx, tx.tx, "staff by id", &st, `SELECT `+staffCols+` FROM staff WHERE id = ?`, id)
	return st, err
}

// SetStaffRole changes an account's role.
func (tx *Tx) SetStaffRole(id int64, role string) error {
	_, err := tx.exec("set role", `UPDATE staff SET role = ? WHERE id = ?`, role, id)
	return err
}

// SetStaffDisabled disables an account (now) or enables it again.
func (tx *Tx) SetStaffDisabled(id int64, disabled bool) error {
	if disabled {
		_, err := tx.exec("disable staff", `UPDATE staff SET disabled_at = ? WHERE id = ? AND disabled_at IS NULL`, tx.now, id)
		return err
	}
	_, err := tx.exec("enable staff", `UPDATE staff SET disabled_at = NULL WHERE id = ?`, id)
	return err
}

// CountActiveAdmins counts admins whose accounts are not disabled.
func (tx *Tx) CountActiveAdmins() (int, error) {
	var n int
	err := get(tx.ctx, tx.tx, "count admins", &n, `SELECT count(*) FROM staff WHERE role = 'admin' AND disabled_at IS NULL`)
	return n, err
}

// PasswordLink is a one-time link to choose a password.
type PasswordLink struct {
	TokenHash string `db:"token_hash"`
	StaffID   int64  `db:"staff_id"`
	Purpose   string `db:"purpose"` // invite, reset
	CreatedAt string `db:"created_at"`
	ExpiresAt string `db:"expires_at"`
	UsedAt    string `db:"used_at"`
}

// CreatePasswordLink stores a new link (its token's hash) and retires the account's older ones:
// only the newest link works.
func (tx *Tx) CreatePasswordLink(l PasswordLink, by int64) error {
	if _, err := tx.exec("retire password links", `UPDATE staff_password_links SET used_at = ? WHERE staff_id = ? AND used_at IS NULL`,
		tx.now, l.StaffID); err != nil {
		return err
	}
	_, err := tx.exec("create password link", `INSERT INTO staff_password_links (token_hash, staff_id, purpose, created_at, created_by, expires_at)
		VALUES (?, ?, ?, ?, NULLIF(?, 0), ?)`, l.TokenHash, l.StaffID, l.Purpose, tx.now, by, l.ExpiresAt)
	return err
}

const linkCols = `token_hash, staff_id, purpose, created_at, expires_at, COALESCE(used_at, '') AS used_at`

// PasswordLink reads a link by its token's hash.
func (s *Store) PasswordLink(ctx context.Context, hash string) (PasswordLink, error) {
	var l PasswordLink
	err := get(ctx, s.r, "password link", &l, `SELECT `+linkCols+` FROM staff_password_links WHERE token_hash = ?`, hash)
	return l, err
}

// PasswordLink reads a link inside a transaction.
func (tx *Tx) PasswordLink(hash string) (PasswordLink, error) {
	var l PasswordLink
	err := get(tx.ctx, tx.tx, "password link", &l, `SELECT `+linkCols+` FROM staff_password_links WHERE token_hash = ?`, hash)
	return l, err
}

// UsePasswordLink marks a link used; it returns 0 when it was used already.
func (tx *Tx) UsePasswordLink(hash string) (int64, error) {
	return tx.exec("use password link", `UPDATE staff_password_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL`, tx.now, hash)
}

// Member is a staff member's place in a study.
type Member struct {
	StudyID   int64  `db:"study_id"`
	StaffID   int64  `db:"staff_id"`
	Role      string `db:"role"` // facilitator, presenter
	AddedAt   string `db:"added_at"`
	Email     string `db:"email"`
	Name      string `db:"name"`
	StaffRole string `db:"staff_role"`
}

// PutMember adds a member to a study or changes their role there; it reports whether the
// member is new.
func (tx *Tx) PutMember(studyID, staffID int64, role string, by int64) (bool, error) {
	n, err := tx.exec("change member", `UPDATE study_members SET role = ? WHERE study_id = ? AND staff_id = ?`, role, studyID, staffID)
	if err != nil || n > 0 {
		return false, err
	}
	_, err = tx.exec("add member", `INSERT INTO study_members (study_id, staff_id, role, added_at, added_by) VALUES (?, ?, ?, ?, NULLIF(?, 0))`,
		studyID, staffID, role, tx.now, by)
	return err == nil, err
}

// DeleteMember removes a member from a study; it returns 0 when they were not one.
func (tx *Tx) DeleteMember(studyID, staffID int64) (int64, error) {
	return tx.exec("remove member", `DELETE FROM study_members WHERE study_id = ? AND staff_id = ?`, studyID, staffID)
}

// Members lists a study's members with their accounts.
func (s *Store) Members(ctx context.Context, studyID int64) ([]Member, error) {
	var out []Member
	err := sel(ctx, s.r, "members", &out, `SELECT m.study_id, m.staff_id, m.role, m.added_at, s.email, s.name, s.role AS staff_role
		FROM study_members m JOIN staff s ON s.id = m.staff_id WHERE m.study_id = ? ORDER BY s.email`, studyID)
	return out, err
}

// Memberships lists the studies an account is a member of (study id → role there).
func (s *Store) Memberships(ctx context.Context, staffID int64) (map[int64]string, error) {
	var rows []Member
	if err := sel(ctx, s.r, "memberships", &rows, `SELECT study_id, staff_id, role, added_at, '' AS email, '' AS name, '' AS staff_role
		FROM study_members WHERE staff_id = ?`, staffID); err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.StudyID] = r.Role
	}
	return out, nil
}

// DemoteMemberships turns an account's facilitator memberships into presenter ones (its
// account became a presenter, who runs nothing).
func (tx *Tx) DemoteMemberships(staffID int64) error {
	_, err := tx.exec("demote memberships", `UPDATE study_members SET role = 'presenter' WHERE staff_id = ?`, staffID)
	return err
}
