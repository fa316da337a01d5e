package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// queueInvitations puts one email per link into the outbox (sent by the mail loop when SMTP is
// configured; otherwise listed in the console with a CSV of links).
func (s *Server) queueInvitations(c *gin.Context, sid int64, n int, links []delphi.Link, kind string) error {
	_, err := s.svc.QueueMail(c.Request.Context(), actorFrom(c), sid, n, kind, links)
	return err
}

func (s *Server) apiReminders(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	links, err := s.svc.ReminderLinks(c.Request.Context(), actorFrom(c), sid, n, s.BaseURL)
	if err == nil {
		err = s.queueInvitations(c, sid, n, links, "reminder")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, queuedJSON{Queued: len(links)})
}

// queuedJSON counts the emails queued.
type queuedJSON struct {
	Queued int `json:"queued"`
}

// outboxMessageJSON is an email of the outbox, queued or sent (GET /studies/{sid}/outbox).
type outboxMessageJSON struct {
	ID         int64  `json:"id"`
	PanelistID int64  `json:"panelist_id"`
	Kind       string `json:"kind"`
	To         string `json:"to"`
	Subject    string `json:"subject"`
	CreatedAt  string `json:"created_at"`
	SentAt     string `json:"sent_at,omitempty"`
	Error      string `json:"error,omitempty"`
}

func (s *Server) apiOutbox(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	msgs, err := s.svc.Outbox(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]outboxMessageJSON, len(msgs))
	for i, m := range msgs {
		out[i] = outboxMessageJSON{m.ID, m.PanelistID, m.Kind, m.To, m.Subject, m.CreatedAt, m.SentAt, m.Error}
	}
	c.JSON(http.StatusOK, out)
}
