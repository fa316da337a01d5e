package delphi

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/store"
)

// Staff is a staff account, without its password hash.
type Staff struct {
	ID    int64
	Email string
	Name  string
	Role  string
}

// Bootstrap prepares an empty database on first start: an admin account (with password, or a
// random one returned so that it can be printed once) and a ready study from the named survey.
// On a database that has staff already it does nothing and returns "".
func (s *Service) Bootstrap(ctx context.Context, adminEmail, adminPassword, surveyName string) (generated string, err error) {
	pw := adminPassword
	if pw == "" {
		pw = auth.RandomPassword()
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return "", Errorf(EInvalid, "DELPHI_ADMIN_PASSWORD", "%v", err)
	}
	created := false
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.CountStaff()
		if err != nil || n > 0 {
			return err
		}
		id, err := tx.CreateStaff(adminEmail, "Administrator", RoleAdmin, hash)
		if err != nil {
			return err
		}
		created = true
		return tx.Audit(System.String(), "staff.create", 0, fmt.Sprintf(`{"id":%d,"role":"admin","first_start":true}`, id))
	})
	if err != nil || !created {
		return "", err
	}
	if surveyName != "" {
		if _, err := s.CreateStudy(ctx, System, CreateStudyInput{Survey: surveyName, Contact: adminEmail}); err != nil {
			return "", fmt.Errorf("first start: create %s study: %w", surveyName, err)
		}
	}
	if adminPassword == "" {
		return pw, nil
	}
	return "", nil
}

// Login checks a staff member's email and password.
func (s *Service) Login(ctx context.Context, email, password string) (Staff, error) {
	row, err := s.st.StaffByEmail(ctx, strings.TrimSpace(email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Staff{}, err
	}
	// Compare even for unknown emails, so timing does not tell which accounts exist.
	hash := row.PasswordHash
	if hash == "" {
		hash = s.dummyHash()
	}
	if !auth.CheckPassword(hash, password) || row.ID == 0 || row.DisabledAt != "" {
		return Staff{}, Errorf(EUnauthorized, "", "wrong email or password")
	}
	return Staff{ID: row.ID, Email: row.Email, Name: row.Name, Role: row.Role}, nil
}

// dummyHash is a bcrypt hash of a random password, made once, compared against for unknown emails.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = auth.HashPassword(auth.RandomPassword()) })
	return s.dummy
}

// StaffMember returns an active staff account (sessions are checked against it on every request,
// so a disabled account or a changed role takes effect at once). The row read is reused while
// nothing has been written since (Store.Version), which keeps that guarantee exactly.
func (s *Service) StaffMember(ctx context.Context, id int64) (Staff, error) {
	v := s.st.Version()
	if c, ok := s.staff.Load(id); ok && c.(*cachedStaff).version == v {
		return c.(*cachedStaff).staff, nil
	}
	st, err := s.readStaffMember(ctx, id)
	if err == nil {
		s.staff.Store(id, &cachedStaff{version: v, staff: st})
	}
	return st, err
}

type cachedStaff struct {
	version uint64
	staff   Staff
}

func (s *Service) readStaffMember(ctx context.Context, id int64) (Staff, error) {
	row, err := s.st.StaffByID(ctx, id)
	if err != nil {
		return Staff{}, notFound(err, "no such staff account")
	}
	if row.DisabledAt != "" {
		return Staff{}, Errorf(EUnauthorized, "", "this account is disabled")
	}
	return Staff{ID: row.ID, Email: row.Email, Name: row.Name, Role: row.Role}, nil
}

// ListStaff lists staff accounts (admins only).
func (s *Service) ListStaff(ctx context.Context, a Actor) ([]Staff, error) {
	if a.Role != RoleAdmin {
		return nil, Errorf(EForbidden, "", "only admins may list staff")
	}
	rows, err := s.st.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Staff, len(rows))
	for i, r := range rows {
		out[i] = Staff{ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role}
	}
	return out, nil
}

// NewStaff is an account to create.
type NewStaff struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// CreateStaff adds a staff account (admins only).
func (s *Service) CreateStaff(ctx context.Context, a Actor, in NewStaff) (Staff, error) {
	if a.Role != RoleAdmin {
		return Staff{}, Errorf(EForbidden, "", "only admins may add staff")
	}
	in.Email = strings.TrimSpace(in.Email)
	if _, err := mail.ParseAddress(in.Email); err != nil || strings.ContainsAny(in.Email, "<> ") {
		return Staff{}, Errorf(EInvalid, "email", "%q is not an email address", in.Email)
	}
	switch in.Role {
	case RoleAdmin, RoleFacilitator, RolePresenter:
	default:
		return Staff{}, Errorf(EInvalid, "role", "role must be admin, facilitator or presenter, not %q", in.Role)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return Staff{}, Errorf(EInvalid, "password", "%v", err)
	}
	var id int64
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		id, err = tx.CreateStaff(in.Email, strings.TrimSpace(in.Name), in.Role, hash)
		if errors.Is(err, store.ErrConflict) {
			return Errorf(EConflict, "email", "an account for %s already exists", in.Email)
		}
		if err != nil {
			return err
		}
		return tx.Audit(a.String(), "staff.create", 0, fmt.Sprintf(`{"id":%d,"role":%q}`, id, in.Role))
	})
	if err != nil {
		return Staff{}, err
	}
	return Staff{ID: id, Email: in.Email, Name: in.Name, Role: in.Role}, nil
}
