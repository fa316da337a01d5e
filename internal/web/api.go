package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

// decodeJSON reads a JSON body strictly: the right content type, known fields only, one value.
func decodeJSON(c *gin.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if ct != "application/json" {
		return &delphi.Error{Code: "unsupported", Message: fmt.Sprintf("send JSON with Content-Type: application/json (got %q)", c.GetHeader("Content-Type"))}
	}
	// Read it whole (the body is capped by limitBody) so as to refuse invalid UTF-8: the JSON
	// decoder would silently turn it into U+FFFD, and the text saved would not be the text sent.
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		return malformed("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return malformed("the body holds more than one JSON value")
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.Is(err, io.EOF):
		return malformed("the body is empty: expected JSON")
	case errors.As(err, &se):
		return malformed("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return &delphi.Error{Code: "malformed", Field: te.Field, Message: fmt.Sprintf("%s must be %s, not %s", fieldName(te.Field), te.Type, te.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &delphi.Error{Code: "malformed", Field: f, Message: fmt.Sprintf("unknown field %q", f)}
	}
	return malformed("malformed JSON: %v", err)
}

func fieldName(f string) string {
	if f == "" {
		return "the value"
	}
	return f
}

func pathInt(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, delphi.Errorf(delphi.ENotFound, name, "%q is not a valid %s", c.Param(name), name)
	}
	return v, nil
}

// studyRound reads :sid and :n.
func studyRound(c *gin.Context) (int64, int, error) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		return 0, 0, err
	}
	n, err := pathInt(c, "n")
	if err != nil || n > 1000 {
		return 0, 0, delphi.Errorf(delphi.ENotFound, "n", "%q is not a round number", c.Param("n"))
	}
	return sid, int(n), nil
}

// loginInput is the body of POST /auth/login.
type loginInput struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c *gin.Context) {
	var in loginInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.signIn(c, in.Email, in.Password)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loginJSON{Token: out.Token, ExpiresAt: out.Session.Expires})
}

// loginJSON is a new session: the bearer token and when it expires.
type loginJSON struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// apiLogout ends the session the request comes with: its token stops working everywhere.
func (s *Server) apiLogout(c *gin.Context) {
	if err := s.svc.Logout(c.Request.Context(), actorFrom(c), sessionFrom(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := c.Cookie(staffCookie); err == nil {
		s.setCookie(c, staffCookie, "", -1, "/")
	}
	c.Status(http.StatusNoContent)
}

// setPasswordInput is the body of POST /auth/password: the token of the link
// /console/password/{token} and the password chosen (12–72 bytes, not a common one).
type setPasswordInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// apiSetPassword uses a one-time link's token to choose a password, and signs in.
func (s *Server) apiSetPassword(c *gin.Context) {
	var in setPasswordInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.SetPasswordByLink(c.Request.Context(), in.Token, in.Password, delphi.SignIn{
		Client: c.GetHeader("User-Agent"), Address: c.ClientIP(), TTL: s.SessionTTL})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, loginJSON{Token: out.Token, ExpiresAt: out.Session.Expires})
}

func (s *Server) apiMe(c *gin.Context) {
	st, _ := staffFrom(c)
	c.JSON(http.StatusOK, st)
}

// changePasswordInput is the body of PUT /me/password.
type changePasswordInput struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// apiChangePassword changes the caller's own password; their other sessions end.
func (s *Server) apiChangePassword(c *gin.Context) {
	var in changePasswordInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.ChangePassword(c.Request.Context(), actorFrom(c), sessionFrom(c).ID, in.Current, in.New); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiMySessions(c *gin.Context) {
	a := actorFrom(c)
	out, err := s.svc.Sessions(c.Request.Context(), a, a.StaffID, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

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
	Contact        string             `json:"contact,omitempty"`
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
	out := studyJSON{ID: st.ID, Survey: st.SurveyID, Title: st.Title, State: st.State, Contact: st.Contact,
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
}

func (s *Server) apiCreateStudy(c *gin.Context) {
	var in createStudyInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.CreateStudy(c.Request.Context(), actorFrom(c), delphi.CreateStudyInput{Survey: in.Survey,
		Definition: []byte(in.Definition), Title: in.Title, Contact: in.Contact})
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

func (s *Server) apiPanel(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.svc.Panel(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ps == nil {
		ps = []delphi.Panelist{}
	}
	c.JSON(http.StatusOK, ps)
}

// readPanel reads panelists from JSON (an array) or text/csv.
func (s *Server) readPanel(c *gin.Context) (delphi.ImportPreview, error) {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch ct {
	case "text/csv":
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return delphi.ImportPreview{}, jsonError(err)
		}
		return delphi.ParsePanelCSV(b)
	case "application/json":
		var rows []delphi.PanelistInput
		if err := decodeJSON(c, &rows); err != nil {
			return delphi.ImportPreview{}, err
		}
		return delphi.ImportPreview{Rows: rows}, nil
	}
	return delphi.ImportPreview{}, &delphi.Error{Code: "unsupported", Message: "send panelists as application/json (an array) or text/csv"}
}

func (s *Server) apiAddPanelists(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := s.readPanel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.svc.ImportPanel(c.Request.Context(), actorFrom(c), sid, pv)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ps)
}

func (s *Server) apiPreviewPanel(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := s.readPanel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err = s.svc.PreviewPanel(c.Request.Context(), sid, pv)
	if err != nil {
		s.fail(c, err)
		return
	}
	if pv.Problems == nil {
		pv.Problems = []delphi.RowProblem{}
	}
	c.JSON(http.StatusOK, pv)
}

func (s *Server) apiUpdatePanelist(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pid, err := pathInt(c, "pid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.PanelistInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.UpdatePanelist(c.Request.Context(), actorFrom(c), sid, pid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) apiWithdrawPanelist(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pid, err := pathInt(c, "pid")
	if err != nil {
		s.fail(c, err)
		return
	}
	// ?answers=remove_open deletes their answers in rounds still open; by default they stay
	if err := s.svc.WithdrawPanelist(c.Request.Context(), actorFrom(c), sid, pid, c.Query("answers")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiProposal(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.ProposeNextRound(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) apiOpenRound(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.OpenRoundInput
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	r, err := s.svc.OpenRound(c.Request.Context(), actorFrom(c), sid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/studies/%d/rounds/%d", sid, r.Number))
	s.writeRound(c, http.StatusCreated, sid, r.Number)
}

func (s *Server) writeRound(c *gin.Context, status int, sid int64, n int) {
	st, err := s.svc.Study(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	r := st.Round(n)
	if r == nil {
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "study %d has no round %d", sid, n))
		return
	}
	items, err := s.svc.Items(c.Request.Context(), st, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := toRoundJSON(*r)
	out.Items = items
	c.JSON(status, out)
}

func (s *Server) apiRound(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.writeRound(c, http.StatusOK, sid, n)
}

// roundUpdateInput is the body of PATCH /studies/{sid}/rounds/{n}: the new deadline, or null
// for none.
type roundUpdateInput struct {
	Deadline *time.Time `json:"deadline"`
}

func (s *Server) apiUpdateRound(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in roundUpdateInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	var d time.Time
	if in.Deadline != nil {
		d = *in.Deadline
	}
	if err := s.svc.SetDeadline(c.Request.Context(), actorFrom(c), sid, n, d); err != nil {
		s.fail(c, err)
		return
	}
	s.writeRound(c, http.StatusOK, sid, n)
}

func (s *Server) apiCloseRound(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	snap, err := s.svc.CloseRound(c.Request.Context(), actorFrom(c), sid, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, closeSummary(snap))
}

// closeSummaryJSON is the short answer to closing a round: participation and counts per class
// (consensus_in, consensus_out, no_consensus, unrated). Its members are in the order
// encoding/json wrote the map it replaced.
type closeSummaryJSON struct {
	Classes   map[string]int    `json:"classes"`
	ClosedAt  time.Time         `json:"closed_at"`
	Invited   int               `json:"invited"`
	Items     int               `json:"items"`
	Kendall   consensus.Kendall `json:"kendall"`
	Round     int               `json:"round"`
	Rule      string            `json:"rule"`
	Submitted int               `json:"submitted"`
}

// closeSummary is the short answer to closing a round.
func closeSummary(snap *delphi.Snapshot) closeSummaryJSON {
	classes := map[string]int{"consensus_in": 0, "consensus_out": 0, "no_consensus": 0, "unrated": 0}
	for _, it := range snap.Result.Items {
		if it.Comet == "" {
			classes["unrated"]++
		} else {
			classes[string(it.Comet)]++
		}
	}
	return closeSummaryJSON{Round: snap.Round, ClosedAt: snap.ClosedAt, Invited: snap.Participation.Invited,
		Submitted: snap.Participation.Submitted, Items: len(snap.Items), Classes: classes,
		Kendall: snap.Result.Kendall, Rule: snap.RuleText}
}

func (s *Server) apiProgress(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.Progress(c.Request.Context(), sid, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// invitationsInput is the optional body of POST …/rounds/{n}/invitations: the panelists to
// issue links for (default: the round's), and whether to queue the emails.
type invitationsInput struct {
	Panelists []int64 `json:"panelists"`
	Send      bool    `json:"send"`
}

func (s *Server) apiIssueInvitations(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var in invitationsInput
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, &in); err != nil {
			s.fail(c, err)
			return
		}
	}
	links, err := s.svc.IssueInvitations(c.Request.Context(), actorFrom(c), sid, n, in.Panelists, s.BaseURL)
	if err != nil {
		s.fail(c, err)
		return
	}
	if in.Send {
		if err := s.queueInvitations(c, sid, n, links, "invitation"); err != nil {
			s.fail(c, err)
			return
		}
	}
	if links == nil {
		links = []delphi.Link{}
	}
	c.JSON(http.StatusCreated, links)
}

func (s *Server) apiRevoke(c *gin.Context) {
	if err := s.svc.RevokeInvitation(c.Request.Context(), actorFrom(c), c.Param("id")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) apiSuggestions(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.Suggestions(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	if out == nil {
		out = []delphi.Suggestion{}
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiTriage(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.Triage
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.TriageSuggestion(c.Request.Context(), actorFrom(c), sid, id, in); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
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

func (s *Server) apiListStaff(c *gin.Context) {
	out, err := s.svc.ListStaff(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) apiCreateStaff(c *gin.Context) {
	var in delphi.NewStaff
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, link, err := s.svc.CreateStaff(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", fmt.Sprintf("/api/v1/staff/%d", st.ID))
	c.JSON(http.StatusCreated, staffJSON{Staff: st, PasswordLink: s.linkJSON(link)})
}

// staffJSON is an account, with the one-time link to choose a password when one was just made
// (shown once: only its hash is stored).
type staffJSON struct {
	delphi.Staff
	PasswordLink *passwordLinkJSON `json:"password_link,omitempty"`
}

type passwordLinkJSON struct {
	URL       string    `json:"url"`
	Purpose   string    `json:"purpose"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Server) linkJSON(l *delphi.PasswordLink) *passwordLinkJSON {
	if l == nil {
		return nil
	}
	return &passwordLinkJSON{URL: s.passwordURL(l), Purpose: l.Purpose, ExpiresAt: l.Expires}
}

func (s *Server) apiStaffMember(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.StaffAccount(c.Request.Context(), actorFrom(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) apiUpdateStaff(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.StaffChange
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	st, err := s.svc.UpdateStaff(c.Request.Context(), actorFrom(c), id, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (s *Server) apiResetPassword(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	st, link, err := s.svc.ResetPassword(c.Request.Context(), actorFrom(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, staffJSON{Staff: st, PasswordLink: s.linkJSON(link)})
}

func (s *Server) apiStaffSessions(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.svc.Sessions(c.Request.Context(), actorFrom(c), id, sessionFrom(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// endedJSON counts the sessions ended.
type endedJSON struct {
	Ended int64 `json:"ended"`
}

// apiEndStaffSessions ends one session (…/sessions/{session}) or all of an account's.
func (s *Server) apiEndStaffSessions(c *gin.Context) {
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	n, err := s.svc.EndSessions(c.Request.Context(), actorFrom(c), id, c.Param("session"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, endedJSON{Ended: n})
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
