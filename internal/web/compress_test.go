package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/templates"
)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompression: text responses above 1 KB are gzipped for clients that take gzip; small
// ones, clients without gzip, and responses encoded already are sent as they are.
func TestCompression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/console/login", "/static/app.css", "/api/v1/openapi.json"} {
		plain := e.must(e.get(path), 200)
		if plain.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s without Accept-Encoding: encoded %q", path, plain.Header.Get("Content-Encoding"))
		}
		if len(plain.Body) < 1024 {
			t.Fatalf("%s is %d bytes: not a test of compression", path, len(plain.Body))
		}
		gz := e.must(e.get(path, "Accept-Encoding", "br, gzip"), 200)
		if gz.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(gz.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s: not gzipped: %v", path, gz.Header)
		}
		if len(gz.Body) >= len(plain.Body) {
			t.Errorf("%s: gzip %d bytes, plain %d", path, len(gz.Body), len(plain.Body))
		}
		if got := gunzip(t, gz.Body); path != "/console/login" && !bytes.Equal(got, plain.Body) { // the login form's token differs
			t.Errorf("%s: gunzipped body differs", path)
		}
		if r := e.get(path, "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: gzipped though refused", path)
		}
	}
	if r := e.must(e.get("/healthz", "Accept-Encoding", "gzip"), 200); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("a small answer gzipped: %v", r.Header)
	}

	// a handler that encodes its answer itself is not encoded twice; a stream of server-sent
	// events is never held back nor compressed
	g := gin.New()
	g.Use((&Server{}).compress)
	big := strings.Repeat("data: abcdefgh\n\n", 200)
	g.GET("/encoded", func(c *gin.Context) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write([]byte(big))
		_ = zw.Close()
		c.Header("Content-Encoding", "gzip")
		c.Data(200, "text/plain", z.Bytes())
	})
	g.GET("/events", func(c *gin.Context) {
		c.Header("Content-Type", "text/event-stream")
		_, _ = io.WriteString(c.Writer, "data: first\n\n")
		c.Writer.Flush()
		_, _ = io.WriteString(c.Writer, big)
	})
	for _, p := range []string{"/encoded", "/events"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", p, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		g.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if p == "/encoded" {
			body = gunzip(t, body)
		}
		if string(body) != big && !(p == "/events" && string(body) == "data: first\n\n"+big) {
			t.Errorf("%s: %q… (Content-Encoding %q)", p, body[:min(40, len(body))], rec.Header().Get("Content-Encoding"))
		}
		if p == "/events" && (rec.Header().Get("Content-Encoding") != "" || !rec.Flushed) {
			t.Errorf("events: encoded %q, flushed %v", rec.Header().Get("Content-Encoding"), rec.Flushed)
		}
	}
}

// TestStaticHashedNames: pages link to static files under content-hashed names, cached for a
// year; the plain names keep working with a short cache; an unknown hash is not found.
func TestStaticHashedNames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	page := e.must(e.get("/console/login"), 200)
	css := regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.css`).Find(page.Body)
	js := regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.js`).Find(page.Body)
	if css == nil || js == nil || string(css) != templates.Static("app.css") {
		t.Fatalf("the page does not link hashed names (css %q, js %q)", css, js)
	}
	want, err := templates.FS.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	hashed := e.must(e.get(string(css)), 200)
	if cc := hashed.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("hashed name: Cache-Control %q", cc)
	}
	if !bytes.Equal(hashed.Body, want) || !strings.HasPrefix(hashed.Header.Get("Content-Type"), "text/css") {
		t.Errorf("hashed name: %s, %d bytes", hashed.Header.Get("Content-Type"), len(hashed.Body))
	}
	gz := e.must(e.get(templates.Static("expert.js"), "Accept-Encoding", "gzip"), 200) // app.js is under 1 KB
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("hashed script: %v", gz.Header)
	}
	plain := e.must(e.get("/static/app.css"), 200)
	if cc := plain.Header.Get("Cache-Control"); cc != "public, max-age=300" || !bytes.Equal(plain.Body, want) {
		t.Errorf("plain name: Cache-Control %q, %d bytes", cc, len(plain.Body))
	}
	if r := e.get("/static/app.000000000000.css"); r.Status != http.StatusNotFound {
		t.Errorf("an unknown hash: %d", r.Status)
	}
	if r := e.get("/static/"); r.Status != http.StatusNotFound {
		t.Errorf("the directory: %d", r.Status)
	}
	// every static file: a hashed name, cached for a year, gzipped above 1 KB
	files, err := templates.FS.ReadDir("static")
	if err != nil || len(files) < 10 {
		t.Fatalf("static files: %d, %v", len(files), err)
	}
	for _, f := range files {
		name := f.Name()
		orig, err := templates.FS.ReadFile("static/" + name)
		if err != nil {
			t.Fatal(err)
		}
		u := templates.Static(name)
		if u == "/static/"+name {
			t.Errorf("%s has no hashed name", name)
			continue
		}
		r := e.get(u, "Accept-Encoding", "gzip")
		if r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d %q", u, r.Status, r.Header.Get("Cache-Control"))
		}
		if enc := r.Header.Get("Content-Encoding"); (enc == "gzip") != (len(orig) > 1024) {
			t.Errorf("%s (%d bytes): Content-Encoding %q", u, len(orig), enc)
		} else if enc == "gzip" && !bytes.Equal(gunzip(t, r.Body), orig) {
			t.Errorf("%s: the gzipped body is not the file", u)
		}
	}
}
