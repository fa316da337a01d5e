package store

import (
	"cmp"
	"context"
	"fmt"
)

// Panelist is a member of a study's panel.
type Panelist struct {
	ID          int64  `db:"id"`
	StudyID     int64  `db:"study_id"`
	Pseudonym   string `db:"pseudonym"`
	Name        string `db:"name"`
	Email       string `db:"email"`
	Group       string `db:"grp"`
	Country     string `db:"country"`
	Language    string `db:"language"`
	ConsentAt   string `db:"consent_at"`
	WithdrawnAt string `db:"withdrawn_at"`
	// ConsentVersion names the consent text agreed to; Withdrawal what became of a withdrawn
	// panelist's answers in rounds then open (keep, remove_open).
	ConsentVersion string `db:"consent_version"`
	Withdrawal     string `db:"withdrawal"`
	CreatedAt      string `db:"created_at"`
}

const panelistCols = `id, study_id, pseudonym, name, email, grp, country, language,
	COALESCE(consent_at, '') AS consent_at, COALESCE(withdrawn_at, '') AS withdrawn_at, created_at, consent_version, withdrawal`

// AddPanelists inserts panelists with the pseudonyms they carry (or, for one without, the next
// in sequence, P0001, P0002, … per study). It returns their ids in order.
func (tx *Tx) AddPanelists(studyID int64, ps []Panelist) ([]int64, error) {
	var next int
	if err := get(tx.ctx, tx.tx, "next pseudonym", &next, `SELECT count(*) + 1 FROM panelists WHERE study_id = ?`, studyID); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(ps))
	for i, p := range ps {
		id, err := tx.insert(fmt.Sprintf("add panelist %s", p.Email), `INSERT INTO panelists
			(study_id, pseudonym, name, email, grp, country, language, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			studyID, cmp.Or(p.Pseudonym, fmt.Sprintf("P%04d", next+i)), p.Name, p.Email, p.Group, p.Country, p.Language, tx.now)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// UpdatePanelist changes a panelist's details.
func (tx *Tx) UpdatePanelist(p Panelist) error {
	n, err := tx.exec("update panelist", `UPDATE panelists SET name = ?, email = ?, grp = ?, country = ?, language = ?
		WHERE id = ? AND study_id = ?`, p.Name, p.Email, p.Group, p.Country, p.Language, p.ID, p.StudyID)
	if err == nil && n == 0 {
		err = fmt.Errorf("store: update panelist %d: %w", p.ID, ErrNotFound)
	}
	return err
}

// WithdrawPanelist marks a panelist withdrawn, recording what becomes of their answers in open
// rounds (keep, remove_open: the caller removes them).
func (tx *Tx) WithdrawPanelist(studyID, id int64, answers string) (int64, error) {
	return tx.exec("withdraw panelist", `UPDATE panelists SET withdrawn_at = ?, withdrawal = ? WHERE id = ? AND study_id = ? AND withdrawn_at IS NULL`,
		tx.now, answers, id, studyID)
}

// RemoveOpenAnswers deletes a panelist's answers and submissions in the study's open rounds;
// closed rounds, whose snapshots hold them already, keep theirs.
func (tx *Tx) RemoveOpenAnswers(studyID, panelistID int64) (int64, error) {
	n, err := tx.exec("remove open answers", `DELETE FROM answers WHERE panelist_id = ?
		AND round_id IN (SELECT id FROM rounds WHERE study_id = ? AND state = 'open')`, panelistID, studyID)
	if err != nil {
		return 0, err
	}
	_, err = tx.exec("remove open submissions", `DELETE FROM submissions WHERE panelist_id = ?
		AND round_id IN (SELECT id FROM rounds WHERE study_id = ? AND state = 'open')`, panelistID, studyID)
	return n, err
}

// SetConsent records a panelist's consent time (once).
func (tx *Tx) SetConsent(id int64, version string) error {
	_, err := tx.exec("consent", `UPDATE panelists SET consent_at = ?, consent_version = ? WHERE id = ? AND consent_at IS NULL`, tx.now, version, id)
	return err
}

// Panelists lists a study's panel in pseudonym order.
func (s *Store) Panelists(ctx context.Context, studyID int64) ([]Panelist, error) {
	return panelists(ctx, s.r, studyID)
}

// Panelists lists a study's panel inside the transaction.
func (tx *Tx) Panelists(studyID int64) ([]Panelist, error) { return panelists(tx.ctx, tx.tx, studyID) }

func panelists(ctx context.Context, db q, studyID int64) ([]Panelist, error) {
	var out []Panelist
	err := sel(ctx, db, "list panelists", &out, `SELECT `+panelistCols+` FROM panelists WHERE study_id = ? ORDER BY id`, studyID)
	return out, err
}

// Panelist reads one panelist.
func (s *Store) Panelist(ctx context.Context, id int64) (Panelist, error) {
	return panelist(ctx, s.r, id)
}

// Panelist reads one panelist inside the transaction.
func (tx *Tx) Panelist(id int64) (Panelist, error) { return panelist(tx.ctx, tx.tx, id) }

func panelist(ctx context.Context, db q, id int64) (Panelist, error) {
	var p Panelist
	err := get(ctx, db, "panelist", &p, `SELECT `+panelistCols+` FROM panelists WHERE id = ?`, id)
	return p, err
}

// ConsentCount counts the study's panelists who recorded consent, withdrawn ones included
// (they consented before they withdrew).
func (s *Store) ConsentCount(ctx context.Context, studyID int64) (int, error) {
	var n int
	err := get(ctx, s.r, "count consents", &n, `SELECT COUNT(*) FROM panelists WHERE study_id = ? AND consent_at IS NOT NULL`, studyID)
	return n, err
}
