package web

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

// Cache lifetimes of static files: a content-hashed name (app.3f2a9c0d1e4b.css) never changes
// its bytes, so caches keep it a year without asking; a plain name (app.css) changes with each
// release and is kept five minutes.
const (
	staticImmutable = "public, max-age=31536000, immutable"
	staticShort     = "public, max-age=300"
)

// staticFiles serves static/ under the files' plain names and their content-hashed names,
// computed once here; the page components link to the hashed names (templates.Static).
func (s *Server) staticFiles() (gin.HandlerFunc, error) {
	static, err := fs.Sub(s.Templates, "static")
	if err != nil {
		return nil, err
	}
	names, err := templates.HashStatic(static)
	if err != nil {
		return nil, err
	}
	templates.SetStatic(names)
	byHash := make(map[string]string, len(names))
	for name, hashed := range names {
		byHash[hashed] = name
	}
	files := http.FileServer(http.FS(static))
	return func(c *gin.Context) {
		p := strings.TrimPrefix(c.Param("filepath"), "/")
		name, cache := p, staticShort
		if n, ok := byHash[p]; ok {
			name, cache = n, staticImmutable
		}
		if st, err := fs.Stat(static, name); err != nil || st.IsDir() {
			s.fail(c, delphi.Errorf(delphi.ENotFound, "", "there is no page at %s", c.Request.URL.Path))
			return
		}
		c.Header("Cache-Control", cache)
		req := c.Request.Clone(c.Request.Context())
		req.URL.Path = "/" + name
		req.URL.RawPath = ""
		files.ServeHTTP(c.Writer, req)
	}, nil
}
