// Package i18n holds the catalogue of interface strings, English first, with other languages
// filling in what they translate; a missing key falls back to English, then to the key itself.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed *.json
var catalogFS embed.FS

// Catalog maps language → key → text.
type Catalog struct {
	msgs map[string]map[string]string
}

// Load reads every embedded catalogue (en.json, de.json, …).
func Load() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	names, err := fs.Glob(catalogFS, "*.json")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		b, err := catalogFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		c.msgs[strings.TrimSuffix(n, ".json")] = m
	}
	if _, ok := c.msgs["en"]; !ok {
		return nil, fmt.Errorf("i18n: no English catalogue")
	}
	return c, nil
}

// T returns the text of key in lang (falling back to English), formatted with args.
func (c *Catalog) T(lang, key string, args ...any) string {
	s, ok := c.msgs[lang][key]
	if !ok {
		s, ok = c.msgs["en"][key]
	}
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Keys returns the English keys (for tests that every language is complete or falls back).
func (c *Catalog) Keys() []string {
	out := make([]string, 0, len(c.msgs["en"]))
	for k := range c.msgs["en"] {
		out = append(out, k)
	}
	return out
}

// Languages lists the catalogues present.
func (c *Catalog) Languages() []string {
	out := make([]string, 0, len(c.msgs))
	for k := range c.msgs {
		out = append(out, k)
	}
	return out
}
