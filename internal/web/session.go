package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
)

// Cookie names. The expert cookie holds the invite token itself, so that every request
// re-checks it (a revoked link stops working at once) and nothing needs storing.
const (
	staffCookie  = "delphi_staff"
	expertCookie = "delphi_expert"
)

func bearer(c *gin.Context) string {
	h := c.GetHeader("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func (s *Server) setCookie(c *gin.Context, name, value string, maxAge int, path string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func staffFrom(c *gin.Context) (delphi.Staff, bool) {
	v, ok := c.Get(fmt.Sprint(keyStaff))
	if !ok {
		return delphi.Staff{}, false
	}
	st, ok := v.(delphi.Staff)
	return st, ok
}

func sessionFrom(c *gin.Context) auth.Session {
	v, _ := c.Get(fmt.Sprint(keySession))
	s, _ := v.(auth.Session)
	return s
}

func actorFrom(c *gin.Context) delphi.Actor {
	st, _ := staffFrom(c)
	return delphi.Actor{StaffID: st.ID, Role: st.Role}
}

func expertFrom(c *gin.Context) (*delphi.Expert, bool) {
	v, ok := c.Get(fmt.Sprint(keyExpert))
	if !ok {
		return nil, false
	}
	e, ok := v.(*delphi.Expert)
	return e, ok
}

// staffAuth identifies staff from a bearer token (API) or the session cookie (console); the
// account is re-read on every request so that a disabled account or changed role counts at once.
// Cookie-authenticated unsafe requests must carry the CSRF token (form field or X-CSRF-Token).
func (s *Server) staffAuth(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, fromCookie := bearer(c), false
		if tok == "" {
			if ck, err := c.Cookie(staffCookie); err == nil {
				tok, fromCookie = ck, true
			}
		}
		if tok == "" {
			s.needLogin(c, "sign in first")
			return
		}
		sess, err := s.Signer.ParseSession(tok)
		if err != nil {
			msg := "your session is not valid; sign in again"
			if err == auth.ErrExpired {
				msg = "your session has expired; sign in again"
			}
			s.needLogin(c, msg)
			return
		}
		st, err := s.svc.StaffMember(c.Request.Context(), sess.StaffID)
		if err != nil {
			s.needLogin(c, "your account is not active; sign in again")
			return
		}
		c.Set(fmt.Sprint(keyStaff), st)
		c.Set(fmt.Sprint(keySession), sess)
		if fromCookie && !safeMethod(c.Request.Method) && !s.csrfOK(c, sess.ID) {
			s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
			return
		}
		if len(roles) > 0 && !contains(roles, st.Role) {
			s.fail(c, delphi.Errorf(delphi.EForbidden, "", "your role (%s) may not do this", st.Role))
			return
		}
		c.Next()
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (s *Server) csrfOK(c *gin.Context, sessionID string) bool {
	tok := c.GetHeader("X-CSRF-Token")
	if tok == "" {
		tok = c.PostForm("csrf")
	}
	return s.Signer.CheckCSRF(sessionID, tok)
}

// needLogin answers 401 on the API and redirects pages to the login form.
func (s *Server) needLogin(c *gin.Context, msg string) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") || !safeMethod(c.Request.Method) {
		s.fail(c, delphi.Errorf(delphi.EUnauthorized, "", "%s", msg))
		return
	}
	c.Redirect(http.StatusSeeOther, "/console/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	c.Abort()
}

// expertAuth identifies an expert from a bearer invite token (API) or the expert cookie (pages).
// Cookie-authenticated unsafe requests must carry the CSRF token.
func (s *Server) expertAuth(c *gin.Context) {
	tok, fromCookie := bearer(c), false
	if tok == "" {
		if ck, err := c.Cookie(expertCookie); err == nil {
			tok, fromCookie = ck, true
		}
	}
	if tok == "" {
		s.fail(c, delphi.Errorf(delphi.EUnauthorized, "", "open the personal link from your invitation email to take part"))
		return
	}
	e, err := s.svc.Expert(c.Request.Context(), tok)
	if err != nil {
		s.Log.Warn("expert link refused", "err", err, "request_id", requestID(c))
		if fromCookie {
			s.setCookie(c, expertCookie, "", -1, "/")
		}
		s.fail(c, err)
		return
	}
	c.Set(fmt.Sprint(keyExpert), e)
	if fromCookie && !safeMethod(c.Request.Method) && !s.csrfOK(c, expertCSRFKey(e)) {
		s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
		return
	}
	c.Next()
}

func expertCSRFKey(e *delphi.Expert) string { return "expert:" + e.InvitationID }
