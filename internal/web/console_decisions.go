package web

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/templates"
)

// consoleDecisions shows a study's undecided items and its committee decisions; those who run
// the study get the decision form beside each undecided item.
func (s *Server) consoleDecisions(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	s.renderDecisions(c, http.StatusOK, st, templates.DecisionForm{}, "")
}

func (s *Server) renderDecisions(c *gin.Context, status int, st *delphi.Study, form templates.DecisionForm, errMsg string) {
	ctx := c.Request.Context()
	v := &templates.DecisionsPage{Page: s.consolePage(c, "Decisions · "+st.Title, "studies"),
		StudyTabs: templates.StudyTabs{Tab: "decisions", Study: st}, CanDecide: canRun(c), Form: form}
	v.Error = errMsg
	for _, m := range st.Def.Modules {
		v.Modules = append(v.Modules, templates.Choice{ID: m.ID, Label: m.Label.In("en")})
	}
	opened := slices.ContainsFunc(st.Rounds, func(r delphi.Round) bool { return r.State != "draft" })
	if !opened {
		v.NoOutcome = "No round has been opened yet: there is nothing to decide."
	} else {
		so, err := s.svc.Outcome(ctx, st.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, g := range so.Groups {
			if g.Kind == outcome.GroupUndecided {
				v.Undecided = append(v.Undecided, report.OutcomeRows([]outcome.Group{g}, so.Snapshots)...)
			}
		}
	}
	ds, err := s.svc.Decisions(ctx, st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	for i := len(ds) - 1; i >= 0; i-- {
		v.Decisions = append(v.Decisions, ds[i])
	}
	s.renderPage(c, status, templates.ConsoleDecisions(v), 0)
}

// consoleDecide records a committee decision from the console's form (the same call as
// POST /api/v1/studies/{sid}/decisions).
func (s *Server) consoleDecide(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	form := templates.DecisionForm{Item: c.PostForm("item"), Tier: c.PostForm("tier"), Module: c.PostForm("module"), Reason: c.PostForm("reason")}
	d, err := s.svc.Decide(c.Request.Context(), actorFrom(c), st.ID,
		delphi.DecisionInput{Item: form.Item, Tier: form.Tier, Module: form.Module, Reason: form.Reason})
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderDecisions(c, status, st, form, msg)
		return
	}
	what := d.Tier
	if d.Module != "" {
		what += " (" + d.Module + ")"
	}
	msg := fmt.Sprintf("Decision recorded: %s is %s.", d.Item, what)
	if d.Provisional {
		msg += " It is provisional while the study runs."
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/decisions", st.ID), msg)
}
