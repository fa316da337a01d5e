package store

import "context"

// StudyPrivacy is a study's retention setting and erasure.
type StudyPrivacy struct {
	StudyID       int64  `db:"study_id"`
	RetentionDays *int   `db:"retention_days"` // nil: kept until an admin erases
	ErasedAt      string `db:"erased_at"`
	FinishedAt    string `db:"finished_at"`
}

// SetRetention sets how many days after finishing a study its personal data is erased (nil:
// until an admin erases it).
func (tx *Tx) SetRetention(studyID int64, days *int) error {
	_, err := tx.exec("set retention", `INSERT INTO study_privacy (study_id, retention_days) VALUES (?, ?)
		ON CONFLICT (study_id) DO UPDATE SET retention_days = excluded.retention_days`, studyID, days)
	return err
}

const privacyCols = `s.id AS study_id, p.retention_days, COALESCE(p.erased_at, '') AS erased_at, COALESCE(s.finished_at, '') AS finished_at`

// Privacy reads a study's retention and erasure.
func (s *Store) Privacy(ctx context.Context, studyID int64) (StudyPrivacy, error) {
	var p StudyPrivacy
	err := get(ctx, s.r, "privacy", &p, `SELECT `+privacyCols+` FROM studies s LEFT JOIN study_privacy p ON p.study_id = s.id
		WHERE s.id = ?`, studyID)
	return p, err
}

// Privacy reads a study's retention and erasure inside the transaction.
func (tx *Tx) Privacy(studyID int64) (StudyPrivacy, error) {
	var p StudyPrivacy
	err := get(tx.ctx, tx.tx, "privacy", &p, `SELECT `+privacyCols+` FROM studies s LEFT JOIN study_privacy p ON p.study_id = s.id
		WHERE s.id = ?`, studyID)
	return p, err
}

// DueForErasure lists finished studies whose retention has run out by now and whose personal
// data is not yet erased.
func (s *Store) DueForErasure(ctx context.Context, now string) ([]int64, error) {
	var ids []int64
	err := sel(ctx, s.r, "due for erasure", &ids, `SELECT s.id FROM studies s JOIN study_privacy p ON p.study_id = s.id
		WHERE s.state = 'finished' AND p.erased_at IS NULL AND p.retention_days IS NOT NULL
		AND datetime(s.finished_at, '+' || p.retention_days || ' days') <= datetime(?)`, now)
	return ids, err
}

// Erased counts what an erasure changed.
type Erased struct {
	Panelists   int64 `json:"panelists"`
	Invitations int64 `json:"invitations"`
	Messages    int64 `json:"messages"`
}

// ErasePersonalData erases a study's panel names and emails (a panelist keeps only their
// pseudonym, group, country and language), ends every invitation link, and deletes the outbox
// (its messages hold names, addresses and links). Answers, comments, snapshots and the audit
// log stay: they name no one.
func (tx *Tx) ErasePersonalData(studyID int64, by string) (Erased, error) {
	var e Erased
	var err error
	if e.Panelists, err = tx.exec("erase panel", `UPDATE panelists SET name = '', email = pseudonym || '@erased.invalid'
		WHERE study_id = ?`, studyID); err != nil {
		return e, err
	}
	if e.Invitations, err = tx.exec("end invitations", `UPDATE invitations SET revoked_at = ? WHERE study_id = ? AND revoked_at IS NULL`,
		tx.now, studyID); err != nil {
		return e, err
	}
	if e.Messages, err = tx.exec("erase outbox", `DELETE FROM outbox WHERE study_id = ?`, studyID); err != nil {
		return e, err
	}
	_, err = tx.exec("mark erased", `INSERT INTO study_privacy (study_id, erased_at, erased_by) VALUES (?, ?, ?)
		ON CONFLICT (study_id) DO UPDATE SET erased_at = excluded.erased_at, erased_by = excluded.erased_by`, studyID, tx.now, by)
	return e, err
}
