package web

import (
	"fmt"
	"strings"
	"testing"
)

func TestRedactPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/console/studies/12/rounds/3", "/console/studies/12/rounds/3"},
		{"/r/eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOjF9.abcDEF123_-x", "/r/…"},
		{"/R/eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOjF9.abcDEF123_-x", "/R/…"},
		{"/console/password/Qk2x9dLmZp0aB7cD8eF1gH2iJ3kL4mN5oP6qR7sT8uV", "/console/password/…"},
		{"/static/app.css", "/static/app.css"},
		{"/respond/section/quality_of_life_and_function", "/respond/section/quality_of_life_and_function"},
		{"/api/v1/invitations/Ab3dEf6hIj9lMn2pQr5tUv", "/api/v1/invitations/…"},
		{"/x/eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOjF9.abcDEF123_-x/more", "/x/…/more"},
	}
	for _, tt := range tests {
		if got := redactPath(tt.in); got != tt.want {
			t.Errorf("redactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestLogsHoldNoToken: an invite token sent to a mistyped path, a query, or a password link
// never reaches the log whole.
func TestLogsHoldNoToken(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	tok := s.toks[s.ids[0]]
	for _, p := range []string{"/R/" + tok, "/r/" + tok, "/respond?token=" + tok, "/console/password/" + tok, "/api/v1/" + tok} {
		s.page("GET", p, who{name: "none"}, nil, "")
	}
	sig := tok[strings.LastIndex(tok, ".")+1:]
	if strings.Contains(s.logs.String(), sig) {
		t.Fatalf("a token reached the log:\n%s", s.logs.String())
	}
}

// TestNoStore: every API answer carrying personal data or answers, and every export, tells
// caches to keep no copy.
func TestNoStore(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	tok := s.toks[s.ids[0]]
	for _, c := range []struct{ path, token string }{
		{fmt.Sprintf("/api/v1/studies/%d/panelists", s.sid), e.admin},
		{fmt.Sprintf("/api/v1/studies/%d/outbox", s.sid), e.admin},
		{fmt.Sprintf("/api/v1/studies/%d/audit", s.sid), e.admin},
		{"/api/v1/staff", e.admin},
		{"/api/v1/me", e.admin},
		{"/api/v1/respond", tok},
	} {
		r := e.must(e.call("GET", c.path, c.token, nil, nil), 200)
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q", c.path, cc)
		}
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", s.sid), e.admin, nil, nil), 200)
	for _, f := range []string{"report.json", "report.csv", "report.xlsx", "answers.csv"} {
		r := e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/%s", s.sid, f), e.admin, nil, nil), 200)
		if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("%s: Cache-Control %q", f, cc)
		}
	}
}
