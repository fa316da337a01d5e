package web

// Security tests: each promise of SECURITY.md that lives in the web layer, tried the way an
// attacker or an accident would try it. The API's own route table is checked in access_test.go;
// here every other registered route (pages, reports, static) must have a rule in pageRules.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// pageRules is the access rule of every route outside /api/v1. A route registered without a rule
// here fails TestPageRouteRules: add it, with the rule its handler enforces.
var pageRules = map[string]string{
	"GET /healthz":                  public,
	"GET /readyz":                   public,
	"GET /":                         public,
	"GET /static/*filepath":         public,
	"HEAD /static/*filepath":        public,
	"GET /r/:token":                 public, // the token in the path is the credential; checked by the handler
	"GET /console/login":            public,
	"POST /console/login":           public, // rate limited (TestLoginRateLimit)
	"POST /console/logout":          public, // CSRF-checked when a session exists
	"GET /console/password/:token":  public, // the token in the path is the credential
	"POST /console/password/:token": public, // the token, and the pre-session form token
	"GET /respond":                  expert,
	"POST /respond/consent":         expert,
	"GET /respond/section/:id":      expert,
	"POST /respond/section/:id":     expert,
	"GET /respond/review":           expert,
	"POST /respond/submit":          expert,
	"GET /respond/suggest":          expert,
	"POST /respond/suggest":         expert,
	"GET /respond/data":             expert,
	"GET /respond/my-data":          expert,
	"POST /respond/withdraw":        expert,

	"GET /console":                                     anyStaff,
	"GET /console/logout":                              anyStaff,
	"GET /console/account":                             anyStaff,
	"POST /console/account/password":                   anyStaff,
	"POST /console/account/sessions":                   anyStaff,
	"GET /console/studies/:sid/members":                runners,
	"POST /console/studies/:sid/members":               runners,
	"POST /console/studies/:sid/members/:id/remove":    runners,
	"GET /console/staff/:id":                           adminOnly,
	"POST /console/staff/:id":                          adminOnly,
	"POST /console/staff/:id/password-reset":           adminOnly,
	"POST /console/staff/:id/sessions":                 adminOnly,
	"GET /console/studies/:sid":                        anyStaff,
	"POST /console/studies":                            runners,
	"POST /console/studies/:sid/contact":               runners,
	"POST /console/studies/:sid/time-zone":             runners,
	"POST /console/studies/:sid/finish":                runners,
	"GET /console/studies/:sid/panel":                  runners,
	"POST /console/studies/:sid/panel":                 runners,
	"POST /console/studies/:sid/panel/preview":         runners,
	"POST /console/studies/:sid/panel/import":          runners,
	"GET /console/studies/:sid/panel/:pid":             runners,
	"GET /console/studies/:sid/panel/template.csv":     runners,
	"POST /console/studies/:sid/panel/:pid":            runners,
	"POST /console/studies/:sid/panel/:pid/withdraw":   runners,
	"GET /console/studies/:sid/rounds/new":             runners,
	"POST /console/studies/:sid/rounds":                runners,
	"GET /console/studies/:sid/rounds/:n":              runners,
	"POST /console/studies/:sid/rounds/:n/close":       runners,
	"POST /console/studies/:sid/rounds/:n/deadline":    runners,
	"POST /console/studies/:sid/rounds/:n/invitations": runners,
	"POST /console/studies/:sid/rounds/:n/links.csv":   runners,
	"POST /console/studies/:sid/rounds/:n/reissue":     runners,
	"POST /console/studies/:sid/rounds/:n/reminders":   runners,
	"GET /console/studies/:sid/outbox":                 runners,
	"GET /console/studies/:sid/suggestions":            runners,
	"POST /console/studies/:sid/suggestions/:id":       runners,
	"GET /console/studies/:sid/decisions":              anyStaff,
	"POST /console/studies/:sid/decisions":             runners,
	"GET /console/audit":                               adminOnly,
	"GET /console/studies/:sid/audit":                  adminOnly,
	"GET /console/staff":                               adminOnly,
	"POST /console/staff":                              adminOnly,

	"GET /reports":                        anyStaff,
	"GET /reports/studies/:sid/rounds/:n": anyStaff,
	"GET /reports/studies/:sid/outcome":   anyStaff,

	"GET /reports/meetings/:mid":            anyStaff, // the meeting's study is checked in the domain
	"GET /reports/studies/:sid/meetings":    anyStaff,
	"GET /reports/meetings/:mid/record":     anyStaff,
	"GET /reports/meetings/:mid/items":      runners, // checked in the domain, as the API's PUT …/items
	"POST /reports/meetings/:mid/items":     runners,
	"GET /reports/meetings/:mid/attendees":  runners, // names: the organisers who run it only
	"POST /reports/meetings/:mid/attendees": runners,
	"POST /reports/studies/:sid/meetings":   runners,
	"GET /m":                                public,
	"GET /m/:code":                          public,
	"POST /m":                               public, // the join form's pre-session token (delphi_join)
	"GET /m/vote":                           attendee,
	"POST /m/vote":                          attendee,
}

// secEnv is an env with a study, a panel, round 1 open and every kind of credential.
type secEnv struct {
	*env
	sid      int64
	ids      []int64
	toks     map[int64]string  // panelist → invite token
	invIDs   map[int64]string  // panelist → invitation id
	staff    map[string]string // role → session token
	sections []string
	items    []string
	meeting  meetingJSON // a meeting of the study, with the first item on its list
	attendee string      // an attendee's token for it
}

func newSecEnv(t *testing.T) *secEnv {
	t.Helper()
	e := newEnv(t)
	s := &secEnv{env: e, sid: e.study("example"), toks: map[int64]string{}, invIDs: map[int64]string{}, staff: map[string]string{"admin": e.admin}}
	s.ids = e.panel(s.sid, 10, "haematologist", "nurse")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", s.sid), e.admin, map[string]any{}, nil), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", s.sid), e.admin, nil, &links), 201)
	for _, l := range links {
		s.toks[l.PanelistID], s.invIDs[l.PanelistID] = l.Token, l.InvitationID
	}
	for _, role := range []string{"facilitator", "presenter"} {
		id := e.addStaff(role+"@test", role, "password-"+role)
		e.member(s.sid, id, role)
		s.staff[role] = e.login(role+"@test", "password-"+role)
	}
	// a facilitator of another study: this one does not exist for them
	e.addStaff("outsider@test", "facilitator", "password-outsider")
	s.staff["outsider"] = e.login("outsider@test", "password-outsider")
	var other studyJSON
	e.must(e.call("POST", "/api/v1/studies", s.staff["outsider"], map[string]string{"survey": "example"}, &other), 201)
	var st studyJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", s.sid), e.admin, nil, &st), 200)
	for _, sec := range st.Definition.Sections {
		s.sections = append(s.sections, sec.ID)
	}
	for _, it := range st.Definition.Items() {
		s.items = append(s.items, it.ID)
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/meetings", s.sid), e.admin, map[string]any{"title": "Workshop", "date": "2026-05-01", "items": s.items[:2]}, &s.meeting), 201)
	var j delphi.Joined
	e.must(e.call("POST", "/api/v1/meetings/join", "", map[string]any{"code": s.meeting.JoinCode, "name": "Someone", "group": "nurse"}, &j), 201)
	s.attendee = j.Token
	return s
}

// who is a set of credentials sent as cookies, the way a browser sends them.
type who struct {
	name   string
	cookie *http.Cookie
	csrf   string // the session's CSRF token
}

func (s *secEnv) cookieUsers() map[string]who {
	out := map[string]who{"none": {name: "none"}}
	for role, tok := range s.staff {
		sess, err := s.signer.ParseSession(tok)
		if err != nil {
			s.t.Fatal(err)
		}
		out[role] = who{name: role, cookie: &http.Cookie{Name: staffCookie, Value: tok}, csrf: s.signer.CSRF(sess.ID)}
	}
	p := s.ids[0]
	out["expert"] = who{name: "expert", cookie: &http.Cookie{Name: expertCookie, Value: s.toks[p]}, csrf: s.signer.CSRF("expert:" + s.invIDs[p])}
	a, err := s.signer.ParseAttendee(s.attendee)
	if err != nil {
		s.t.Fatal(err)
	}
	out["attendee"] = who{name: "attendee", cookie: &http.Cookie{Name: attendeeCookie, Value: s.attendee}, csrf: s.signer.CSRF(attendeeCSRFKey(a))}
	return out
}

// page sends a browser-like request: cookie, optional form with CSRF, no redirects followed;
// errors are asked for as JSON so that the test can read their code and field.
func (s *secEnv) page(method, path string, u who, form url.Values, csrf string) response {
	s.t.Helper()
	var body io.Reader
	if method != "GET" && method != "HEAD" {
		if form == nil {
			form = url.Values{}
		}
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	if u.cookie != nil {
		req.AddCookie(u.cookie)
	}
	sent := requestBody(s.t, req)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 20 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: b}
	s.env.checkAPI(req, sent, r)
	return r
}

// fill puts real values in a route's parameters.
func (s *secEnv) fill(path string) string {
	return strings.NewReplacer(":sid", fmt.Sprint(s.sid), ":pid", fmt.Sprint(s.ids[1]), ":n", "1", ":id", s.sections[0],
		":token", s.toks[s.ids[2]], "*filepath", "console.css", ":mid", fmt.Sprint(s.meeting.ID), ":code", s.meeting.JoinCode).Replace(path)
}

// denied reports whether a response is an access refusal (and not a domain error such as 404).
func denied(r response) bool {
	switch r.Status {
	case http.StatusUnauthorized:
		return true
	case http.StatusSeeOther, http.StatusFound:
		return strings.HasPrefix(r.Header.Get("Location"), "/console/login")
	case http.StatusForbidden:
		var b apiErrorBody
		_ = json.Unmarshal(r.Body, &b)
		return b.Error.Field == "csrf" || strings.Contains(b.Error.Message, "may not") || strings.Contains(b.Error.Message, "only admins") ||
			strings.Contains(b.Error.Message, "only facilitators and admins")
	}
	return false
}

func isCSRFRefusal(r response) bool {
	var b apiErrorBody
	_ = json.Unmarshal(r.Body, &b)
	return r.Status == http.StatusForbidden && b.Error.Field == "csrf"
}

// TestPageRouteRules walks every route gin has registered: API routes must be in apiRoutes
// (checked by TestAPIAccessRules), every other route must have a rule in pageRules, and each
// rule is enforced for no credentials, each staff role and an expert, with cookies as a browser
// sends them. Every unsafe page route refuses a missing or foreign CSRF token.
func TestPageRouteRules(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	api := map[string]bool{}
	for _, rt := range e.web.apiRoutes() {
		api[rt.method+" /api/v1"+rt.path] = true
	}
	var pages []string
	for _, rt := range e.web.engine.Routes() {
		key := rt.Method + " " + rt.Path
		if api[key] {
			continue
		}
		if strings.HasPrefix(rt.Path, "/api/") {
			t.Errorf("%s is under /api/ but not in apiRoutes: it has no access rule", key)
			continue
		}
		if _, ok := pageRules[key]; !ok {
			t.Errorf("route %s has no rule in pageRules (security_test.go): add the rule its handler enforces", key)
			continue
		}
		pages = append(pages, key)
	}
	for key := range pageRules {
		if !contains(pages, key) {
			t.Logf("pageRules lists %s, which is not registered (removed?)", key)
		}
	}
	// consent first, so that a refusal of an expert's POST can only come from the guard
	e.must(e.call("POST", "/api/v1/respond/consent", s.toks[s.ids[0]], nil, nil), 200)

	allowed := map[string][]string{
		public:    {"none", "admin", "facilitator", "presenter", "expert", "attendee"},
		expert:    {"expert"},
		attendee:  {"attendee"},
		anyStaff:  {"admin", "facilitator", "presenter"},
		runners:   {"admin", "facilitator"},
		adminOnly: {"admin"},
	}
	users := s.cookieUsers()
	names := []string{"none", "expert", "attendee", "presenter", "facilitator", "admin", "outsider"}
	// safe methods first: unsafe ones may change state (close the round, finish the study)
	sort.SliceStable(pages, func(i, j int) bool {
		return strings.HasPrefix(pages[i], "GET") && !strings.HasPrefix(pages[j], "GET")
	})
	for _, key := range pages {
		if key == "POST /console/logout" {
			continue // TestLogoutCSRF
		}
		method, path, _ := strings.Cut(key, " ")
		rule := pageRules[key]
		ok := allowed[rule]
		for _, name := range names {
			u := users[name]
			t.Run(key+" as "+name, func(t *testing.T) {
				if name == "outsider" {
					// a facilitator of another study: a route naming this study (or its meeting)
					// answers 404, as for a study that does not exist; others as for any facilitator
					if !(strings.Contains(path, ":sid") || strings.Contains(path, ":mid")) || !contains(ok, "facilitator") {
						return
					}
					r := s.page(method, s.fill(path), u, nil, u.csrf)
					if r.Status != http.StatusNotFound {
						t.Fatalf("a member of another study: %d %.300s, want 404", r.Status, r.Body)
					}
					return
				}
				// the sign-in and password forms have no session yet: their token is the pre-session's
				presession := key == "POST /console/login" || key == "POST /console/password/:token" || key == "POST /m"
				if method != "GET" && method != "HEAD" && u.cookie != nil && !presession {
					// no CSRF token, then another session's: refused before the handler runs
					if r := s.page(method, s.fill(path), u, nil, ""); !isCSRFRefusal(r) && contains(ok, name) {
						t.Fatalf("without a CSRF token: %d %.300s", r.Status, r.Body)
					}
					other := users["facilitator"].csrf
					if name == "facilitator" {
						other = users["admin"].csrf
					}
					if r := s.page(method, s.fill(path), u, nil, other); !isCSRFRefusal(r) && contains(ok, name) {
						t.Fatalf("with another session's CSRF token: %d %.300s", r.Status, r.Body)
					}
				}
				r := s.page(method, s.fill(path), u, nil, u.csrf)
				if r.Status >= 500 {
					t.Fatalf("server error: %s", r)
				}
				if contains(ok, name) && denied(r) && key != "POST /console/login" && key != "POST /m" { // a wrong password is 401; the join form's token is the pre-session's
					t.Fatalf("%s should be allowed (%s): %d %.300s", name, rule, r.Status, r.Body)
				}
				if !contains(ok, name) && !denied(r) {
					t.Fatalf("%s should be refused (%s): %d %s %.300s", name, rule, r.Status, r.Header.Get("Location"), r.Body)
				}
			})
		}
	}
}

var postFormRe = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)

// TestFormsCarryCSRF renders every page a browser can GET, as each role that may, and checks
// that every POST form on it carries the session's CSRF token.
func TestFormsCarryCSRF(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	e.must(e.call("POST", "/api/v1/respond/suggestions", s.toks[s.ids[0]], map[string]string{"label": "A new item", "rationale": "why"}, nil), 201)
	users := s.cookieUsers()
	checked := 0
	for _, rt := range e.web.engine.Routes() {
		if rt.Method != "GET" || strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/static") || rt.Path == "/r/:token" {
			continue
		}
		for _, name := range []string{"admin", "presenter", "expert", "none"} {
			u := users[name]
			r := s.page("GET", s.fill(rt.Path), u, nil, "")
			if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
				continue
			}
			for _, m := range postFormRe.FindAllStringSubmatch(string(r.Body), -1) {
				if !regexp.MustCompile(`(?i)method="?post`).MatchString(m[1]) {
					continue
				}
				checked++
				if rt.Path == "/console/login" || rt.Path == "/m" || rt.Path == "/m/:code" {
					// no session yet: the token is the pre-session's (TestPageRouteRules sends without it)
					if !strings.Contains(m[2], `name="csrf"`) {
						t.Errorf("GET %s: the form carries no pre-session token", rt.Path)
					}
					continue
				}
				if !strings.Contains(m[2], `name="csrf"`) || u.csrf == "" || !strings.Contains(m[2], u.csrf) {
					t.Errorf("GET %s as %s: a POST form without the session's CSRF token: <form%s>", rt.Path, name, m[1])
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d POST forms found: the pages did not render", checked)
	}
	t.Logf("%d POST forms checked", checked)
}

// TestStaffSessionExpiry: a session stops working when it expires, on the API and the console.
func TestStaffSessionExpiry(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	users := s.cookieUsers()
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, nil), 200)
	if r := s.page("GET", "/console", users["admin"], nil, ""); r.Status != 200 {
		t.Fatalf("console before expiry: %s", r)
	}
	e.clock.Add(e.web.SessionTTL + time.Minute)
	r := e.call("GET", "/api/v1/me", e.admin, nil, nil)
	if r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("API after expiry: %s", r)
	}
	if r := s.page("GET", "/console", users["admin"], nil, ""); !denied(r) {
		t.Fatalf("console after expiry: %s", r)
	}
	if r := s.page("POST", "/console/studies", users["admin"], nil, users["admin"].csrf); r.Status != 401 {
		t.Fatalf("console form after expiry: %s", r)
	}
}

// TestLoginRateLimit: failed sign-ins only count. An account has five free failures, then each
// attempt waits a doubling delay (429 with Retry-After, even for the right password); a success
// clears the account's count; many staff behind one address all sign in; the address limit
// holds whatever X-Forwarded-For says; sign-ins, failures and delays are audited, without
// passwords.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	try := func(email, pw string, hdr ...string) response {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/auth/login", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return e.do(req, nil)
	}
	const secret = "wrong guess 1234"
	t.Run("a success clears the account's count", func(t *testing.T) {
		for round := 0; round < 3; round++ {
			for i := 0; i < freeAccountFailures-1; i++ {
				if r := try("admin@test", secret); r.Status != 401 {
					t.Fatalf("round %d failure %d: %s", round, i+1, r)
				}
			}
			if r := try("admin@test", adminPassword); r.Status != 200 {
				t.Fatalf("round %d: the right password after %d failures: %s", round, freeAccountFailures-1, r)
			}
		}
	})
	t.Run("a guessed account waits, then signs in", func(t *testing.T) {
		for i := 0; i < freeAccountFailures; i++ {
			if r := try("admin@test", secret); r.Status != 401 {
				t.Fatalf("failure %d: %s", i+1, r)
			}
		}
		r := try("admin@test", adminPassword)
		if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(string(r.Body), "too many failed sign-ins") {
			t.Fatalf("right password while delayed: %s (Retry-After %q), want 429", r, r.Header.Get("Retry-After"))
		}
		e.clock.Add(2 * time.Second)
		if r := try("admin@test", secret); r.Status != 401 {
			t.Fatalf("a wrong guess after the delay: %s", r)
		}
		e.clock.Add(time.Second) // the delay doubled: 2 s
		if r := try("admin@test", adminPassword); r.Status != 429 {
			t.Fatalf("1 s into a 2 s delay: %s", r)
		}
		e.clock.Add(time.Second)
		if r := try("admin@test", adminPassword); r.Status != 200 {
			t.Fatalf("after the delay, right password: %s", r)
		}
	})
	t.Run("staff behind one address all sign in", func(t *testing.T) {
		for i := 0; i < 40; i++ {
			email := fmt.Sprintf("nurse%d@hospital.test", i)
			e.addStaff(email, "presenter", "a long enough password")
			if i%4 == 0 { // some mistype first
				if r := try(email, "a long enough passwort"); r.Status != 401 {
					t.Fatalf("%s mistyped: %s", email, r)
				}
			}
			if r := try(email, "a long enough password"); r.Status != 200 {
				t.Fatalf("%s, one of many at one address: %s", email, r)
			}
		}
	})
	t.Run("guessing across accounts from one address is delayed", func(t *testing.T) {
		for i := 0; i < freeAddressFailures; i++ {
			if r := try(fmt.Sprintf("guess%d@test", i), secret); r.Status == 429 {
				break
			}
		}
		if r := try("admin@test", adminPassword); r.Status != 429 {
			t.Fatalf("after %d failures from one address: %s, want 429", freeAddressFailures, r)
		}
		if r := try("admin@test", adminPassword, "X-Forwarded-For", "203.0.113.7"); r.Status != 429 {
			t.Fatalf("a forged X-Forwarded-For escapes the per-address limit (%d)", r.Status)
		}
		form := url.Values{"email": {"admin@test"}, "password": {adminPassword}}
		req, _ := http.NewRequest("POST", e.srv.URL+"/console/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res := e.do(req, nil); res.Status != 429 && res.Status != 403 {
			t.Fatalf("console sign-in while delayed: %d", res.Status)
		}
		e.clock.Add(16 * time.Minute)
		e.login("admin@test", adminPassword)
	})
	t.Run("audited without passwords", func(t *testing.T) {
		log, err := e.store.AuditLog(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, a := range log {
			seen[a.Action]++
			if strings.Contains(a.Detail, secret) || strings.Contains(a.Detail, adminPassword) || strings.Contains(a.Detail, `"password":`) {
				t.Errorf("a password in the audit log: %+v", a)
			}
		}
		for _, want := range []string{"staff.signin", "staff.signin.failed", "staff.signin.delayed"} {
			if seen[want] == 0 {
				t.Errorf("no %s in the audit log (%v)", want, seen)
			}
		}
		if strings.Contains(e.logs.String(), secret) || strings.Contains(e.logs.String(), adminPassword) {
			t.Error("a password reached the log")
		}
	})
}

// TestInviteLinkAttacks: every kind of bad invite token is refused with the right status on the
// API, on the link page and as a cookie, and none reaches a questionnaire.
func TestInviteLinkAttacks(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	ctx := context.Background()
	p0, p1, p2, p3 := s.ids[0], s.ids[1], s.ids[2], s.ids[3]
	good := s.toks[p0]
	e.must(e.call("GET", "/api/v1/respond", good, nil, nil), 200)

	// a second study, whose panelist's invitation row is then borrowed
	sid2 := e.study("example")
	ids2 := e.panel(sid2, 1, "nurse")
	_ = ids2
	tamper := func(tok string, f func(map[string]any)) string {
		parts := strings.Split(tok, ".")
		b, _ := base64URLDecode(parts[1])
		var m map[string]any
		json.Unmarshal(b, &m)
		f(m)
		nb, _ := json.Marshal(m)
		parts[1] = base64URLEncode(nb)
		return strings.Join(parts, ".")
	}
	resign := func(inv auth.Invite) string {
		tok, err := s.signer.SignInvite(inv)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	otherKey, _ := auth.New([]byte("fedcba9876543210fedcba9876543210"), e.clock.Now)
	wrongKey, _ := otherKey.SignInvite(auth.Invite{ID: s.invIDs[p0], StudyID: s.sid, PanelistID: p0, Expires: e.clock.Now().Add(time.Hour)})
	header := func(alg string) string { return base64URLEncode([]byte(`{"alg":"` + alg + `","typ":"JWT"}`)) }
	body := strings.Split(good, ".")[1]

	// revoked: p1's link is revoked
	e.must(e.call("DELETE", "/api/v1/invitations/"+s.invIDs[p1], e.admin, nil, nil), 204)
	// re-issued: p2 gets a new link; the old one is replaced
	oldP2 := s.toks[p2]
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", s.sid), e.admin, map[string]any{"panelists": []int64{p2}}, nil), 201)
	// withdrawn: p3 leaves the panel
	e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/panelists/%d", s.sid, p3), e.admin, nil, nil), 204)

	expiring := resign(auth.Invite{ID: s.invIDs[s.ids[4]], StudyID: s.sid, PanelistID: s.ids[4], Expires: e.clock.Now().Add(time.Minute)})
	future, _ := auth.New([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return e.clock.Now().Add(time.Hour) })
	notYet, _ := future.SignInvite(auth.Invite{ID: s.invIDs[s.ids[5]], StudyID: s.sid, PanelistID: s.ids[5], Expires: e.clock.Now().Add(48 * time.Hour)})
	staffTok := e.admin

	tests := []struct {
		name   string
		tok    string
		status int
	}{
		{"alg none", header("none") + "." + body + ".", 401},
		{"alg none, signature kept", header("none") + "." + body + "." + strings.Split(good, ".")[2], 401},
		{"HS/RS confusion", header("RS256") + "." + body + "." + strings.Split(good, ".")[2], 401},
		{"HS512 header", header("HS512") + "." + body + "." + strings.Split(good, ".")[2], 401},
		{"wrong key", wrongKey, 401},
		{"changed panelist claim", tamper(good, func(m map[string]any) { m["pid"] = float64(p1) }), 401},
		{"changed study claim", tamper(good, func(m map[string]any) { m["sid"] = float64(sid2) }), 401},
		{"changed expiry", tamper(good, func(m map[string]any) { m["exp"] = float64(e.clock.Now().Add(9999 * time.Hour).Unix()) }), 401},
		{"signed, another study's id on this invitation", resign(auth.Invite{ID: s.invIDs[p0], StudyID: sid2, PanelistID: p0, Expires: e.clock.Now().Add(time.Hour)}), 401},
		{"signed, another panelist on this invitation", resign(auth.Invite{ID: s.invIDs[p0], StudyID: s.sid, PanelistID: p1, Expires: e.clock.Now().Add(time.Hour)}), 401},
		{"signed, unknown invitation id", resign(auth.Invite{ID: "not-issued", StudyID: s.sid, PanelistID: p0, Expires: e.clock.Now().Add(time.Hour)}), 401},
		{"not yet valid", notYet, 401},
		{"revoked", s.toks[p1], 410},
		{"re-issued (the old one)", oldP2, 410},
		{"withdrawn panelist", s.toks[p3], 410},
		{"staff session as invite", staffTok, 401},
		{"garbage", "abc.def.ghi", 401},
		{"empty segments", "..", 401},
		{"huge", strings.Repeat("a", 5000), 401},
	}
	e.clock.Add(0)
	check := func(t *testing.T, tok string, status int) {
		t.Helper()
		r := e.call("GET", "/api/v1/respond", tok, nil, nil)
		if r.Status != status {
			t.Fatalf("API: %s, want %d", r, status)
		}
		r = e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(5)}}}, nil)
		if r.Status != status {
			t.Fatalf("API save: %s, want %d", r, status)
		}
		// the link page refuses and sets no cookie holding the token
		pr := s.page("GET", "/r/"+url.PathEscape(tok), who{}, nil, "")
		if pr.Status == http.StatusSeeOther || pr.Status == 200 && bytes.Contains(pr.Body, []byte(`name="csrf"`)) {
			t.Fatalf("link page let the token in: %d %s", pr.Status, pr.Header.Get("Location"))
		}
		for _, ck := range pr.Header.Values("Set-Cookie") {
			if strings.HasPrefix(ck, expertCookie+"=") && !strings.HasPrefix(ck, expertCookie+"=;") && strings.Contains(ck, "Max-Age") == false {
				t.Fatalf("link page set the expert cookie: %s", ck)
			}
		}
		// as a cookie, the questionnaire stays shut
		for _, path := range []string{"/respond", "/respond/section/" + s.sections[0], "/respond/review"} {
			cr := s.page("GET", path, who{cookie: &http.Cookie{Name: expertCookie, Value: tok}}, nil, "")
			if cr.Status != status {
				t.Fatalf("cookie on %s: %s, want %d", path, cr, status)
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { check(t, tt.tok, tt.status) })
	}
	// expired: the clock passes the link's expiry
	e.clock.Add(2 * time.Minute)
	t.Run("expired", func(t *testing.T) { check(t, expiring, 410) })
	// the good link still works, and its expert sees only their own study
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", good, nil, &q), 200)
	if q.Study.ID != s.sid {
		t.Fatalf("expert sees study %d", q.Study.ID)
	}
	if _, err := e.svc.Expert(ctx, oldP2); err != delphi.ErrLinkRevoked {
		t.Fatalf("old link: %v", err)
	}
}

func base64URLDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func base64URLEncode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestExpertIsolation: experts cannot read or change another expert's answers, name another
// panelist in a request, nor see any results before the round closes.
func TestExpertIsolation(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	a, b := s.toks[s.ids[0]], s.toks[s.ids[1]]
	for _, tok := range []string{a, b} {
		e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	}
	e.must(e.call("PUT", "/api/v1/respond/answers", a, map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(9), Comment: "secret of A"}}}, nil), 200)
	// B cannot name A in a save: unknown fields are refused
	for _, body := range []string{
		fmt.Sprintf(`{"answers":[{"item":%q,"rating":1}],"panelist_id":%d}`, s.items[0], s.ids[0]),
		fmt.Sprintf(`{"answers":[{"item":%q,"rating":1,"panelist":%d}]}`, s.items[0], s.ids[0]),
		fmt.Sprintf(`{"answers":[{"item":%q,"rating":1}],"token":%q}`, s.items[0], a),
	} {
		if r := e.call("PUT", "/api/v1/respond/answers", b, body, nil); r.Status != 400 {
			t.Fatalf("save naming another panelist: %s", r)
		}
	}
	e.must(e.call("PUT", "/api/v1/respond/answers", b, map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(1)}}}, nil), 200)
	var qa, qb respondJSON
	e.must(e.call("GET", "/api/v1/respond", a, nil, &qa), 200)
	e.must(e.call("GET", "/api/v1/respond", b, nil, &qb), 200)
	if len(qa.Answers) != 1 || *qa.Answers[0].Rating != 9 || qa.Answers[0].Comment != "secret of A" {
		t.Fatalf("A's answers changed: %+v", qa.Answers)
	}
	if len(qb.Answers) != 1 || *qb.Answers[0].Rating != 1 {
		t.Fatalf("B's answers: %+v", qb.Answers)
	}
	// B's pages do not show A's comment
	users := s.cookieUsers()
	bu := who{cookie: &http.Cookie{Name: expertCookie, Value: b}}
	for _, path := range []string{"/respond", "/respond/section/" + s.sections[0], "/respond/review"} {
		if r := s.page("GET", path, bu, nil, ""); bytes.Contains(r.Body, []byte("secret of A")) {
			t.Fatalf("B sees A's comment on %s", path)
		}
	}
	// no results for anyone before close; never for experts through staff routes
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", s.sid), e.admin, nil, nil), http.StatusConflict)
	for _, path := range []string{"report.json", "report.csv", "report.html", "answers.csv", "comments.csv"} {
		if r := e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/%s", s.sid, path), a, nil, nil); r.Status != 401 {
			t.Fatalf("expert token on %s: %s", path, r)
		}
	}
	for _, path := range []string{"/reports", fmt.Sprintf("/reports/studies/%d/rounds/1", s.sid), fmt.Sprintf("/console/studies/%d/rounds/1", s.sid)} {
		if r := s.page("GET", path, users["expert"], nil, ""); !denied(r) {
			t.Fatalf("expert cookie on %s: %s", path, r)
		}
	}
	// round 1 shows no feedback at all
	for _, it := range qa.Items {
		if it.Feedback != nil {
			t.Fatalf("feedback in round 1: %+v", it.Feedback)
		}
	}
	// after the close, in round 2, A sees the aggregate and their own answer, not B's
	for _, tok := range []string{a, b} {
		e.must(e.call("POST", "/api/v1/respond/submit", tok, nil, nil), 200)
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", s.sid), e.admin, nil, nil), 200)
	if r := e.call("PUT", "/api/v1/respond/answers", b, map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(2)}}}, nil); r.Status != 409 {
		t.Fatalf("change after close: %s", r)
	}
}

// TestSmallGroupFeedback: feedback never breaks out a group below min_group_size, and never
// shows enough to work a hidden group's ratings out by subtraction (overall minus the shown
// groups).
func TestSmallGroupFeedback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example") // min_group_size: 3
	// 4 haematologists, 4 nurses, 1 data manager (a group of one)
	ids := e.panel(sid, 9, "haematologist", "haematologist", "haematologist", "haematologist", "nurse", "nurse", "nurse", "nurse", "data_manager")
	_, toks := e.openRound(sid)
	for i, id := range ids {
		v := 5
		if i == 8 {
			v = 9 // the lone data manager's rating: must not be learnable
		}
		e.answerAll(toks[id], func(string) *int { return ip(v) }, "")
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/2/invitations", sid), e.admin, nil, &links), 201)
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", links[0].Token, nil, &q), 200)
	if len(q.Items) == 0 || q.Items[0].Feedback == nil {
		t.Fatalf("no feedback in round 2: %+v", q.Items)
	}
	for _, it := range q.Items {
		f := it.Feedback
		if f == nil {
			continue
		}
		shown := 0
		for _, g := range f.Groups {
			if g.NRated < 3 {
				t.Fatalf("%s: group %s with %d ratings broken out", it.ID, g.ID, g.NRated)
			}
			if g.ID == "data_manager" {
				t.Fatalf("%s: the lone data manager is shown", it.ID)
			}
			shown += g.NRated
		}
		if rest := f.NRated - shown; rest > 0 && rest < 3 {
			t.Fatalf("%s: overall %d ratings minus the groups shown (%d) leaves %d: a hidden group's ratings follow by subtraction",
				it.ID, f.NRated, shown, rest)
		}
		if f.HiddenGroups == 0 {
			t.Fatalf("%s: hidden groups not counted", it.ID)
		}
	}
}

// hostile is a payload for every free-text field: script, markup breaking out of an attribute,
// a javascript: URL and a spreadsheet formula.
const hostile = `<script>alert(1)</script>"><img src=x onerror=alert(2)>javascript:alert(3)`

// rawHostile finds the payload's markup unescaped.
var rawHostile = regexp.MustCompile(`(?i)<script>alert|<img src=x onerror|"><img`)

// TestHostileTextInert puts hostile text in every free-text field (survey texts, study title and
// contact, panelist names, comments, reasons, suggestions, triage notes, staff names), runs the
// study into round 2 so that the texts reach feedback and reports, then fetches every page,
// every API GET and every export as each role: no payload comes out as markup, every HTML page
// has the CSP, and spreadsheet exports neutralise formulas.
func TestHostileTextInert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	def, err := surveys.FS.Open("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yb, _ := io.ReadAll(def)
	// every quoted English text of the definition becomes hostile (labels, descriptions, groups,
	// bands, scale points, sections)
	yaml := regexp.MustCompile(`en: "`).ReplaceAllString(string(yb), `en: "`+strings.ReplaceAll(hostile, `"`, `\"`)+` `)
	var st studyJSON
	e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"definition": yaml, "title": "T " + hostile, "contact_name": "c " + hostile, "contact": "c@example.org"}, &st), 201)
	sid := st.ID
	groups := []string{"haematologist", "nurse"}
	rows := make([]delphi.PanelistInput, 8)
	for i := range rows {
		rows[i] = delphi.PanelistInput{Name: fmt.Sprintf("=HYPERLINK(\"http://evil\") %s %d", hostile, i), Email: fmt.Sprintf("h%d@example.org", i),
			Group: groups[i%2], Country: "DE", Language: "en"}
	}
	var ps []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, rows, &ps), 201)
	e.must(e.call("POST", "/api/v1/staff", e.admin, delphi.NewStaff{Email: "p@test", Name: "N " + hostile, Role: "presenter", Password: "password-presenting"}, nil), 201)
	presenter := e.login("p@test", "password-presenting")
	_, toks := e.openRound(sid)
	formula := `=cmd|' /C calc'!A0 ` + hostile
	var sg delphi.Suggestion
	e.must(e.call("POST", "/api/v1/respond/consent", toks[ps[0].ID], nil, nil), 200)
	e.must(e.call("POST", "/api/v1/respond/suggestions", toks[ps[0].ID], map[string]string{"label": "+1+1 " + hostile, "rationale": "@SUM(1) " + hostile}, &sg), 201)
	for _, p := range ps {
		v := 2 + 6*(int(p.ID)%2) // half 2, half 8: no consensus, so round 2 asks every item again
		e.answerAll(toks[p.ID], func(string) *int { return ip(v) }, formula)
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/suggestions/%d/triage", sid, sg.ID), e.admin,
		delphi.Triage{Decision: "reject", Note: "-2+3 " + hostile}, nil), 204)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	n2, toks2 := e.openRound(sid)
	if n2 != 2 {
		t.Fatal("round 2")
	}
	var tok2 string
	for _, v := range toks2 {
		tok2 = v
		break
	}
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", tok2, nil, &q), 200)
	if len(q.Items) == 0 || q.Items[0].Feedback == nil || len(q.Items[0].Feedback.Comments) == 0 {
		t.Fatalf("round 2 feedback lacks the comments: %+v", q.Items)
	}
	e.must(e.call("POST", "/api/v1/respond/consent", tok2, nil, nil), 200)

	sess, _ := e.signer.ParseSession(e.admin)
	adminU := who{name: "admin", cookie: &http.Cookie{Name: staffCookie, Value: e.admin}, csrf: e.signer.CSRF(sess.ID)}
	presU := who{name: "presenter", cookie: &http.Cookie{Name: staffCookie, Value: presenter}}
	expU := who{name: "expert", cookie: &http.Cookie{Name: expertCookie, Value: tok2}}
	s := &secEnv{env: e, sid: sid, ids: []int64{ps[0].ID, ps[1].ID}, toks: toks2, sections: []string{st.Definition.Sections[0].ID}}
	fill := strings.NewReplacer(":sid", fmt.Sprint(sid), ":pid", fmt.Sprint(ps[1].ID), ":n", "1", ":id", st.Definition.Sections[0].ID)
	htmlPages, apiGets := 0, 0
	check := func(what string, r response) {
		t.Helper()
		if r.Status >= 500 {
			t.Errorf("%s: %s", what, r)
		}
		if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/csv") {
			// CSV is data, not a page: it must not be sniffed or shown inline by a browser
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("%s: CSV served as %q, disposition %q", what, ct, r.Header.Get("Content-Disposition"))
			}
			return
		}
		if m := rawHostile.Find(r.Body); m != nil {
			i := bytes.Index(r.Body, m)
			t.Errorf("%s: the payload comes out as markup: …%s…", what, r.Body[max(0, i-80):min(len(r.Body), i+80)])
		}
		if strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			htmlPages++
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: CSP %q", what, csp)
			}
		}
	}
	for _, rt := range e.web.engine.Routes() {
		if rt.Method != "GET" || strings.HasPrefix(rt.Path, "/static") || rt.Path == "/r/:token" {
			continue
		}
		if strings.HasPrefix(rt.Path, "/api/") {
			for _, tok := range []string{e.admin, tok2} {
				for _, n := range []string{"1", "2"} {
					p := strings.NewReplacer(":sid", fmt.Sprint(sid), ":pid", fmt.Sprint(ps[1].ID), ":n", n, ":id", "1").Replace(rt.Path)
					if strings.Contains(p, ":file") {
						for _, f := range []string{"report.json", "report.html", "report.csv", "comments.csv", "answers.csv", "outcome.csv"} {
							check("GET "+p+" "+f, e.call("GET", strings.Replace(p, ":file", f, 1), tok, nil, nil))
							apiGets++
						}
						continue
					}
					check("GET "+p, e.call("GET", p, tok, nil, nil))
					apiGets++
				}
			}
			continue
		}
		for _, u := range []who{adminU, presU, expU} {
			for _, n := range []string{"1", "2"} {
				p := strings.Replace(fill.Replace(rt.Path), "/rounds/1", "/rounds/"+n, 1)
				check("GET "+p+" as "+u.name, s.page("GET", p, u, nil, ""))
			}
		}
	}
	// the expert's own pages with a comment saved in round 2, and the links CSV
	e.must(e.call("PUT", "/api/v1/respond/answers", tok2, map[string]any{"answers": []delphi.Answer{{Item: q.Items[0].ID, Rating: ip(3), Comment: hostile, Reason: hostile}}}, nil), 200)
	for _, p := range []string{"/respond", "/respond/review", "/respond/section/" + q.Items[0].SectionID, "/respond/suggest"} {
		check("GET "+p+" after save", s.page("GET", p, expU, nil, ""))
	}
	if htmlPages < 10 || apiGets < 10 {
		t.Fatalf("only %d HTML pages and %d API answers checked", htmlPages, apiGets)
	}
	t.Logf("%d HTML pages and %d API answers checked", htmlPages, apiGets)

	// spreadsheet exports: no text cell starts a formula
	formulaStart := regexp.MustCompile(`(?m)(^|,)"?[=+\-@]`)
	for _, f := range []string{"report.csv", "comments.csv", "answers.csv", "outcome.csv"} {
		r := e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/%s", sid, f), e.admin, nil, nil)
		if r.Status != 200 {
			t.Errorf("%s: %s", f, r)
			continue
		}
		for _, line := range strings.Split(string(r.Body), "\n") {
			for _, cell := range splitCSVLine(line) {
				if cell != "" && strings.ContainsRune("=+@", rune(cell[0])) || strings.HasPrefix(cell, "-") && !isNumber(cell) {
					t.Errorf("%s: a cell starts a formula: %q", f, cell)
				}
			}
		}
		_ = formulaStart
	}
	links := s.page("POST", fmt.Sprintf("/console/studies/%d/rounds/2/links.csv", sid), adminU, nil, adminU.csrf)
	if links.Status != 200 || bytes.Contains(links.Body, []byte("\n=")) || bytes.Contains(links.Body, []byte(",=")) {
		t.Errorf("links.csv: %d %.300s", links.Status, links.Body)
	}
	r := e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.xlsx", sid), e.admin, nil, nil)
	if r.Status != 200 {
		t.Fatalf("report.xlsx: %s", r)
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	cells := 0
	for _, sheet := range x.GetSheetList() {
		rows, _ := x.GetRows(sheet)
		for i, row := range rows {
			for j, v := range row {
				ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if f, _ := x.GetCellFormula(sheet, ref); f != "" {
					t.Errorf("xlsx %s!%s holds a formula %q", sheet, ref, f)
				}
				if v != "" && strings.ContainsRune("=+@", rune(v[0])) {
					t.Errorf("xlsx %s!%s starts a formula: %q", sheet, ref, v)
				}
				cells++
			}
		}
	}
	if cells == 0 {
		t.Fatal("empty workbook")
	}
}

// splitCSVLine splits one CSV line roughly (quoted cells keep their commas); enough to see
// how each cell begins.
func splitCSVLine(line string) []string {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range line {
		switch {
		case r == '"':
			inQ = !inQ
		case r == ',' && !inQ:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

func isNumber(s string) bool {
	var f float64
	_, err := fmt.Sscan(s, &f)
	return err == nil
}

// TestInputAbuse sends what a careless or hostile client might: every one is refused with a
// 4xx and a JSON error, never a 500, and never left hanging.
func TestInputAbuse(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	tok := s.toks[s.ids[0]]
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	item := s.items[0]
	panel := fmt.Sprintf("/api/v1/studies/%d/panelists", s.sid)
	manyRows := "name,email,group\n" + strings.Repeat("a,b@x.org,nurse\n", delphi.MaxPanelRows+1)
	many := make([]delphi.Answer, delphi.MaxAnswers+1)
	for i := range many {
		many[i] = delphi.Answer{Item: item, Rating: ip(5)}
	}
	manyJSON, _ := json.Marshal(map[string]any{"answers": many})
	tests := []struct {
		name, method, path, token, ct string
		body                          string
		status                        int
	}{
		{"deep JSON arrays", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`, 400},
		{"deep JSON objects", "POST", "/api/v1/studies", e.admin, "application/json", strings.Repeat(`{"survey":`, 50000) + `"x"` + strings.Repeat("}", 50000), 400},
		{"truncated JSON", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item, 400},
		{"invalid UTF-8 in a JSON string", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item + `","rating":5,"comment":"a` + "\xff\xfe" + `b"}]}`, 400},
		{"invalid UTF-8 outside strings", "PUT", "/api/v1/respond/answers", tok, "application/json", "{\xff\"answers\":[]}", 400},
		{"overlong UTF-8 encoding", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item + `","rating":5,"comment":"` + "\xc0\xbcscript\xc0\xbe" + `"}]}`, 400},
		{"UTF-16 body", "PUT", "/api/v1/respond/answers", tok, "application/json", "\xff\xfe{\x00}\x00", 400},
		{"rating too big for an int", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item + `","rating":1e400}]}`, 400},
		{"rating as a string", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item + `","rating":"5"}]}`, 400},
		{"rating fractional", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + item + `","rating":5.5}]}`, 400},
		{"null answers", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":null}`, 422},
		{"too many answers", "PUT", "/api/v1/respond/answers", tok, "application/json", string(manyJSON), 413},
		{"body over 1 MiB", "PUT", "/api/v1/respond/answers", tok, "application/json", `{"answers":[{"item":"` + strings.Repeat("x", 2<<20) + `"}]}`, 413},
		{"wrong content type", "PUT", "/api/v1/respond/answers", tok, "text/plain", `{"answers":[]}`, 415},
		{"no content type", "PUT", "/api/v1/respond/answers", tok, "", `{"answers":[]}`, 415},
		{"form to the API", "PUT", "/api/v1/respond/answers", tok, "application/x-www-form-urlencoded", `answers=1`, 415},
		{"multipart to the API", "POST", "/api/v1/studies", e.admin, "multipart/form-data; boundary=x", "--x\r\n\r\n--x--", 415},
		{"XML panel", "POST", panel, e.admin, "application/xml", `<panel/>`, 415},
		{"CSV over MaxPanelRows", "POST", panel, e.admin, "text/csv", manyRows, 413},
		{"CSV over 1 MiB", "POST", panel, e.admin, "text/csv", "name,email,group\n" + strings.Repeat("x", 2<<20) + ",a@x.org,nurse\n", 413},
		{"CSV not UTF-8", "POST", panel, e.admin, "text/csv", "name,email,group\nJ\xe9r\xf4me,j@x.org,nurse\n", 422},
		{"CSV with NUL and a bare quote", "POST", panel, e.admin, "text/csv", "name,email,group\n\x00\"a,b,c\n", 422},
		{"CSV binary junk", "POST", panel, e.admin, "text/csv", string([]byte{0x89, 'P', 'N', 'G', 0, 0, 0xff}), 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, tt.method, e.srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.ct != "" {
				req.Header.Set("Content-Type", tt.ct)
			}
			req.Header.Set("Authorization", "Bearer "+tt.token)
			sent := requestBody(t, req)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			e.checkAPI(req, sent, response{Status: res.StatusCode, Header: res.Header, Body: b})
			var eb apiErrorBody
			if res.StatusCode != tt.status || json.Unmarshal(b, &eb) != nil || eb.Error.Message == "" {
				t.Fatalf("got %d %.300s, want %d with a JSON error", res.StatusCode, b, tt.status)
			}
		})
	}
	// chunked: no Content-Length, the cap still holds
	pr, pw := io.Pipe()
	go func() {
		pw.Write([]byte(`{"answers":[{"item":"`))
		for i := 0; i < 40; i++ {
			pw.Write(bytes.Repeat([]byte("y"), 64<<10))
		}
		pw.Write([]byte(`"}]}`))
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", e.srv.URL+"/api/v1/respond/answers", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	if r := e.do(req, nil); r.Status != 413 {
		t.Fatalf("chunked body over the cap: %s", r)
	}
	// nothing of all that was saved
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
	if len(q.Answers) != 0 {
		t.Fatalf("abuse left answers: %+v", q.Answers)
	}
	// a huge form to a page is refused too
	users := s.cookieUsers()
	big := url.Values{"comment": {strings.Repeat("z", 2<<20)}}
	if r := s.page("POST", "/respond/section/"+s.sections[0], users["expert"], big, users["expert"].csrf); r.Status != 413 {
		t.Fatalf("huge form: %d %.200s", r.Status, r.Body)
	}
}

// TestStalledBodyHoldsNothing: a client that sends half a body and stalls (slowloris) holds no
// lock: other experts' saves, the same expert's next save and the close go through meanwhile,
// and when it gives up its request ends in a 4xx.
func TestStalledBodyHoldsNothing(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	e := s.env
	for _, id := range s.ids[:2] {
		e.must(e.call("POST", "/api/v1/respond/consent", s.toks[id], nil, nil), 200)
	}
	u, _ := url.Parse(e.srv.URL)
	stalled := make([]net.Conn, 0, 20)
	for i := 0; i < 20; i++ {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT /api/v1/respond/answers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"answers\":[{\"item\":\"%s\",\"rat", s.toks[s.ids[0]], s.items[0])
		stalled = append(stalled, c)
	}
	time.Sleep(50 * time.Millisecond)
	done := make(chan response, 1)
	go func() {
		r := e.call("PUT", "/api/v1/respond/answers", s.toks[s.ids[0]], map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(4)}}}, nil)
		e.call("PUT", "/api/v1/respond/answers", s.toks[s.ids[1]], map[string]any{"answers": []delphi.Answer{{Item: s.items[0], Rating: ip(6)}}}, nil)
		e.call("POST", "/api/v1/respond/submit", s.toks[s.ids[0]], nil, nil)
		e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", s.sid), e.admin, nil, nil)
		done <- r
	}()
	select {
	case r := <-done:
		if r.Status != 200 {
			t.Fatalf("save beside stalled bodies: %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("requests hung behind stalled bodies")
	}
	// the stalled clients give up: each gets a 4xx (the body ended early), not a 500
	for _, c := range stalled[:1] {
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(c)
		if !bytes.HasPrefix(b, []byte("HTTP/1.1 4")) {
			t.Fatalf("stalled request answered %.100q", b)
		}
	}
}

// logBuffer is a log sink the test can read while the server writes.
type logBuffer struct{ syncWriter }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.(*bytes.Buffer).String()
}

// newEnvAt is newEnv over a database file of the test's choosing, with readable logs.
func newEnvAt(t *testing.T, path string) (*env, *logBuffer) {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	st, err := store.Open(ctx, path, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{syncWriter{w: &bytes.Buffer{}}}
	log := slog.New(slog.NewTextHandler(&logs.syncWriter, nil))
	svc := delphi.New(st, surveys.FS, signer, clk.Now, log)
	if _, err := svc.Bootstrap(ctx, "admin@test", adminPassword, ""); err != nil {
		t.Fatal(err)
	}
	w, err := New(Deps{Service: svc, Signer: signer, Templates: templates.FS, Log: log, BaseURL: "http://delphi.test", Version: "test", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, web: w, svc: svc, store: st, signer: signer, clock: clk, logs: &bytes.Buffer{}}
	e.admin = e.login("admin@test", adminPassword)
	return e, logs
}

// mountTmpfs mounts a small tmpfs (root only; CI runs as root) and returns its path.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	os.MkdirAll(dir, 0o700)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount a tmpfs (CI runs as root): %v %s", err, out)
		}
		t.Skipf("SKIPPED: cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// checkIntegrity runs PRAGMA integrity_check on a live database through a connection of its own.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_query_only=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res []string
	if err := db.Select(&res, `PRAGMA integrity_check`); err != nil || len(res) != 1 || res[0] != "ok" {
		t.Fatalf("integrity_check: %v %v", res, err)
	}
}

// storedComments returns panelist's comments of round 1 by item, read from the file.
func storedComments(t *testing.T, path string, panelist int64) map[string]string {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=5000&_query_only=on")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []struct {
		Item    string `db:"item_id"`
		Comment string `db:"comment"`
	}
	if err := db.Select(&rows, `SELECT item_id, comment FROM answers WHERE panelist_id = ?`, panelist); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Item] = r.Comment
	}
	return out
}

// unwritable drives saves while the database cannot be written (break), checks the refusals are
// a clear 503 that the log explains, that reading goes on, then lifts the condition (mend) and
// checks that saving works again, that every acknowledged answer is there, no refused one is,
// and the file is sound.
func unwritable(t *testing.T, e *env, logs *logBuffer, path string, breakIt, mend func(), wantMsg string) {
	sid := e.study("example")
	ids := e.panel(sid, 2, "nurse")
	_, toks := e.openRound(sid)
	tok := toks[ids[0]]
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
	save := func(tag string) response {
		var as []delphi.Answer
		for i, it := range q.Items {
			as = append(as, delphi.Answer{Item: it.ID, Rating: ip(1 + i%9), Comment: tag + " " + strings.Repeat("€", delphi.MaxComment-20)})
		}
		return e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": as}, nil)
	}
	e.must(save("acked-before"), 200)
	breakIt()
	refused := 0
	for i := 0; i < 5; i++ {
		r := save(fmt.Sprintf("refused-%d", i))
		switch r.Status {
		case 200:
			t.Fatalf("save %d acknowledged while the database cannot be written", i)
		case http.StatusServiceUnavailable, http.StatusInsufficientStorage:
			var b apiErrorBody
			json.Unmarshal(r.Body, &b)
			if b.Error.Code != "unavailable" || !strings.Contains(b.Error.Message, wantMsg) || !strings.Contains(b.Error.Message, "not saved") {
				t.Fatalf("refusal does not say what happened: %s", r)
			}
			if r.Header.Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
			refused++
		default:
			t.Fatalf("save while the database cannot be written: %s, want 503", r)
		}
	}
	if refused == 0 {
		t.Fatal("nothing was refused")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(strings.ToLower(logs.String()), wantMsg) {
		t.Fatalf("the log does not explain it:\n%s", logs.String())
	}
	// reading goes on
	e.must(e.call("GET", "/api/v1/respond", tok, nil, nil), 200)
	mend()
	var r response
	for i := 0; i < 20; i++ { // recovery is immediate; allow a moment for the space to show
		if r = save("acked-after"); r.Status == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Status != 200 {
		t.Fatalf("no recovery: %s", r)
	}
	e.must(e.call("POST", "/api/v1/respond/submit", tok, nil, nil), 200)
	for item, c := range storedComments(t, path, ids[0]) {
		if !strings.HasPrefix(c, "acked-after ") {
			t.Fatalf("%s holds %.20q…, want the last acknowledged save", item, c)
		}
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	checkIntegrity(t, path)
}

// TestDiskFull fills the filesystem under the database (a small tmpfs).
func TestDiskFull(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, "6m")
	path := filepath.Join(dir, "delphi.db")
	e, logs := newEnvAt(t, path)
	filler := filepath.Join(dir, "filler")
	unwritable(t, e, logs, path, func() {
		// Empty the WAL first: SQLite reuses a WAL file from its start after a checkpoint, so a
		// save could land in blocks the file already has and need no new space (and then it is
		// rightly acknowledged). Whether it does depended on when the checkpointer last ran.
		db, err := sqlx.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		var busy, frames, copied int
		if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 {
			t.Fatalf("truncate the WAL: busy %d, %v", busy, err)
		}
		db.Close()
		f, err := os.Create(filler)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		for {
			if _, err := f.Write(buf); err != nil {
				break // ENOSPC: the disk is full
			}
		}
		f.Close()
	}, func() { os.Remove(filler) }, "the disk is full")
}

// TestDatabaseReadOnly: the database file and its WAL become unwritable under the running
// server (chattr +i: even root cannot write, as on a disk remounted read-only after an error).
// Making them writable again mends it.
func TestDatabaseReadOnly(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "delphi.db")
	e, logs := newEnvAt(t, path)
	files := []string{path, path + "-wal"}
	chattr := func(flag string) error {
		out, err := exec.Command("chattr", append([]string{flag}, files...)...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v %s", err, out)
		}
		return nil
	}
	if err := chattr("+i"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chattr +i (CI runs as root): %v", err)
		}
		t.Skipf("SKIPPED: cannot make the database immutable (needs root and ext4/xfs/btrfs): %v", err)
	}
	chattr("-i")
	t.Cleanup(func() { chattr("-i") })
	unwritable(t, e, logs, path, func() {
		if err := chattr("+i"); err != nil {
			t.Fatal(err)
		}
	}, func() {
		if err := chattr("-i"); err != nil {
			t.Fatal(err)
		}
	}, "disk error")
}

// TestReadOnlyFilesystemAtStart: a database on a read-only filesystem is refused at start with
// an error that says so, and opens once the filesystem is writable again.
func TestReadOnlyFilesystemAtStart(t *testing.T) {
	t.Parallel()
	dir := mountTmpfs(t, "4m")
	path := filepath.Join(dir, "delphi.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	_, err = store.Open(ctx, path, time.Now)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "read") {
		t.Fatalf("open on a read-only filesystem: %v", err)
	}
	if out, err := exec.Command("mount", "-o", "remount,rw", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v %s", err, out)
	}
	st, err = store.Open(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	checkIntegrity(t, path)
}

// TestAuditTrail: who opened and closed each round, issued and revoked links, changed items and
// exported data is in the study's audit log, with the actor, and the log comes out with the
// study (GET /api/v1/studies/{sid}/audit) without other studies' entries.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other := e.study("example")
	sid := e.study("example")
	ids := e.panel(sid, 4, "nurse")
	_, toks := e.openRound(sid)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"panelists": []int64{ids[0]}}, &links), 201)
	e.must(e.call("DELETE", "/api/v1/invitations/"+links[0].InvitationID, e.admin, nil, nil), 204)
	for _, id := range ids[1:] {
		e.answerAll(toks[id], func(string) *int { return ip(5) }, "")
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.csv", sid), e.admin, nil, nil), 200)
	var r1 roundJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1", sid), e.admin, nil, &r1), 200)
	reworded := r1.Items[0].ID
	dropped := map[string]string{}
	for _, it := range r1.Items[2:] {
		dropped[it.ID] = "out of scope"
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{
		"dropped": dropped,
		"items":   []any{map[string]any{"id": reworded, "label": map[string]string{"en": "Reworded"}, "derived_from": []string{reworded}, "reason": "clearer"}, map[string]any{"id": r1.Items[1].ID}},
	}, nil), 201)

	var audit []store.AuditEntry
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/audit", sid), e.admin, nil, &audit), 200)
	var me struct{ ID int64 }
	e.must(e.call("GET", "/api/v1/me", e.admin, nil, &me), 200)
	actor := fmt.Sprintf("staff:%d", me.ID)
	find := func(action string) []store.AuditEntry {
		var out []store.AuditEntry
		for _, a := range audit {
			if a.Action == action {
				out = append(out, a)
			}
		}
		return out
	}
	for _, want := range []string{"study.create", "panel.add", "round.open", "invitations.issue", "invitation.revoke", "round.close"} {
		got := find(want)
		if len(got) == 0 {
			t.Errorf("the audit log lacks %s", want)
			continue
		}
		if got[0].Actor != actor {
			t.Errorf("%s by %q, want %q", want, got[0].Actor, actor)
		}
	}
	if opens := find("round.open"); len(opens) != 2 || !strings.Contains(opens[1].Detail, reworded) {
		t.Errorf("round 2's open does not name the changed item %s: %+v", reworded, opens)
	}
	if rv := find("invitation.revoke"); len(rv) == 0 || !strings.Contains(rv[0].Detail, links[0].InvitationID) {
		t.Errorf("revocation does not name the link: %+v", rv)
	}
	t.Run("exports are audited", func(t *testing.T) {
		if len(find("report.export")) == 0 {
			t.Fatal("GET …/rounds/{n}/report.csv wrote no report.export audit entry")
		}
		if got := find("report.export"); got[0].Actor != actor || !strings.Contains(got[0].Detail, "report.csv") {
			t.Errorf("export entry %+v", got[0])
		}
	})
	for _, a := range audit {
		if a.StudyID == nil || *a.StudyID != sid {
			t.Errorf("entry of another study in the export: %+v (other study %d)", a, other)
		}
	}
}

// TestLogoutCSRF: signing out with a session needs the session's CSRF token (another site
// cannot sign staff out); without a session there is nothing to protect.
func TestLogoutCSRF(t *testing.T) {
	t.Parallel()
	s := newSecEnv(t)
	users := s.cookieUsers()
	admin := users["admin"]
	if r := s.page("POST", "/console/logout", admin, nil, ""); !isCSRFRefusal(r) {
		t.Fatalf("logout without CSRF: %d %.200s", r.Status, r.Body)
	}
	if r := s.page("POST", "/console/logout", admin, nil, users["facilitator"].csrf); !isCSRFRefusal(r) {
		t.Fatalf("logout with another session's CSRF: %d %.200s", r.Status, r.Body)
	}
	r := s.page("POST", "/console/logout", admin, nil, admin.csrf)
	if r.Status != http.StatusSeeOther || !strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), staffCookie+"=;") {
		t.Fatalf("logout: %d %v", r.Status, r.Header.Values("Set-Cookie"))
	}
	if r := s.page("POST", "/console/logout", users["none"], nil, ""); r.Status != http.StatusSeeOther {
		t.Fatalf("logout without a session: %d", r.Status)
	}
}
