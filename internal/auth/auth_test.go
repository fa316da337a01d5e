package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func newSigner(t *testing.T, key string, now time.Time) *Signer {
	t.Helper()
	s, err := New([]byte(key), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const key1 = "0123456789abcdef0123456789abcdef"
const key2 = "fedcba9876543210fedcba9876543210"

func TestInviteTokens(t *testing.T) {
	s := newSigner(t, key1, t0)
	inv := Invite{ID: "abc", StudyID: 3, PanelistID: 7, Expires: t0.Add(48 * time.Hour)}
	good, err := s.SignInvite(inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ParseInvite(good)
	if err != nil || got.ID != "abc" || got.StudyID != 3 || got.PanelistID != 7 || !got.Expires.Equal(inv.Expires) {
		t.Fatalf("ParseInvite(good) = %+v, %v", got, err)
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := inviteClaims{Study: 3, Panelist: 7, RegisteredClaims: jwt.RegisteredClaims{ID: "abc", Issuer: issuer,
		Audience: jwt.ClaimStrings{audInvite}, IssuedAt: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour))}}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	rs, _ := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(rsaKey)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString([]byte(key1))
	otherKey, _ := newSigner(t, key2, t0).SignInvite(inv)
	expired, _ := newSigner(t, key1, t0.Add(-72*time.Hour)).SignInvite(Invite{ID: "x", StudyID: 3, PanelistID: 7, Expires: t0.Add(-time.Hour)})
	future := newSigner(t, key1, t0.Add(time.Hour))
	notYet, _ := future.SignInvite(inv) // issued in the future
	session, _, _ := s.SignSession(1, "admin", time.Hour)
	noExp := claims
	noExp.ExpiresAt = nil
	noExpTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, noExp).SignedString([]byte(key1))

	// change the panelist claim, keep the signature
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"pid":7`, `"pid":8`, 1))) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"alg none", none, ErrInvalid},
		{"RS256 (algorithm confusion)", rs, ErrInvalid},
		{"HS512 (only HS256 allowed)", hs512, ErrInvalid},
		{"signed with another key", otherKey, ErrInvalid},
		{"claim changed", forged, ErrInvalid},
		{"expired", expired, ErrExpired},
		{"issued in the future", notYet, ErrInvalid},
		{"staff session used as invite", session, ErrInvalid},
		{"no expiry", noExpTok, ErrInvalid},
		{"garbage", "not.a.token", ErrInvalid},
		{"empty", "", ErrInvalid},
		{"huge", strings.Repeat("a", 10000), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.ParseInvite(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseInvite = %v, want %v", err, tt.want)
			}
		})
	}
}

// A checked invite is not checked again, but its expiry is: the same token is refused once
// its time is up, with its claims, as on the first check; another token never matches it.
func TestInviteCheckedOnce(t *testing.T) {
	now := t0
	s, err := New([]byte(key1), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	inv := Invite{ID: "abc", StudyID: 3, PanelistID: 7, Expires: t0.Add(time.Hour)}
	tok, err := s.SignInvite(inv)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // checked, then remembered
		if got, err := s.ParseInvite(tok); err != nil || got.PanelistID != 7 {
			t.Fatalf("check %d: %+v, %v", i, got, err)
		}
	}
	if _, err := s.ParseInvite(tok[:len(tok)-2] + "xx"); !errors.Is(err, ErrInvalid) {
		t.Errorf("another signature: %v", err)
	}
	now = t0.Add(time.Hour) // exp is exclusive
	if got, err := s.ParseInvite(tok); !errors.Is(err, ErrExpired) || got.ID != "abc" {
		t.Errorf("after expiry: %+v, %v", got, err)
	}
	now = t0
	for i := range maxCheckedInvites + 5 { // the bound holds
		tk, _ := s.SignInvite(Invite{ID: fmt.Sprint("i", i), StudyID: 1, PanelistID: 1, Expires: t0.Add(time.Hour)})
		if _, err := s.ParseInvite(tk); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.invites.Len(); n > maxCheckedInvites {
		t.Errorf("%d checked invites kept, bound %d", n, maxCheckedInvites)
	}
}

func TestSessionTokens(t *testing.T) {
	s := newSigner(t, key1, t0)
	tok, sess, err := s.SignSession(5, "facilitator", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ParseSession(tok)
	if err != nil || got.StaffID != 5 || got.Role != "facilitator" || got.ID != sess.ID {
		t.Fatalf("ParseSession = %+v, %v", got, err)
	}
	inv, _ := s.SignInvite(Invite{ID: "a", StudyID: 1, PanelistID: 1, Expires: t0.Add(time.Hour)})
	if _, err := s.ParseSession(inv); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invite accepted as session: %v", err)
	}
	later := newSigner(t, key1, t0.Add(2*time.Hour))
	if _, err := later.ParseSession(tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired session: %v", err)
	}
}

func TestCSRF(t *testing.T) {
	s := newSigner(t, key1, t0)
	tok := s.CSRF("sess-1")
	if !s.CheckCSRF("sess-1", tok) {
		t.Fatal("own token refused")
	}
	for _, bad := range []string{"", tok + "x", s.CSRF("sess-2")} {
		if s.CheckCSRF("sess-1", bad) {
			t.Fatalf("token %q accepted", bad)
		}
	}
}

func TestPasswords(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !CheckPassword(h, "correct horse") || CheckPassword(h, "wrong horse") {
		t.Fatal("password check wrong")
	}
	if _, err := HashPassword("short"); err == nil {
		t.Fatal("short password accepted")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := t.TempDir() + "/k/delphi.key"
	k1, created, err := LoadOrCreateKey(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("create: %v %v %d", err, created, len(k1))
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || string(k1) != string(k2) {
		t.Fatalf("reload: %v %v", err, created)
	}
}

func FuzzParseInvite(f *testing.F) {
	s, _ := New([]byte(key1), func() time.Time { return t0 })
	good, _ := s.SignInvite(Invite{ID: "a", StudyID: 1, PanelistID: 2, Expires: t0.Add(time.Hour)})
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		inv, err := s.ParseInvite(tok)
		if err == nil && (inv.StudyID <= 0 || inv.PanelistID <= 0 || inv.ID == "") {
			t.Fatalf("accepted incomplete token %q", tok)
		}
	})
}
