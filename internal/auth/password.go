package auth

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the shortest password staff may choose (counted in characters).
const MinPasswordLength = 12

// commonPasswords is a short list of passwords of 12 or more characters that guessers try
// first (from public breach top lists, lower-cased), plus a few this service invites.
//
//go:embed common-passwords.txt
var commonPasswords string

// CommonPasswords returns the list as a set, lower-cased. Call it once and keep the result.
func CommonPasswords() map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswords))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			out[strings.ToLower(w)] = true
		}
	}
	return out
}

// PasswordPolicy checks passwords that staff choose.
type PasswordPolicy struct{ common map[string]bool }

// NewPasswordPolicy returns the policy with the shipped list of common passwords.
func NewPasswordPolicy() *PasswordPolicy { return &PasswordPolicy{common: CommonPasswords()} }

// Check says what is wrong with pw as a new password for the account email, or returns nil.
// The messages are for the person choosing it; none of them repeats the password.
func (p *PasswordPolicy) Check(pw, email string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errors.New("the password is not valid text")
	case n < MinPasswordLength:
		return fmt.Errorf("the password must be at least %d characters long (it has %d)", MinPasswordLength, n)
	case len(pw) > 72:
		return errors.New("the password must be at most 72 bytes long (bcrypt ignores the rest)")
	}
	low := strings.ToLower(pw)
	if p.common[low] || p.common[strings.TrimRight(low, "0123456789!?.")] {
		return errors.New("this password is on a list of common passwords that guessers try first; choose another")
	}
	if strings.Count(low, string([]rune(low)[0])) == len(low) {
		return errors.New("the password repeats one character; choose another")
	}
	if e := strings.ToLower(strings.TrimSpace(email)); e != "" {
		local, _, _ := strings.Cut(e, "@")
		if low == e || (len(local) >= 4 && strings.Contains(low, local) && n-utf8.RuneCountInString(local) < 6) {
			return errors.New("the password is too close to the email address; choose another")
		}
	}
	return nil
}
