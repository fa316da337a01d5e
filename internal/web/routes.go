package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// Access rules. Every route names one; a test walks the table to check each is enforced.
const (
	public    = "public"   // anyone
	expert    = "expert"   // a valid invite link
	anyStaff  = "staff"    // admin, facilitator, presenter
	runners   = "runners"  // admin, facilitator
	adminOnly = "admin"    // admin
	attendee  = "attendee" // a meeting attendee's token (POST /meetings/join)
)

// route is one API route with its access rule.
type route struct {
	method, path, access string
	handler              gin.HandlerFunc
}

// apiRoutes lists every /api/v1 route (paths relative to /api/v1).
func (s *Server) apiRoutes() []route {
	return []route{
		{"GET", "/openapi.json", public, s.apiOpenAPI},
		{"POST", "/auth/login", public, s.apiLogin},
		{"POST", "/auth/logout", anyStaff, s.apiLogout},
		{"POST", "/auth/password", public, s.apiSetPassword},
		{"GET", "/me", anyStaff, s.apiMe},
		{"PUT", "/me/password", anyStaff, s.apiChangePassword},
		{"GET", "/me/sessions", anyStaff, s.apiMySessions},
		{"GET", "/surveys", anyStaff, s.apiSurveys},
		{"GET", "/studies", anyStaff, s.apiStudies},
		{"POST", "/studies", runners, s.apiCreateStudy},
		{"GET", "/studies/:sid", anyStaff, s.apiStudy},
		{"PATCH", "/studies/:sid", runners, s.apiUpdateStudy},
		{"POST", "/studies/:sid/finish", runners, s.apiFinishStudy},
		{"GET", "/studies/:sid/panelists", runners, s.apiPanel},
		{"POST", "/studies/:sid/panelists", runners, s.apiAddPanelists},
		{"POST", "/studies/:sid/panelists/preview", runners, s.apiPreviewPanel},
		{"PATCH", "/studies/:sid/panelists/:pid", runners, s.apiUpdatePanelist},
		{"DELETE", "/studies/:sid/panelists/:pid", runners, s.apiWithdrawPanelist},
		{"GET", "/studies/:sid/rounds/next", runners, s.apiProposal},
		{"POST", "/studies/:sid/rounds", runners, s.apiOpenRound},
		{"GET", "/studies/:sid/rounds/:n", anyStaff, s.apiRound},
		{"PATCH", "/studies/:sid/rounds/:n", runners, s.apiUpdateRound},
		{"POST", "/studies/:sid/rounds/:n/close", runners, s.apiCloseRound},
		{"GET", "/studies/:sid/rounds/:n/progress", runners, s.apiProgress},
		{"GET", "/studies/:sid/rounds/:n/invitations", runners, s.apiRoundInvitations},
		{"POST", "/studies/:sid/rounds/:n/invitations", runners, s.apiIssueInvitations},
		{"POST", "/studies/:sid/rounds/:n/reminders", runners, s.apiReminders},
		{"GET", "/studies/:sid/rounds/:n/:file", anyStaff, s.apiReport},
		{"GET", "/studies/:sid/decisions", anyStaff, s.apiDecisions},
		{"POST", "/studies/:sid/decisions", runners, s.apiDecide},
		{"GET", "/studies/:sid/outcome.json", anyStaff, s.apiOutcome("outcome.json")},
		{"GET", "/studies/:sid/outcome/redcap.csv", anyStaff, s.apiOutcome("redcap.csv")},
		{"GET", "/studies/:sid/outcome/odm.xml", anyStaff, s.apiOutcome("odm.xml")},
		{"GET", "/studies/:sid/suggestions", runners, s.apiSuggestions},
		{"POST", "/studies/:sid/suggestions/:id/triage", runners, s.apiTriage},
		{"GET", "/studies/:sid/outbox", runners, s.apiOutbox},
		{"GET", "/studies/:sid/audit", adminOnly, s.apiAudit},
		{"GET", "/studies/:sid/privacy", runners, s.apiPrivacy},
		{"PUT", "/studies/:sid/retention", runners, s.apiSetRetention},
		{"POST", "/studies/:sid/erase", adminOnly, s.apiErase},
		{"GET", "/studies/:sid/members", runners, s.apiMembers},
		{"PUT", "/studies/:sid/members/:staff_id", runners, s.apiPutMember},
		{"DELETE", "/studies/:sid/members/:staff_id", runners, s.apiDeleteMember},
		{"DELETE", "/invitations/:id", runners, s.apiRevoke},
		{"GET", "/studies/:sid/meetings", anyStaff, s.apiStudyMeetings},
		{"POST", "/studies/:sid/meetings", runners, s.apiCreateMeeting},
		{"POST", "/meetings/join", public, s.apiJoin},
		{"PUT", "/meetings/vote", attendee, s.apiVote},
		{"GET", "/meetings/current", attendee, s.apiAttending},
		{"GET", "/meetings/:mid", anyStaff, s.apiMeeting},
		{"PUT", "/meetings/:mid/items", runners, s.apiMeetingItems},
		{"POST", "/meetings/:mid/items/:item/open", runners, s.apiOpenVote},
		{"POST", "/meetings/:mid/items/:item/close", runners, s.apiCloseVote},
		{"PUT", "/meetings/:mid/join", runners, s.apiMeetingJoin},
		{"POST", "/meetings/:mid/end", runners, s.apiEndMeeting},
		{"GET", "/meetings/:mid/events", anyStaff, s.apiMeetingEvents},
		{"GET", "/meetings/:mid/report.json", anyStaff, s.apiMeetingReport("report.json")},
		{"GET", "/meetings/:mid/report.csv", anyStaff, s.apiMeetingReport("report.csv")},
		{"GET", "/staff", adminOnly, s.apiListStaff},
		{"POST", "/staff", adminOnly, s.apiCreateStaff},
		{"GET", "/staff/:id", adminOnly, s.apiStaffMember},
		{"PATCH", "/staff/:id", adminOnly, s.apiUpdateStaff},
		{"POST", "/staff/:id/password-reset", adminOnly, s.apiResetPassword},
		{"GET", "/staff/:id/sessions", adminOnly, s.apiStaffSessions},
		{"DELETE", "/staff/:id/sessions", adminOnly, s.apiEndStaffSessions},
		{"DELETE", "/staff/:id/sessions/:session", adminOnly, s.apiEndStaffSessions},
		{"GET", "/respond", expert, s.apiRespond},
		{"POST", "/respond/consent", expert, s.apiConsent},
		{"PUT", "/respond/answers", expert, s.apiSaveAnswers},
		{"POST", "/respond/submit", expert, s.apiSubmit},
		{"POST", "/respond/suggestions", expert, s.apiSuggest},
		{"GET", "/respond/my-data", expert, s.apiMyData},
		{"POST", "/respond/withdraw", expert, s.apiWithdrawSelf},
	}
}

func (s *Server) guard(access string) []gin.HandlerFunc {
	switch access {
	case public:
		return nil
	case expert:
		return []gin.HandlerFunc{s.expertAuth}
	case attendee:
		return []gin.HandlerFunc{s.attendeeAuth}
	case anyStaff:
		return []gin.HandlerFunc{s.staffAuth()}
	case runners:
		return []gin.HandlerFunc{s.staffAuth(delphi.RoleAdmin, delphi.RoleFacilitator)}
	case adminOnly:
		return []gin.HandlerFunc{s.staffAuth(delphi.RoleAdmin)}
	}
	panic("web: unknown access rule " + access) // a programming error caught by every test
}

// routes builds the engine: middleware first, then pages, then the API.
func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Trust X-Forwarded-For only from the proxies named in the configuration (none by default):
	// otherwise any client could pick the address the login rate limit counts against.
	if err := r.SetTrustedProxies(s.TrustedProxies); err != nil {
		panic(err) // unreachable: New validated every entry
	}
	r.Use(s.withRequestID, s.recovery, s.accessLog, s.securityHeaders, s.compress, s.limitBody(s.maxBody))
	r.NoRoute(func(c *gin.Context) {
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "there is no page at %s", c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		s.fail(c, &delphi.Error{Code: "method", Message: c.Request.Method + " is not allowed here"})
	})

	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok\n") })
	r.GET("/readyz", s.readyz)
	r.GET("/static/*filepath", s.static) // plain and content-hashed names (static.go)
	r.HEAD("/static/*filepath", s.static)
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/console") })

	s.expertRoutes(r)
	s.consoleRoutes(r)
	s.reportRoutes(r)
	s.meetingRoutes(r)

	// API answers carry personal data (the panel, the outbox, links, answers, the audit log):
	// no cache keeps them. The OpenAPI document, public and the same for all, says otherwise.
	api := r.Group("/api/v1", func(c *gin.Context) { c.Header("Cache-Control", "no-store"); c.Next() })
	for _, rt := range s.apiRoutes() {
		api.Handle(rt.method, rt.path, append(s.guard(rt.access), rt.handler)...)
	}
	return r
}

func (s *Server) readyz(c *gin.Context) {
	if err := s.svc.Store().Ping(c.Request.Context()); err != nil {
		s.Log.Error("readyz", "err", err)
		c.String(http.StatusServiceUnavailable, "database unavailable\n")
		return
	}
	c.String(http.StatusOK, "ready\n")
}
