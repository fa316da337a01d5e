package web

// An expert's rights: the download of what is stored about them, and withdrawing.

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/templates"
)

// expertData is the expert's own data: the download, their consent and the withdrawal form.
func (s *Server) expertData(c *gin.Context) {
	s.renderData(c, http.StatusOK, "", "")
}

func (s *Server) renderData(c *gin.Context, status int, answers, fail string) {
	_, _, b, ok := s.expertState(c)
	if !ok {
		return
	}
	v := &templates.DataPage{Expert: b, Answers: answers}
	v.Title = v.T("data.title") + " · " + b.StudyTitle
	if fail != "" {
		v.Error = v.T(fail)
	}
	s.renderPage(c, status, templates.Data(v), 0)
}

// expertWithdraw is the expert leaving the study through the form: they must choose what
// becomes of their answers in rounds still open and confirm. The link stops working at once,
// so the confirmation is this response, and the cookie is cleared.
func (s *Server) expertWithdraw(c *gin.Context) {
	e, _ := expertFrom(c)
	answers := c.PostForm("answers")
	if (answers != delphi.KeepAnswers && answers != delphi.RemoveOpenAnswers) || c.PostForm("confirm") != "yes" {
		if answers != delphi.KeepAnswers && answers != delphi.RemoveOpenAnswers {
			answers = ""
		}
		s.renderData(c, http.StatusUnprocessableEntity, answers, "error.withdraw")
		return
	}
	if err := s.svc.WithdrawSelf(c.Request.Context(), e, answers); err != nil {
		s.fail(c, err)
		return
	}
	s.setCookie(c, expertCookie, "", -1, "/")
	s.Log.Info("panelist withdrew", "study", e.Study.ID, "panelist", e.Panelist.ID, "answers", answers, "request_id", requestID(c))
	lang := s.langFor(e)
	v := &templates.WithdrawnPage{Page: s.tpage(templates.Page{Lang: lang}), Contact: e.Study.Contact, ContactName: e.Study.ContactName, Answers: answers}
	v.StudyTitle = e.Study.Def.Title.In(lang)
	if v.StudyTitle == "" {
		v.StudyTitle = e.Study.Title
	}
	v.Title = v.T("withdrawn.title")
	c.Header("Cache-Control", "private, no-store")
	s.renderPage(c, http.StatusOK, templates.Withdrawn(v), 0)
}
