package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSignatureMustBeCanonical: base64url has spare bits in its last character; a token whose
// signature differs only there decoded to the same bytes and verified, so one session had
// several spellings. Strict decoding refuses all but the canonical one.
func TestSignatureMustBeCanonical(t *testing.T) {
	s, err := New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := s.SignSession(3, "admin", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ParseSession(tok); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := tok[len(tok)-1]
	tried := 0
	for i := 0; i < len(alphabet); i++ {
		c := alphabet[i]
		if c == last {
			continue
		}
		// a 32-byte HMAC is 43 characters; the last carries 4 bits and 2 spare ones
		if strings.IndexByte(alphabet, c)>>2 != strings.IndexByte(alphabet, last)>>2 {
			continue
		}
		tried++
		if _, err := s.ParseSession(tok[:len(tok)-1] + string(c)); err == nil {
			t.Errorf("the signature spelled with %q instead of %q verifies", c, last)
		}
	}
	if tried != 3 {
		t.Fatalf("tried %d other spellings, want 3", tried)
	}
	inv, err := s.SignInvite(Invite{ID: "x", StudyID: 1, PanelistID: 2, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	bad := inv[:len(inv)-1] + string(alphabet[strings.IndexByte(alphabet, inv[len(inv)-1])^1])
	if _, err := s.ParseInvite(bad); err == nil {
		t.Error("an invite with a non-canonical signature verifies")
	}
}

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	t.Run("free failures, then a doubling delay up to the ceiling", func(t *testing.T) {
		th := NewThrottle(clock, 100)
		var delays []time.Duration
		for i := 0; i < 16; i++ {
			d, started := th.Fail("a", 3)
			if started != (i == 2) {
				t.Errorf("failure %d: started = %v", i+1, started)
			}
			delays = append(delays, d)
		}
		want := "[0s 0s 1s 2s 4s 8s 16s 32s 1m4s 2m8s 4m16s 8m32s 15m0s 15m0s 15m0s 15m0s]"
		if fmt.Sprint(delays) != want {
			t.Errorf("delays %v, want %s", delays, want)
		}
		if w := th.Wait("a"); w < 15*time.Minute {
			t.Errorf("wait %v", w)
		}
		if w := th.Wait("b"); w != 0 {
			t.Errorf("an unknown key waits %v", w)
		}
		th.Clear("a")
		if w := th.Wait("a"); w != 0 {
			t.Errorf("after Clear: %v", w)
		}
	})
	t.Run("forgotten a day after the last failure", func(t *testing.T) {
		th := NewThrottle(clock, 100)
		for i := 0; i < 5; i++ {
			th.Fail("a", 2)
		}
		now = now.Add(25 * time.Hour)
		if w := th.Wait("a"); w != 0 {
			t.Errorf("wait after a day: %v", w)
		}
		if d, _ := th.Fail("a", 2); d != 0 {
			t.Errorf("the count went on after a day: %v", d)
		}
	})
	t.Run("a flood of new keys evicts the oldest, never the whole table", func(t *testing.T) {
		th := NewThrottle(clock, 1000)
		for i := 0; i < 3; i++ {
			th.Fail("old", 1)
		}
		now = now.Add(time.Second)
		for i := 0; i < 5; i++ {
			th.Fail("victim", 1) // guessed recently
		}
		for i := 0; i < 998; i++ {
			th.Fail(fmt.Sprint("flood", i), 5)
		}
		if th.Len() != 1000 || th.Wait("victim") == 0 || th.Wait("old") == 0 {
			t.Fatalf("full table: %d keys, victim waits %v, old waits %v", th.Len(), th.Wait("victim"), th.Wait("old"))
		}
		th.Fail("flood-next", 5)
		if th.Len() != 1000 {
			t.Errorf("table of %d, bound 1000", th.Len())
		}
		if th.Wait("old") != 0 {
			t.Error("the oldest entry was kept past the bound")
		}
		for i := 0; i < 5000; i++ {
			th.Fail(fmt.Sprint("more", i), 5)
			if i%100 == 0 {
				th.Fail("victim", 1) // still guessing: stays recent
			}
		}
		if th.Wait("victim") == 0 {
			t.Error("a flood of new names reset a recent guesser's count")
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	p := NewPasswordPolicy()
	tests := []struct {
		pw, email, want string // want: part of the error, "" for accepted
	}{
		{"correct horse battery staple", "", "common"},
		{"Correct Horse Battery Staple", "", "common"},
		{"my long passphrase", "", ""},
		{"short", "", "at least 12"},
		{"elevenchars", "", "at least 12"},
		{"ünïcödé pässwörd", "", ""}, // 16 characters, more bytes
		{"password1234", "", "common"},
		{"Password123456789!", "", "common"}, // the base word with digits after it
		{"qwerty123456", "", "common"},
		{"123456789012", "", "common"},
		{"aaaaaaaaaaaaaaaa", "", "repeats"},
		{strings.Repeat("long ", 15), "", "at most 72"},
		{"anna.schmidt@klinik.de", "anna.schmidt@klinik.de", "close to the email"},
		{"anna.schmidt99", "anna.schmidt@klinik.de", "close to the email"},
		{"anna and her garden of lilies", "anna@klinik.de", ""},
		{"bad\xffutf8 password", "", "not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.pw, func(t *testing.T) {
			err := p.Check(tt.pw, tt.email)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), tt.pw):
				t.Fatalf("the error repeats the password: %v", err)
			}
		})
	}
	if n := len(CommonPasswords()); n < 100 {
		t.Errorf("only %d common passwords", n)
	}
}
