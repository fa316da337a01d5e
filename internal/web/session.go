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

// actorFrom is who acts in this request, with their role in the request's study when the
// route names one (staffAuth set it).
func actorFrom(c *gin.Context) delphi.Actor {
	if v, ok := c.Get(fmt.Sprint(keyActor)); ok {
		return v.(delphi.Actor)
	}
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

// staffAuth identifies staff from a bearer token (API) or the session cookie (console). The
// token's signature and expiry are checked, then its session: ended sessions (sign-out, an
// admin, a disabled account, a changed role or password) stop working at the next request.
// Cookie-authenticated unsafe requests must carry the CSRF token (form field or X-CSRF-Token).
// A route that names a study (:sid) is scoped: someone who is not a member of it is told the
// study does not exist, and their role there is what the route's roles are checked against.
func (s *Server) staffAuth(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		tok, fromCookie := bearer(c), false
		if tok == "" {
			if ck, err := c.Cookie(staffCookie); err == nil {
				tok, fromCookie = ck, true
			}
		}
		if tok == "" {
			s.needLogin(c, "")
			return
		}
		sess, err := s.Signer.ParseSession(tok)
		if err != nil {
			msg := "your session is not valid; sign in again"
			if err == auth.ErrExpired {
				msg = "your session has expired; sign in again"
			}
			s.endCookie(c, fromCookie)
			s.needLogin(c, msg)
			return
		}
		ctx := c.Request.Context()
		st, err := s.svc.StaffSession(ctx, sess)
		if err != nil {
			if delphi.ErrorCode(err) == delphi.EInternal {
				s.fail(c, err)
				return
			}
			s.endCookie(c, fromCookie)
			s.needLogin(c, err.Error())
			return
		}
		c.Set(fmt.Sprint(keyStaff), st)
		c.Set(fmt.Sprint(keySession), sess)
		if fromCookie && !safeMethod(c.Request.Method) && !s.csrfOK(c, sess.ID) {
			s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
			return
		}
		a := delphi.Actor{StaffID: st.ID, Role: st.Role}
		if c.Param("sid") != "" {
			sid, err := pathInt(c, "sid")
			if err == nil {
				a, err = s.svc.StudyAccess(ctx, a, sid)
			}
			if err != nil {
				s.fail(c, err)
				return
			}
		}
		c.Set(fmt.Sprint(keyActor), a)
		if len(roles) > 0 && !contains(roles, a.Role) {
			where := ""
			if c.Param("sid") != "" && a.Role != st.Role {
				where = " in this study"
			}
			s.fail(c, delphi.Errorf(delphi.EForbidden, "", "your role%s (%s) may not do this", where, a.Role))
			return
		}
		c.Next()
	}
}

// endCookie drops a session cookie that no longer works, so the browser stops sending it.
func (s *Server) endCookie(c *gin.Context, fromCookie bool) {
	if fromCookie {
		s.setCookie(c, staffCookie, "", -1, "/")
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

// needLogin answers 401 on the API and redirects pages to the sign-in form, which says why
// (msg) when there is more to say than "sign in".
func (s *Server) needLogin(c *gin.Context, msg string) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") || !safeMethod(c.Request.Method) {
		if msg == "" {
			msg = "sign in first"
		}
		s.fail(c, delphi.Errorf(delphi.EUnauthorized, "", "%s", msg))
		return
	}
	if msg != "" {
		s.setCookie(c, flashCookie, url.QueryEscape(msg), 60, "/console")
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
