// Package i18n holds the catalogue of interface strings, English first, with other languages
// filling in what they translate; a missing key falls back to English, then to the key itself.
//
// A text is a fmt format string, or, when it counts something, its plural forms by CLDR
// category, selected by one of its arguments (the first unless "arg" says otherwise):
//
//	"feedback.comments": {"one": "%d comment", "other": "%d comments"}
//	"closed.items": {"arg": 2, "one": "Round %[1]d: %[2]d item", "other": "Round %[1]d: %[2]d items"}
//
// A text counting two things names each count as a variable, with its own forms:
//
//	"welcome.how.items": {"msg": "You will rate ${p} in ${s}.",
//	  "vars": {"p": {"arg": 1, "one": "%[1]d parameter", "other": "%[1]d parameters"},
//	           "s": {"arg": 2, "one": "%[2]d section", "other": "%[2]d sections"}}}
//
// Categories are CLDR's (zero, one, two, few, many, other, and "=N" for an exact number), as
// golang.org/x/text/feature/plural knows them per language: French counts 0 and 1 as one,
// English and German only 1.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

//go:embed *.json
var catalogFS embed.FS

// Catalog holds every language's texts, each language with English filled in where it has no
// translation, and a printer per language that selects plural forms and formats numbers.
type Catalog struct {
	// texts are the plain texts per language, English filled in, formatted with fmt: numbers
	// in them print as they always have ("2000", not "2,000").
	texts    map[string]map[string]string
	printers map[string]*message.Printer
	keys     []string // the English keys
}

// Load reads every embedded catalogue (en.json, de.json, …).
func Load() (*Catalog, error) {
	names, err := fs.Glob(catalogFS, "*.json")
	if err != nil {
		return nil, err
	}
	raw := map[string]map[string]json.RawMessage{}
	for _, n := range names {
		b, err := catalogFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		raw[strings.TrimSuffix(n, ".json")] = m
	}
	en, ok := raw["en"]
	if !ok {
		return nil, fmt.Errorf("i18n: no English catalogue")
	}
	c := &Catalog{texts: map[string]map[string]string{}, printers: map[string]*message.Printer{}}
	for k := range en {
		c.keys = append(c.keys, k)
	}
	sort.Strings(c.keys)
	for lang, m := range raw {
		tag, err := language.Parse(lang)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s.json: %w", lang, err)
		}
		b := catalog.NewBuilder(catalog.Fallback(tag))
		c.texts[lang] = map[string]string{}
		for k, v := range en {
			if t, ok := m[k]; ok {
				v = t
			}
			var s string
			if json.Unmarshal(v, &s) == nil {
				c.texts[lang][k] = s
				continue
			}
			msgs, err := parse(v)
			if err != nil {
				return nil, fmt.Errorf("i18n: %s.json: %s: %w", lang, k, err)
			}
			if err := b.Set(tag, k, msgs...); err != nil {
				return nil, fmt.Errorf("i18n: %s.json: %s: %w", lang, k, err)
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				return nil, fmt.Errorf("i18n: %s.json: %s is not in en.json", lang, k)
			}
		}
		c.printers[lang] = message.NewPrinter(tag, message.Catalog(b))
	}
	return c, nil
}

// forms is a text's plural forms: "arg" (1-based, default 1) and a form per category.
type forms map[string]json.RawMessage

// parse reads one text: a string, plural forms, or a message with counted variables.
func parse(v json.RawMessage) ([]catalog.Message, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return []catalog.Message{catalog.String(s)}, nil
	}
	var f forms
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, fmt.Errorf("neither a text nor plural forms: %w", err)
	}
	if msg, ok := f["msg"]; ok {
		var text string
		var vars map[string]forms
		if err := json.Unmarshal(msg, &text); err != nil {
			return nil, fmt.Errorf("msg: %w", err)
		}
		if err := json.Unmarshal(f["vars"], &vars); err != nil {
			return nil, fmt.Errorf("vars: %w", err)
		}
		names := make([]string, 0, len(vars))
		for n := range vars {
			names = append(names, n)
		}
		sort.Strings(names)
		var out []catalog.Message
		for _, n := range names {
			sel, err := vars[n].selector()
			if err != nil {
				return nil, fmt.Errorf("vars.%s: %w", n, err)
			}
			out = append(out, catalog.Var(n, sel))
		}
		return append(out, catalog.String(text)), nil
	}
	sel, err := f.selector()
	if err != nil {
		return nil, err
	}
	return []catalog.Message{sel}, nil
}

// categories are the plural categories in the order plural.Selectf wants them: exact
// numbers first, other last.
var categories = []string{"zero", "one", "two", "few", "many", "other"}

func (f forms) selector() (catalog.Message, error) {
	arg := 1
	if a, ok := f["arg"]; ok {
		if err := json.Unmarshal(a, &arg); err != nil || arg < 1 {
			return nil, fmt.Errorf("arg must be a positive number")
		}
	}
	if _, ok := f["other"]; !ok {
		return nil, fmt.Errorf("plural forms need an \"other\" form")
	}
	var cases []any
	add := func(k string) error {
		var s string
		if err := json.Unmarshal(f[k], &s); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		cases = append(cases, k, s)
		return nil
	}
	var exact []string
	for k := range f {
		if strings.HasPrefix(k, "=") {
			exact = append(exact, k)
		}
	}
	sort.Strings(exact)
	for _, k := range exact {
		if err := add(k); err != nil {
			return nil, err
		}
	}
	for _, k := range categories {
		if _, ok := f[k]; ok {
			if err := add(k); err != nil {
				return nil, err
			}
		}
	}
	for k := range f {
		if k != "arg" && !strings.HasPrefix(k, "=") && !contains(categories, k) {
			return nil, fmt.Errorf("unknown plural category %q", k)
		}
	}
	return plural.Selectf(arg, "", cases...), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// T returns the text of key in lang (falling back to English), formatted with args; plural
// forms are chosen by the count among args.
func (c *Catalog) T(lang, key string, args ...any) string {
	texts, ok := c.texts[lang]
	if !ok {
		lang, texts = "en", c.texts["en"]
	}
	s, ok := texts[key]
	if !ok {
		if _, plural := c.texts["en"][key]; !plural {
			// plural forms (or an unknown key, printed as itself)
			return c.printers[lang].Sprintf(key, args...)
		}
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Keys returns the English keys (for tests that every language is complete or falls back).
func (c *Catalog) Keys() []string { return append([]string(nil), c.keys...) }

// Languages lists the catalogues present.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.printers))
	for k := range c.printers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
