package web

// The API's round routes: the proposal, opening, closing, progress, links, suggestions.

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
)

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

// roundProgress reads the progress of the round the path names; false when it answered.
func (s *Server) roundProgress(c *gin.Context) (*delphi.Progress, bool) {
	sid, n, err := studyRound(c)
	var p *delphi.Progress
	if err == nil {
		p, err = s.svc.Progress(c.Request.Context(), sid, n)
	}
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return p, true
}

func (s *Server) apiProgress(c *gin.Context) {
	if p, ok := s.roundProgress(c); ok {
		c.JSON(http.StatusOK, p)
	}
}

// apiRoundInvitations serves GET …/rounds/{n}/invitations: per invited panelist, link issued,
// email sent, link opened, round submitted.
func (s *Server) apiRoundInvitations(c *gin.Context) {
	if p, ok := s.roundProgress(c); ok {
		c.JSON(http.StatusOK, delphi.RoundInvitations{Round: p.Round, Links: p.Links, Panelists: p.Panelists})
	}
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
