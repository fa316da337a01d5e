package delphi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/store"
)

// Studies are scoped: a facilitator or presenter works only on the studies they are a member
// of, as a facilitator (runs it) or a presenter (reads its reports); admins see every study.
// A study outside someone's scope does not exist for them: the same 404 as an unknown id, so
// that ids leak nothing.

// Member is a staff member's place in a study.
type Member struct {
	StaffID   int64     `json:"staff_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`       // in this study: facilitator or presenter
	StaffRole string    `json:"staff_role"` // the account's own role
	AddedAt   time.Time `json:"added_at"`
}

type cachedMemberships struct {
	meta  uint64
	roles map[int64]string
}

// maxCachedMembers bounds Service.members (one small map per staff member seen).
const maxCachedMembers = 10_000

// memberships returns the studies an account is a member of, with its role in each, kept while
// the store's Meta holds (every change of membership moves it).
func (s *Service) memberships(ctx context.Context, staffID int64) (map[int64]string, error) {
	meta := s.st.Meta()
	if c, ok := s.members.Get(staffID); ok && c.meta == meta {
		return c.roles, nil
	}
	roles, err := s.st.Memberships(ctx, staffID)
	if err != nil {
		return nil, err
	}
	s.members.Put(staffID, &cachedMemberships{meta: meta, roles: roles})
	return roles, nil
}

// StudyAccess returns the actor as they act in study sid: admins as admins; members with their
// role there, never more than their account's role. Anyone else gets the not-found error an
// unknown study gives.
func (s *Service) StudyAccess(ctx context.Context, a Actor, sid int64) (Actor, error) {
	if a.Role == RoleAdmin {
		return a, nil
	}
	roles, err := s.memberships(ctx, a.StaffID)
	if err != nil {
		return Actor{}, err
	}
	role, ok := roles[sid]
	if !ok {
		return Actor{}, Errorf(ENotFound, "", "study %d does not exist", sid)
	}
	if a.Role == RolePresenter {
		role = RolePresenter
	}
	a.Role = role
	return a, nil
}

// StudiesFor lists the studies an actor may see, newest first.
func (s *Service) StudiesFor(ctx context.Context, a Actor) ([]*Study, error) {
	all, err := s.Studies(ctx)
	if err != nil || a.Role == RoleAdmin {
		return all, err
	}
	roles, err := s.memberships(ctx, a.StaffID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, st := range all {
		if _, ok := roles[st.ID]; ok {
			out = append(out, st)
		}
	}
	return out, nil
}

// StudyRole is the actor's role in a study ("" when they have none), for pages that say it.
func (s *Service) StudyRole(ctx context.Context, a Actor, sid int64) string {
	b, err := s.StudyAccess(ctx, a, sid)
	if err != nil {
		return ""
	}
	return b.Role
}

// Members lists a study's members (anyone who may run the study).
func (s *Service) Members(ctx context.Context, a Actor, sid int64) ([]Member, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	rows, err := s.st.Members(ctx, sid)
	if err != nil {
		return nil, err
	}
	out := make([]Member, len(rows))
	for i, r := range rows {
		out[i] = Member{StaffID: r.StaffID, Email: r.Email, Name: r.Name, Role: r.Role, StaffRole: r.StaffRole,
			AddedAt: store.ParseTime(r.AddedAt)}
	}
	return out, nil
}

// PutMember makes a staff member a member of a study with role (facilitator or presenter), or
// changes their role there. Admins and the study's facilitators may. It reports whether the
// member is new.
func (s *Service) PutMember(ctx context.Context, a Actor, sid, staffID int64, role string) (bool, error) {
	if err := a.mustRun(); err != nil {
		return false, err
	}
	if role != RoleFacilitator && role != RolePresenter {
		return false, Errorf(EInvalid, "role", "a member's role in a study is facilitator or presenter, not %q", role)
	}
	var added bool
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Study(sid); err != nil {
			return notFound(err, "study %d does not exist", sid)
		}
		acc, err := tx.StaffByID(staffID)
		if err != nil {
			return notFound(err, "staff member %d does not exist", staffID)
		}
		if acc.Role == RolePresenter && role == RoleFacilitator {
			return Errorf(EInvalid, "role", "%s has a presenter account, which reads reports only: make them a presenter here, or ask an admin to change their account's role", acc.Email)
		}
		if added, err = tx.PutMember(sid, staffID, role, a.StaffID); err != nil {
			return err
		}
		return tx.Audit(a.String(), "study.member.put", sid, fmt.Sprintf(`{"staff":%d,"role":%q,"added":%v}`, staffID, role, added))
	})
	return added, err
}

// DeleteMember removes a staff member from a study.
func (s *Service) DeleteMember(ctx context.Context, a Actor, sid, staffID int64) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.DeleteMember(sid, staffID)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(ENotFound, "staff_id", "staff member %d is not a member of study %d", staffID, sid)
		}
		return tx.Audit(a.String(), "study.member.delete", sid, fmt.Sprintf(`{"staff":%d}`, staffID))
	})
}

// StaffIDByEmail finds a staff account by email, for adding a member by their address (anyone
// who may run a study).
func (s *Service) StaffIDByEmail(ctx context.Context, a Actor, email string) (int64, error) {
	if err := a.mustRun(); err != nil {
		return 0, err
	}
	row, err := s.st.StaffByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		return 0, Errorf(EInvalid, "email", "no staff account has the email %q: ask an admin to add one", email)
	}
	if err != nil {
		return 0, err
	}
	return row.ID, nil
}
