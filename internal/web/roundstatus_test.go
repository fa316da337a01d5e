package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestRoundLinkStatus: the round's invitations JSON says per panelist whether their link was issued, the
// email sent (or failed, with the reason), the link opened (once, at its first use), the round
// submitted, and counts each.
func TestRoundLinkStatus(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 4, "haematologist")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	round := 1
	progress := func() delphi.RoundInvitations {
		t.Helper()
		var p delphi.RoundInvitations
		e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/%d/invitations", sid, round), e.admin, nil, &p), 200)
		var pr delphi.Progress // the progress counts them too
		e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/%d/progress", sid, round), e.admin, nil, &pr), 200)
		if pr.Links != p.Links {
			t.Errorf("progress counts %+v, invitations %+v", pr.Links, p.Links)
		}
		return p
	}
	status := func(p delphi.RoundInvitations, id int64) delphi.PanelistStatus {
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
	if s := status(progress(), ids[0]); s.LinkOpened != nil || s.LinkIssued == nil || s.Opened == nil {
		t.Errorf("after a new link (not opened; the round was): %+v", s)
	}

	// round 2 reuses the link: opened in round 1, not yet in round 2
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	round = 2
	if s := status(progress(), ids[1]); s.LinkOpened == nil || s.Opened != nil {
		t.Errorf("round 2 before its first use: %+v", s)
	}
	e.must(e.call("GET", "/api/v1/respond", tok[ids[1]], nil, nil), 200)
	if s := status(progress(), ids[1]); s.Opened == nil {
		t.Errorf("round 2 after its first use: %+v", s)
	}
}

// TestConsoleRoundActions: the round page offers email and reminders only when they can work,
// says why not beside them, and the server refuses them with the reason all the same.
func TestConsoleRoundActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	e.panel(sid, 2, "nurse")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	b := e.consoleLogin("admin@test", adminPassword)
	round := fmt.Sprintf("/console/studies/%d/rounds/1", sid)
	mail := &recordingSender{}
	tests := []struct {
		name     string
		mailer   Mailer
		before   func()
		page     []string // on the round page
		absent   string   // an action not offered
		post     string   // the action, posted anyway
		status   int
		response string
	}{
		{"reminders without email", nil, nil, []string{"Reminders: not available, email is not configured."}, "Send reminders",
			"/reminders", http.StatusConflict, "email is not configured"},
		{"email without email", nil, nil, []string{"Download the links (CSV)"}, "Email links to all",
			"/invitations", http.StatusConflict, "email is not configured"},
		{"reminders before any link", mail, nil, []string{"Reminders: not yet, no link has been issued", "Email links to all 2 invited"}, "Send reminders",
			"/reminders", http.StatusConflict, "no link to round 1 has been issued yet"},
		{"reminders once links are out", mail, func() { b.submit(round+"/invitations", nil, http.StatusSeeOther) }, []string{"Send reminders to these 2"}, "Reminders:",
			"/reminders", http.StatusSeeOther, "2 reminders queued"},
		{"nothing after close", mail, func() { b.submit(round+"/close", nil, http.StatusSeeOther) }, []string{"Round 1 <span", `Kendall's W <span class="c-why" id="kendall-why">Not shown: 0 of 0 panelists rated every item (at least 5 and half are needed).</span>`}, "Send reminders",
			"/reminders", http.StatusConflict, "round 1 is closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.web.Mailer = tc.mailer
			if tc.before != nil {
				tc.before()
			}
			r := b.get(round)
			has(t, r, tc.page...)
			if strings.Contains(string(r.Body), tc.absent) {
				t.Errorf("%q offered", tc.absent)
			}
			has(t, b.submit(round+tc.post, nil, tc.status), tc.response)
		})
	}
	// the API refuses reminders before any link too
	sid2 := e.study("example")
	e.panel(sid2, 1, "nurse")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid2), e.admin, map[string]any{}, nil), 201)
	r := e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/reminders", sid2), e.admin, nil, nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "no link to round 1 has been issued yet") {
		t.Errorf("API reminders before any link: %s", r)
	}
}

// TestConsoleOpenRoundBlocked: the page to open round 1 says why it cannot open (no contact,
// nobody on the panel) and disables the button; the server refuses the request all the same.
func TestConsoleOpenRoundBlocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)
	tests := []struct {
		name              string
		contact, panel    bool
		reason, refusal   string
		status            int
		offeredOnOverview bool
	}{
		{"no contact", false, true, "the study has no contact for experts", "set the study's contact", http.StatusConflict, false},
		{"empty panel", true, false, "the panel is empty: add panelists first", "nobody to invite", http.StatusConflict, false},
		{"ready", true, true, "", "Round 1 is open", http.StatusSeeOther, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]string{"survey": "example"}
			if tc.contact {
				in["contact"], in["contact_name"] = "office@example.org", "Study Office"
			}
			var st studyJSON
			e.must(e.call("POST", "/api/v1/studies", e.admin, in, &st), 201)
			if tc.panel {
				e.panel(st.ID, 2, "nurse")
			}
			study := fmt.Sprintf("/console/studies/%d", st.ID)
			r := b.get(study + "/rounds/new")
			blocked := strings.Contains(string(r.Body), `disabled aria-describedby="open-blocked"`)
			if blocked != (tc.reason != "") {
				t.Errorf("the button disabled: %v", blocked)
			}
			if tc.reason != "" {
				has(t, r, "Round 1 cannot open yet:", tc.reason)
			}
			if r := b.get(study); strings.Contains(string(r.Body), `/rounds/new">Open round 1</a>`) != tc.offeredOnOverview {
				t.Errorf("the overview offers to open round 1: %v", !tc.offeredOnOverview)
			}
			has(t, b.submit(study+"/rounds", url.Values{"action": {"open"}}, tc.status), tc.refusal)
		})
	}
}

// TestConsoleStaffActions: the account and staff pages offer what can work and say why not;
// the server refuses the rest with the reason.
func TestConsoleStaffActions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	second := e.addStaff("second@test", "facilitator", "second password 123")
	b := e.consoleLogin("admin@test", adminPassword)
	// the API's session (e.admin) is another one: end it, then there is nothing else to end
	has(t, b.get("/console/account"), "Sign out everywhere else")
	has(t, b.submit("/console/account/sessions", nil, http.StatusSeeOther), "Your other sessions have ended.")
	r := b.get("/console/account")
	has(t, r, "You are signed in only here")
	if strings.Contains(string(r.Body), "Sign out everywhere else") {
		t.Errorf("offers to end other sessions where there are none")
	}
	has(t, b.submit("/console/account/sessions", nil, http.StatusConflict), "you are signed in only here")

	// the only admin cannot be disabled or demoted
	r = b.get("/console/staff/1")
	has(t, r, "is the only active admin")
	if strings.Contains(string(r.Body), "Disable the account") || strings.Contains(string(r.Body), "Change role") {
		t.Errorf("offers to disable or demote the only admin")
	}
	has(t, b.submit("/console/staff/1", url.Values{"action": {"disable"}}, http.StatusConflict), "last active admin")
	b.submit(fmt.Sprintf("/console/staff/%d", second), url.Values{"role": {"admin"}}, http.StatusSeeOther)
	r = b.get("/console/staff/1")
	has(t, r, "Disable the account", "Change role")
}

// TestConsoleFinishedStudy: a finished study's panel and suggestions pages say why nothing can
// change there any more, and the server refuses the changes.
func TestConsoleFinishedStudy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	e.panel(sid, 2, "nurse")
	_, toks := e.openRound(sid)
	var sg delphi.Suggestion
	for _, tok := range toks {
		e.must(e.call("POST", "/api/v1/respond/suggestions", tok, map[string]string{"label": "Time to recovery", "rationale": "matters"}, &sg), 201)
		break
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/finish", sid), e.admin, nil, nil), 200)
	b := e.consoleLogin("admin@test", adminPassword)
	study := fmt.Sprintf("/console/studies/%d", sid)
	r := b.get(study + "/panel")
	has(t, r, "The study is finished: the panel no longer changes.")
	if strings.Contains(string(r.Body), "Import from CSV") {
		t.Errorf("a finished study's panel offers an import")
	}
	has(t, b.get(study+"/suggestions"), "Not triaged, and no longer can be: the study is finished.")
	if r := b.submit(fmt.Sprintf("%s/suggestions/%d", study, sg.ID), url.Values{"decision": {"reject"}, "note": {"no"}}, http.StatusConflict); !strings.Contains(string(r.Body), "finished") {
		t.Errorf("triage in a finished study: %s", r.Body)
	}
	b.submit(study+"/panel", url.Values{"name": {"Late"}, "email": {"late@example.org"}, "group": {"nurse"}, "language": {"en"}}, http.StatusConflict)
}
