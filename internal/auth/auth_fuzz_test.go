package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzParseSession feeds ParseSession arbitrary strings. Whatever it accepts is a complete staff
// session signed with HS256, and is never also accepted as an invite link (and the reverse).
func FuzzParseSession(f *testing.F) {
	s, _ := New([]byte(key1), func() time.Time { return t0 })
	good, _, _ := s.SignSession(7, "admin", time.Hour)
	inv, _ := s.SignInvite(Invite{ID: "a", StudyID: 1, PanelistID: 2, Expires: t0.Add(time.Hour)})
	s2, _ := New([]byte(key2), func() time.Time { return t0 })
	other, _, _ := s2.SignSession(7, "admin", time.Hour)
	claims := sessionClaims{Role: "admin", RegisteredClaims: jwt.RegisteredClaims{ID: "x", Subject: "1", Issuer: issuer,
		Audience: jwt.ClaimStrings{audStaff}, IssuedAt: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour))}}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs384, _ := jwt.NewWithClaims(jwt.SigningMethodHS384, claims).SignedString([]byte(key1))
	for _, tok := range []string{good, inv, other, none, hs384, "", ".", "..", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.",
		good + "x", strings.Replace(good, ".", "..", 1), strings.Repeat("A", 5000)} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		sess, err := s.ParseSession(tok)
		if err != nil {
			if err != ErrInvalid && err != ErrExpired {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if sess.StaffID <= 0 || sess.ID == "" || sess.Expires.IsZero() {
			t.Fatalf("accepted an incomplete session %+v from %q", sess, tok)
		}
		head, _, _ := strings.Cut(tok, ".")
		hb, err := base64.RawURLEncoding.DecodeString(head)
		var h struct{ Alg string }
		if err != nil || json.Unmarshal(hb, &h) != nil || h.Alg != "HS256" {
			t.Fatalf("accepted a token whose header is not HS256: %q", hb)
		}
		if _, err := s.ParseInvite(tok); err == nil {
			t.Fatalf("a session token was accepted as an invite: %q", tok)
		}
	})
}
