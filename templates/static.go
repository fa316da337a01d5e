package templates

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"strings"
	"sync/atomic"

	"github.com/a-h/templ"
)

// staticNames maps a file of static/ (app.css) to its content-hashed name (app.3f2a9c0d1e4b.css),
// set once at start by SetStatic; nil until then.
var staticNames atomic.Pointer[map[string]string]

// HashStatic computes the content-hashed name of every file in static (a directory's files,
// e.g. fs.Sub(FS, "static")): the name with the first 12 hex digits of its sha256 before the
// extension. A changed file gets a new name, so its URL can be cached for good.
func HashStatic(static fs.FS) (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		out[p] = strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		return nil
	})
	return out, err
}

// SetStatic makes Static link to the hashed names (HashStatic's map).
func SetStatic(names map[string]string) { staticNames.Store(&names) }

// Static is the URL of a static file (app.css): under its content-hashed name when SetStatic
// knows it, else under its plain name.
func Static(name string) string {
	if m := staticNames.Load(); m != nil {
		if h, ok := (*m)[name]; ok {
			return "/static/" + h
		}
	}
	return "/static/" + name
}

// staticURL is Static for href attributes.
func staticURL(name string) templ.SafeURL { return templ.SafeURL(Static(name)) }
