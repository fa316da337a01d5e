package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/delphi"
)

// TestFirstStartStudyNeedsContact: the study made at first start has no contact (not the admin's
// sign-in address); round 1 does not open until the console's form gives it one, and experts
// then see the name and email on their pages and in their emails.
func TestFirstStartStudyNeedsContact(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, "cart-cd")
	var sts []studyJSON
	e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200)
	if len(sts) != 1 || sts[0].Contact != "" || sts[0].ContactName != "" {
		t.Fatalf("first-start studies: %+v", sts)
	}
	sid := sts[0].ID
	var groups []string
	for _, g := range e.studyJSON(sid).Definition.Groups {
		groups = append(groups, g.ID)
	}
	e.panel(sid, 6, groups...)
	rounds := fmt.Sprintf("/api/v1/studies/%d/rounds", sid)

	// refused through the API, with the field to set
	var refusal struct {
		Error struct{ Code, Message, Field string }
	}
	r := e.call("POST", rounds, e.admin, map[string]any{}, nil)
	_ = json.Unmarshal(r.Body, &refusal)
	if r.Status != http.StatusConflict || refusal.Error.Field != "contact" || !strings.Contains(refusal.Error.Message, "contact") {
		t.Fatalf("round 1 without a contact: %s", r)
	}

	// the console says so, and refuses too
	b := e.consoleLogin("admin@test", adminPassword)
	study := fmt.Sprintf("/console/studies/%d", sid)
	page := b.get(study)
	has(t, page, "Set the contact for experts", "before round 1 opens", `action="`+study+`/contact"`, `name="contact_name"`)
	if strings.Contains(string(page.Body), "admin@test") && strings.Contains(string(page.Body), "· contact") {
		t.Error("the study page shows the admin as the contact")
	}
	r = b.post(study+"/rounds", url.Values{"action": {"open"}})
	if r.Status != http.StatusConflict {
		t.Fatalf("console round 1 without a contact: %s", r)
	}
	has(t, r, "set the study's contact")

	// the form: CSRF, an email that is none, no email
	if r := b.post(study+"/contact", url.Values{"csrf": {"x"}, "contact_name": {"Dr. Jane Doe"}, "contact": {"jane@example.org"}}); r.Status != http.StatusForbidden {
		t.Fatalf("contact without the CSRF token: %s", r)
	}
	r = b.submit(study+"/contact", url.Values{"contact_name": {"Dr. Jane Doe"}, "contact": {"not an email"}}, http.StatusUnprocessableEntity)
	has(t, r, "is not an email address")
	if !strings.Contains(string(r.Body), `value="Dr. Jane Doe"`) {
		t.Error("the refused form lost what was typed")
	}
	b.submit(study+"/contact", url.Values{"contact_name": {"Dr. Jane Doe"}, "contact": {""}}, http.StatusUnprocessableEntity)
	if st := e.studyJSON(sid); st.Contact != "" {
		t.Fatalf("refused forms set the contact: %+v", st.Contact)
	}

	r = b.submit(study+"/contact", url.Values{"contact_name": {" Dr. Jane Doe "}, "contact": {"jane@example.org"}}, http.StatusSeeOther)
	has(t, r, "The contact for experts is saved", "Dr. Jane Doe", "<jane@example.org>")
	if st := e.studyJSON(sid); st.Contact != "jane@example.org" || st.ContactName != "Dr. Jane Doe" {
		t.Fatalf("contact after the form: %q %q", st.ContactName, st.Contact)
	}
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}}, http.StatusSeeOther)
	has(t, r, "Round 1 is open")

	// the API changes the name alone; the email cannot be removed once a round is open
	var st studyJSON
	e.must(e.call("PATCH", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, map[string]string{"contact_name": "Study Office"}, &st), 200)
	if st.ContactName != "Study Office" || st.Contact != "jane@example.org" {
		t.Fatalf("PATCH name: %+v", st)
	}
	if r := e.call("PATCH", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, map[string]string{"contact": ""}, nil); r.Status != http.StatusConflict {
		t.Fatalf("removing the email of a study with rounds: %s", r)
	}
	if r := e.call("PATCH", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, map[string]string{"contact": "x@"}, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("PATCH a bad email: %s", r)
	}

	// experts see the name and the email on their pages and in their emails
	e.web.Mailer = &recordingSender{} // the console emails links only with SMTP configured
	b.submit(study+"/rounds/1/invitations", url.Values{}, http.StatusSeeOther)
	msgs, err := e.svc.Outbox(context.Background(), sid)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("outbox: %v %d", err, len(msgs))
	}
	for _, m := range msgs {
		if !strings.Contains(m.Body, "Study Office <jane@example.org>") || strings.Contains(m.Body, "admin@test") {
			t.Fatalf("email without the contact:\n%s", m.Body)
		}
	}
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, &links), 201)
	x := e.openExpertLink(links[0].Token)
	expertHas(t, x.get("/respond"), `Study Office (<a href="mailto:jane@example.org">jane@example.org</a>)`)
}
