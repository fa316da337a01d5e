package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

// The facilitator console (/console/…): server-rendered pages over the same domain calls as the
// API. Every page but login needs a staff session cookie; every form carries the session's CSRF
// token (checked by staffAuth). Presenters see the studies and go on to reports; facilitators and
// admins run studies; admins also manage staff and read the audit log.

// flashCookie carries a one-line confirmation across the redirect after a successful form.
const flashCookie = "delphi_flash"

// consoleRoutes registers the facilitator console (/console/…).
func (s *Server) consoleRoutes(r *gin.Engine) {
	anyone := s.staffAuth()
	run := s.staffAuth(delphi.RoleAdmin, delphi.RoleFacilitator)
	admin := s.staffAuth(delphi.RoleAdmin)

	g := r.Group("/console")
	g.GET("/login", s.consoleLoginForm)
	g.POST("/login", s.consoleLogin)
	g.GET("/logout", s.staffAuth(), s.consoleLogoutForm)
	g.POST("/logout", s.consoleLogout)
	g.GET("/password/:token", s.consolePasswordLinkForm)
	g.POST("/password/:token", s.consolePasswordLink)
	g.GET("/account", anyone, s.consoleAccount)
	g.POST("/account/password", anyone, s.consoleChangePassword)
	g.POST("/account/sessions", anyone, s.consoleEndOwnSessions)

	g.GET("", anyone, s.consoleStudies)
	g.POST("/studies", run, s.consoleCreateStudy)
	g.GET("/studies/:sid", anyone, s.consoleStudy)
	g.POST("/studies/:sid/contact", run, s.consoleContact)
	g.POST("/studies/:sid/time-zone", run, s.consoleTimeZone)
	g.POST("/studies/:sid/finish", run, s.consoleFinish)

	g.GET("/studies/:sid/panel", run, s.consolePanel)
	g.POST("/studies/:sid/panel", run, s.consoleAddPanelist)
	g.POST("/studies/:sid/panel/preview", run, s.consolePreviewPanel)
	g.POST("/studies/:sid/panel/import", run, s.consoleImportPanel)
	g.GET("/studies/:sid/panel/template.csv", run, s.consolePanelTemplate)
	g.GET("/studies/:sid/panel/:pid", run, s.consolePanelistForm)
	g.POST("/studies/:sid/panel/:pid", run, s.consoleUpdatePanelist)
	g.POST("/studies/:sid/panel/:pid/withdraw", run, s.consoleWithdraw)

	g.GET("/studies/:sid/rounds/new", run, s.consoleNewRound)
	g.POST("/studies/:sid/rounds", run, s.consoleOpenRound)
	g.GET("/studies/:sid/rounds/:n", run, s.consoleRound)
	g.POST("/studies/:sid/rounds/:n/close", run, s.consoleCloseRound)
	g.POST("/studies/:sid/rounds/:n/deadline", run, s.consoleDeadline)
	g.POST("/studies/:sid/rounds/:n/invitations", run, s.consoleSendInvitations)
	g.POST("/studies/:sid/rounds/:n/links.csv", run, s.consoleLinksCSV)
	g.POST("/studies/:sid/rounds/:n/reissue", run, s.consoleReissue)
	g.POST("/studies/:sid/rounds/:n/reminders", run, s.consoleReminders)

	g.GET("/studies/:sid/outbox", run, s.consoleOutbox)
	g.GET("/studies/:sid/suggestions", run, s.consoleSuggestions)
	g.POST("/studies/:sid/suggestions/:id", run, s.consoleTriage)
	g.GET("/studies/:sid/decisions", anyone, s.consoleDecisions)
	g.POST("/studies/:sid/decisions", run, s.consoleDecide)

	g.GET("/audit", admin, s.consoleAudit)
	g.GET("/studies/:sid/audit", admin, s.consoleAudit)
	g.GET("/staff", admin, s.consoleStaff)
	g.POST("/staff", admin, s.consoleCreateStaff)
	g.GET("/staff/:id", admin, s.consoleStaffMember)
	g.POST("/staff/:id", admin, s.consoleUpdateStaff)
	g.POST("/staff/:id/password-reset", admin, s.consoleResetPassword)
	g.POST("/staff/:id/sessions", admin, s.consoleEndSessions)

	g.GET("/studies/:sid/members", run, s.consoleMembers)
	g.POST("/studies/:sid/members", run, s.consolePutMember)
	g.POST("/studies/:sid/members/:id/remove", run, s.consoleRemoveMember)
}

// consolePage fills the layout's part of a console view: the signed-in staff member, the CSRF
// token for forms, and the flash left by the last redirect (read once).
func (s *Server) consolePage(c *gin.Context, title, nav string) templates.Page {
	st, _ := staffFrom(c)
	p := s.tpage(templates.Page{Title: title, Nav: nav, Lang: "en",
		Staff: &templates.Staff{ID: st.ID, Email: st.Email, Role: st.Role, StudyRole: actorFrom(c).Role}, Zone: zoneFrom(c)})
	if sess := sessionFrom(c); sess.ID != "" {
		p.CSRF = s.Signer.CSRF(sess.ID)
	}
	if ck, err := c.Cookie(flashCookie); err == nil && ck != "" {
		if msg, err := url.QueryUnescape(ck); err == nil {
			p.Flash = msg
		}
		s.setCookie(c, flashCookie, "", -1, "/console")
	}
	return p
}

// done redirects (303) after a successful form, leaving msg for the next page to show.
func (s *Server) done(c *gin.Context, to, msg string) {
	if msg != "" {
		s.setCookie(c, flashCookie, url.QueryEscape(msg), 60, "/console")
	}
	c.Redirect(http.StatusSeeOther, to)
}

// formError returns the status and message to show on a re-rendered form for err. Internal
// errors are logged by classify and shown without detail.
func (s *Server) formError(c *gin.Context, err error) (int, string) {
	status, e := s.classify(c, err)
	return status, e.Message
}

// canRun reports whether the signed-in staff member may change studies.
func canRun(c *gin.Context) bool { return actorFrom(c).CanRun() }

// localPath returns next when it is a path on this site, else "/console": the login form must
// not become an open redirect (//evil.example, /\evil.example, https://evil.example).
func localPath(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/console"
	}
	for _, r := range next {
		if unicode.IsControl(r) || r == '\\' {
			return "/console"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/console"
	}
	return next
}

// setZone keeps the time zone of the request's study, in which its pages show dates and times.
func setZone(c *gin.Context, z *time.Location) { c.Set(fmt.Sprint(keyZone), z) }

// zoneFrom is the zone setZone kept, nil (UTC) on pages about no study.
func zoneFrom(c *gin.Context) *time.Location {
	z, _ := c.Get(fmt.Sprint(keyZone))
	loc, _ := z.(*time.Location)
	return loc
}
