package web

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

// respondJSON is the expert's view of their current round (GET /api/v1/respond).
type respondJSON struct {
	Study       respondStudy      `json:"study"`
	Round       *roundJSON        `json:"round"`
	Editable    bool              `json:"editable"`
	Consented   bool              `json:"consented"`
	SubmittedAt *time.Time        `json:"submitted_at"`
	Items       []respondItem     `json:"items"`
	Answers     []delphi.Answer   `json:"answers"`
	Scale       survey.Scale      `json:"scale"`
	Placement   *survey.Placement `json:"placement,omitempty"`
}

type respondStudy struct {
	ID          int64       `json:"id"`
	Title       string      `json:"title"`
	Description survey.Text `json:"description,omitempty"`
	Contact     string      `json:"contact,omitempty"`
}

type respondItem struct {
	delphi.RoundItem
	Feedback *feedbackJSON `json:"feedback,omitempty"`
}

type feedbackJSON struct {
	FromRound    int                    `json:"from_round"`
	Own          *delphi.Answer         `json:"own"`
	NRated       int                    `json:"n_rated"`
	NUnable      int                    `json:"n_unable"`
	Hist         []int                  `json:"hist"`
	Bands        []delphi.BandFeedback  `json:"bands"`
	Median       *float64               `json:"median"`
	Class        string                 `json:"class"`
	Groups       []delphi.GroupFeedback `json:"groups"`
	HiddenGroups int                    `json:"hidden_groups"`
	Comments     []string               `json:"comments"`
}

func (s *Server) apiRespond(c *gin.Context) {
	e, _ := expertFrom(c)
	q, err := s.svc.Questionnaire(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := respondJSON{Study: respondStudy{ID: e.Study.ID, Title: e.Study.Title, Description: e.Study.Def.Description, Contact: e.Study.Contact},
		Editable: q.Editable, Consented: q.Consented, SubmittedAt: timePtr(q.SubmittedAt), Items: []respondItem{},
		Answers: []delphi.Answer{}, Scale: e.Study.Def.Scale, Placement: e.Study.Def.Placement}
	if q.Round != nil {
		r := toRoundJSON(*q.Round)
		out.Round = &r
	}
	for _, it := range q.Items {
		ri := respondItem{RoundItem: it}
		if f := q.Feedback[it.ID]; f != nil {
			ri.Feedback = &feedbackJSON{FromRound: q.PrevRound, Own: f.Own, NRated: f.NRated, NUnable: f.NUnable, Hist: f.Hist,
				Bands: f.Bands, Median: f.Median, Class: f.Class, Groups: f.Groups, HiddenGroups: f.HiddenGroups, Comments: f.Comments}
		}
		out.Items = append(out.Items, ri)
		if a, ok := q.Answers[it.ID]; ok {
			out.Answers = append(out.Answers, a)
		}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiConsent(c *gin.Context) {
	e, _ := expertFrom(c)
	if err := s.svc.Consent(c.Request.Context(), e); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"consented": true})
}

func (s *Server) apiSaveAnswers(c *gin.Context) {
	e, _ := expertFrom(c)
	var in struct {
		Answers []delphi.Answer `json:"answers"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.SaveAnswers(c.Request.Context(), e, in.Answers)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"saved": len(in.Answers), "round": r.Number})
}

func (s *Server) apiSubmit(c *gin.Context) {
	e, _ := expertFrom(c)
	at, err := s.svc.Submit(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"submitted_at": at})
}

func (s *Server) apiSuggest(c *gin.Context) {
	e, _ := expertFrom(c)
	var in struct {
		Label     string `json:"label"`
		Rationale string `json:"rationale"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	sg, err := s.svc.Suggest(c.Request.Context(), e, in.Label, in.Rationale)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sg)
}
