// Package auth signs and checks delphi's tokens (experts' invite links, staff sessions), derives
// CSRF tokens, and hashes staff passwords. It holds the server's signing key, which never leaves
// the process; it knows nothing of HTTP or of the database.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/cart-cd/delphi/internal/cache"
)

// Errors from Parse*. ErrExpired is separate so that pages can say "this link has expired".
var (
	ErrInvalid = errors.New("invalid token")
	ErrExpired = errors.New("token expired")
)

const issuer = "delphi"

// Audiences keep an invite token from being used as a staff session and back.
const (
	audInvite = "invite"
	audStaff  = "staff"
)

// Signer signs and verifies tokens with one HS256 key.
type Signer struct {
	key []byte
	now func() time.Time
	// invites are invite tokens already checked (signature, issuer, audience), with what they
	// say: an expert sends theirs with every request, and checking it again (base64, JSON, an
	// HMAC) was a good part of what an autosave cost. On a hit only the expiry is checked.
	// Never invalidated: what a checked token says never changes (revocation is the caller's
	// check, every time). Bounded: an evicted token is checked again on its next use.
	invites *cache.Cache[string, Invite]
	// sessions are staff session tokens already checked, in the same way: staff send theirs
	// with every request. Whether the session has ended is the caller's check, every time.
	sessions *cache.Cache[string, Session]
	// attendees are meeting attendees' tokens already checked, in the same way.
	attendees *cache.Cache[string, Attendee]
}

// maxCheckedInvites bounds Signer.invites (a few hundred bytes each): twice the largest panel
// planned for (10,000).
const maxCheckedInvites = 20_000

// New returns a Signer for key (at least 32 bytes).
func New(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: signing key is %d bytes, want at least 32", len(key))
	}
	return &Signer{key: key, now: now, invites: cache.New[string, Invite](maxCheckedInvites),
		sessions: cache.New[string, Session](maxCheckedSessions), attendees: cache.New[string, Attendee](maxCheckedAttendees)}, nil
}

// LoadOrCreateKey reads the signing key at path, creating a random one (mode 0600) on first start.
// Deleting or replacing the file invalidates every invite link and session: a deliberate act.
func LoadOrCreateKey(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(string(trimSpace(b)))
		if err != nil || len(key) < 32 {
			return nil, false, fmt.Errorf("auth: signing key %s is not 64+ hex characters", path)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("auth: read signing key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("auth: generate signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("auth: create key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("auth: create signing key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("auth: write signing key: %w", err)
	}
	return key, true, f.Close()
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// NewID returns a random 128-bit identifier, URL-safe (for jti values).
func NewID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Invite is what an invite link says: this panelist of this study, until Expires.
type Invite struct {
	ID         string // jti: the row in the invitations table
	StudyID    int64
	PanelistID int64
	Expires    time.Time
	// IssuedAt is the iat claim; zero means now. Signing the same invite with the same IssuedAt
	// gives the same token, so a reminder can carry the link the panelist already has.
	IssuedAt time.Time
}

type inviteClaims struct {
	Study    int64 `json:"sid"`
	Panelist int64 `json:"pid"`
	jwt.RegisteredClaims
}

// SignInvite returns the token for an invite.
func (s *Signer) SignInvite(inv Invite) (string, error) {
	iat := inv.IssuedAt
	if iat.IsZero() {
		iat = s.now()
	}
	c := inviteClaims{Study: inv.StudyID, Panelist: inv.PanelistID, RegisteredClaims: jwt.RegisteredClaims{
		ID: inv.ID, Issuer: issuer, Audience: jwt.ClaimStrings{audInvite},
		IssuedAt: jwt.NewNumericDate(iat), ExpiresAt: jwt.NewNumericDate(inv.Expires),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
}

// ParseInvite checks an invite token's signature (HS256 only), issuer, audience and expiry.
// Revocation is the caller's job: look the ID up in the invitations table. An expired token
// comes back with ErrExpired and its claims (the signature was checked first), so that the
// page can still say whom to contact; every other error returns no claims.
func (s *Signer) ParseInvite(token string) (Invite, error) {
	if inv, ok := s.invites.Get(token); ok {
		if !s.now().Before(inv.Expires) { // as jwt checks exp
			return inv, ErrExpired
		}
		return inv, nil
	}
	var c inviteClaims
	err := s.parse(token, audInvite, &c)
	if err != nil && !errors.Is(err, ErrExpired) {
		return Invite{}, err
	}
	if c.ID == "" || c.Study <= 0 || c.Panelist <= 0 || c.ExpiresAt == nil {
		return Invite{}, ErrInvalid
	}
	inv := Invite{ID: c.ID, StudyID: c.Study, PanelistID: c.Panelist, Expires: c.ExpiresAt.Time}
	if err == nil {
		s.invites.Put(token, inv)
	}
	return inv, err
}

// Session is a staff login.
type Session struct {
	ID      string
	StaffID int64
	Role    string
	Expires time.Time
}

type sessionClaims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// SignSession returns a session token for a staff member, valid for ttl.
func (s *Signer) SignSession(staffID int64, role string, ttl time.Duration) (string, Session, error) {
	sess := Session{ID: NewID(), StaffID: staffID, Role: role, Expires: s.now().Add(ttl).Truncate(time.Second)}
	c := sessionClaims{Role: role, RegisteredClaims: jwt.RegisteredClaims{
		ID: sess.ID, Subject: fmt.Sprint(staffID), Issuer: issuer, Audience: jwt.ClaimStrings{audStaff},
		IssuedAt: jwt.NewNumericDate(s.now()), ExpiresAt: jwt.NewNumericDate(sess.Expires),
	}}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	return tok, sess, err
}

// ParseSession checks a staff session token's signature, issuer, audience and expiry. Whether
// the session has ended (signed out, revoked) is the caller's to check.
func (s *Signer) ParseSession(token string) (Session, error) {
	if sess, ok := s.sessions.Get(token); ok {
		if !s.now().Before(sess.Expires) {
			return Session{}, ErrExpired
		}
		return sess, nil
	}
	sess, err := s.parseSession(token)
	if err == nil {
		s.sessions.Put(token, sess)
	}
	return sess, err
}

// maxCheckedSessions bounds Signer.sessions: more staff sessions than an institution has at
// once.
const maxCheckedSessions = 10_000

func (s *Signer) parseSession(token string) (Session, error) {
	var c sessionClaims
	if err := s.parse(token, audStaff, &c); err != nil {
		return Session{}, err
	}
	var id int64
	if _, err := fmt.Sscan(c.Subject, &id); err != nil || id <= 0 || c.ID == "" {
		return Session{}, ErrInvalid
	}
	return Session{ID: c.ID, StaffID: id, Role: c.Role, Expires: c.ExpiresAt.Time}, nil
}

func (s *Signer) parse(token, aud string, claims jwt.Claims) error {
	if len(token) > 4096 {
		return ErrInvalid
	}
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // never "none", never RS/ES confusion
		jwt.WithIssuer(issuer),
		jwt.WithAudience(aud),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		// The signature must be canonical base64url: without this, changing the last
		// character of a signature to one with the same leading bits still verified, so one
		// session or link had several spellings (and a revocation list keyed by token missed them).
		jwt.WithStrictDecoding(),
	)
	_, err := p.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return s.key, nil })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrExpired
	default:
		return ErrInvalid
	}
}

// RoundPseudonym returns a panelist's pseudonym for one round's raw answers: derived from the
// server key, so the same every time it is asked for, yet without the key the pseudonyms of two
// rounds cannot be linked to each other or to the panel.
func (s *Signer) RoundPseudonym(study, round, panelist int64) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "round-pseudonym\x00%d\x00%d\x00%d", study, round, panelist)
	sum := m.Sum(nil)
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford's base32
	b := make([]byte, 8)
	for i := range b {
		b[i] = alphabet[sum[i]&31]
	}
	return fmt.Sprintf("R%d-%s", round, b)
}

// CSRF returns the CSRF token bound to a session id: an HMAC, so nothing needs storing.
func (s *Signer) CSRF(sessionID string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("csrf\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a submitted CSRF token with the session's, in constant time.
func (s *Signer) CheckCSRF(sessionID, token string) bool {
	return token != "" && hmac.Equal([]byte(s.CSRF(sessionID)), []byte(token))
}

// HashPassword hashes a staff password with bcrypt. It checks only what bcrypt needs (8 to 72
// bytes): the first admin's password from the environment keeps those rules; passwords that
// staff choose go through CheckNewPassword first.
func HashPassword(pw string) (string, error) { return HashPasswordCost(pw, bcrypt.DefaultCost) }

// HashPasswordCost is HashPassword at a given bcrypt cost (tests use bcrypt.MinCost: a sign-in
// at the default cost takes a second under the race detector).
func HashPasswordCost(pw string, cost int) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("password must be at least 8 characters")
	}
	if len(pw) > 72 {
		return "", errors.New("password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	return string(h), err
}

// CheckPassword reports whether pw matches hash.
func CheckPassword(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// RandomPassword returns a password for a first admin: 18 random bytes, URL-safe.
func RandomPassword() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
