package delphi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/store"
)

// Personal data that ends. A panel's names, emails and invitation links are needed while a
// study runs; once it is finished, a retention period (per study) runs out, or an admin says so,
// and they are erased. What remains is pseudonymous: answers, comments, snapshots, reports and
// the audit log (which records the erasure, not the data).

// Privacy is a study's retention setting and erasure.
type Privacy struct {
	RetentionDays *int       `json:"retention_days"` // after finishing; nil: until an admin erases
	EraseAfter    *time.Time `json:"erase_after,omitempty"`
	ErasedAt      *time.Time `json:"erased_at,omitempty"`
}

// StudyPrivacy returns a study's retention and erasure.
func (s *Service) StudyPrivacy(ctx context.Context, sid int64) (Privacy, error) {
	p, err := s.st.Privacy(ctx, sid)
	if err != nil {
		return Privacy{}, notFound(err, "study %d does not exist", sid)
	}
	return toPrivacy(p), nil
}

func toPrivacy(p store.StudyPrivacy) Privacy {
	out := Privacy{RetentionDays: p.RetentionDays}
	if p.FinishedAt != "" && p.RetentionDays != nil {
		t := store.ParseTime(p.FinishedAt).AddDate(0, 0, *p.RetentionDays)
		out.EraseAfter = &t
	}
	if p.ErasedAt != "" {
		t := store.ParseTime(p.ErasedAt)
		out.ErasedAt = &t
	}
	return out
}

// SetRetention sets how many days after finishing the study its panel's personal data is kept
// (nil: until an admin erases it). Anyone who runs the study may.
func (s *Service) SetRetention(ctx context.Context, a Actor, sid int64, days *int) (Privacy, error) {
	if err := a.mustRun(); err != nil {
		return Privacy{}, err
	}
	if days != nil && (*days < 0 || *days > 36500) {
		return Privacy{}, Errorf(EInvalid, "retention_days", "retention_days must be between 0 and 36500 days (or null: until an admin erases), not %d", *days)
	}
	var out Privacy
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.Privacy(sid)
		if err != nil {
			return notFound(err, "study %d does not exist", sid)
		}
		if p.ErasedAt != "" {
			return Errorf(EConflict, "", "study %d's personal data was erased already", sid)
		}
		if err := tx.SetRetention(sid, days); err != nil {
			return err
		}
		if p, err = tx.Privacy(sid); err != nil {
			return err
		}
		out = toPrivacy(p)
		v, _ := json.Marshal(days)
		return tx.Audit(a.String(), "study.retention", sid, fmt.Sprintf(`{"retention_days":%s}`, v))
	})
	return out, err
}

// EraseStudy erases a finished study's personal data (admins, or the service when a retention
// runs out): names and emails of the panel, invitation links, the outbox. The pseudonymous
// answers and every report stay valid.
func (s *Service) EraseStudy(ctx context.Context, a Actor, sid int64) (store.Erased, error) {
	if a.Role != RoleAdmin {
		return store.Erased{}, Errorf(EForbidden, "", "only admins may erase a study's personal data")
	}
	var out store.Erased
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := tx.Study(sid)
		if err != nil {
			return notFound(err, "study %d does not exist", sid)
		}
		if st.State != "finished" {
			return Errorf(EConflict, "", "study %d is still running: finish it before erasing its panel's personal data", sid)
		}
		p, err := tx.Privacy(sid)
		if err != nil {
			return err
		}
		if p.ErasedAt != "" {
			zone, _ := time.LoadLocation(st.TimeZone) // checked when stored; nil is UTC
			return Errorf(EConflict, "", "study %d's personal data was erased already, on %s", sid,
				i18n.Dates{Zone: zone}.Date(store.ParseTime(p.ErasedAt)))
		}
		if out, err = tx.ErasePersonalData(sid, a.String()); err != nil {
			return err
		}
		// the counts, never the data
		return tx.Audit(a.String(), "study.erase", sid, fmt.Sprintf(`{"panelists":%d,"invitations":%d,"messages":%d}`,
			out.Panelists, out.Invitations, out.Messages))
	})
	return out, err
}

// EraseDue erases every finished study whose retention has run out; it returns how many.
func (s *Service) EraseDue(ctx context.Context) (int, error) {
	ids, err := s.st.DueForErasure(ctx, store.FormatTime(s.now()))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if _, err := s.EraseStudy(ctx, System, id); err != nil {
			if ErrorCode(err) == EConflict {
				continue // erased meanwhile
			}
			return n, fmt.Errorf("erase study %d: %w", id, err)
		}
		n++
	}
	return n, nil
}
