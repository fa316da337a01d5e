package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAttendeeTokens(t *testing.T) {
	s := newSigner(t, key1, t0)
	good, a, err := s.SignAttendee(4, 9, 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ParseAttendee(good)
	if err != nil || !got.Expires.Equal(a.Expires) || got.MeetingID != 4 || got.AttendeeID != 9 {
		t.Fatalf("ParseAttendee(good) = %+v, %v", got, err)
	}
	claims := attendeeClaims{Meeting: 4, RegisteredClaims: jwt.RegisteredClaims{ID: "x", Subject: "9", Issuer: issuer,
		Audience: jwt.ClaimStrings{audAttendee}, IssuedAt: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour))}}
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
	hs512, _ := jwt.NewWithClaims(jwt.SigningMethodHS512, claims).SignedString([]byte(key1))
	otherKey, _, _ := newSigner(t, key2, t0).SignAttendee(4, 9, time.Hour)
	expired, _, _ := newSigner(t, key1, t0.Add(-72*time.Hour)).SignAttendee(4, 9, time.Hour)
	session, _, _ := s.SignSession(1, "admin", time.Hour)
	invite, _ := s.SignInvite(Invite{ID: "abc", StudyID: 3, PanelistID: 7, Expires: t0.Add(time.Hour)})
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"mid":4`, `"mid":5`, 1))) + "." + parts[2]
	noSubject := claims
	noSubject.Subject = ""
	noSubjectTok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, noSubject).SignedString([]byte(key1))

	tests := []struct {
		name, token string
		want        error
	}{
		{"alg none", none, ErrInvalid},
		{"HS512", hs512, ErrInvalid},
		{"other key", otherKey, ErrInvalid},
		{"expired", expired, ErrExpired},
		{"staff session", session, ErrInvalid},
		{"invite link", invite, ErrInvalid},
		{"meeting changed", forged, ErrInvalid},
		{"no attendee", noSubjectTok, ErrInvalid},
		{"garbage", "a.b.c", ErrInvalid},
		{"empty", "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.ParseAttendee(tt.token); err != tt.want {
				t.Fatalf("ParseAttendee = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := s.ParseInvite(good); err != ErrInvalid {
		t.Errorf("an attendee token parsed as an invite: %v", err)
	}
	if _, err := s.ParseSession(good); err != ErrInvalid {
		t.Errorf("an attendee token parsed as a session: %v", err)
	}
	// a checked token still expires
	later := newSigner(t, key1, t0)
	tok, _, _ := later.SignAttendee(4, 9, time.Hour)
	if _, err := later.ParseAttendee(tok); err != nil {
		t.Fatal(err)
	}
	later.now = func() time.Time { return t0.Add(2 * time.Hour) }
	if _, err := later.ParseAttendee(tok); err != ErrExpired {
		t.Errorf("cached token after expiry: %v", err)
	}
}

// FuzzParseAttendee: arbitrary tokens are refused with ErrInvalid or ErrExpired, or accepted
// with a whole attendee, and only when signed with our key for the attendee audience.
func FuzzParseAttendee(f *testing.F) {
	s, _ := New([]byte(key1), func() time.Time { return t0 })
	good, _, _ := s.SignAttendee(3, 4, time.Hour)
	inv, _ := s.SignInvite(Invite{ID: "a", StudyID: 1, PanelistID: 2, Expires: t0.Add(time.Hour)})
	sess, _, _ := s.SignSession(7, "admin", time.Hour)
	for _, tok := range []string{good, inv, sess, "", ".", "a.b.c", good + "x", strings.Repeat("A", 5000)} {
		f.Add(tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		a, err := s.ParseAttendee(tok)
		if err != nil {
			if err != ErrInvalid && err != ErrExpired {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if a.MeetingID <= 0 || a.AttendeeID <= 0 || a.Expires.IsZero() {
			t.Fatalf("accepted an incomplete attendee %+v from %q", a, tok)
		}
		if _, err := s.ParseInvite(tok); err == nil {
			t.Fatalf("%q is an attendee and an invite", tok)
		}
	})
}
