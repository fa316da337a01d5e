package i18n

import (
	"regexp"
	"sort"
	"testing"
)

var verbRe = regexp.MustCompile(`%[a-z]`)

// Every translation has an English original and the same format verbs in the same order, so
// that T never prints "%!d(MISSING)"; the expert pages' keys are translated in every language.
func TestCatalogues(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	langs := c.Languages()
	sort.Strings(langs)
	if len(langs) < 3 {
		t.Fatalf("languages %v, want at least en, de, fr", langs)
	}
	en := c.msgs["en"]
	for _, lang := range langs {
		for k, v := range c.msgs[lang] {
			orig, ok := en[k]
			if !ok {
				t.Errorf("%s: key %q has no English original", lang, k)
				continue
			}
			if a, b := verbRe.FindAllString(orig, -1), verbRe.FindAllString(v, -1); !equal(a, b) {
				t.Errorf("%s: %q has verbs %v, English has %v", lang, k, b, a)
			}
		}
		if lang == "en" {
			continue
		}
		for k := range en {
			if _, ok := c.msgs[lang][k]; !ok && !untranslated[k] {
				t.Errorf("%s: %q is not translated", lang, k)
			}
		}
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
