package web

// The API's study routes: surveys, studies, members, privacy and the audit log.

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

func (s *Server) apiSurveys(c *gin.Context) {
	defs, err := s.svc.Surveys()
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]surveyJSON, len(defs))
	for i, d := range defs {
		out[i] = surveyJSON{ID: d.ID, Version: d.Version, Title: d.Title, Items: len(d.Items()), Sections: len(d.Sections)}
	}
	c.JSON(http.StatusOK, out)
}

// surveyJSON is a survey definition studies can be created from (GET /surveys).
type surveyJSON struct {
	ID       string      `json:"id"`
	Version  int         `json:"version"`
	Title    survey.Text `json:"title"`
	Items    int         `json:"items"`
	Sections int         `json:"sections"`
}

// studyJSON is the API view of a study.
type studyJSON struct {
	ID             int64              `json:"id"`
	Survey         string             `json:"survey"`
	Title          string             `json:"title"`
	State          string             `json:"state"`
	Contact        string             `json:"contact,omitempty"`      // the email experts write to
	ContactName    string             `json:"contact_name,omitempty"` // the name shown beside it
	TimeZone       string             `json:"time_zone"`              // IANA name: pages, emails and reports show dates in it
	DefinitionHash string             `json:"definition_hash"`
	CreatedAt      time.Time          `json:"created_at"`
	FinishedAt     *time.Time         `json:"finished_at,omitempty"`
	Rounds         []roundJSON        `json:"rounds"`
	Definition     *survey.Definition `json:"definition,omitempty"`
}

type roundJSON struct {
	Number   int                `json:"number"`
	State    string             `json:"state"`
	Deadline *time.Time         `json:"deadline"`
	OpenedAt *time.Time         `json:"opened_at"`
	ClosedAt *time.Time         `json:"closed_at"`
	Rule     survey.Rule        `json:"rule"`
	RuleHash string             `json:"rule_hash"`
	Items    []delphi.RoundItem `json:"items,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toRoundJSON(r delphi.Round) roundJSON {
	return roundJSON{Number: r.Number, State: r.State, Deadline: timePtr(r.Deadline), OpenedAt: timePtr(r.OpenedAt),
		ClosedAt: timePtr(r.ClosedAt), Rule: r.Rule, RuleHash: r.RuleHash}
}

func toStudyJSON(st *delphi.Study, withDef bool) studyJSON {
	out := studyJSON{ID: st.ID, Survey: st.SurveyID, Title: st.Title, State: st.State, Contact: st.Contact, ContactName: st.ContactName,
		TimeZone:       st.Zone.String(),
		DefinitionHash: st.DefinitionHash, CreatedAt: st.CreatedAt, FinishedAt: timePtr(st.FinishedAt), Rounds: []roundJSON{}}
	for _, r := range st.Rounds {
		out.Rounds = append(out.Rounds, toRoundJSON(r))
	}
	if withDef {
		out.Definition = st.Def
	}
	return out
}

func (s *Server) apiStudies(c *gin.Context) {
	sts, err := s.svc.StudiesFor(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]studyJSON, len(sts))
	for i, st := range sts {
		out[i] = toStudyJSON(st, false)
	}
	c.JSON(http.StatusOK, out)
}

// createStudyInput is the body of POST /studies: a bundled survey's id or a YAML definition.
type createStudyInput struct {
	Survey     string `json:"survey"`
	Definition string `json:"definition"`
	Title      string `json:"title"`
	Contact    string `json:"contact"`
	// ContactName is the contact's name; a study needs a contact email before round 1 opens.
	ContactName string `json:"contact_name"`
	// TimeZone is the study's IANA time zone ("Europe/Paris"); "" is UTC.
	TimeZone string `json:"time_zone"`
}

func (s *Server) apiCreateStudy(c *gin.Context) {
	var in createStudyInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.CreateStudy(c.Request.Context(), actorFrom(c), delphi.CreateStudyInput{Survey: in.Survey,
		Definition: []byte(in.Definition), Title: in.Title, Contact: in.Contact, ContactName: in.ContactName,
		TimeZone: in.TimeZone})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/studies/%d", st.ID))
	c.JSON(http.StatusCreated, toStudyJSON(st, true))
}

func (s *Server) apiStudy(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.Study(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toStudyJSON(st, true))
}

// apiUpdateStudy changes the study's contact and time zone (PATCH /studies/{sid}).
func (s *Server) apiUpdateStudy(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.StudyUpdate
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.UpdateStudy(c.Request.Context(), actorFrom(c), sid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toStudyJSON(st, false))
}

func (s *Server) apiFinishStudy(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err == nil {
		err = s.svc.FinishStudy(c.Request.Context(), actorFrom(c), sid)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.apiStudy(c)
}

func (s *Server) apiMembers(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.Members(c.Request.Context(), actorFrom(c), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// memberRoleInput is the body of PUT /studies/{sid}/members/{staff_id}.
type memberRoleInput struct {
	Role string `json:"role"`
}

func (s *Server) apiPutMember(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := pathInt(c, "staff_id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in memberRoleInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	added, err := s.svc.PutMember(c.Request.Context(), actorFrom(c), sid, id, in.Role)
	if err != nil {
		s.fail(c, err)
		return
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	ms, err := s.svc.Members(c.Request.Context(), actorFrom(c), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, m := range ms {
		if m.StaffID == id {
			c.JSON(status, m)
			return
		}
	}
	c.Status(status)
}

func (s *Server) apiDeleteMember(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := pathInt(c, "staff_id")
	if err == nil {
		err = s.svc.DeleteMember(c.Request.Context(), actorFrom(c), sid, id)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiPrivacy(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.StudyPrivacy(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// retentionInput is the body of PUT /studies/{sid}/retention: days after finishing, or null.
type retentionInput struct {
	Days *int `json:"retention_days"`
}

func (s *Server) apiSetRetention(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in retentionInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.SetRetention(c.Request.Context(), actorFrom(c), sid, in.Days)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) apiErase(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.EraseStudy(c.Request.Context(), actorFrom(c), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiAudit(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.AuditLog(c.Request.Context(), actorFrom(c), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}
