package web

// The API's staff routes: signing in and out, one's own account, governing staff accounts.

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// loginInput is the body of POST /auth/login.
type loginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c *gin.Context) {
	var in loginInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.signIn(c, in.Email, in.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loginJSON{Token: out.Token, ExpiresAt: out.Session.Expires})
}

// loginJSON is a new session: the bearer token and when it expires.
type loginJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// apiLogout ends the session the request comes with: its token stops working everywhere.
func (s *Server) apiLogout(c *gin.Context) {
	if err := s.svc.Logout(c.Request.Context(), actorFrom(c), sessionFrom(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := c.Cookie(staffCookie); err == nil {
		s.setCookie(c, staffCookie, "", -1, "/")
	}
	c.Status(http.StatusNoContent)
}

// setPasswordInput is the body of POST /auth/password: the token of the link
// /console/password/{token} and the password chosen (12–72 bytes, not a common one).
type setPasswordInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// apiSetPassword uses a one-time link's token to choose a password, and signs in.
func (s *Server) apiSetPassword(c *gin.Context) {
	var in setPasswordInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.SetPasswordByLink(c.Request.Context(), in.Token, in.Password, delphi.SignIn{
		Client: c.GetHeader("User-Agent"), Address: c.ClientIP(), TTL: s.SessionTTL})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loginJSON{Token: out.Token, ExpiresAt: out.Session.Expires})
}

func (s *Server) apiMe(c *gin.Context) {
	st, _ := staffFrom(c)
	c.JSON(http.StatusOK, st)
}

// changePasswordInput is the body of PUT /me/password.
type changePasswordInput struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// apiChangePassword changes the caller's own password; their other sessions end.
func (s *Server) apiChangePassword(c *gin.Context) {
	var in changePasswordInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.ChangePassword(c.Request.Context(), actorFrom(c), sessionFrom(c).ID, in.Current, in.New); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiMySessions(c *gin.Context) {
	a := actorFrom(c)
	out, err := s.svc.Sessions(c.Request.Context(), a, a.StaffID, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiListStaff(c *gin.Context) {
	out, err := s.svc.ListStaff(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateStaff(c *gin.Context) {
	var in delphi.NewStaff
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, link, err := s.svc.CreateStaff(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/staff/%d", st.ID))
	c.JSON(http.StatusCreated, staffJSON{Staff: st, PasswordLink: s.linkJSON(link)})
}

// staffJSON is an account, with the one-time link to choose a password when one was just made
// (shown once: only its hash is stored).
type staffJSON struct {
	delphi.Staff
	PasswordLink *passwordLinkJSON `json:"password_link,omitempty"`
}

type passwordLinkJSON struct {
	URL       string    `json:"url"`
	Purpose   string    `json:"purpose"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) linkJSON(l *delphi.PasswordLink) *passwordLinkJSON {
	if l == nil {
		return nil
	}
	return &passwordLinkJSON{URL: s.passwordURL(l), Purpose: l.Purpose, ExpiresAt: l.Expires}
}

func (s *Server) apiStaffMember(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.StaffAccount(c.Request.Context(), actorFrom(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) apiUpdateStaff(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.StaffChange
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.UpdateStaff(c.Request.Context(), actorFrom(c), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) apiResetPassword(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, link, err := s.svc.ResetPassword(c.Request.Context(), actorFrom(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, staffJSON{Staff: st, PasswordLink: s.linkJSON(link)})
}

func (s *Server) apiStaffSessions(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.Sessions(c.Request.Context(), actorFrom(c), id, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// endedJSON counts the sessions ended.
type endedJSON struct {
	Ended int64 `json:"ended"`
}

// apiEndStaffSessions ends one session (…/sessions/{session}) or all of an account's.
func (s *Server) apiEndStaffSessions(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.svc.EndSessions(c.Request.Context(), actorFrom(c), id, c.Param("session"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, endedJSON{Ended: n})
}
