package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAPIAccessRules walks the whole route table: every route has a rule, and each rule is
// enforced for no credentials, each staff role and an expert's invite token.
func TestAPIAccessRules(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 2, "haematologist")
	_, toks := e.openRound(sid)
	expertTok := toks[ids[0]]
	for _, role := range []string{"facilitator", "presenter"} {
		e.member(sid, e.addStaff(role+"@test", role, "password-"+role), role)
	}
	e.addStaff("outsider@test", "facilitator", "password-outsider")
	// a meeting of the study, and an attendee of it
	var m meetingJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/meetings", sid), e.admin, map[string]any{"title": "T", "date": "2026-01-01"}, &m), 201)
	var joined struct{ Token string }
	e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": m.JoinCode, "name": "A", "group": "haematologist"}, &joined), 201)
	tokens := map[string]string{
		"none":        "",
		"admin":       e.admin,
		"facilitator": e.login("facilitator@test", "password-facilitator"),
		"presenter":   e.login("presenter@test", "password-presenter"),
		"expert":      expertTok,
		"outsider":    e.login("outsider@test", "password-outsider"), // a facilitator, not of this study
		"attendee":    joined.Token,
	}
	// every route is tried as each of these; the outsider's sign-out runs last
	whos := []string{"none", "admin", "facilitator", "presenter", "expert", "attendee", "outsider"}
	allowed := map[string][]string{
		public:    {"none", "admin", "facilitator", "presenter", "expert", "attendee"},
		expert:    {"expert"},
		attendee:  {"attendee"},
		anyStaff:  {"admin", "facilitator", "presenter"},
		runners:   {"admin", "facilitator"},
		adminOnly: {"admin"},
	}
	for _, rt := range e.web.apiRoutes() {
		ok, known := allowed[rt.access]
		if !known {
			t.Fatalf("%s %s has no known access rule %q", rt.method, rt.path, rt.access)
		}
		path := strings.NewReplacer(":sid", fmt.Sprint(sid), ":pid", fmt.Sprint(ids[1]), ":n", "1", ":id", "999", ":file", "report.json",
			":staff_id", "999", ":session", "x", ":mid", fmt.Sprint(m.ID), ":item", "ghost").Replace(rt.path)
		for _, who := range whos {
			tok := tokens[who]
			if rt.path == "/auth/logout" && who != "none" && who != "expert" {
				continue // TestLogoutEndsSession: it would end the session the other routes use
			}
			t.Run(rt.method+" "+rt.path+" as "+who, func(t *testing.T) {
				if who == "outsider" {
					if !(strings.Contains(rt.path, ":sid") || strings.Contains(rt.path, ":mid")) || !contains(ok, "facilitator") {
						return
					}
					body := any(nil)
					if rt.method != "GET" && rt.method != "DELETE" {
						body = "{}"
					}
					if r := e.call(rt.method, "/api/v1"+path, tok, body, nil); r.Status != http.StatusNotFound {
						t.Fatalf("a facilitator of another study: %s, want 404", r)
					}
					return
				}
				// an empty JSON object is a harmless body: handlers reject it before changing anything
				body := any(nil)
				if opDocs[rt.method+" "+openAPIPath(rt.path)].request != nil {
					body = "{}"
				}
				var r response
				if strings.HasSuffix(rt.path, "/events") {
					r = e.streamStatus("/api/v1"+path, tok) // a stream that is allowed never ends
				} else {
					r = e.call(rt.method, "/api/v1"+path, tok, body, nil)
				}
				denied := r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden
				if contains(ok, who) && denied && !(rt.path == "/auth/login") {
					t.Fatalf("%s should be allowed: %s", who, r)
				}
				if !contains(ok, who) && !denied {
					t.Fatalf("%s should be refused: %s", who, r)
				}
				if who == "none" && !contains(ok, who) && r.Status != http.StatusUnauthorized {
					t.Fatalf("no credentials: %s, want 401", r)
				}
			})
		}
	}
}

// streamStatus opens a server-sent event stream and returns its status and, for an error, its body.
func (e *env) streamStatus(path, token string) response {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	r := response{Status: res.StatusCode, Header: res.Header}
	if res.StatusCode != http.StatusOK {
		r.Body, _ = io.ReadAll(res.Body)
	}
	return r
}
