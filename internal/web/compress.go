package web

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzip"
)

// compressMin is the smallest response the compress middleware gzips: below it the header and
// the work cost more than they save.
const compressMin = 1024

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// compress gzips every text response of at least compressMin bytes to clients that take gzip,
// unless the handler encoded it already (reports, exports) or it is a stream of server-sent
// events, which must reach the client event by event.
func (s *Server) compress(c *gin.Context) {
	if c.Request.Method == http.MethodHead || !acceptsGzip(c.Request.Header.Get("Accept-Encoding")) {
		c.Next()
		return
	}
	w := &gzipWriter{ResponseWriter: c.Writer}
	c.Writer = w
	defer func() {
		w.finish()
		c.Writer = w.ResponseWriter
	}()
	c.Next()
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and does not refuse it
// with q=0).
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return !(strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q=0"), ".0") == "")
	}
	return false
}

// compressible reports whether a response with these headers is text worth gzipping.
func compressible(h http.Header, status int) bool {
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified ||
		status == http.StatusPartialContent || h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" {
		return false
	}
	ct, _, _ := strings.Cut(strings.ToLower(h.Get("Content-Type")), ";")
	ct = strings.TrimSpace(ct)
	switch {
	case ct == "text/event-stream":
		return false
	case strings.HasPrefix(ct, "text/"), ct == "application/json", ct == "application/javascript",
		ct == "application/xml", ct == "image/svg+xml", ct == "application/manifest+json",
		strings.HasSuffix(ct, "+json"), strings.HasSuffix(ct, "+xml"):
		return true
	}
	return false
}

// gzipWriter holds back the first compressMin bytes of a response to decide, from its headers
// and size, whether to gzip it.
type gzipWriter struct {
	gin.ResponseWriter
	buf     []byte
	decided bool
	zw      *gzip.Writer // nil: passed through as written
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.decided {
		if len(w.buf)+len(p) < compressMin {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		// Enough to decide: p is written after what is held back, never copied (a cached
		// report is written whole in one call).
		if err := w.decide(len(w.buf) + len(p)); err != nil {
			return 0, err
		}
	}
	if w.zw != nil {
		return w.zw.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

func (w *gzipWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

// Written counts what is held back: the handler has answered.
func (w *gzipWriter) Written() bool { return len(w.buf) > 0 || w.ResponseWriter.Written() }

// WriteHeaderNow sends the header without a body: nothing to compress.
func (w *gzipWriter) WriteHeaderNow() {
	if !w.decided {
		_ = w.decide(len(w.buf))
	}
	w.ResponseWriter.WriteHeaderNow()
}

// decide chooses gzip or not from the headers and the size of the response so far (what is
// held back and what is being written), and writes out what is held back.
func (w *gzipWriter) decide(size int) error {
	w.decided = true
	h := w.Header()
	if size >= compressMin && compressible(h, w.Status()) {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		h.Del("Content-Length")
		h.Del("Accept-Ranges")
		if etag := h.Get("ETag"); etag != "" && !strings.HasPrefix(etag, "W/") {
			h.Set("ETag", "W/"+etag) // the bytes differ from the identity encoding's
		}
		w.zw = gzipWriters.Get().(*gzip.Writer)
		w.zw.Reset(w.ResponseWriter)
		if len(w.buf) == 0 {
			return nil
		}
		_, err := w.zw.Write(w.buf)
		w.buf = nil
		return err
	}
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.ResponseWriter.Write(w.buf)
	w.buf = nil
	return err
}

// Flush sends what is written so far (a stream decides with what it has).
func (w *gzipWriter) Flush() {
	if !w.decided {
		_ = w.decide(len(w.buf))
	}
	if w.zw != nil {
		_ = w.zw.Flush()
	}
	w.ResponseWriter.Flush()
}

func (w *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) { return w.ResponseWriter.Hijack() }

// Unwrap lets http.ResponseController reach the connection (write deadlines).
func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// finish writes what is held back and ends the gzip stream.
func (w *gzipWriter) finish() {
	if !w.decided {
		_ = w.decide(len(w.buf))
	}
	if w.zw != nil {
		_ = w.zw.Close()
		w.zw.Reset(nil)
		gzipWriters.Put(w.zw)
		w.zw = nil
	}
}
