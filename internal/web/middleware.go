package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gin-gonic/gin"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyStaff
	keyExpert
	keySession
	keyActor
	keyAttendee
	keyZone
)

func requestID(c *gin.Context) string {
	v, _ := c.Get(fmt.Sprint(keyRequestID))
	s, _ := v.(string)
	return s
}

// withRequestID gives every request an id, echoed in X-Request-Id and in every log line.
func (s *Server) withRequestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "\r\n\"") {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(fmt.Sprint(keyRequestID), id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// accessLog writes one structured line per request: never the query string, and no path
// segment that looks like a token (an invite link at a mistyped path, a password link).
func (s *Server) accessLog(c *gin.Context) {
	start := s.Now()
	c.Next()
	s.Log.Info("request", "method", c.Request.Method, "path", redactPath(c.Request.URL.Path), "status", c.Writer.Status(),
		"duration_ms", float64(s.Now().Sub(start).Microseconds())/1000, "bytes", c.Writer.Size(), "request_id", requestID(c))
}

// redactPath replaces each token-shaped segment of a path with "…": a JWT (three base64url
// parts), or a run of 20 or more base64url characters with a digit or mixed case (random ids,
// not words).
func redactPath(p string) string {
	// what follows these is a credential, whatever it looks like
	for _, prefix := range []string{"/r/", "/R/", "/console/password/"} {
		if strings.HasPrefix(p, prefix) {
			return prefix + "…"
		}
	}
	if !strings.ContainsAny(p, ".0123456789") && len(p) < 40 {
		return p // fast path: short paths of words
	}
	segs := strings.Split(p, "/")
	changed := false
	for i, seg := range segs {
		if tokenShaped(seg) {
			segs[i], changed = "…", true
		}
	}
	if !changed {
		return p
	}
	return strings.Join(segs, "/")
}

func tokenShaped(seg string) bool {
	if len(seg) < 20 {
		return false
	}
	var digit, upper, lower bool
	for _, part := range strings.Split(seg, ".") {
		for _, r := range part {
			switch {
			case r >= '0' && r <= '9':
				digit = true
			case r >= 'A' && r <= 'Z':
				upper = true
			case r >= 'a' && r <= 'z':
				lower = true
			case r == '-' || r == '_':
			default:
				return false
			}
		}
	}
	return digit || (upper && lower)
}

// recovery turns a panic into a logged 500 without the stack reaching the client.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Log.Error("panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()), "request_id", requestID(c))
			if !c.Writer.Written() {
				s.fail(c, fmt.Errorf("panic: %v", v))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// securityHeaders sets CSP and the usual headers on every response. No inline scripts or styles
// are allowed: pages load /static/app.js and /static/app.css.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// limitBody caps request bodies; reading past the cap fails, and handlers answer 413.
func (s *Server) limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			s.fail(c, tooLarge(max))
			c.Abort()
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}
