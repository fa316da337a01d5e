package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/templates"
)

// joinCookie is the pre-session of the join form (path /m): the form's CSRF token is bound to
// it, as the sign-in form's is to delphi_presession.
const joinCookie = "delphi_join"

// meetingRoutes are the meeting's pages: the presenter's screen and the list under /reports
// (staff), the attendee's join form and phone page under /m.
func (s *Server) meetingRoutes(r *gin.Engine) {
	g := r.Group("/reports", s.staffAuth())
	g.GET("/meetings/:mid", s.presenterPage)
	g.GET("/studies/:sid/meetings", s.meetingListPage)
	g.GET("/meetings/:mid/record", s.meetingRecordPage)
	g.GET("/meetings/:mid/items", s.meetingEditPage)
	r.POST("/reports/meetings/:mid/items", s.staffAuth(), s.meetingEditPost)
	g.GET("/meetings/:mid/attendees", s.meetingAttendeesPage)
	r.POST("/reports/meetings/:mid/attendees", s.staffAuth(), s.meetingAttendeesPost)
	r.POST("/reports/studies/:sid/meetings", s.staffAuth(delphi.RoleAdmin, delphi.RoleFacilitator), s.meetingCreatePage)
	r.GET("/m", s.joinPage)
	r.GET("/m/:code", s.joinPage)
	r.POST("/m", s.joinPost)
	r.GET("/m/vote", s.attendeeAuth, s.votePage)
	r.POST("/m/vote", s.attendeeAuth, s.votePost)
}

// meetingListPage serves GET /reports/studies/{sid}/meetings.
func (s *Server) meetingListPage(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	ctx, sid := c.Request.Context(), st.ID
	ms, err := s.svc.StudyMeetings(ctx, sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.MeetingListPage{Page: s.reportPage(c, "Meetings · "+st.Title), StudyID: sid, StudyTitle: st.Title,
		CanRun: actorFrom(c).CanRun()}
	for _, m := range ms {
		v.Meetings = append(v.Meetings, templates.MeetingRow{ID: m.ID, Title: m.Title, Date: m.Date, Place: m.Place, State: m.State})
	}
	s.renderReport(c, templates.MeetingList(v))
}

// meetingCreatePage serves POST /reports/studies/{sid}/meetings (the form of the list).
func (s *Server) meetingCreatePage(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.svc.CreateMeeting(c.Request.Context(), actorFrom(c), sid, delphi.MeetingInput{Title: c.PostForm("title"),
		Date: c.PostForm("date"), Place: c.PostForm("place")})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/reports/meetings/%d", v.ID))
}

// presenterPage serves GET /reports/meetings/{mid}[?item=id]: the presenter's screen.
func (s *Server) presenterPage(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	a := actorFrom(c)
	sc, err := s.svc.MeetingScreen(ctx, a, mid, c.Query("item"))
	if err != nil {
		s.fail(c, err)
		return
	}
	canRun := false
	if b, err := s.svc.StudyAccess(ctx, a, sc.Meeting.StudyID); err == nil {
		canRun = b.CanRun()
	}
	m := sc.Meeting
	join := s.joinURL(m.JoinCode)
	png, err := qrcode.Encode(join, qrcode.Medium, 264)
	if err != nil {
		s.fail(c, fmt.Errorf("web: QR code: %w", err))
		return
	}
	def := sc.Study.Def
	v := &templates.PresenterPage{Page: s.reportPage(c, m.Title), MeetingID: m.ID, Title: m.Title, Date: m.Date, Place: m.Place,
		State: m.State, StudyTitle: sc.Study.Title, CanRun: canRun, JoinCode: m.JoinCode, JoinURL: join, JoinOpen: m.JoinOpen,
		QR: png, Attendees: m.Attendees, N: len(m.Items),
		Rule: fmt.Sprintf("Meeting rule: carried with at least %d %% of the votes cast (abstentions not counted) and at least %d voters.",
			m.Rule.AgreeAtLeast, m.Rule.MinVoters)}
	for i, it := range m.Items {
		v.Items = append(v.Items, templates.ScreenLink{ID: it.Item, Label: labelOr(it.Label, it.Item), State: it.State,
			URL: fmt.Sprintf("/reports/meetings/%d?item=%s", m.ID, url.QueryEscape(it.Item)), Current: i == sc.Index})
	}
	if sc.Item != nil {
		v.Pos = sc.Index + 1
		if sc.Index > 0 {
			v.Prev = v.Items[sc.Index-1].URL
		}
		if sc.Index+1 < len(v.Items) {
			v.Next = v.Items[sc.Index+1].URL
		}
		v.Item = screenItem(def, m, sc)
	}
	s.renderReport(c, templates.Presenter(v))
}

func labelOr(t survey.Text, id string) string {
	if l := t.In("en"); l != "" {
		return l
	}
	return id
}

func groupLabel(def *survey.Definition, id string) string {
	for _, g := range def.Groups {
		if g.ID == id {
			return labelOr(g.Label, id)
		}
	}
	return id
}

func pct(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", *p)
}

// optionLabel is a vote option as people read it.
func optionLabel(def *survey.Definition, o string) string {
	if m, ok := strings.CutPrefix(o, outcome.OptModule); ok {
		return "expansion: " + labelOr(delphi.ModuleLabel(def, m), m)
	}
	return o
}

func questionLabel(def *survey.Definition, q *delphi.Question) string {
	switch {
	case q == nil:
		return ""
	case q.Kind == outcome.VoteOptions:
		return "core, an expansion module, or exclude?"
	case q.Tier == outcome.Expansion:
		return "agree that it goes to the module " + labelOr(delphi.ModuleLabel(def, q.Module), q.Module) + "?"
	case q.Tier == outcome.Excluded:
		return "agree to exclude it?"
	}
	return "agree that it is core?"
}

// screenItem is the item on the presenter's screen.
func screenItem(def *survey.Definition, m *delphi.MeetingView, sc *delphi.Screen) *templates.ScreenItem {
	it, b := sc.Item, sc.Brief
	si := &templates.ScreenItem{ID: it.Item, Label: labelOr(it.Label, it.Item), Section: it.Section, State: it.State,
		MinGroupSize: b.MinGroupSize, Comments: b.Comments, Question: questionLabel(def, it.Question)}
	for _, sec := range def.Sections {
		if sec.ID == it.Section {
			si.Section = labelOr(sec.Label, sec.ID)
		}
	}
	cl := it.Closeness
	switch cl.Reason {
	case outcome.ReasonNoConsensus, outcome.ReasonNotRated:
		si.Why = fmt.Sprintf("No consensus: %s high, %.0f points from the %d %% needed.", pct(cl.PctHigh), cl.PctDistance, cl.Threshold)
	case outcome.ReasonPlacementSplit, outcome.ReasonTooFewPlacement:
		si.Why = fmt.Sprintf("Consensus that it matters; the placement left it open (%.0f points short of the core-or-expansion share).", cl.PlacementDistance)
	}
	if cl.GroupsDisagree > 0 {
		si.Why += fmt.Sprintf(" %d group(s) disagree with the panel.", cl.GroupsDisagree)
	}
	for _, r := range b.Rounds {
		si.Rounds = append(si.Rounds, templates.ScreenRound{Round: r.Round, PctHigh: pct(r.PctHigh), Class: r.Class, NRated: r.NRated, Threshold: r.Threshold})
	}
	for _, g := range b.Groups {
		sg := templates.ScreenGroup{Label: groupLabel(def, g.ID)}
		for _, c := range g.Cells {
			sc := templates.ScreenCell{PctHigh: pct(c.PctHigh), NRated: c.NRated}
			switch {
			case c.Withheld == delphi.WithheldSmall:
				sc.Note = delphi.DisclosureNote(b.MinGroupSize)
			case c.Withheld != "":
				sc.Note = "withheld"
			case c.NRated == 0:
				sc.Note = "–"
			}
			sg.Cells = append(sg.Cells, sc)
		}
		si.Groups = append(si.Groups, sg)
	}
	if p := b.Placement; p != nil {
		si.Placement = &templates.ScreenPlacement{N: p.N, Core: p.Core, Expansion: p.Expansion, NotNeeded: p.NotNeeded}
	}
	for _, md := range def.Modules {
		si.Modules = append(si.Modules, templates.Option{Value: md.ID, Label: labelOr(md.Label, md.ID)})
	}
	if it.VotesCast != nil {
		si.VotesCast = *it.VotesCast
	}
	si.Result = resultView(def, m.Rule, it)
	return si
}

// resultView is a closed vote as the screen and the record show it (nil while not closed).
func resultView(def *survey.Definition, rule survey.Meeting, it *delphi.MeetingItemView) *templates.ScreenResult {
	r := it.Result
	if r == nil {
		return nil
	}
	sr := &templates.ScreenResult{Carried: r.Carried, Voters: r.Voters, Abstained: r.Abstained, Hidden: r.HiddenGroups}
	switch {
	case !r.Carried:
		sr.Outcome = fmt.Sprintf("No agreement: the item stays undecided (needs %d %% of at least %d voters).", rule.AgreeAtLeast, rule.MinVoters)
	case r.Tier == outcome.Expansion:
		sr.Outcome = "Carried: expansion, module " + labelOr(delphi.ModuleLabel(def, r.Module), r.Module)
	default:
		sr.Outcome = "Carried: " + r.Tier
	}
	for _, o := range it.Options {
		c := templates.ScreenCount{Option: optionLabel(def, o), N: r.Counts[o], Pct: "–"}
		if o != outcome.OptAbstain && r.Voters > 0 {
			c.Pct = fmt.Sprintf("%.0f %%", 100*float64(r.Counts[o])/float64(r.Voters))
		}
		sr.Options = append(sr.Options, c)
	}
	for _, g := range def.Groups {
		counts, ok := r.Groups[g.ID]
		if !ok {
			continue
		}
		gv := templates.ScreenGroupVotes{Label: labelOr(g.Label, g.ID)}
		for _, o := range it.Options {
			gv.Counts = append(gv.Counts, templates.ScreenCount{Option: optionLabel(def, o), N: counts[o]})
		}
		sr.Groups = append(sr.Groups, gv)
	}
	return sr
}

// meetingRecordPage serves GET /reports/meetings/{mid}/record: the meeting's record, printable
// (the same content as report.json and report.csv); audited as they are.
func (s *Server) meetingRecordPage(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx, a := c.Request.Context(), actorFrom(c)
	r, err := s.svc.Report(ctx, a, mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	def, err := s.svc.MeetingDefinition(ctx, mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.MeetingRecordPage{Page: s.reportPage(c, "Record · "+r.Title), MeetingID: r.Meeting, StudyTitle: r.StudyTitle,
		Title: r.Title, Date: r.Date, Place: r.Place, State: r.State, Attendees: r.Attendees,
		Rule: report.MeetingRuleWords(r.Rule), RuleHash: r.RuleHash}
	for _, g := range def.Groups {
		if n, ok := r.AttendeeGroups[g.ID]; ok {
			v.Groups = append(v.Groups, templates.RecordCount{Label: labelOr(g.Label, g.ID), N: n})
		}
	}
	if r.HiddenGroups > 0 {
		v.Groups = append(v.Groups, templates.RecordCount{Label: report.OtherGroupsWords(r.HiddenGroups, r.MinGroupSize), N: r.OtherAttendees})
	}
	for i := range r.Items {
		it := &r.Items[i]
		v.Items = append(v.Items, templates.RecordItem{ID: it.Item, Label: labelOr(it.Label, it.Item), State: it.State,
			Question: questionLabel(def, it.Question), Result: resultView(def, r.Rule, it)})
	}
	if err := s.svc.AuditMeetingExport(ctx, a, r, "record.html"); err != nil {
		s.fail(c, err)
		return
	}
	s.renderReport(c, templates.MeetingRecord(v))
}

// meetingEditPage serves GET /reports/meetings/{mid}/items: the list, to edit and reorder.
func (s *Server) meetingEditPage(c *gin.Context) { s.renderMeetingEdit(c, http.StatusOK, "") }

func (s *Server) renderMeetingEdit(c *gin.Context, status int, msg string) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ed, err := s.svc.MeetingEditor(c.Request.Context(), actorFrom(c), mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	m := ed.Meeting
	p := s.reportPage(c, "The list · "+m.Title)
	p.Error = msg
	v := &templates.MeetingEditPage{Page: p, MeetingID: m.ID, Title: m.Title, Ended: m.State == delphi.MeetingEnded, Undecided: ed.Undecided}
	for _, it := range m.Items {
		v.Items = append(v.Items, templates.EditItem{ID: it.Item, Label: labelOr(it.Label, it.Item), State: it.State, Voted: it.State != delphi.ItemWaiting})
	}
	for _, a := range ed.Addable {
		v.Addable = append(v.Addable, templates.Option{Value: a.Item, Label: labelOr(a.Label, a.Item)})
	}
	s.renderPage(c, status, templates.MeetingEdit(v), 16<<10)
}

// meetingEditPost serves POST /reports/meetings/{mid}/items: one change of the list (op
// "up:id", "down:id", "remove:id", or "add" with the item in add), saved through
// SetMeetingItems as PUT /api/v1/meetings/{mid}/items saves it; then back to the list, at the item.
func (s *Server) meetingEditPost(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx, a := c.Request.Context(), actorFrom(c)
	v, err := s.svc.Meeting(ctx, a, mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	list := make([]string, len(v.Items))
	for i, it := range v.Items {
		list[i] = it.Item
	}
	list, at, err := editList(list, c.PostForm("op"), c.PostForm("add"))
	if err == nil {
		_, err = s.svc.SetMeetingItems(ctx, a, mid, list)
	}
	if err != nil {
		s.refused(c, err, func(status int, msg string) { s.renderMeetingEdit(c, status, msg) })
		return
	}
	s.hub.notify(mid)
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/reports/meetings/%d/items#li-%s", mid, url.PathEscape(at)))
}

// meetingAttendeesPage serves GET /reports/meetings/{mid}/attendees: who joined, by name.
func (s *Server) meetingAttendeesPage(c *gin.Context) { s.renderAttendees(c, http.StatusOK, "") }

func (s *Server) renderAttendees(c *gin.Context, status int, msg string) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	m, as, err := s.svc.MeetingAttendees(c.Request.Context(), actorFrom(c), mid)
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.Study(c.Request.Context(), m.StudyID)
	if err != nil {
		s.fail(c, err)
		return
	}
	def := st.Def
	p := s.reportPage(c, "Attendees · "+m.Title)
	p.Error = msg
	p.Zone = st.Zone // when each joined, in the study's zone
	v := &templates.MeetingAttendeesPage{Page: p, MeetingID: m.ID, Title: m.Title, Ended: m.State == delphi.MeetingEnded}
	for _, a := range as {
		v.Attendees = append(v.Attendees, templates.AttendeeLine{ID: a.ID, Name: a.Name, Group: groupLabel(def, a.Group),
			JoinedAt: p.DateTime(a.JoinedAt), Panelist: a.Panelist})
	}
	s.renderPage(c, status, templates.MeetingAttendees(v), 8<<10)
}

// meetingAttendeesPost serves POST /reports/meetings/{mid}/attendees (remove=id): one attendee
// removed; then back to the list.
func (s *Server) meetingAttendeesPost(c *gin.Context) {
	mid, err := meetingID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var aid int64
	if _, err := fmt.Sscan(c.PostForm("remove"), &aid); err != nil || aid <= 0 {
		s.renderAttendees(c, http.StatusUnprocessableEntity, "choose the attendee to remove")
		return
	}
	if err := s.svc.RemoveAttendee(c.Request.Context(), actorFrom(c), mid, aid); err != nil {
		s.refused(c, err, func(status int, msg string) { s.renderAttendees(c, status, msg) })
		return
	}
	s.hub.notify(mid)
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/reports/meetings/%d/attendees", mid))
}

// editList applies one change to a list: "up:id" and "down:id" move id by one place,
// "remove:id" takes it out, "add" appends add. It returns the new list and the item to show.
func editList(list []string, op, add string) ([]string, string, error) {
	verb, id, _ := strings.Cut(op, ":")
	if verb == "add" {
		if add = strings.TrimSpace(add); add == "" {
			return nil, "", delphi.Errorf(delphi.EInvalid, "add", "choose the item to add")
		}
		return append(list, add), add, nil
	}
	i := slices.Index(list, id)
	if i < 0 {
		return nil, "", delphi.Errorf(delphi.ENotFound, "op", "item %q is not on the list (reload the page)", id)
	}
	out := slices.Clone(list)
	switch verb {
	case "up":
		if i > 0 {
			out[i-1], out[i] = out[i], out[i-1]
		}
	case "down":
		if i+1 < len(out) {
			out[i+1], out[i] = out[i], out[i+1]
		}
	case "remove":
		out = slices.Delete(out, i, i+1)
		if len(out) == 0 {
			return out, "", nil
		}
		return out, out[min(i, len(out)-1)], nil
	default:
		return nil, "", delphi.Errorf(delphi.EInvalid, "op", "unknown change %q: up, down, remove or add", op)
	}
	return out, id, nil
}

// refused answers a form the domain refused: the page again with the message (render), or
// the error page for an internal error.
func (s *Server) refused(c *gin.Context, err error, render func(status int, msg string)) {
	status, e := s.classify(c, err)
	if status >= 500 {
		s.fail(c, err)
		return
	}
	render(status, e.Message)
}

// joinPresession returns the join form's pre-session value, setting one when there is none.
func (s *Server) joinPresession(c *gin.Context) string {
	if ck, err := c.Cookie(joinCookie); err == nil && len(ck) >= 16 && len(ck) <= 64 {
		return ck
	}
	v := auth.NewID()
	http.SetCookie(c.Writer, &http.Cookie{Name: joinCookie, Value: v, Path: "/m", MaxAge: 12 * 3600,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	return v
}

// joinPage serves GET /m and /m/{code}: the join form (the QR code's link fills in the code).
func (s *Server) joinPage(c *gin.Context) {
	code := c.Param("code")
	if code == "" {
		code = c.Query("code")
	}
	s.renderJoin(c, http.StatusOK, delphi.JoinInput{Code: delphi.NormalizeCode(code)}, "")
}

func (s *Server) renderJoin(c *gin.Context, status int, in delphi.JoinInput, msg string) {
	v := &templates.JoinPage{Page: s.tpage(templates.Page{Title: "Join the meeting", Error: msg,
		CSRF: s.Signer.CSRF("join:" + s.joinPresession(c))}), Code: in.Code, Name: in.Name, Group: in.Group}
	ctx := c.Request.Context()
	if in.Code != "" {
		if groups, err := s.svc.MeetingGroups(ctx, in.Code); err == nil {
			for _, g := range groups {
				v.Groups = append(v.Groups, templates.Option{Value: g.ID, Label: labelOr(g.Label, g.ID)})
			}
		}
	}
	if tok, err := c.Cookie(expertCookie); err == nil {
		if e, err := s.svc.Expert(ctx, tok); err == nil {
			v.AsPanelist = e.Panelist.Name
		}
	}
	s.renderPage(c, status, templates.Join(v), 4<<10)
}

// joinPost serves POST /m: join, set the attendee cookie, go to the phone page.
func (s *Server) joinPost(c *gin.Context) {
	in := delphi.JoinInput{Code: c.PostForm("code"), Name: c.PostForm("name"), Group: c.PostForm("group")}
	if why := s.presessionRefusalFor(c, joinCookie, "join:"); why != "" {
		s.Log.Warn("join form refused", "why", why, "request_id", requestID(c))
		s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
		return
	}
	j, err := s.join(c, in)
	if err != nil {
		in.Code = delphi.NormalizeCode(in.Code)
		s.refused(c, err, func(status int, msg string) { s.renderJoin(c, status, in, msg) })
		return
	}
	s.hub.notify(j.Meeting)
	s.setCookie(c, attendeeCookie, j.Token, int(delphi.AttendeeTTL.Seconds()), "/")
	c.Redirect(http.StatusSeeOther, "/m/vote")
}

// votePage serves GET /m/vote: the open item with big buttons, or a wait.
func (s *Server) votePage(c *gin.Context) { s.renderVote(c, http.StatusOK, "") }

func (s *Server) renderVote(c *gin.Context, status int, msg string) {
	a := attendeeFrom(c)
	ctx := c.Request.Context()
	av, err := s.svc.Attending(ctx, a)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.VotePage{Page: s.tpage(templates.Page{Title: av.Title, Error: msg, CSRF: s.Signer.CSRF(attendeeCSRFKey(a))}),
		Title: av.Title, Ended: av.State == delphi.MeetingEnded}
	if o := av.Open; o != nil {
		def, err := s.svc.MeetingDefinition(ctx, a.MeetingID)
		if err != nil {
			s.fail(c, err)
			return
		}
		v.Item, v.Label, v.Mine = o.Item, labelOr(o.Label, o.Item), o.Mine
		v.Question = strings.ToUpper(questionLabel(def, &o.Question)[:1]) + questionLabel(def, &o.Question)[1:]
		for _, opt := range o.Options {
			v.Options = append(v.Options, templates.Option{Value: opt, Label: optionLabel(def, opt)})
		}
	}
	s.renderPage(c, status, templates.Vote(v), 4<<10)
}

// votePost serves POST /m/vote (a phone without JavaScript; with it, the page calls the API).
func (s *Server) votePost(c *gin.Context) {
	a := attendeeFrom(c)
	err := s.svc.Vote(c.Request.Context(), a, delphi.VoteInput{Item: c.PostForm("item"), Option: c.PostForm("option")})
	if err != nil {
		s.refused(c, err, func(status int, msg string) { s.renderVote(c, status, msg) })
		return
	}
	s.hub.notify(a.MeetingID)
	c.Redirect(http.StatusSeeOther, "/m/vote")
}
