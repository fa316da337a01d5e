package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/templates"
)

type (
	studyRow        = templates.StudyRow
	surveyOption    = templates.SurveyOption
	createStudyForm = templates.CreateStudyForm
)

func (s *Server) consoleStudies(c *gin.Context) {
	s.renderStudies(c, http.StatusOK, createStudyForm{Survey: "cart-cd"}, "")
}

func (s *Server) renderStudies(c *gin.Context, status int, form createStudyForm, errMsg string) {
	v := &templates.StudiesPage{Page: s.consolePage(c, "Studies", "studies"), CanRun: canRun(c), Form: form}
	v.Error = errMsg
	sts, err := s.svc.StudiesFor(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, st := range sts {
		row := studyRow{ID: st.ID, Title: st.Title, Survey: st.SurveyID, State: st.State, Rounds: len(st.Rounds),
			CreatedAt: i18n.Dates{Zone: st.Zone, Lang: v.LangOrEn()}.Date(st.CreatedAt)}
		if r := st.CurrentRound(); r != nil {
			row.RoundState = fmt.Sprintf("round %d %s", r.Number, r.State)
		}
		v.Studies = append(v.Studies, row)
	}
	if v.CanRun {
		defs, err := s.svc.Surveys()
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, d := range defs {
			v.Surveys = append(v.Surveys, surveyOption{ID: d.ID, Title: d.Title.In("en"), Items: len(d.Items())})
		}
	}
	s.renderPage(c, status, templates.ConsoleStudies(v), 0)
}

// consoleCreateStudy creates a study from a bundled survey or an uploaded definition file.
func (s *Server) consoleCreateStudy(c *gin.Context) {
	form := createStudyForm{Survey: c.PostForm("survey"), Title: c.PostForm("title"), Contact: c.PostForm("contact"),
		ContactName: c.PostForm("contact_name"), TimeZone: c.PostForm("time_zone")}
	in := delphi.CreateStudyInput{Survey: form.Survey, Title: form.Title, Contact: form.Contact, ContactName: form.ContactName,
		TimeZone: form.TimeZone}
	if fh, err := c.FormFile("definition"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err == nil {
			in.Definition, err = io.ReadAll(f)
			f.Close()
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		in.Survey = "" // an uploaded file wins over the list
	}
	st, err := s.svc.CreateStudy(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderStudies(c, status, form, msg)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d", st.ID), fmt.Sprintf("Study %q created from %s (definition hash %.12s…).", st.Title, st.SurveyID, st.DefinitionHash))
}

func (s *Server) consoleStudy(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	s.renderStudy(c, http.StatusOK, st, studyForms(st))
}

// consoleContact sets whom experts contact about the study (name and email).
func (s *Server) consoleContact(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	form := templates.ContactForm{Name: c.PostForm("contact_name"), Email: c.PostForm("contact")}
	email := strings.TrimSpace(form.Email)
	var err error
	if email == "" {
		err = delphi.Errorf(delphi.EInvalid, "contact", "give the contact's email: experts write to it with their questions")
	} else {
		_, err = s.svc.UpdateStudy(c.Request.Context(), actorFrom(c), st.ID, delphi.StudyUpdate{ContactName: &form.Name, Contact: &email})
	}
	if err != nil {
		status, msg := s.formError(c, err)
		f := studyForms(st)
		f.ContactForm, f.ContactError = form, msg
		s.renderStudy(c, status, st, f)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d", st.ID), "The contact for experts is saved: they see it on every page and in every email.")
}

// consoleTimeZone sets the zone the study's dates are shown, and its deadlines read, in.
func (s *Server) consoleTimeZone(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	zone := c.PostForm("time_zone")
	if _, err := s.svc.UpdateStudy(c.Request.Context(), actorFrom(c), st.ID, delphi.StudyUpdate{TimeZone: &zone}); err != nil {
		status, msg := s.formError(c, err)
		f := studyForms(st)
		f.ZoneForm, f.ZoneError = zone, msg
		s.renderStudy(c, status, st, f)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d", st.ID), "The study's dates and deadlines are now shown in "+strings.TrimSpace(zone)+".")
}

// studyForms are the study page's forms filled with the study's values.
func studyForms(st *delphi.Study) templates.StudyForms {
	return templates.StudyForms{ContactForm: templates.ContactForm{Name: st.ContactName, Email: st.Contact}, ZoneForm: st.Zone.String()}
}

func (s *Server) renderStudy(c *gin.Context, status int, st *delphi.Study, forms templates.StudyForms) {
	ctx := c.Request.Context()
	v := &templates.StudyPage{Page: s.consolePage(c, st.Title, "studies"), StudyTabs: templates.StudyTabs{Tab: "overview", Study: st},
		Items: len(st.Def.Items()), Sections: len(st.Def.Sections), CanRun: canRun(c), NextRound: len(st.Rounds) + 1,
		StudyForms: forms}
	for _, g := range st.Def.Groups {
		v.Groups = append(v.Groups, g.Label.In("en"))
	}
	for _, r := range st.Rounds {
		v.Rounds = append(v.Rounds, templates.RoundRow{Number: r.Number, State: r.State, Deadline: v.Dates().DateTime(r.Deadline),
			OpenedAt: v.Dates().DateTime(r.OpenedAt), ClosedAt: v.Dates().DateTime(r.ClosedAt), RuleHash: r.RuleHash})
		if r.Open() {
			v.OpenRound = r.Number
		}
	}
	if v.CanRun {
		panel, err := s.svc.Panel(ctx, st.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, p := range panel {
			if p.Withdrawn {
				v.Panel.Withdrawn++
			} else {
				v.Panel.Active++
			}
		}
		sugs, err := s.svc.Suggestions(ctx, st.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, sg := range sugs {
			if sg.Status == "new" {
				v.Pending++
			}
		}
	}
	s.renderPage(c, status, templates.ConsoleStudy(v), 0)
}

// studyParam reads :sid and its study; on a failure it has answered (404 or an error).
func (s *Server) studyParam(c *gin.Context) (*delphi.Study, bool) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	st, err := s.svc.Study(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	setZone(c, st.Zone)
	return st, true
}

func (s *Server) consoleFinish(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err == nil {
		err = s.svc.FinishStudy(c.Request.Context(), actorFrom(c), sid)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d", sid), "The study is finished. Its reports and exports stay available.")
}

func (s *Server) consoleAudit(c *gin.Context) {
	var st *delphi.Study
	var sid int64
	if c.Param("sid") != "" {
		var ok bool
		if st, ok = s.studyParam(c); !ok {
			return
		}
		sid = st.ID
	}
	entries, err := s.svc.AuditLog(c.Request.Context(), actorFrom(c), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.AuditPage{Page: s.consolePage(c, "Audit log", "staff"), StudyTabs: templates.StudyTabs{Tab: "audit", Study: st}}
	if st != nil {
		v.Nav = "studies"
	}
	// newest first: the log is read to find out what just happened
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		row := templates.AuditRow{At: v.DateTime(delphi.StoredTime(e.At)), Actor: e.Actor, Action: e.Action, Detail: e.Detail}
		if e.StudyID != nil {
			row.Study = *e.StudyID
		}
		v.Entries = append(v.Entries, row)
	}
	s.renderPage(c, http.StatusOK, templates.ConsoleAudit(v), 0)
}

// ruleText says a frozen consensus rule in words, with the bands of the study's scale.
func ruleText(r survey.Rule, sc survey.Scale) string {
	low, high := "low", "high"
	if n := len(sc.Bands); n >= 2 {
		low = fmt.Sprintf("%d–%d", sc.Bands[0].From, sc.Bands[0].To)
		high = fmt.Sprintf("%d–%d", sc.Bands[n-1].From, sc.Bands[n-1].To)
	}
	scope := "over the whole panel"
	if r.EveryGroup {
		scope = "over the whole panel and in every stakeholder group"
	}
	name := strings.ToUpper(r.Rule)
	if name == "" {
		name = "COMET"
	}
	return fmt.Sprintf("%s: consensus in when ≥ %d%% rate %s and < %d%% rate %s; consensus out when ≥ %d%% rate %s and < %d%% rate %s; %s.",
		name, r.In.HighAtLeast, high, r.In.LowBelow, low, r.Out.LowAtLeast, low, r.Out.HighBelow, high, scope)
}
