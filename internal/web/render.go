package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/templates"
)

// pageTemplate is one page's template set: the layout, every partial, and the page.
type pageTemplate struct{ t *template.Template }

// funcs is the FuncMap of the console's templates, the last pages on html/template; the
// other pages are compiled templ components (templates/*.templ). Nothing in it depends on the
// request.
var funcs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"pct": func(v float64) string { return fmt.Sprintf("%.0f%%", v) },
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return "–"
		}
		return t.UTC().Format("2 Jan 2006")
	},
	"join": strings.Join,
}

// formatNum prints a statistic: integers without decimals, others with up to two.
func formatNum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	s := fmt.Sprintf("%.2f", v)
	return strings.TrimRight(strings.TrimRight(s, "0"), ".")
}

// parseTemplates builds one set per page under pages/ (the console's): layout + partials +
// that page, so that each page's "content" block does not replace another's.
func parseTemplates(fsys fs.FS) (map[string]*pageTemplate, error) {
	base := template.New("layout.html").Funcs(funcs)
	base, err := base.ParseFS(fsys, "layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	partials, err := fs.Glob(fsys, "partials/*.html")
	if err != nil {
		return nil, err
	}
	if len(partials) > 0 {
		if base, err = base.ParseFS(fsys, partials...); err != nil {
			return nil, fmt.Errorf("parse partials: %w", err)
		}
	}
	pages := map[string]*pageTemplate{}
	err = fs.WalkDir(fsys, "pages", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if t, err = t.ParseFS(fsys, p); err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "pages/"), ".html")
		pages[name] = &pageTemplate{t: t}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pages, nil
}

// page is the part of every view model the layout needs.
type page struct {
	Title   string
	Lang    string
	CSRF    string
	Flash   string
	Error   string
	Staff   *staffView // set on console pages
	Version string
	Nav     string // which menu entry is current
	cat     *i18n.Catalog
}

type staffView struct {
	ID    int64
	Email string
	Role  string // the account's role
	// StudyRole is the role in the page's study (admin, facilitator or presenter), which is
	// what the page may offer; it is Role on pages about no study.
	StudyRole string
}

// T translates an interface string into the page's language.
func (p *page) T(key string, args ...any) string {
	if p.cat == nil {
		return key
	}
	return p.cat.T(p.Lang, key, args...)
}

// Base returns the page itself, so templates can reach it from nested views.
func (p *page) Base() *page { return p }

// viewer is any view model built on page.
type viewer interface{ Base() *page }

// render executes a console page (html/template) into a buffer, then writes it: a template
// error never sends half a page.
func (s *Server) render(c *gin.Context, status int, name string, v viewer) {
	s.writePage(c, status, 0, func(buf *bytes.Buffer) error { return s.executeTemplate(buf, name, v) })
}

// renderPage renders a templ component, a page of about size bytes, and writes it.
func (s *Server) renderPage(c *gin.Context, status int, comp templ.Component, size int) {
	s.writePage(c, status, size, func(buf *bytes.Buffer) error { return comp.Render(c.Request.Context(), buf) })
}

// writePage renders a page into a pooled buffer, then writes it whole.
func (s *Server) writePage(c *gin.Context, status, size int, render func(*bytes.Buffer) error) {
	// the buffer is reused once the page is written: pages of tens or hundreds of KB would
	// otherwise be most of what a busy server allocates
	buf, _ := s.pageBufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledPage {
			s.pageBufs.Put(buf)
		}
	}()
	buf.Reset()
	buf.Grow(size)
	if err := render(buf); err != nil {
		// not s.fail: the error page is rendered here too
		s.Log.Error("render page", "path", c.FullPath(), "err", err, "request_id", requestID(c))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Length", strconv.Itoa(buf.Len())) // one write, not chunks
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// maxPooledPage bounds the buffers kept for reuse (pages, questionnaires).
const maxPooledPage = 4 << 20

// tpage is the base of a page built from the templ components: the catalogue and the
// server's version filled in.
func (s *Server) tpage(p templates.Page) templates.Page {
	if p.Lang == "" {
		p.Lang = "en"
	}
	p.Translate = s.catalog.T
	p.Version = s.Version
	return p
}

// executeTemplate runs a console page's templates (layout + partials + page) into buf.
func (s *Server) executeTemplate(buf *bytes.Buffer, name string, v viewer) error {
	pt, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("unknown page template %q", name)
	}
	b := v.Base()
	if b.cat == nil {
		b.cat = s.catalog
	}
	if b.Lang == "" {
		b.Lang = "en"
	}
	b.Version = s.Version
	if err := pt.t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}
