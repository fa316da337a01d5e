package web

// Reviewing and submitting a round, and suggesting an item.

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

func (s *Server) expertReview(c *gin.Context) {
	e, q, b, ok := s.expertState(c)
	if !ok {
		return
	}
	if q.Round == nil || (q.Editable && !q.Consented) {
		c.Redirect(http.StatusSeeOther, "/respond")
		return
	}
	s.flash(c, &b)
	v := &templates.ReviewPage{Expert: b}
	v.Title = v.T("review.title") + " · " + b.StudyTitle
	for _, sec := range s.roundSections(e.Study.Def, q) {
		rs := templates.ReviewSection{ID: sec.ID, Label: sec.Label.In(b.Lang), Lang: otherLang(sec.Label, b.Lang)}
		for _, it := range sec.Items {
			if !q.Answers[it.ID].Answered() {
				rs.Items = append(rs.Items, templates.Option{Value: it.ID, Label: it.Label.In(b.Lang), Lang: otherLang(it.Label, b.Lang)})
			}
		}
		if len(rs.Items) > 0 {
			v.Unanswered = append(v.Unanswered, rs)
			v.Missing += len(rs.Items)
		}
	}
	s.renderPage(c, http.StatusOK, templates.Review(v), 0)
}

func (s *Server) expertSubmit(c *gin.Context) {
	e, _ := expertFrom(c)
	if _, err := s.svc.Submit(c.Request.Context(), e); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/respond/review?m=submitted")
}

func (s *Server) expertSuggestions(c *gin.Context) {
	s.renderSuggest(c, http.StatusOK, "", "", nil)
}

func (s *Server) renderSuggest(c *gin.Context, status int, label, rationale string, fail error) {
	e, _, b, ok := s.expertState(c)
	if !ok {
		return
	}
	s.flash(c, &b)
	mine, err := s.svc.MySuggestions(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.SuggestPage{Expert: b, Label: label, Rationale: rationale, MaxLabel: 300, MaxReason: delphi.MaxComment}
	for _, sg := range mine {
		v.Mine = append(v.Mine, templates.Suggestion{Label: sg.Label, Rationale: sg.Rationale, Status: sg.Status})
	}
	v.Title = v.T("suggest.title") + " · " + b.StudyTitle
	if fail != nil {
		_, ae := s.classify(c, fail)
		v.Error = v.T("error.notsaved") + " " + ae.Message
		v.FieldError = ae.Field
	}
	s.renderPage(c, status, templates.Suggest(v), 0)
}

func (s *Server) expertSuggest(c *gin.Context) {
	e, _ := expertFrom(c)
	label, rationale := c.PostForm("label"), c.PostForm("rationale")
	if _, err := s.svc.Suggest(c.Request.Context(), e, label, rationale); err != nil {
		status, _ := s.classify(c, err)
		if status >= 500 {
			s.fail(c, err)
			return
		}
		s.renderSuggest(c, status, label, rationale, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/respond/suggest?m=suggested")
}
