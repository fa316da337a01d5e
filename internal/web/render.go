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

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/survey"
)

// pageTemplate is one page's template set: the layout, every partial, and the page.
type pageTemplate struct{ t *template.Template }

// funcs is the one fixed FuncMap; nothing in it depends on the request.
var funcs = template.FuncMap{
	"add":  func(a, b int) int { return a + b },
	"sub":  func(a, b int) int { return a - b },
	"mul":  func(a, b float64) float64 { return a * b },
	"seq":  seq,
	"pct":  func(v float64) string { return fmt.Sprintf("%.0f%%", v) },
	"pct1": func(v float64) string { return fmt.Sprintf("%.1f%%", v) },
	"num":  formatNum,
	"fptr": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return formatNum(*p)
	},
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
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lower": strings.ToLower,
	"join":  strings.Join,
	"intp": func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	},
	"isint": func(p *int, v int) bool { return p != nil && *p == v },
	"ratio": func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	},
	"maxint": func(xs []int) int {
		m := 0
		for _, x := range xs {
			if x > m {
				m = x
			}
		}
		return m
	},
}

func seq(from, to int) []int {
	if to < from {
		return nil
	}
	out := make([]int, 0, to-from+1)
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
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

// parseTemplates builds one set per page under pages/: layout + partials + that page, so that
// each page's "content" block does not replace another's.
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
	Staff   *staffView // set on console and report pages
	Expert  bool
	Version string
	Nav     string // which menu entry is current
	cat     *i18n.Catalog
	// out is the buffer the page is being rendered into. The templates write to it directly,
	// action by action, so a view method may append its markup to it in place and return
	// nothing (sectionPage.ContentHTML): the bytes land where the method is called.
	out *bytes.Buffer
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

// L picks the page's language from a definition text, falling back to English.
func (p *page) L(t survey.Text) string { return t.In(p.Lang) }

// Base returns the page itself, so templates can reach it from nested views.
func (p *page) Base() *page { return p }

// viewer is any view model built on page.
type viewer interface{ Base() *page }

// render executes a page into a buffer, then writes it: a template error never sends half a page.
func (s *Server) render(c *gin.Context, status int, name string, v viewer) {
	s.renderHinted(c, status, name, v, 0)
}

// renderHinted is render for a page of about size bytes.
func (s *Server) renderHinted(c *gin.Context, status int, name string, v viewer, size int) {
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
	if err := s.execute(buf, name, v); err != nil {
		// not s.fail: the error page is rendered here too
		s.Log.Error("render page", "page", name, "err", err, "request_id", requestID(c))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("Content-Length", strconv.Itoa(buf.Len())) // one write, not chunks
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// maxPooledPage bounds the buffers kept for reuse (pages, questionnaires).
const maxPooledPage = 4 << 20

// renderBytes executes a page (layout + partials + page) into memory.
func (s *Server) renderBytes(name string, v viewer) ([]byte, error) { return s.renderSized(name, v, 0) }

// renderSized is renderBytes for a page of about size bytes (a report is megabytes: growing
// the buffer by doubling would allocate several times that).
func (s *Server) renderSized(name string, v viewer, size int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(size)
	if err := s.execute(&buf, name, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// selfWriting is a page that writes its whole markup in Go (the section page experts load
// most, for speed). Its template stays, as the reference its test compares it with.
type selfWriting interface {
	viewer
	appendPage(b []byte) []byte
}

// execute runs a page's templates (layout + partials + page) into buf, or writes a
// selfWriting page.
func (s *Server) execute(buf *bytes.Buffer, name string, v viewer) error {
	if w, ok := v.(selfWriting); ok {
		if _, ok := s.pages[name]; !ok {
			return fmt.Errorf("unknown page template %q", name)
		}
		s.base(v)
		buf.Write(w.appendPage(buf.AvailableBuffer()))
		return nil
	}
	return s.executeTemplate(buf, name, v)
}

// base fills in what every page's base takes from the server.
func (s *Server) base(v viewer) *page {
	b := v.Base()
	if b.cat == nil {
		b.cat = s.catalog
	}
	if b.Lang == "" {
		b.Lang = "en"
	}
	b.Version = s.Version
	return b
}

// executeTemplate runs a page's templates (layout + partials + page) into buf.
func (s *Server) executeTemplate(buf *bytes.Buffer, name string, v viewer) error {
	pt, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("unknown page template %q", name)
	}
	b := s.base(v)
	b.out = buf
	defer func() { b.out = nil }()
	if err := pt.t.ExecuteTemplate(buf, "layout", v); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}
