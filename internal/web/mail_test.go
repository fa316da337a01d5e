package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
)

// recordingSender stands in for the SMTP relay (an outside system): it keeps what it is given.
type recordingSender struct {
	mu   sync.Mutex
	sent []string // "to|subject|body"
	fail string   // address to refuse
}

func (r *recordingSender) Send(_ context.Context, to, subject, body string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if to == r.fail {
		return fmt.Errorf("550 mailbox unavailable")
	}
	r.sent = append(r.sent, to+"|"+subject+"|"+body)
	return nil
}

// TestRemindersAndDelivery: reminders go only to panelists who have not submitted, carry the
// link they already have, and the mail loop sends the outbox and records each outcome.
func TestRemindersAndDelivery(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 4, "haematologist")
	var r roundJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"deadline": e.clock.Now().Add(48 * time.Hour)}, &r), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"send": true}, &links), 201)
	tok := map[int64]string{}
	for _, l := range links {
		tok[l.PanelistID] = l.Token
	}
	e.answerAll(tok[ids[0]], func(string) *int { return ip(5) }, "")

	var q map[string]int
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/reminders", sid), e.admin, nil, &q), 201)
	if q["queued"] != 3 {
		t.Fatalf("reminders queued %d, want 3 (one panelist submitted)", q["queued"])
	}
	msgs, err := e.svc.Outbox(context.Background(), sid)
	if err != nil || len(msgs) != 4+3 {
		t.Fatalf("outbox %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if m.Kind != "reminder" {
			continue
		}
		if m.PanelistID == ids[0] {
			t.Errorf("reminder to a panelist who submitted")
		}
		if !strings.Contains(m.Body, "/r/"+tok[m.PanelistID]) {
			t.Errorf("reminder does not carry the link the panelist already has:\n%s", m.Body)
		}
	}
	// the old links still work: a reminder replaced nothing
	e.must(e.call("GET", "/api/v1/respond", tok[ids[1]], nil, nil), 200)

	snd := &recordingSender{}
	for _, m := range msgs {
		if m.PanelistID == ids[0] {
			snd.fail = m.To // the one who submitted: one message, no reminder
		}
	}
	n, err := e.svc.DeliverMail(context.Background(), snd, 100)
	if err != nil || n != len(msgs)-1 || len(snd.sent) != len(msgs)-1 {
		t.Fatalf("delivered %d (%v), sender got %d", n, err, len(snd.sent))
	}
	msgs, _ = e.svc.Outbox(context.Background(), sid)
	var sent, failed int
	for _, m := range msgs {
		switch {
		case m.SentAt != "":
			sent++
		case m.Error != "":
			failed++
		}
	}
	if sent != len(msgs)-1 || failed != 1 {
		t.Fatalf("outbox records %d sent, %d failed", sent, failed)
	}
	// nothing sent is sent twice; the failed one is retried, then given up on
	for i := 2; i < store.MaxSendAttempts; i++ {
		if n, _ := e.svc.DeliverMail(context.Background(), snd, 100); n != 0 {
			t.Fatalf("sent %d again", n)
		}
	}
	snd.fail = "" // the relay recovers before the last attempt
	if n, _ := e.svc.DeliverMail(context.Background(), snd, 100); n != 1 {
		t.Fatalf("last attempt sent %d, want the failed message", n)
	}
	if n, _ := e.svc.DeliverMail(context.Background(), snd, 100); n != 0 {
		t.Fatalf("sent %d again", n)
	}
}

// stallingSender is a relay that never answers: a send ends only when its context does.
type stallingSender struct{}

func (stallingSender) Send(ctx context.Context, _, _, _ string) error {
	<-ctx.Done()
	return fmt.Errorf("mail: send: %w", ctx.Err())
}

// TestDeliveryCancelled: a delivery stopped by shutdown costs the message no attempt: it stays
// queued, with no error recorded, and goes out on the next run.
func TestDeliveryCancelled(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	e.panel(sid, 2, "haematologist")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"send": true}, nil), 201)
	for range store.MaxSendAttempts + 1 {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		n, err := e.svc.DeliverMail(ctx, stallingSender{}, 100)
		cancel()
		if n != 0 || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("cancelled delivery: %d sent, %v", n, err)
		}
	}
	msgs, err := e.svc.Outbox(context.Background(), sid)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.SentAt != "" || m.Error != "" {
			t.Fatalf("message %d after cancelled deliveries: sent %q, error %q", m.ID, m.SentAt, m.Error)
		}
	}
	snd := &recordingSender{}
	if n, err := e.svc.DeliverMail(context.Background(), snd, 100); err != nil || n != len(msgs) {
		t.Fatalf("delivered %d of %d (%v)", n, len(msgs), err)
	}
}

// TestCloseAtDeadline: the background loop closes a round once its deadline has passed, with
// the same snapshot as a close by hand, recorded as done by the system.
func TestCloseAtDeadline(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 3, "haematologist")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"deadline": e.clock.Now().Add(time.Hour)}, nil), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, &links), 201)
	e.answerAll(links[0].Token, func(string) *int { return ip(8) }, "")

	ctx := context.Background()
	if n, err := e.svc.CloseDueRounds(ctx); err != nil || n != 0 {
		t.Fatalf("before the deadline: closed %d, %v", n, err)
	}
	e.clock.Add(time.Hour + time.Second)
	if n, err := e.svc.CloseDueRounds(ctx); err != nil || n != 1 {
		t.Fatalf("after the deadline: closed %d, %v", n, err)
	}
	var snap delphi.Snapshot
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid), e.admin, nil, &snap), 200)
	if snap.Participation.Submitted != 1 || snap.Participation.Invited != len(ids) {
		t.Fatalf("participation %+v", snap.Participation)
	}
	r := e.call("PUT", "/api/v1/respond/answers", links[1].Token, map[string]any{"answers": []delphi.Answer{{Item: snap.Items[0].ID, Rating: ip(3)}}}, nil)
	if r.Status != 409 && r.Status != 403 {
		t.Fatalf("answer after the deadline close: %s", r)
	}
	if n, _ := e.svc.CloseDueRounds(ctx); n != 0 {
		t.Fatalf("closed again: %d", n)
	}
	var audit []map[string]any
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/audit", sid), e.admin, nil, &audit), 200)
	found := false
	for _, a := range audit {
		if a["Action"] == "round.close" && a["Actor"] == "system" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no round.close by system in %v", audit)
	}
}
