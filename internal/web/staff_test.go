package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
)

// Staff accounts as an institution runs them: sessions that end, accounts that are governed,
// studies that are scoped. Browser journeys are in browser_staff_test.go.

// TestLogoutEndsSession: signing out ends the session itself, so a copy of its token (the
// cookie's value used as a bearer, or a second copy of the cookie) stops working at once, on the
// API and the console; other sessions of the same account go on.
func TestLogoutEndsSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.login("admin@test", adminPassword), e.login("admin@test", adminPassword)
	e.must(e.call("POST", "/api/v1/auth/logout", a, nil, nil), 204)
	r := e.must(e.call("GET", "/api/v1/me", a, nil, nil), 401)
	if !strings.Contains(string(r.Body), "signed out") {
		t.Errorf("a signed-out token: %s", r)
	}
	e.must(e.call("GET", "/api/v1/me", b, nil, nil), 200)

	br := e.consoleLogin("admin@test", adminPassword)
	u, _ := url.Parse(e.srv.URL)
	var cookie string
	for _, ck := range br.c.Jar.Cookies(u) {
		if ck.Name == staffCookie {
			cookie = ck.Value
		}
	}
	if cookie == "" {
		t.Fatal("no session cookie after sign-in")
	}
	br.submit("/console/logout", nil, http.StatusSeeOther)
	e.must(e.call("GET", "/api/v1/me", cookie, nil, nil), 401) // the cookie's token, as a bearer
	copyOf := &browser{e: e, c: e.browserClient()}
	copyOf.c.Jar.SetCookies(u, []*http.Cookie{{Name: staffCookie, Value: cookie, Path: "/"}})
	if r := copyOf.get("/console"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/console/login") {
		t.Fatalf("a copy of a signed-out cookie: %d %s", r.Status, r.Header.Get("Location"))
	}
	e.must(e.call("GET", "/api/v1/me", b, nil, nil), 200)
}

// TestSessionsEndOnAccountChanges: disabling an account, changing its role and resetting its
// password each end its sessions at the next request; an admin can list and end sessions.
func TestSessionsEndOnAccountChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name   string
		change func(id int64) response
		reason string
	}{
		{"disabled", func(id int64) response {
			return e.call("PATCH", fmt.Sprintf("/api/v1/staff/%d", id), e.admin, map[string]any{"disabled": true}, nil)
		}, "disabled"},
		{"role changed", func(id int64) response {
			return e.call("PATCH", fmt.Sprintf("/api/v1/staff/%d", id), e.admin, map[string]any{"role": "presenter"}, nil)
		}, "role changed"},
		{"password reset", func(id int64) response {
			return e.call("POST", fmt.Sprintf("/api/v1/staff/%d/password-reset", id), e.admin, nil, nil)
		}, "password reset"},
		{"ended by an admin", func(id int64) response {
			return e.call("DELETE", fmt.Sprintf("/api/v1/staff/%d/sessions", id), e.admin, nil, nil)
		}, "ended by an administrator"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := fmt.Sprintf("f%d@test", i)
			id := e.addStaff(email, "facilitator", "facilitator password")
			tok := e.login(email, "facilitator password")
			e.must(e.call("GET", "/api/v1/me", tok, nil, nil), 200)
			var sess []delphi.SessionInfo
			e.must(e.call("GET", fmt.Sprintf("/api/v1/staff/%d/sessions", id), e.admin, nil, &sess), 200)
			if len(sess) != 1 {
				t.Fatalf("sessions before: %+v", sess)
			}
			if r := tt.change(id); r.Status != 200 {
				t.Fatalf("change: %s", r)
			}
			r := e.must(e.call("GET", "/api/v1/me", tok, nil, nil), 401)
			if !strings.Contains(string(r.Body), tt.reason) && tt.name != "disabled" {
				t.Errorf("401 does not say why (%q): %s", tt.reason, r)
			}
			e.must(e.call("GET", fmt.Sprintf("/api/v1/staff/%d/sessions", id), e.admin, nil, &sess), 200)
			if len(sess) != 0 {
				t.Errorf("sessions after: %+v", sess)
			}
		})
	}
	t.Run("one session ended, the other goes on", func(t *testing.T) {
		id := e.addStaff("two@test", "presenter", "presenter password")
		one, two := e.login("two@test", "presenter password"), e.login("two@test", "presenter password")
		var sess []delphi.SessionInfo
		e.must(e.call("GET", fmt.Sprintf("/api/v1/staff/%d/sessions", id), e.admin, nil, &sess), 200)
		if len(sess) != 2 {
			t.Fatalf("two sign-ins, %d sessions", len(sess))
		}
		oneID, _ := e.signer.ParseSession(one)
		e.must(e.call("DELETE", fmt.Sprintf("/api/v1/staff/%d/sessions/%s", id, oneID.ID), e.admin, nil, nil), 200)
		e.must(e.call("GET", "/api/v1/me", one, nil, nil), 401)
		e.must(e.call("GET", "/api/v1/me", two, nil, nil), 200)
		e.must(e.call("DELETE", fmt.Sprintf("/api/v1/staff/%d/sessions/nope", id), e.admin, nil, nil), 404)
	})
}

// TestStaffGovernance: each bad request gets a clear error, with its field, and changes nothing.
func TestStaffGovernance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var me delphi.Staff
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, &me), 200)
	fac := e.addStaff("fac@test", "facilitator", "facilitator password")
	tests := []struct {
		name, method, path string
		body               any
		status             int
		field, msg         string
	}{
		{"demote the last admin", "PATCH", fmt.Sprintf("/api/v1/staff/%d", me.ID), map[string]any{"role": "facilitator"}, 409, "", "last active admin"},
		{"disable the last admin", "PATCH", fmt.Sprintf("/api/v1/staff/%d", me.ID), map[string]any{"disabled": true}, 409, "", "last active admin"},
		{"a role that does not exist", "PATCH", fmt.Sprintf("/api/v1/staff/%d", fac), map[string]any{"role": "owner"}, 422, "role", "admin, facilitator or presenter"},
		{"nothing to change", "PATCH", fmt.Sprintf("/api/v1/staff/%d", fac), map[string]any{}, 422, "", "nothing to change"},
		{"unknown account", "PATCH", "/api/v1/staff/999", map[string]any{"disabled": true}, 404, "", "does not exist"},
		{"unknown field", "PATCH", fmt.Sprintf("/api/v1/staff/%d", fac), map[string]any{"admin": true}, 400, "admin", "unknown field"},
		{"short password", "POST", "/api/v1/staff", delphi.NewStaff{Email: "x@test", Role: "presenter", Password: "short pw"}, 422, "password", "at least 12 characters"},
		{"common password", "POST", "/api/v1/staff", delphi.NewStaff{Email: "x@test", Role: "presenter", Password: "Password1234!"}, 422, "password", "common passwords"},
		{"password like the email", "POST", "/api/v1/staff", delphi.NewStaff{Email: "margarethe@test", Role: "presenter", Password: "margarethe12"}, 422, "password", "close to the email"},
		{"a role on create that does not exist", "POST", "/api/v1/staff", delphi.NewStaff{Email: "x@test", Role: "root"}, 422, "role", "admin, facilitator or presenter"},
		{"an account twice", "POST", "/api/v1/staff", delphi.NewStaff{Email: "FAC@test", Role: "presenter"}, 409, "email", "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.method, tt.path, e.admin, tt.body, nil)
			var body apiErrorBody
			_ = json.Unmarshal(r.Body, &body)
			if r.Status != tt.status || body.Error.Field != tt.field || !strings.Contains(body.Error.Message, tt.msg) {
				t.Fatalf("%s, want %d field %q saying %q", r, tt.status, tt.field, tt.msg)
			}
		})
	}
	var all []delphi.Staff
	e.must(e.call("GET", "/api/v1/staff", e.admin, nil, &all), 200)
	if len(all) != 2 || all[0].Role != "admin" || all[0].Disabled || all[1].Role != "facilitator" {
		t.Fatalf("a refused change changed the accounts: %+v", all)
	}
	// with a second admin, the first may step down
	second := e.addStaff("admin2@test", "admin", "second admin password")
	e.must(e.call("PATCH", fmt.Sprintf("/api/v1/staff/%d", me.ID), e.admin, map[string]any{"role": "facilitator"}, nil), 200)
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, nil), 401) // the role change ended this session
	admin2 := e.login("admin2@test", "second admin password")
	e.must(e.call("PATCH", fmt.Sprintf("/api/v1/staff/%d", second), admin2, map[string]any{"role": "presenter"}, nil), 409)
	e.must(e.call("PATCH", fmt.Sprintf("/api/v1/staff/%d", me.ID), admin2, map[string]any{"role": "admin"}, nil), 200)

	log, err := e.store.AuditLog(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range log {
		if a.Action == "staff.update" {
			n++
		}
		if strings.Contains(a.Detail, "password") && strings.Contains(a.Detail, "second admin") {
			t.Errorf("a password in the audit log: %+v", a)
		}
	}
	if n != 2 {
		t.Errorf("%d staff.update entries, want 2", n)
	}
}

// TestPasswordLinks: an invited account and a reset each get a one-time link; it sets a
// password and signs in once; used twice, expired or unknown it says so; the old password stops
// working at the reset; a member changes their own password and their other sessions end.
func TestPasswordLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var inv staffJSON
	e.must(e.call("POST", "/api/v1/staff", e.admin, delphi.NewStaff{Email: "new@test", Name: "New", Role: "facilitator"}, &inv), 201)
	if inv.PasswordLink == nil || inv.PasswordSet || !strings.HasPrefix(inv.PasswordLink.URL, "http://delphi.test/console/password/") {
		t.Fatalf("an invited account: %+v", inv)
	}
	token := strings.TrimPrefix(inv.PasswordLink.URL, "http://delphi.test/console/password/")
	if strings.Contains(e.logs.String(), token) {
		t.Error("the link's token reached the log")
	}
	e.must(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "new@test", "password": ""}, nil), 401)
	r := e.must(e.call("POST", "/api/v1/auth/password", "", map[string]string{"token": token, "password": "qwerty123456"}, nil), 422)
	if !strings.Contains(string(r.Body), "common") {
		t.Errorf("a common password: %s", r)
	}
	var tok loginJSON
	e.must(e.call("POST", "/api/v1/auth/password", "", map[string]string{"token": token, "password": "my own long password"}, &tok), 200)
	e.must(e.call("GET", "/api/v1/me", tok.Token, nil, nil), 200)
	r = e.must(e.call("POST", "/api/v1/auth/password", "", map[string]string{"token": token, "password": "another long password"}, nil), 410)
	if !strings.Contains(string(r.Body), "already been used") {
		t.Errorf("a link used twice: %s", r)
	}
	e.must(e.call("POST", "/api/v1/auth/password", "", map[string]string{"token": "nope", "password": "another long password"}, nil), 404)
	first := e.login("new@test", "my own long password")

	// a reset: the old password and sessions end; the link works once
	var reset staffJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/staff/%d/password-reset", inv.ID), e.admin, nil, &reset), 200)
	e.must(e.call("GET", "/api/v1/me", first, nil, nil), 401)
	e.must(e.call("POST", "/api/v1/auth/login", "", map[string]string{"email": "new@test", "password": "my own long password"}, nil), 401)
	rt := strings.TrimPrefix(reset.PasswordLink.URL, "http://delphi.test/console/password/")
	b := &browser{e: e, c: e.browserClient()}
	r = b.get("/console/password/" + rt)
	has(t, r, "new@test", `name="password"`, `name="confirm"`)
	r = b.post("/console/password/"+rt, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new passwore"}})
	if r.Status != 422 {
		t.Fatalf("two different passwords: %s", r)
	}
	has(t, r, "not the same")
	r = b.submit("/console/password/"+rt, url.Values{"password": {"a brand new password"}, "confirm": {"a brand new password"}}, http.StatusSeeOther)
	has(t, r, "Your password is set")
	r = b.get("/console/password/" + rt)
	if r.Status != 410 {
		t.Fatalf("the reset link again: %s", r)
	}
	has(t, r, "already been used")

	// an expired link
	var again staffJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/staff/%d/password-reset", inv.ID), e.admin, nil, &again), 200)
	e.clock.Add(73 * time.Hour)
	at := strings.TrimPrefix(again.PasswordLink.URL, "http://delphi.test/console/password/")
	r = e.must(e.call("POST", "/api/v1/auth/password", "", map[string]string{"token": at, "password": "a brand new password"}, nil), 410)
	if !strings.Contains(string(r.Body), "expired") {
		t.Errorf("an expired link: %s", r)
	}

	// one's own password (the admin's session expired with the link)
	e.admin = e.login("admin@test", adminPassword)
	other := e.login("admin@test", adminPassword)
	e.must(e.call("PUT", "/api/v1/me/password", e.admin, map[string]string{"current_password": "wrong", "new_password": "a fine new admin password"}, nil), 422)
	e.must(e.call("PUT", "/api/v1/me/password", e.admin, map[string]string{"current_password": adminPassword, "new_password": "1234567890123"}, nil), 422)
	e.must(e.call("PUT", "/api/v1/me/password", e.admin, map[string]string{"current_password": adminPassword, "new_password": "a fine new admin password"}, nil), 204)
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, nil), 200)
	e.must(e.call("GET", "/api/v1/me", other, nil, nil), 401)
	e.login("admin@test", "a fine new admin password")
}

// TestStudyScoping: facilitators and presenters see and touch only the studies they are members
// of; another study's id answers 404 exactly as an unknown one; admins see all; whoever creates a
// study is its first member; a member's role in a study is what they may do there.
func TestStudyScoping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.study("example") // the admin's
	ids := e.panel(a, 2, "nurse")
	_, toks := e.openRound(a)
	_ = toks
	f1 := e.addStaff("f1@test", "facilitator", "facilitator one pw")
	p1 := e.addStaff("p1@test", "presenter", "presenter one pw")
	ft, pt := e.login("f1@test", "facilitator one pw"), e.login("p1@test", "presenter one pw")
	var b studyJSON
	e.must(e.call("POST", "/api/v1/studies", ft, map[string]string{"survey": "example"}, &b), 201)

	list := func(tok string) []int64 {
		var sts []studyJSON
		e.must(e.call("GET", "/api/v1/studies", tok, nil, &sts), 200)
		var out []int64
		for _, s := range sts {
			out = append(out, s.ID)
		}
		return out
	}
	if got := list(ft); fmt.Sprint(got) != fmt.Sprint([]int64{b.ID}) {
		t.Errorf("the facilitator sees %v, want only their study %d", got, b.ID)
	}
	if got := list(pt); len(got) != 0 {
		t.Errorf("a presenter of no study sees %v", got)
	}
	if got := list(e.admin); len(got) != 2 {
		t.Errorf("the admin sees %v, want both", got)
	}
	unknown := e.must(e.call("GET", "/api/v1/studies/9999", ft, nil, nil), 404)
	other := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", a), ft, nil, nil), 404)
	if strings.Replace(string(other.Body), fmt.Sprint(a), "N", 1) != strings.Replace(string(unknown.Body), "9999", "N", 1) {
		t.Errorf("another study's 404 differs from an unknown one's: %s vs %s", other.Body, unknown.Body)
	}
	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, f1), ft, map[string]string{"role": "facilitator"}, nil), 404)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", a), e.admin, map[string]any{"panelists": []int64{ids[0]}}, &links), 201)
	e.must(e.call("DELETE", "/api/v1/invitations/"+links[0].InvitationID, ft, nil, nil), 404)

	// memberships: the presenter reads A's reports; the facilitator becomes a presenter there
	e.member(a, p1, "presenter")
	e.member(a, f1, "presenter")
	if got := list(pt); fmt.Sprint(got) != fmt.Sprint([]int64{a}) {
		t.Errorf("the presenter sees %v, want %d", got, a)
	}
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", a), pt, nil, nil), 200)
	r := e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", a), ft, nil, nil), 403)
	if !strings.Contains(string(r.Body), "in this study (presenter)") {
		t.Errorf("a presenter-member's refusal: %s", r)
	}
	e.must(e.call("DELETE", "/api/v1/invitations/"+links[0].InvitationID, ft, nil, nil), 403)
	r = e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, p1), e.admin, map[string]string{"role": "facilitator"}, nil), 422)
	if !strings.Contains(string(r.Body), "presenter account") {
		t.Errorf("a presenter account made facilitator: %s", r)
	}
	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, f1), e.admin, map[string]string{"role": "owner"}, nil), 422)
	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/999", a), e.admin, map[string]string{"role": "presenter"}, nil), 404)
	e.must(e.call("PUT", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, f1), e.admin, map[string]string{"role": "facilitator"}, nil), 200)
	e.must(e.call("DELETE", "/api/v1/invitations/"+links[0].InvitationID, ft, nil, nil), 204)
	var ms []delphi.Member
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/members", a), ft, nil, &ms), 200)
	if len(ms) != 3 { // the admin who created it, f1, p1
		t.Errorf("members of A: %+v", ms)
	}
	e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, p1), ft, nil, nil), 204)
	e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, p1), ft, nil, nil), 404)
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", a), pt, nil, nil), 404)

	// the console: the facilitator's list and another study's pages
	fb := e.consoleLogin("f1@test", "facilitator one pw")
	e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/members/%d", a, f1), e.admin, nil, nil), 204)
	r = fb.get("/console")
	has(t, r, fmt.Sprintf("/console/studies/%d", b.ID))
	if strings.Contains(string(r.Body), fmt.Sprintf(`href="/console/studies/%d"`, a)) {
		t.Error("the console lists a study the facilitator is not a member of")
	}
	for _, p := range []string{"", "/panel", "/rounds/1", "/members"} {
		if r := fb.get(fmt.Sprintf("/console/studies/%d%s", a, p)); r.Status != 404 {
			t.Errorf("console page of another study %s: %d", p, r.Status)
		}
	}
	if r := fb.get(fmt.Sprintf("/reports/studies/%d/rounds/1", a)); r.Status != 404 {
		t.Errorf("report of another study: %d", r.Status)
	}
	// members are managed in the console too
	r = fb.submit(fmt.Sprintf("/console/studies/%d/members", b.ID), url.Values{"email": {"p1@test"}, "role": {"presenter"}}, http.StatusSeeOther)
	has(t, r, "p1@test joined the study as presenter")
	r = fb.submit(fmt.Sprintf("/console/studies/%d/members", b.ID), url.Values{"email": {"nobody@test"}, "role": {"presenter"}}, 422)
	has(t, r, "no staff account has the email")
}

// TestConsoleStaffPages: an admin governs accounts through the console's forms, each answer
// saying what happened, and every member manages their own password and sessions.
func TestConsoleStaffPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.consoleLogin("admin@test", adminPassword)
	id := e.addStaff("fac@test", "facilitator", "facilitator password")
	fac := e.consoleLogin("fac@test", "facilitator password")
	member := fmt.Sprintf("/console/staff/%d", id)

	r := admin.get("/console/staff")
	has(t, r, `href="`+member+`"`, "fac@test", "active")
	r = admin.get(member)
	has(t, r, "Sessions", "Change role", "Disable the account", "Reset the password")

	r = admin.submit(member, url.Values{"role": {"presenter"}}, http.StatusSeeOther)
	has(t, r, "fac@test is now presenter (active)")
	if r := fac.get("/console"); r.Status != http.StatusSeeOther {
		t.Fatalf("after the role change the member's session goes on: %d", r.Status)
	}
	r = admin.submit(member, url.Values{"role": {"root"}}, 422)
	has(t, r, "admin, facilitator or presenter")
	var me delphi.Staff
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, &me), 200)
	r = admin.submit(fmt.Sprintf("/console/staff/%d", me.ID), url.Values{"action": {"disable"}}, http.StatusConflict)
	has(t, r, "last active admin")

	fac = e.consoleLogin("fac@test", "facilitator password")
	r = admin.submit(member+"/sessions", nil, http.StatusSeeOther)
	has(t, r, "1 session ended.")
	if r := fac.get("/console"); r.Status != http.StatusSeeOther {
		t.Fatalf("an ended session still works: %d", r.Status)
	}
	r = fac.get("/console/login")
	has(t, r, "ended by an administrator")

	r = admin.submit(member+"/password-reset", nil, http.StatusOK)
	has(t, r, "no longer works", "/console/password/")
	link := regexpFind(t, string(r.Body), `value="http://delphi.test(/console/password/[^"]+)"`)
	nb := &browser{e: e, c: e.browserClient()}
	nb.get(link)
	r = nb.submit(link, url.Values{"password": {"my chosen password"}, "confirm": {"my chosen password"}}, http.StatusSeeOther)
	has(t, r, "Your password is set")

	// one's own account
	r = nb.get("/console/account")
	has(t, r, "fac@test", "(this one)", "Change your password")
	r = nb.submit("/console/account/password", url.Values{"current_password": {"nope"}, "new_password": {"a newer long password"}, "confirm": {"a newer long password"}}, 422)
	has(t, r, "current password is not right")
	other := e.consoleLogin("fac@test", "my chosen password")
	r = nb.submit("/console/account/sessions", nil, http.StatusSeeOther)
	has(t, r, "Your other sessions have ended.")
	if r := other.get("/console"); r.Status != http.StatusSeeOther {
		t.Fatalf("a session ended from the account page still works: %d", r.Status)
	}
	r = nb.submit("/console/account/password", url.Values{"current_password": {"my chosen password"}, "new_password": {"a newer long password"}, "confirm": {"a newer long password"}}, http.StatusSeeOther)
	has(t, r, "Your password is changed")
	e.consoleLogin("fac@test", "a newer long password")
}

func regexpFind(t *testing.T, s, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%s not found", re)
	}
	return html.UnescapeString(m[1])
}

// TestPasswordLinkEmailed: with SMTP configured, an invitation's and a reset's link also go to
// the member by email; the admin is told so.
func TestPasswordLinkEmailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rec := &recordingSender{}
	e.web.Mailer = rec
	admin := e.consoleLogin("admin@test", adminPassword)
	r := admin.submit("/console/staff", url.Values{"email": {"mia@example.org"}, "role": {"presenter"}}, http.StatusOK)
	has(t, r, "emailed to them")
	link := regexpFind(t, string(r.Body), `value="(http://delphi.test/console/password/[^"]+)"`)
	rec.mu.Lock()
	sent := append([]string(nil), rec.sent...)
	rec.mu.Unlock()
	if len(sent) != 1 || !strings.HasPrefix(sent[0], "mia@example.org|You are invited") || !strings.Contains(sent[0], link) {
		t.Fatalf("sent %q, want the invitation with %s", sent, link)
	}
}
