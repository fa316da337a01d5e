package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/templates"
)

// Staff pages: sign-in and sign-out, links to choose a password, one's own account, the staff
// list (admins) and a study's members.

// presessionCookie holds a random value that the sign-in and password-link forms' CSRF tokens
// are bound to: no session exists yet, and a forged sign-in (into an attacker's account) must
// still be refused.
const presessionCookie = "delphi_presession"

// presession returns the browser's pre-session value, setting a new one when it has none.
func (s *Server) presession(c *gin.Context) string {
	if ck, err := c.Cookie(presessionCookie); err == nil && len(ck) >= 16 && len(ck) <= 64 {
		return ck
	}
	v := auth.NewID()
	http.SetCookie(c.Writer, &http.Cookie{Name: presessionCookie, Value: v, Path: "/console", MaxAge: 12 * 3600,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	return v
}

// presessionRefusal says why a sign-in form post is not trusted ("" when it is). Browsers say
// where a request comes from: Sec-Fetch-Site where they send it; Origin when it names a site
// ("null" alone proves nothing: with Referrer-Policy: no-referrer a same-origin form posts with
// Origin: null). The form's token must match the pre-session cookie, which another site can
// neither read nor set.
func (s *Server) presessionRefusal(c *gin.Context) string {
	return s.presessionRefusalFor(c, presessionCookie, "presession:")
}

// presessionRefusalFor is presessionRefusal for a pre-session cookie and token prefix of its own
// (the meeting's join form has delphi_join on /m).
func (s *Server) presessionRefusalFor(c *gin.Context, cookie, prefix string) string {
	switch v := c.GetHeader("Sec-Fetch-Site"); v {
	case "cross-site", "same-site":
		return "Sec-Fetch-Site: " + v
	}
	if o := c.GetHeader("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || (u.Host != c.Request.Host && u.Host != s.baseHost()) {
			return "Origin names another site"
		}
	}
	ck, err := c.Cookie(cookie)
	if err != nil || ck == "" {
		return "no pre-session cookie"
	}
	if !s.Signer.CheckCSRF(prefix+ck, c.PostForm("csrf")) {
		return "form token does not match"
	}
	return ""
}

func (s *Server) baseHost() string {
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// loginView is the sign-in form.

func (s *Server) consoleLoginForm(c *gin.Context) {
	s.renderLogin(c, http.StatusOK, "", localPath(c.Query("next")), "")
}

// renderLogin shows the sign-in form with a fresh token, and msg as the error when given.
func (s *Server) renderLogin(c *gin.Context, status int, email, next, msg string) {
	v := &templates.LoginPage{Page: s.tpage(templates.Page{Title: "Sign in", Lang: "en", Error: msg}), Email: email, Next: next}
	v.CSRF = s.Signer.CSRF("presession:" + s.presession(c))
	if msg == "" {
		v.Flash = s.takeFlash(c)
	}
	s.renderPage(c, status, templates.ConsoleLogin(v), 0)
}

// takeFlash reads the one-line message left by the last redirect, once.
func (s *Server) takeFlash(c *gin.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck == "" {
		return ""
	}
	s.setCookie(c, flashCookie, "", -1, "/console")
	msg, err := url.QueryUnescape(ck)
	if err != nil {
		return ""
	}
	return msg
}

func (s *Server) consoleLogin(c *gin.Context) {
	email, pw := strings.TrimSpace(c.PostForm("email")), c.PostForm("password")
	next := localPath(c.PostForm("next"))
	if why := s.presessionRefusal(c); why != "" {
		s.Log.Warn("sign-in form refused", "reason", why, "request_id", requestID(c))
		s.renderLogin(c, http.StatusForbidden, email, next,
			"This sign-in did not come from this site's own sign-in form, or the form had expired. Please sign in again below.")
		return
	}
	in, err := s.signIn(c, email, pw)
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderLogin(c, status, email, next, msg)
		return
	}
	s.setCookie(c, staffCookie, in.Token, int(s.SessionTTL.Seconds()), "/")
	c.Redirect(http.StatusSeeOther, next)
}

// Sign-in limits: failures only count. An account gets a few free failures, an address (which
// may be a whole hospital behind one NAT) many more; then each attempt waits a delay that
// doubles per failure (1 s, 2 s, … up to 15 min).
const (
	freeAccountFailures = 5
	freeAddressFailures = 30
)

// signIn checks the sign-in limits and the password and opens a session (console and API).
func (s *Server) signIn(c *gin.Context, email, password string) (delphi.SignedIn, error) {
	acct := "account:" + strings.ToLower(strings.TrimSpace(email))
	addr := "address:" + c.ClientIP()
	if wait := max(s.throttle.Wait(acct), s.throttle.Wait(addr)); wait > 0 {
		secs := int(wait.Seconds())
		c.Header("Retry-After", strconv.Itoa(secs))
		s.Log.Warn("sign-in delayed", "address", c.ClientIP(), "wait_s", secs, "request_id", requestID(c))
		return delphi.SignedIn{}, &delphi.Error{Code: "rate_limited",
			Message: fmt.Sprintf("too many failed sign-ins: wait %s and try again", s.waitText(wait))}
	}
	in, err := s.svc.Login(c.Request.Context(), delphi.SignIn{Email: email, Password: password,
		Client: c.GetHeader("User-Agent"), Address: c.ClientIP(), TTL: s.SessionTTL})
	if err != nil {
		if delphi.ErrorCode(err) == delphi.EUnauthorized {
			for _, k := range []struct {
				key, kind string
				free      int
			}{{acct, "account", freeAccountFailures}, {addr, "address", freeAddressFailures}} {
				if d, started := s.throttle.Fail(k.key, k.free); started {
					s.svc.AuditLockout(c.Request.Context(), k.kind, strings.TrimPrefix(k.key, k.kind+":"), d)
				}
			}
			s.Log.Warn("sign-in failed", "address", c.ClientIP(), "request_id", requestID(c))
		}
		return delphi.SignedIn{}, err
	}
	s.throttle.Clear(acct)
	return in, nil
}

// waitText says how long to wait, in the catalogue's plural forms (sign-in errors are English).
func (s *Server) waitText(d time.Duration) string {
	if d < time.Minute {
		return s.catalog.T("en", "signin.wait.seconds", int(d.Seconds()+0.5))
	}
	return s.catalog.T("en", "signin.wait.minutes", int(d.Minutes()+0.99))
}

// consoleLogoutForm asks to confirm signing out: pages that are cached for every reader (round
// reports) carry no CSRF token, so they link here instead of posting.
func (s *Server) consoleLogoutForm(c *gin.Context) {
	v := s.staffPage(c, "Sign out", "")
	s.renderPage(c, http.StatusOK, templates.ConsoleLogout(&v), 0)
}

// consoleLogout ends the session (its cookie and every copy of its token) and clears the
// cookie. With a valid session the form must carry its CSRF token (so another site cannot sign
// staff out); without one there is nothing to protect.
func (s *Server) consoleLogout(c *gin.Context) {
	if ck, err := c.Cookie(staffCookie); err == nil && ck != "" {
		if sess, err := s.Signer.ParseSession(ck); err == nil {
			if !s.csrfOK(c, sess.ID) {
				s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
				return
			}
			if err := s.svc.Logout(c.Request.Context(), delphi.Actor{StaffID: sess.StaffID}, sess.ID); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	s.setCookie(c, staffCookie, "", -1, "/")
	s.done(c, "/console/login", "You have signed out.")
}

func (s *Server) consolePasswordLinkForm(c *gin.Context) {
	acc, purpose, err := s.svc.PasswordLinkAccount(c.Request.Context(), c.Param("token"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderPasswordForm(c, http.StatusOK, acc.Email, purpose, "")
}

func (s *Server) renderPasswordForm(c *gin.Context, status int, email, purpose, msg string) {
	title := "Choose a new password"
	if purpose == "invite" {
		title = "Welcome to delphi: choose your password"
	}
	v := &templates.PasswordPage{Page: s.tpage(templates.Page{Title: title, Lang: "en", Error: msg}), Token: c.Param("token"), Email: email, Purpose: purpose}
	v.CSRF = s.Signer.CSRF("presession:" + s.presession(c))
	s.renderPage(c, status, templates.ConsolePassword(v), 0)
}

func (s *Server) consolePasswordLink(c *gin.Context) {
	ctx := c.Request.Context()
	acc, purpose, err := s.svc.PasswordLinkAccount(ctx, c.Param("token"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if why := s.presessionRefusal(c); why != "" {
		s.Log.Warn("password form refused", "reason", why, "request_id", requestID(c))
		s.renderPasswordForm(c, http.StatusForbidden, acc.Email, purpose, "This form had expired or did not come from this site. Please choose your password again.")
		return
	}
	pw := c.PostForm("password")
	if pw != c.PostForm("confirm") {
		s.renderPasswordForm(c, http.StatusUnprocessableEntity, acc.Email, purpose, "The two passwords are not the same.")
		return
	}
	in, err := s.svc.SetPasswordByLink(ctx, c.Param("token"), pw, delphi.SignIn{Client: c.GetHeader("User-Agent"),
		Address: c.ClientIP(), TTL: s.SessionTTL})
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderPasswordForm(c, status, acc.Email, purpose, msg)
		return
	}
	s.setCookie(c, staffCookie, in.Token, int(s.SessionTTL.Seconds()), "/")
	s.done(c, "/console", "Your password is set, and you are signed in.")
}

// accountView is one's own account: password and sessions.
type sessionRow = templates.SessionRow

// sessionRows lists staff sessions, their times in UTC: accounts belong to no study.
func sessionRows(ss []delphi.SessionInfo) []sessionRow {
	out := make([]sessionRow, len(ss))
	utc := i18n.Dates{}
	for i, x := range ss {
		out[i] = sessionRow{ID: x.ID, Started: utc.DateTime(x.CreatedAt), Expires: utc.DateTime(x.ExpiresAt), Client: clientName(x.Client),
			Address: x.Address, Current: x.Current}
	}
	return out
}

// clientName says which browser a User-Agent is, roughly, to tell sessions apart.
func clientName(ua string) string {
	name := "a program"
	for _, b := range []struct{ key, name string }{{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Chromium/", "Chromium"}, {"Safari/", "Safari"}, {"curl/", "curl"}} {
		if strings.Contains(ua, b.key) {
			name = b.name
			break
		}
	}
	for _, o := range []string{"Windows", "Mac OS", "iPhone", "iPad", "Android", "Linux"} {
		if strings.Contains(ua, o) {
			return name + " on " + strings.Replace(o, "Mac OS", "macOS", 1)
		}
	}
	return name
}

func (s *Server) consoleAccount(c *gin.Context) { s.renderAccount(c, http.StatusOK, "") }

func (s *Server) renderAccount(c *gin.Context, status int, msg string) {
	ctx := c.Request.Context()
	st, _ := staffFrom(c)
	ss, err := s.svc.Sessions(ctx, actorFrom(c), st.ID, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.AccountPage{Page: s.consolePage(c, "Your account", "account"), Account: st, Sessions: sessionRows(ss)}
	v.Error = msg
	s.renderPage(c, status, templates.ConsoleAccount(v), 0)
}

func (s *Server) consoleChangePassword(c *gin.Context) {
	if c.PostForm("new_password") != c.PostForm("confirm") {
		s.renderAccount(c, http.StatusUnprocessableEntity, "The two new passwords are not the same.")
		return
	}
	err := s.svc.ChangePassword(c.Request.Context(), actorFrom(c), sessionFrom(c).ID, c.PostForm("current_password"), c.PostForm("new_password"))
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderAccount(c, status, msg)
		return
	}
	s.done(c, "/console/account", "Your password is changed; your other sessions have ended.")
}

// consoleEndOwnSessions signs the member out everywhere but here.
func (s *Server) consoleEndOwnSessions(c *gin.Context) {
	a := actorFrom(c)
	ss, err := s.svc.Sessions(c.Request.Context(), a, a.StaffID, sessionFrom(c).ID)
	if err == nil && len(ss) <= 1 {
		err = delphi.Errorf(delphi.EConflict, "", "you are signed in only here: there is no other session to end")
	}
	if err == nil {
		for _, x := range ss {
			if !x.Current {
				if _, err = s.svc.EndSessions(c.Request.Context(), a, a.StaffID, x.ID); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderAccount(c, status, msg)
		return
	}
	s.done(c, "/console/account", "Your other sessions have ended.")
}

func (s *Server) consoleStaff(c *gin.Context) {
	s.renderStaff(c, http.StatusOK, delphi.NewStaff{Role: delphi.RoleFacilitator}, "")
}

func (s *Server) renderStaff(c *gin.Context, status int, form delphi.NewStaff, errMsg string) {
	list, err := s.svc.ListStaff(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	form.Password = "" // never echoed back
	v := &templates.StaffListPage{Page: s.consolePage(c, "Staff", "staff"), Staff: list, Form: form}
	v.Error = errMsg
	s.renderPage(c, status, templates.ConsoleStaff(v), 0)
}

func (s *Server) consoleCreateStaff(c *gin.Context) {
	in := delphi.NewStaff{Email: c.PostForm("email"), Name: c.PostForm("name"), Role: c.PostForm("role"), Password: c.PostForm("password")}
	st, link, err := s.svc.CreateStaff(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderStaff(c, status, in, msg)
		return
	}
	if link != nil {
		// the link is shown once, here, for the admin to pass on; it is not kept anywhere readable
		msg := fmt.Sprintf("Account %s (%s) added. Send them the link below to choose their password.", st.Email, st.Role)
		if s.mailLink(c, st, link) {
			msg = fmt.Sprintf("Account %s (%s) added, and the link below emailed to them to choose their password.", st.Email, st.Role)
		}
		s.renderStaffMember(c, http.StatusOK, st.ID, link, msg, "")
		return
	}
	s.done(c, "/console/staff", fmt.Sprintf("Account %s (%s) added.", st.Email, st.Role))
}

func (s *Server) passwordURL(l *delphi.PasswordLink) string {
	return s.BaseURL + "/console/password/" + l.Token
}

func (s *Server) consoleStaffMember(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderStaffMember(c, http.StatusOK, id, nil, "", "")
}

// renderStaffMember shows an account as an admin governs it, with a link to choose a password
// just made (shown once), a confirmation, or the error of a refused form (status kept).
func (s *Server) renderStaffMember(c *gin.Context, status int, id int64, link *delphi.PasswordLink, flash, errMsg string) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	m, err := s.svc.StaffAccount(ctx, a, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	ss, err := s.svc.Sessions(ctx, a, id, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.StaffMemberPage{Page: s.consolePage(c, m.Email, "staff"), Member: m, Sessions: sessionRows(ss), Self: id == a.StaffID}
	if m.Role == delphi.RoleAdmin && !m.Disabled {
		all, err := s.svc.ListStaff(ctx, a)
		if err != nil {
			s.fail(c, err)
			return
		}
		admins := 0
		for _, x := range all {
			if x.Role == delphi.RoleAdmin && !x.Disabled {
				admins++
			}
		}
		v.LastAdmin = admins == 1
	}
	if flash != "" {
		v.Flash = flash
	}
	v.Error = errMsg
	if link != nil {
		v.Link = &templates.PasswordLinkView{URL: s.passwordURL(link), Expires: v.DateTime(link.Expires), Purpose: link.Purpose}
	}
	s.renderPage(c, status, templates.ConsoleStaffMember(v), 0)
}

func (s *Server) consoleUpdateStaff(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var ch delphi.StaffChange
	if r := c.PostForm("role"); r != "" {
		ch.Role = &r
	}
	switch c.PostForm("action") {
	case "disable":
		t := true
		ch.Disabled = &t
	case "enable":
		f := false
		ch.Disabled = &f
	}
	st, err := s.svc.UpdateStaff(c.Request.Context(), actorFrom(c), id, ch)
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderStaffMember(c, status, id, nil, "", msg)
		return
	}
	state := "active"
	if st.Disabled {
		state = "disabled; their sessions have ended"
	}
	s.done(c, fmt.Sprintf("/console/staff/%d", id), fmt.Sprintf("%s is now %s (%s).", st.Email, st.Role, state))
}

func (s *Server) consoleResetPassword(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, link, err := s.svc.ResetPassword(c.Request.Context(), actorFrom(c), id)
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderStaffMember(c, status, id, nil, "", msg)
		return
	}
	msg := fmt.Sprintf("The password of %s no longer works and their sessions have ended. Send them the link below to choose a new one.", st.Email)
	if s.mailLink(c, st, link) {
		msg = fmt.Sprintf("The password of %s no longer works and their sessions have ended. The link below was emailed to them to choose a new one.", st.Email)
	}
	s.renderStaffMember(c, http.StatusOK, id, link, msg, "")
}

// mailLink emails a link to choose a password to its member when SMTP is configured, and
// reports whether it went. The admin sees the link either way, and can pass it on by hand.
func (s *Server) mailLink(c *gin.Context, st delphi.Staff, l *delphi.PasswordLink) bool {
	if s.Mailer == nil {
		return false
	}
	subject, intro := "Choose a new password for delphi", "An administrator reset your delphi password."
	if l.Purpose == "invite" {
		subject, intro = "You are invited to delphi", "An administrator added you to delphi as "+st.Role+"."
	}
	body := fmt.Sprintf("%s\n\nChoose your password here (the link works once, until %s):\n%s\n\nIf you did not expect this, ignore this email.\n",
		intro, i18n.Dates{}.DateTime(l.Expires), s.passwordURL(l))
	ctx, cancel := context.WithTimeout(c.Request.Context(), 20*time.Second)
	defer cancel()
	if err := s.Mailer.Send(ctx, st.Email, subject, body); err != nil {
		s.Log.Warn("password link email not sent", "staff", st.ID, "err", err, "request_id", requestID(c))
		return false
	}
	return true
}

func (s *Server) consoleEndSessions(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.svc.EndSessions(c.Request.Context(), actorFrom(c), id, c.PostForm("session"))
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderStaffMember(c, status, id, nil, "", msg)
		return
	}
	s.done(c, fmt.Sprintf("/console/staff/%d", id), s.catalog.T("en", "console.sessions.ended", int(n)))
}

func (s *Server) consoleMembers(c *gin.Context) {
	s.renderMembers(c, http.StatusOK, "", delphi.RoleFacilitator, "")
}

func (s *Server) renderMembers(c *gin.Context, status int, email, role, msg string) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	ms, err := s.svc.Members(c.Request.Context(), actorFrom(c), st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.MembersPage{Page: s.consolePage(c, "Members", "studies"), StudyTabs: templates.StudyTabs{Tab: "members", Study: st},
		Members: ms, Email: email, Role: role}
	v.Error = msg
	s.renderPage(c, status, templates.ConsoleMembers(v), 0)
}

func (s *Server) consolePutMember(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	email, role := strings.TrimSpace(c.PostForm("email")), c.PostForm("role")
	id, err := s.svc.StaffIDByEmail(ctx, actorFrom(c), email)
	added := false
	if err == nil {
		added, err = s.svc.PutMember(ctx, actorFrom(c), st.ID, id, role)
	}
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderMembers(c, status, email, role, msg)
		return
	}
	what := "is now"
	if added {
		what = "joined the study as"
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/members", st.ID), fmt.Sprintf("%s %s %s.", email, what, role))
}

func (s *Server) consoleRemoveMember(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	id, err := pathInt(c, "id")
	if err == nil {
		err = s.svc.DeleteMember(c.Request.Context(), actorFrom(c), st.ID, id)
	}
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderMembers(c, status, "", delphi.RoleFacilitator, msg)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/members", st.ID), "The member was removed from the study.")
}
