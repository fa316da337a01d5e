package i18n

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

var verbRe = regexp.MustCompile(`%(\[\d\])?[a-z]`)

// Every translation has an English original and the same format verbs in the same order, so
// that T never prints "%!d(MISSING)"; the expert pages' keys are translated in every language.
// Plural forms are checked as a whole: each form uses only verbs the English forms use.
func TestCatalogues(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	langs := c.Languages()
	if len(langs) < 3 {
		t.Fatalf("languages %v, want at least en, de, fr", langs)
	}
	raw := map[string]map[string]json.RawMessage{}
	for _, lang := range langs {
		b, err := catalogFS.ReadFile(lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		raw[lang] = m
	}
	en := raw["en"]
	for _, lang := range langs {
		for k, v := range raw[lang] {
			orig, ok := en[k]
			if !ok {
				t.Errorf("%s: key %q has no English original", lang, k)
				continue
			}
			if a, b := verbRe.FindAllString(string(orig), -1), verbRe.FindAllString(string(v), -1); !subset(b, a) {
				t.Errorf("%s: %q has verbs %v, English has %v", lang, k, b, a)
			}
		}
		if lang == "en" {
			continue
		}
		for k := range en {
			if _, ok := raw[lang][k]; !ok && !untranslated[k] && !strings.HasPrefix(k, "console.") {
				t.Errorf("%s: %q is not translated", lang, k)
			}
		}
	}
}

func subset(a, b []string) bool {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	for _, x := range a {
		if !in[x] {
			return false
		}
	}
	return len(a) > 0 || len(b) == 0
}

// Plural forms by language: English and German count only 1 as singular, French 0 and 1.
func TestPlurals(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, key string
		n         int
		want      string
	}{
		{"en", "review.missing", 0, "0 items are not answered yet"},
		{"en", "review.missing", 1, "1 item is not answered yet"},
		{"en", "review.missing", 2, "2 items are not answered yet"},
		{"en", "review.missing", 5, "5 items are not answered yet"},
		{"de", "review.missing", 0, "0 Items sind noch nicht beantwortet"},
		{"de", "review.missing", 1, "1 Item ist noch nicht beantwortet"},
		{"de", "review.missing", 2, "2 Items sind noch nicht beantwortet"},
		{"de", "review.missing", 5, "5 Items sind noch nicht beantwortet"},
		{"fr", "review.missing", 0, "0 item n’est pas encore renseigné"},
		{"fr", "review.missing", 1, "1 item n’est pas encore renseigné"},
		{"fr", "review.missing", 2, "2 items ne sont pas encore renseignés"},
		{"fr", "review.missing", 5, "5 items ne sont pas encore renseignés"},
		{"en", "console.sessions.ended", 1, "1 session ended."},
		{"en", "console.sessions.ended", 0, "0 sessions ended."},
		{"en", "console.invitations.queued", 27, "27 invitation emails queued, each with the panelist's current link."},
		{"en", "console.invitations.queued", 1, "1 invitation email queued, each with the panelist's current link."},
	}
	for _, tt := range tests {
		if got := c.T(tt.lang, tt.key, tt.n); got != tt.want {
			t.Errorf("%s %s %d = %q, want %q", tt.lang, tt.key, tt.n, got, tt.want)
		}
	}
	// two counts in one text, each with its own forms; the count is the second argument
	two := []struct {
		lang     string
		a, b     int
		want     string
		key      string
		progress string
	}{
		{"en", 1, 1, "You will rate 1 parameter in 1 section.", "welcome.how.items", ""},
		{"en", 5, 2, "You will rate 5 parameters in 2 sections.", "welcome.how.items", ""},
		{"de", 1, 2, "Sie bewerten 1 Parameter in 2 Abschnitten.", "welcome.how.items", ""},
		{"fr", 0, 1, "Vous évaluerez 0 paramètre répartis en 1 section.", "welcome.how.items", ""},
		{"fr", 2, 5, "Vous évaluerez 2 paramètres répartis en 5 sections.", "welcome.how.items", ""},
	}
	for _, tt := range two {
		if got := c.T(tt.lang, tt.key, tt.a, tt.b); got != tt.want {
			t.Errorf("%s %s %d %d = %q, want %q", tt.lang, tt.key, tt.a, tt.b, got, tt.want)
		}
	}
	if got := c.T("fr", "progress.answered", "0", 1); got != "0 item sur 1 renseigné" {
		t.Errorf("fr progress.answered 1 = %q", got)
	}
	if got := c.T("en", "progress.answered", "3", 5); got != "3 of 5 items answered" {
		t.Errorf("en progress.answered 5 = %q", got)
	}
}

// untranslated are keys that stay English: the staff console and reports are English-only, and
// a few symbols read the same everywhere.
var untranslated = map[string]bool{"app.name": true, "nav.main": true, "nav.studies": true, "nav.reports": true,
	"nav.staff": true, "nav.signout": true, "feedback.n": true}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFallback(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("de", "section.save"); got != "Speichern" {
		t.Errorf("de section.save = %q", got)
	}
	if got := c.T("it", "section.save"); got != "Save" {
		t.Errorf("unknown language: %q, want English", got)
	}
	if got := c.T("de", "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
	if got := c.T("fr", "round.n", 2); got != "Tour 2" {
		t.Errorf("fr round.n = %q", got)
	}
}
