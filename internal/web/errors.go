package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

// statuses maps domain error codes to HTTP statuses, in one place.
var statuses = map[string]int{
	delphi.EInvalid:      http.StatusUnprocessableEntity,
	delphi.ENotFound:     http.StatusNotFound,
	delphi.EConflict:     http.StatusConflict,
	delphi.EUnauthorized: http.StatusUnauthorized,
	delphi.EForbidden:    http.StatusForbidden,
	delphi.EGone:         http.StatusGone,
	delphi.ETooLarge:     http.StatusRequestEntityTooLarge,
	"malformed":          http.StatusBadRequest,
	"unsupported":        http.StatusUnsupportedMediaType,
	"rate_limited":       http.StatusTooManyRequests,
	"method":             http.StatusMethodNotAllowed,
	"busy":               http.StatusServiceUnavailable, // every export build slot taken (Retry-After set)
}

func malformed(format string, args ...any) error {
	return &delphi.Error{Code: "malformed", Message: fmt.Sprintf(format, args...)}
}

func tooLarge(max int64) error {
	return delphi.Errorf(delphi.ETooLarge, "", "the request body is larger than %d KiB", max>>10)
}

// apiErrorBody is the JSON error shape of DESIGN.md §4.
type apiErrorBody struct {
	Error apiError `json:"error"`
}

type apiError struct {
	Code     string              `json:"code"`
	Message  string              `json:"message"`
	Field    string              `json:"field,omitempty"`
	Line     int                 `json:"line,omitempty"`
	Problems []delphi.RowProblem `json:"problems,omitempty"`
}

// classify returns the status and the user-facing error for err; internal errors are logged
// and shown only as "internal error".
func (s *Server) classify(c *gin.Context, err error) (int, apiError) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = tooLarge(mbe.Limit)
	}
	// The disk is full, the database read-only or the disk failing: not the client's doing,
	// and nothing was saved. Say so plainly, and log it for the operator.
	var ue interface{ Unavailable() string }
	if errors.As(err, &ue) {
		s.Log.Error("database cannot be written", "reason", ue.Unavailable(), "err", err, "method", c.Request.Method,
			"path", c.FullPath(), "request_id", requestID(c))
		c.Header("Retry-After", "120")
		return http.StatusServiceUnavailable, apiError{Code: "unavailable", Message: "the service cannot save right now (" +
			ue.Unavailable() + " on the server): your changes were not saved; please try again in a few minutes"}
	}
	var ie *delphi.ImportError
	if errors.As(err, &ie) {
		return http.StatusUnprocessableEntity, apiError{Code: delphi.EInvalid, Message: ie.Error(), Problems: ie.Problems}
	}
	var de *delphi.Error
	if errors.As(err, &de) {
		if st, ok := statuses[de.Code]; ok {
			return st, apiError{Code: de.Code, Message: de.Message, Field: de.Field, Line: de.Line}
		}
	}
	s.Log.Error("internal error", "err", err, "method", c.Request.Method, "path", c.FullPath(), "request_id", requestID(c))
	return http.StatusInternalServerError, apiError{Code: delphi.EInternal,
		Message: "internal error (request " + requestID(c) + ")"}
}

// fail answers with an error: JSON under /api, an error page elsewhere.
func (s *Server) fail(c *gin.Context, err error) {
	status, e := s.classify(c, err)
	if status == http.StatusUnauthorized && strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.Header("WWW-Authenticate", `Bearer realm="delphi"`)
	}
	if strings.HasPrefix(c.Request.URL.Path, "/api/") || wantsJSON(c) {
		if m := s.expertPlain(c, err, status, e); m != "" {
			e.Message = m
		}
		c.AbortWithStatusJSON(status, apiErrorBody{Error: e})
		return
	}
	if ex, ok := expertFrom(c); ok && strings.HasPrefix(c.Request.URL.Path, "/respond") {
		s.renderPage(c, status, templates.Link(s.expertTrouble(c, ex, status, e)), 0)
		c.Abort()
		return
	}
	p := templates.Page{Title: http.StatusText(status)}
	if ex, ok := expertFrom(c); ok {
		p.Lang = s.pageLang(ex.Panelist.Language)
	}
	if st, ok := staffFrom(c); ok {
		p.Staff = &templates.Staff{ID: st.ID, Email: st.Email, Role: st.Role}
	}
	s.renderPage(c, status, templates.Error(&templates.ErrorPage{Page: s.tpage(p), Status: status, Message: e.Message}), 0)
	c.Abort()
}

func wantsJSON(c *gin.Context) bool {
	return strings.Contains(c.GetHeader("Accept"), "application/json") && !strings.Contains(c.GetHeader("Accept"), "text/html")
}
