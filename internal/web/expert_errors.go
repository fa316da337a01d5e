package web

// What an expert reads when something goes wrong: what happened, in plain words and their
// language, what they can do, and a way back (their answers, read-only, or the study contact).

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

// linkKind names why a link was refused, for the catalogue's link.<kind>.* texts.
func linkKind(err error) string {
	switch {
	case errors.Is(err, delphi.ErrLinkExpired):
		return "expired"
	case errors.Is(err, delphi.ErrLinkRevoked):
		return "revoked"
	case errors.Is(err, delphi.ErrWithdrawn):
		return "withdrawn"
	case errors.Is(err, delphi.ErrLinkInvalid):
		return "invalid"
	case errors.Is(err, errNoLink):
		return "nolink"
	}
	return "error"
}

// expertTrouble is the page of an error met by an expert whose link works: the round closed
// under them (409), a server error (5xx), or anything else refused (its message, and the way
// back to the questionnaire).
func (s *Server) expertTrouble(c *gin.Context, ex *delphi.Expert, status int, ae apiError) *templates.LinkPage {
	v := &templates.LinkPage{Page: s.tpage(templates.Page{Lang: s.langFor(ex), Zone: ex.Study.Zone}), Kind: "other", Status: status,
		Contact: ex.Study.Contact, ContactName: ex.Study.ContactName, Back: true}
	switch {
	case status >= http.StatusInternalServerError:
		v.Kind = "server"
		v.Body = v.T("link.server.body", requestID(c))
	case status == http.StatusConflict:
		if r := s.closedRoundOf(c, ex); r != nil {
			v.Kind, v.Back, v.Answers = "closed", false, true
			v.Title = v.T("link.closed.title", r.Number)
			v.Body = v.T("link.closed.body", r.Number, v.Dates().DateTime(r.ClosedAt))
		}
	}
	if v.Kind == "other" {
		switch {
		case status == http.StatusNotFound:
			v.Body = v.T("link.notfound.body")
		case ae.Field == "csrf":
			v.Body = v.T("link.csrf.body")
		default:
			v.Body = ae.Message
		}
	}
	if v.Title == "" {
		v.Title = v.T("link." + v.Kind + ".title")
	}
	return v
}

// closedRoundOf returns the expert's latest round when it is closed, read afresh: the round
// may have closed since the request's expert was read. Nil when it is open or unknown.
func (s *Server) closedRoundOf(c *gin.Context, ex *delphi.Expert) *delphi.Round {
	if tok, err := c.Cookie(expertCookie); err == nil && tok != "" {
		if fresh, err := s.svc.Expert(c.Request.Context(), tok); err == nil {
			ex = fresh
		}
	}
	q, err := s.svc.Questionnaire(c.Request.Context(), ex)
	if err != nil || q.Round == nil || q.Round.Open() {
		return nil
	}
	return q.Round
}

// expertPlain is the plain message of an error for the expert pages' own script (a request to
// /api/v1/respond… with the expert cookie, no bearer token), in the expert's language; "" to
// keep the API's message (API clients, and errors the script shows beside an answer).
func (s *Server) expertPlain(c *gin.Context, err error, status int, ae apiError) string {
	if !strings.HasPrefix(c.Request.URL.Path, "/api/v1/respond") || bearer(c) != "" {
		return ""
	}
	tok, cerr := c.Cookie(expertCookie)
	if cerr != nil || tok == "" {
		return ""
	}
	if ex, ok := expertFrom(c); ok {
		if status < http.StatusInternalServerError && status != http.StatusConflict {
			return ""
		}
		v := s.expertTrouble(c, ex, status, ae)
		return v.Title + ". " + v.Body
	}
	kind := linkKind(err)
	if kind == "error" && status < http.StatusInternalServerError {
		return ""
	}
	_, _, lang := s.svc.LinkHelp(c.Request.Context(), tok)
	p := s.tpage(templates.Page{Lang: s.pageLang(lang)})
	if kind == "error" {
		return p.T("link.server.title") + ". " + p.T("link.server.body", requestID(c))
	}
	return p.T("link."+kind+".title") + ". " + p.T("link."+kind+".body")
}
