package web

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/templates"
)

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
