package delphi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/store"
)

// Staff is a staff account, without its password hash.
type Staff struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
	// PasswordSet is false for an invited account whose member has not yet chosen a password,
	// and after a reset until they choose a new one.
	PasswordSet bool      `json:"password_set"`
	CreatedAt   time.Time `json:"created_at"`
}

func toStaff(r store.Staff) Staff {
	return Staff{ID: r.ID, Email: r.Email, Name: r.Name, Role: r.Role, Disabled: r.DisabledAt != "",
		PasswordSet: r.PasswordHash != "", CreatedAt: store.ParseTime(r.CreatedAt)}
}

func validRole(role string) bool {
	return role == RoleAdmin || role == RoleFacilitator || role == RolePresenter
}

// Bootstrap prepares an empty database on first start: an admin account (with password, or a
// random one returned so that it can be printed once) and a ready study from the named survey.
// On a database that has staff already it does nothing and returns "".
func (s *Service) Bootstrap(ctx context.Context, adminEmail, adminPassword, surveyName string) (generated string, err error) {
	pw := adminPassword
	if pw == "" {
		pw = auth.RandomPassword()
	}
	hash, err := s.hash(pw)
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
		// No contact yet: the admin's sign-in address is no one experts should write to, and
		// round 1 does not open until the console has been given a real contact.
		if _, err := s.CreateStudy(ctx, System, CreateStudyInput{Survey: surveyName}); err != nil {
			return "", fmt.Errorf("first start: create %s study: %w", surveyName, err)
		}
	}
	if adminPassword == "" {
		return pw, nil
	}
	return "", nil
}

// SignIn is a sign-in attempt: the credentials and where they come from (for the session list
// and the audit log; never the password).
type SignIn struct {
	Email, Password string
	Client          string // the browser's User-Agent
	Address         string // the client's address
	TTL             time.Duration
}

// SignedIn is a new session.
type SignedIn struct {
	Staff   Staff
	Token   string
	Session auth.Session
}

// ErrWrongPassword is the one answer to an unknown email or a wrong password, so that the
// answer does not tell which accounts exist.
var ErrWrongPassword = Errorf(EUnauthorized, "", "wrong email or password")

// Login checks a staff member's email and password and opens a session. Successes and failures
// go to the audit log (with the email as typed and the address, never the password).
func (s *Service) Login(ctx context.Context, in SignIn) (SignedIn, error) {
	email := strings.TrimSpace(in.Email)
	row, err := s.st.StaffByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return SignedIn{}, err
	}
	// Compare even for unknown emails and accounts without a password, so that timing does
	// not tell which accounts exist.
	hash := row.PasswordHash
	if hash == "" {
		hash = s.dummyHash()
	}
	ok := auth.CheckPassword(hash, in.Password) && row.ID != 0 && row.PasswordHash != ""
	switch {
	case !ok:
		s.auditSignIn(ctx, "staff.signin.failed", row.ID, email, in.Address, "wrong email or password")
		return SignedIn{}, ErrWrongPassword
	case row.DisabledAt != "":
		// the password was right, so only the account's owner learns that it is disabled
		s.auditSignIn(ctx, "staff.signin.failed", row.ID, email, in.Address, "account disabled")
		return SignedIn{}, Errorf(EForbidden, "", "this account is disabled; ask an administrator to enable it")
	}
	return s.openSession(ctx, toStaff(row), in, "staff.signin")
}

// openSession signs a session token and records the session, in one transaction with its
// audit entry.
func (s *Service) openSession(ctx context.Context, st Staff, in SignIn, action string, also ...func(*store.Tx) error) (SignedIn, error) {
	tok, sess, err := s.signer.SignSession(st.ID, st.Role, in.TTL)
	if err != nil {
		return SignedIn{}, fmt.Errorf("sign session: %w", err)
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		for _, f := range also {
			if err := f(tx); err != nil {
				return err
			}
		}
		if err := tx.CreateSession(store.StaffSession{ID: sess.ID, StaffID: st.ID, ExpiresAt: store.FormatTime(sess.Expires),
			Client: shorten(in.Client, 200), Address: shorten(in.Address, 64)}); err != nil {
			return err
		}
		return tx.Audit(Actor{StaffID: st.ID}.String(), action, 0, jsonObject("session", sess.ID[:8], "address", in.Address))
	})
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Staff: st, Token: tok, Session: sess}, nil
}

func (s *Service) auditSignIn(ctx context.Context, action string, staffID int64, email, address, reason string) {
	actor := System.String()
	if staffID > 0 {
		actor = Actor{StaffID: staffID}.String()
	}
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(actor, action, 0, jsonObject("email", shorten(email, 120), "address", address, "reason", reason))
	})
	if err != nil {
		s.log.Error("audit sign-in", "err", err)
	}
}

// AuditLockout records that sign-ins for key (an account's email or a client address) are now
// being delayed: someone may be guessing passwords.
func (s *Service) AuditLockout(ctx context.Context, kind, key string, delay time.Duration) {
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(System.String(), "staff.signin.delayed", 0, jsonObject(kind, shorten(key, 120), "delay", delay.String()))
	})
	if err != nil {
		s.log.Error("audit lock-out", "err", err)
	}
}

// jsonObject encodes key/value pairs as a JSON object, in order (for audit details).
func jsonObject(kv ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[i])
		v, _ := json.Marshal(kv[i+1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		n--
	}
	return s[:n]
}

// hash hashes a password at the service's bcrypt cost.
func (s *Service) hash(pw string) (string, error) { return auth.HashPasswordCost(pw, s.PasswordCost) }

// dummyHash is a bcrypt hash of a random password, made once, compared against for unknown emails.
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy, _ = s.hash(auth.RandomPassword()) })
	return s.dummy
}

// StaffSession returns the account behind a session token already checked for signature and
// expiry: the session must not have ended and the account must be active. It runs on every
// staff request, so the answer is kept while the store's Meta holds: every write that ends a
// session or changes an account moves Meta, which keeps the guarantee exact (sign-out, a
// disabled account or a changed role count from the next request on).
func (s *Service) StaffSession(ctx context.Context, sess auth.Session) (Staff, error) {
	meta := s.st.Meta()
	if c, ok := s.sessions.Get(sess.ID); ok && c.meta == meta {
		return c.staff, c.err
	}
	st, err := s.readSession(ctx, sess)
	var de *Error
	if err == nil || errors.As(err, &de) { // not a passing database error
		s.sessions.Put(sess.ID, &cachedSession{meta: meta, staff: st, err: err})
	}
	return st, err
}

// maxCachedSessions bounds Service.sessions (about 200 bytes each).
const maxCachedSessions = 10_000

type cachedSession struct {
	meta  uint64
	staff Staff
	err   error
}

func (s *Service) readSession(ctx context.Context, sess auth.Session) (Staff, error) {
	row, err := s.st.Session(ctx, sess.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && row.StaffID != sess.StaffID) {
		return Staff{}, Errorf(EUnauthorized, "", "your session is not valid; sign in again")
	}
	if err != nil {
		return Staff{}, err
	}
	if row.EndedAt != "" {
		why := "it was ended"
		if row.EndReason != "" {
			why = row.EndReason
		}
		return Staff{}, Errorf(EUnauthorized, "", "your session has ended (%s); sign in again", why)
	}
	acc, err := s.st.StaffByID(ctx, sess.StaffID)
	if err != nil {
		return Staff{}, notFound(err, "your account no longer exists")
	}
	if acc.DisabledAt != "" {
		return Staff{}, Errorf(EUnauthorized, "", "this account is disabled")
	}
	return toStaff(acc), nil
}

// Logout ends a session at once: its cookie and every copy of its token stop working.
func (s *Service) Logout(ctx context.Context, a Actor, sessionID string) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.EndSession(sessionID, "signed out"); err != nil {
			return err
		}
		return tx.Audit(a.String(), "staff.signout", 0, jsonObject("session", shorten(sessionID, 8)))
	})
}

// SessionInfo is a live session as an admin or its owner sees it.
type SessionInfo struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Client    string    `json:"client"`
	Address   string    `json:"address"`
	Current   bool      `json:"current"` // the session asking
}

// Sessions lists an account's live sessions (admins, or the account itself).
func (s *Service) Sessions(ctx context.Context, a Actor, staffID int64, current string) ([]SessionInfo, error) {
	if a.Role != RoleAdmin && a.StaffID != staffID {
		return nil, Errorf(EForbidden, "", "only admins may see another member's sessions")
	}
	if _, err := s.st.StaffByID(ctx, staffID); err != nil {
		return nil, notFound(err, "staff member %d does not exist", staffID)
	}
	rows, err := s.st.LiveSessions(ctx, staffID)
	if err != nil {
		return nil, err
	}
	out := make([]SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = SessionInfo{ID: r.ID, CreatedAt: store.ParseTime(r.CreatedAt), ExpiresAt: store.ParseTime(r.ExpiresAt),
			Client: r.Client, Address: r.Address, Current: r.ID == current}
	}
	return out, nil
}

// EndSessions ends one session of an account (sessionID) or all of them ("").
func (s *Service) EndSessions(ctx context.Context, a Actor, staffID int64, sessionID string) (int64, error) {
	if a.Role != RoleAdmin && a.StaffID != staffID {
		return 0, Errorf(EForbidden, "", "only admins may end another member's sessions")
	}
	reason := "ended by an administrator"
	if a.StaffID == staffID {
		reason = "ended by its owner"
	}
	var n int64
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.StaffByID(staffID); err != nil {
			return notFound(err, "staff member %d does not exist", staffID)
		}
		var err error
		if sessionID == "" {
			n, err = tx.EndStaffSessions(staffID, reason, "")
		} else {
			row, rerr := tx.Session(sessionID)
			if rerr != nil || row.StaffID != staffID {
				return Errorf(ENotFound, "session", "no such session of staff member %d", staffID)
			}
			n, err = tx.EndSession(sessionID, reason)
		}
		if err != nil {
			return err
		}
		return tx.Audit(a.String(), "staff.sessions.end", 0, fmt.Sprintf(`{"staff":%d,"ended":%d}`, staffID, n))
	})
	return n, err
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
		out[i] = toStaff(r)
	}
	return out, nil
}

// StaffAccount returns one account (admins, or the account itself).
func (s *Service) StaffAccount(ctx context.Context, a Actor, id int64) (Staff, error) {
	if a.Role != RoleAdmin && a.StaffID != id {
		return Staff{}, Errorf(EForbidden, "", "only admins may see other staff accounts")
	}
	row, err := s.st.StaffByID(ctx, id)
	if err != nil {
		return Staff{}, notFound(err, "staff member %d does not exist", id)
	}
	return toStaff(row), nil
}

// NewStaff is an account to create. Without a password the account is invited: it gets a
// one-time link on which its member chooses one.
type NewStaff struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password,omitempty"`
}

// PasswordLink is a one-time link to choose a password, as its token (the URL is the caller's
// to build) and its expiry.
type PasswordLink struct {
	Token   string    `json:"-"`
	Purpose string    `json:"purpose"` // invite, reset
	Expires time.Time `json:"expires_at"`
}

// How long links to choose a password stay valid.
const (
	inviteLinkTTL = 7 * 24 * time.Hour
	resetLinkTTL  = 72 * time.Hour
)

// CreateStaff adds a staff account (admins only). With a password (checked by the policy) the
// account is ready; without one, the returned link lets its member choose one.
func (s *Service) CreateStaff(ctx context.Context, a Actor, in NewStaff) (Staff, *PasswordLink, error) {
	if a.Role != RoleAdmin {
		return Staff{}, nil, Errorf(EForbidden, "", "only admins may add staff")
	}
	in.Email = strings.TrimSpace(in.Email)
	if _, err := mail.ParseAddress(in.Email); err != nil || strings.ContainsAny(in.Email, "<> ") {
		return Staff{}, nil, Errorf(EInvalid, "email", "%q is not an email address", in.Email)
	}
	if !validRole(in.Role) {
		return Staff{}, nil, Errorf(EInvalid, "role", "role must be admin, facilitator or presenter, not %q", in.Role)
	}
	hash := ""
	if in.Password != "" {
		if err := s.passwords.Check(in.Password, in.Email); err != nil {
			return Staff{}, nil, Errorf(EInvalid, "password", "%v", err)
		}
		var err error
		if hash, err = s.hash(in.Password); err != nil {
			return Staff{}, nil, Errorf(EInvalid, "password", "%v", err)
		}
	}
	var (
		id   int64
		link *PasswordLink
	)
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = tx.CreateStaff(in.Email, strings.TrimSpace(in.Name), in.Role, hash)
		if errors.Is(err, store.ErrConflict) {
			return Errorf(EConflict, "email", "an account for %s already exists", in.Email)
		}
		if err != nil {
			return err
		}
		if hash == "" {
			if link, err = s.newPasswordLink(tx, a, id, "invite", inviteLinkTTL); err != nil {
				return err
			}
		}
		return tx.Audit(a.String(), "staff.create", 0, fmt.Sprintf(`{"id":%d,"role":%q,"invited":%v}`, id, in.Role, hash == ""))
	})
	if err != nil {
		return Staff{}, nil, err
	}
	return Staff{ID: id, Email: in.Email, Name: strings.TrimSpace(in.Name), Role: in.Role, PasswordSet: hash != "",
		CreatedAt: s.now().UTC().Truncate(time.Second)}, link, nil
}

func (s *Service) newPasswordLink(tx *store.Tx, a Actor, staffID int64, purpose string, ttl time.Duration) (*PasswordLink, error) {
	tok := auth.NewID() + auth.NewID() // 256 random bits
	exp := s.now().Add(ttl).UTC().Truncate(time.Second)
	err := tx.CreatePasswordLink(store.PasswordLink{TokenHash: linkHash(tok), StaffID: staffID, Purpose: purpose,
		ExpiresAt: store.FormatTime(exp)}, a.StaffID)
	if err != nil {
		return nil, err
	}
	return &PasswordLink{Token: tok, Purpose: purpose, Expires: exp}, nil
}

func linkHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// StaffChange changes an account: its role, or whether it is disabled. Nil fields stay.
type StaffChange struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// UpdateStaff changes an account (admins only). A changed role or a disabled account ends the
// account's sessions; the last active admin can be neither demoted nor disabled.
func (s *Service) UpdateStaff(ctx context.Context, a Actor, id int64, ch StaffChange) (Staff, error) {
	if a.Role != RoleAdmin {
		return Staff{}, Errorf(EForbidden, "", "only admins may change staff accounts")
	}
	if ch.Role == nil && ch.Disabled == nil {
		return Staff{}, Errorf(EInvalid, "", "nothing to change: give role or disabled")
	}
	if ch.Role != nil && !validRole(*ch.Role) {
		return Staff{}, Errorf(EInvalid, "role", "role must be admin, facilitator or presenter, not %q", *ch.Role)
	}
	var out Staff
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		row, err := tx.StaffByID(id)
		if err != nil {
			return notFound(err, "staff member %d does not exist", id)
		}
		before := toStaff(row)
		demote := ch.Role != nil && *ch.Role != RoleAdmin && before.Role == RoleAdmin
		disable := ch.Disabled != nil && *ch.Disabled && !before.Disabled
		if (demote || disable) && before.Role == RoleAdmin && !before.Disabled {
			n, err := tx.CountActiveAdmins()
			if err != nil {
				return err
			}
			if n <= 1 {
				what := "demoted"
				if disable {
					what = "disabled"
				}
				return Errorf(EConflict, "", "%s is the last active admin and cannot be %s: make another account admin first", before.Email, what)
			}
		}
		changed := []string{}
		if ch.Role != nil && *ch.Role != before.Role {
			if err := tx.SetStaffRole(id, *ch.Role); err != nil {
				return err
			}
			if *ch.Role == RolePresenter {
				if err := tx.DemoteMemberships(id); err != nil {
					return err
				}
			}
			if _, err := tx.EndStaffSessions(id, "role changed", ""); err != nil {
				return err
			}
			changed = append(changed, "role", before.Role, *ch.Role)
		}
		if ch.Disabled != nil && *ch.Disabled != before.Disabled {
			if err := tx.SetStaffDisabled(id, *ch.Disabled); err != nil {
				return err
			}
			if *ch.Disabled {
				if _, err := tx.EndStaffSessions(id, "account disabled", ""); err != nil {
					return err
				}
				changed = append(changed, "disabled", "true")
			} else {
				changed = append(changed, "disabled", "false")
			}
		}
		if row, err = tx.StaffByID(id); err != nil {
			return err
		}
		out = toStaff(row)
		if len(changed) == 0 {
			return nil
		}
		return tx.Audit(a.String(), "staff.update", 0, fmt.Sprintf(`{"id":%d,"change":%s}`, id, jsonObject(pairs(changed)...)))
	})
	return out, err
}

// pairs turns ["role", from, to, "disabled", v] into key/value pairs for jsonObject.
func pairs(ch []string) []string {
	var out []string
	for i := 0; i < len(ch); {
		if ch[i] == "role" {
			out = append(out, "role", ch[i+1]+" → "+ch[i+2])
			i += 3
			continue
		}
		out = append(out, ch[i], ch[i+1])
		i += 2
	}
	return out
}

// ResetPassword ends an account's password (admins only): the old password stops working,
// its sessions end, and the returned one-time link lets its member choose a new one.
func (s *Service) ResetPassword(ctx context.Context, a Actor, id int64) (Staff, *PasswordLink, error) {
	if a.Role != RoleAdmin {
		return Staff{}, nil, Errorf(EForbidden, "", "only admins may reset passwords")
	}
	var (
		link *PasswordLink
		out  Staff
	)
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		row, err := tx.StaffByID(id)
		if err != nil {
			return notFound(err, "staff member %d does not exist", id)
		}
		if err := tx.SetStaffPassword(id, ""); err != nil {
			return err
		}
		if _, err := tx.EndStaffSessions(id, "password reset", ""); err != nil {
			return err
		}
		if link, err = s.newPasswordLink(tx, a, id, "reset", resetLinkTTL); err != nil {
			return err
		}
		row.PasswordHash = ""
		out = toStaff(row)
		return tx.Audit(a.String(), "staff.password.reset", 0, fmt.Sprintf(`{"id":%d}`, id))
	})
	return out, link, err
}

// PasswordLinkAccount returns the account a valid, unused password link is for.
func (s *Service) PasswordLinkAccount(ctx context.Context, token string) (Staff, string, error) {
	l, err := s.st.PasswordLink(ctx, linkHash(token))
	if err != nil {
		return Staff{}, "", notFound(err, "this link is not valid: ask an administrator for a new one")
	}
	if err := s.linkUsable(l); err != nil {
		return Staff{}, "", err
	}
	row, err := s.st.StaffByID(ctx, l.StaffID)
	if err != nil {
		return Staff{}, "", err
	}
	if row.DisabledAt != "" {
		return Staff{}, "", Errorf(EForbidden, "", "this account is disabled; ask an administrator to enable it")
	}
	return toStaff(row), l.Purpose, nil
}

func (s *Service) linkUsable(l store.PasswordLink) error {
	switch {
	case l.UsedAt != "":
		return Errorf(EGone, "", "this link has already been used (or a newer one was made): sign in, or ask an administrator for a new link")
	case !s.now().Before(store.ParseTime(l.ExpiresAt)):
		return Errorf(EGone, "", "this link has expired: ask an administrator for a new one")
	}
	return nil
}

// SetPasswordByLink lets the member an invitation or reset link was made for choose a
// password; the link is used up, other sessions end, and the member is signed in.
func (s *Service) SetPasswordByLink(ctx context.Context, token, password string, in SignIn) (SignedIn, error) {
	acc, purpose, err := s.PasswordLinkAccount(ctx, token)
	if err != nil {
		return SignedIn{}, err
	}
	if err := s.passwords.Check(password, acc.Email); err != nil {
		return SignedIn{}, Errorf(EInvalid, "password", "%v", err)
	}
	hash, err := s.hash(password)
	if err != nil {
		return SignedIn{}, Errorf(EInvalid, "password", "%v", err)
	}
	h := linkHash(token)
	acc.PasswordSet = true
	return s.openSession(ctx, acc, in, "staff.password."+purpose+"_used", func(tx *store.Tx) error {
		l, err := tx.PasswordLink(h)
		if err != nil {
			return err
		}
		if err := s.linkUsable(l); err != nil { // again, inside the transaction: two tabs at once
			return err
		}
		if n, err := tx.UsePasswordLink(h); err != nil || n == 0 {
			if err == nil {
				err = Errorf(EGone, "", "this link has already been used: sign in, or ask an administrator for a new link")
			}
			return err
		}
		if err := tx.SetStaffPassword(acc.ID, hash); err != nil {
			return err
		}
		_, err = tx.EndStaffSessions(acc.ID, "password changed", "")
		return err
	})
}

// ChangePassword lets a signed-in member change their own password. Their other sessions end;
// the one asking (keep) stays.
func (s *Service) ChangePassword(ctx context.Context, a Actor, keep, current, next string) error {
	if a.StaffID == 0 {
		return Errorf(EUnauthorized, "", "sign in first")
	}
	row, err := s.st.StaffByID(ctx, a.StaffID)
	if err != nil {
		return notFound(err, "your account no longer exists")
	}
	if row.PasswordHash == "" || !auth.CheckPassword(row.PasswordHash, current) {
		return Errorf(EInvalid, "current_password", "the current password is not right")
	}
	if current == next {
		return Errorf(EInvalid, "new_password", "the new password is the same as the current one")
	}
	if err := s.passwords.Check(next, row.Email); err != nil {
		return Errorf(EInvalid, "new_password", "%v", err)
	}
	hash, err := s.hash(next)
	if err != nil {
		return Errorf(EInvalid, "new_password", "%v", err)
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetStaffPassword(a.StaffID, hash); err != nil {
			return err
		}
		n, err := tx.EndStaffSessions(a.StaffID, "password changed", keep)
		if err != nil {
			return err
		}
		return tx.Audit(a.String(), "staff.password.change", 0, fmt.Sprintf(`{"other_sessions_ended":%d}`, n))
	})
}
