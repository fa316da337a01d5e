package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestRoundLinkStatus: the progress JSON says per panelist whether their link was issued, the
// email sent (or failed, with the reason), the link opened (once, at its first use), the round
// submitted, and counts each.
func TestRoundLinkStatus(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 4, "haematologist")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	progress := func() delphi.Progress {
		t.Helper()
		var p delphi.Progress
		e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/progress", sid), e.admin, nil, &p), 200)
		return p
	}
	status := func(p delphi.Progress, id int64) delphi.PanelistStatus {
		for _, ps := range p.Panelists {
			if ps.PanelistID == id {
				return ps
			}
		}
		t.Fatalf("panelist %d not in the progress", id)
		return delphi.PanelistStatus{}
	}
	p := progress()
	if p.Links != (delphi.LinkCounts{Invited: 4}) || len(p.Panelists) != 4 {
		t.Fatalf("before any link: %+v, %d rows", p.Links, len(p.Panelists))
	}
	if s := status(p, ids[0]); s.LinkIssued != nil || s.Mail != "none" || s.Opened != nil || s.Submitted != nil {
		t.Fatalf("before any link: %+v", s)
	}

	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"send": true}, &links), 201)
	tok := map[int64]string{}
	for _, l := range links {
		tok[l.PanelistID] = l.Token
	}
	snd := &recordingSender{}
	msgs, err := e.svc.Outbox(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.PanelistID == ids[3] {
			snd.fail = m.To
		}
	}
	if _, err := e.svc.DeliverMail(context.Background(), snd, 100); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	opened := e.clock.Now().UTC().Truncate(time.Second)
	e.must(e.call("GET", "/api/v1/respond", tok[ids[0]], nil, nil), 200) // the first use
	e.clock.Add(time.Hour)
	e.must(e.call("GET", "/api/v1/respond", tok[ids[0]], nil, nil), 200) // not the first: the time stays
	e.answerAll(tok[ids[1]], func(string) *int { return ip(5) }, "")

	p = progress()
	want := delphi.LinkCounts{Invited: 4, Issued: 4, Sent: 3, Failed: 1, Opened: 2, Submitted: 1}
	if p.Links != want {
		t.Errorf("counts %+v, want %+v", p.Links, want)
	}
	tests := []struct {
		name              string
		id                int64
		mail              string
		opened, submitted bool
	}{
		{"opened", ids[0], "sent", true, false},
		{"submitted", ids[1], "sent", true, true},
		{"not opened", ids[2], "sent", false, false},
		{"mail failed", ids[3], "failed", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := status(p, tc.id)
			if s.LinkIssued == nil || s.LinkExpires == nil || s.Mail != tc.mail || (s.Opened != nil) != tc.opened || (s.Submitted != nil) != tc.submitted {
				t.Errorf("status %+v", s)
			}
			if tc.mail == "failed" && s.MailError == "" {
				t.Errorf("a failed email without its reason: %+v", s)
			}
		})
	}
	if s := status(p, ids[0]); s.Opened == nil || !s.Opened.Equal(opened) {
		t.Errorf("opened at %v, want the first use %v", s.Opened, opened)
	}
	// a new link has not been opened yet
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"panelists": []int64{ids[0]}}, nil), 201)
	if s := status(progress(), ids[0]); s.Opened != nil || s.LinkIssued == nil {
		t.Errorf("after a new link: %+v", s)
	}
}
