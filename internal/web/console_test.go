package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/surveys"
)

// browser is a console user: a cookie jar, no automatic redirects, and the CSRF token of the
// last page seen.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLogin signs in through the console's form and returns the signed-in browser.
func (e *env) consoleLogin(email, pw string) *browser {
	e.t.Helper()
	b := &browser{e: e, c: e.browserClient()}
	b.get("/console/login") // as a person does: the form carries its token
	r := b.post("/console/login", url.Values{"email": {email}, "password": {pw}})
	if r.Status != http.StatusSeeOther {
		e.t.Fatalf("console login as %s: %s", email, r)
	}
	b.get("/console")
	if b.csrf == "" {
		e.t.Fatalf("no CSRF token on /console after login")
	}
	return b
}

func (b *browser) do(req *http.Request) response {
	b.e.t.Helper()
	reqBody := requestBody(b.e.t, req)
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if m := csrfRe.FindSubmatch(body); m != nil {
		b.csrf = html.UnescapeString(string(m[1]))
	}
	r := response{Status: res.StatusCode, Header: res.Header, Body: body}
	b.e.checkAPI(req, reqBody, r)
	return r
}

func (b *browser) get(path string) response {
	b.e.t.Helper()
	req, err := http.NewRequest("GET", b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form, with the current CSRF token unless the form sets "csrf" itself.
func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// upload posts a multipart form with one file, with the current CSRF token.
func (b *browser) upload(path string, fields url.Values, file, name string, content []byte) response {
	b.e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("csrf", b.csrf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile(file, name)
	_, _ = fw.Write(content)
	_ = w.Close()
	req, err := http.NewRequest("POST", b.e.srv.URL+path, &buf)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return b.do(req)
}

// submit posts a form and, when it redirects (303), follows to the page shown next.
func (b *browser) submit(path string, form url.Values, want int) response {
	b.e.t.Helper()
	r := b.post(path, form)
	if r.Status != want {
		b.e.t.Fatalf("POST %s: status %d, want %d: %s", path, r.Status, want, pageText(r.Body))
	}
	if r.Status == http.StatusSeeOther {
		return b.get(r.Header.Get("Location"))
	}
	return r
}

var tagRe = regexp.MustCompile(`(?s)<head>.*?</head>|<[^>]+>`)

// pageText shortens a page to its visible text, for failure messages.
func pageText(b []byte) string {
	s := tagRe.ReplaceAllString(string(b), " ")
	s = strings.Join(strings.Fields(html.UnescapeString(s)), " ")
	if len(s) > 1500 {
		s = s[:1500] + "…"
	}
	return s
}

func has(t *testing.T, r response, texts ...string) {
	t.Helper()
	body := html.UnescapeString(string(r.Body))
	text := strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(string(r.Body), " "))), " ")
	for _, s := range texts {
		if !strings.Contains(body, s) && !strings.Contains(text, s) {
			t.Errorf("page lacks %q: %s", s, pageText(r.Body))
		}
	}
}

var (
	inputRe    = regexp.MustCompile(`<input\b[^>]*>`)
	textareaRe = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	attrRe     = regexp.MustCompile(`([a-z-]+)(?:="([^"]*)")?`)
	formRe     = regexp.MustCompile(`(?s)<form\b[^>]*id="([^"]+)"[^>]*>(.*?)</form>`)
)

// formValues returns what a browser would send for the form with the given id: text inputs and
// textareas with their values, and checked checkboxes and radios (buttons are left out).
func formValues(t *testing.T, body []byte, id string) url.Values {
	t.Helper()
	var inner string
	for _, m := range formRe.FindAllStringSubmatch(string(body), -1) {
		if m[1] == id {
			inner = m[2]
		}
	}
	if inner == "" {
		t.Fatalf("no form #%s on the page: %s", id, pageText(body))
	}
	attrs := func(tag string) map[string]string {
		out := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(tag, -1) {
			out[a[1]] = html.UnescapeString(a[2])
		}
		return out
	}
	v := url.Values{}
	for _, tag := range inputRe.FindAllString(inner, -1) {
		a := attrs(strings.TrimPrefix(tag, "<input"))
		if a["name"] == "" {
			continue
		}
		_, checked := a["checked"]
		switch a["type"] {
		case "checkbox", "radio":
			if checked {
				v.Add(a["name"], a["value"])
			}
		case "submit", "button", "file":
		default:
			v.Add(a["name"], a["value"])
		}
	}
	for _, m := range textareaRe.FindAllStringSubmatch(inner, -1) {
		a := attrs(m[1])
		if a["name"] != "" {
			v.Add(a["name"], html.UnescapeString(strings.TrimPrefix(m[2], "\n")))
		}
	}
	return v
}

// draftIDs returns the ids of the editor's rows whose keep box is ticked, sorted.
func draftIDs(v url.Values) []string {
	var out []string
	for k, vs := range v {
		if strings.HasPrefix(k, "keep.") {
			out = append(out, v.Get("id."+strings.TrimPrefix(k, "keep.")))
			_ = vs
		}
	}
	sort.Strings(out)
	return out
}

// rowIndex returns the editor's row index of an item id.
func rowIndex(t *testing.T, v url.Values, id string) string {
	t.Helper()
	for k := range v {
		if strings.HasPrefix(k, "id.") && v.Get(k) == id {
			return strings.TrimPrefix(k, "id.")
		}
	}
	t.Fatalf("item %s is not in the draft", id)
	return ""
}

// panelCSV is a 30-person panel over the definition's groups, semicolon-separated, with a BOM.
func panelCSV(n int, groups []string) string {
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfname;email;stakeholder group;country;language\n")
	countries := []string{"DE", "FR", "IT", "ES", "NL"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Expert %d;expert%d@example.org;%s;%s;en\n", i+1, i+1, groups[i%len(groups)], countries[i%len(countries)])
	}
	return b.String()
}

func (e *env) panelSize(sid int64) int {
	e.t.Helper()
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	return len(ps)
}

func (e *env) studyJSON(sid int64) studyJSON {
	e.t.Helper()
	var st studyJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, nil, &st), 200)
	return st
}

func (e *env) roundItems(sid int64, n int) []delphi.RoundItem {
	e.t.Helper()
	var r roundJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/%d", sid, n), e.admin, nil, &r), 200)
	return r.Items
}

// linkTokens reads the invite tokens (by email) out of a links CSV.
func linkTokens(t *testing.T, body []byte) map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("links CSV: %v: %s", err, body)
	}
	if strings.Join(recs[0], ",") != "pseudonym,name,email,group,language,link,expires_at" {
		t.Fatalf("links CSV header %v", recs[0])
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		_, tok, ok := strings.Cut(r[5], "/r/")
		if !ok {
			t.Fatalf("link %q has no /r/ token", r[5])
		}
		out[r[2]] = tok
	}
	return out
}

func TestConsoleLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := &browser{e: e, c: e.browserClient()}

	r := b.get("/console")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/login?next=%2Fconsole" {
		t.Fatalf("/console without a session: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = b.get("/console/login?next=%2Fconsole%2Fstaff")
	has(t, r, `name="next" value="/console/staff"`)

	r = b.post("/console/login", url.Values{"email": {"admin@test"}, "password": {"wrong"}})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %s", r)
	}
	has(t, r, "wrong email or password", `value="admin@test"`)

	// an open redirect is refused: the form's next goes through localPath (tested below)
	c := &browser{e: e, c: e.browserClient()}
	c.get("/console/login")
	r = c.post("/console/login", url.Values{"email": {"admin@test"}, "password": {adminPassword}, "next": {"https://evil.example/"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console" {
		t.Errorf("next=https://evil.example/: %d → %q, want /console", r.Status, r.Header.Get("Location"))
	}
	r = c.get("/console/login?next=https%3A%2F%2Fevil.example%2F")
	has(t, r, `name="next" value="/console"`)
	r = b.post("/console/login", url.Values{"email": {"admin@test"}, "password": {adminPassword}, "next": {"/console/staff?x=1"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/staff?x=1" {
		t.Fatalf("local next: %d → %q", r.Status, r.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, ck := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, staffCookie+"=") {
			session, _ = http.ParseSetCookie(ck)
		}
	}
	if session == nil || !session.HttpOnly || session.MaxAge != int((12*time.Hour).Seconds()) || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v", session)
	}
	r = b.get("/console/staff")
	if r.Status != 200 {
		t.Fatalf("staff page after login: %s", r)
	}
	has(t, r, "admin@test")

	// sign out: the cookie goes, and the console asks for a login again
	if r = b.post("/console/logout", url.Values{"csrf": {"forged"}}); r.Status != http.StatusForbidden {
		t.Fatalf("logout with a wrong CSRF token: %d", r.Status)
	}
	if r = b.post("/console/logout", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/console/login" {
		t.Fatalf("logout: %s", r)
	}
	if r = b.get("/console"); r.Status != http.StatusSeeOther {
		t.Fatalf("/console after logout: %d", r.Status)
	}

	// sign-out ended the session itself: a copy of its cookie no longer works either
	// (TestLogoutEndsSession); the sign-in page says so
	r = b.get("/console/login")
	has(t, r, "You have signed out.")

	// guessing: after the free failures the form says to wait, and keeps the email
	for i := 0; i < freeAccountFailures; i++ {
		if r = b.post("/console/login", url.Values{"email": {"admin@test"}, "password": {"nope"}}); r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, r.Status)
		}
	}
	r = b.post("/console/login", url.Values{"email": {"admin@test"}, "password": {adminPassword}})
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("while delayed: %s", r)
	}
	has(t, r, "too many failed sign-ins", `value="admin@test"`, `name="csrf"`)
	e.clock.Add(time.Minute)
	if r = b.post("/console/login", url.Values{"email": {"admin@test"}, "password": {adminPassword}}); r.Status != http.StatusSeeOther {
		t.Fatalf("after the delay: %s", r)
	}
}

func TestConsoleCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)
	other := e.consoleLogin("admin@test", adminPassword) // another session: its token must not work here
	sid := e.study("example")
	e.panel(sid, 3, e.studyJSON(sid).Definition.Groups[0].ID)

	tests := []struct {
		name, path string
		form       url.Values
	}{
		{"create study, no token", "/console/studies", url.Values{"csrf": nil, "survey": {"example"}}},
		{"create study, wrong token", "/console/studies", url.Values{"csrf": {"x"}, "survey": {"example"}}},
		{"create study, other session's token", "/console/studies", url.Values{"csrf": {other.csrf}, "survey": {"example"}}},
		{"open round, no token", fmt.Sprintf("/console/studies/%d/rounds", sid), url.Values{"csrf": {""}, "action": {"open"}}},
		{"withdraw, wrong token", fmt.Sprintf("/console/studies/%d/panel/1/withdraw", sid), url.Values{"csrf": {b.csrf + "x"}}},
		{"add staff, no token", "/console/staff", url.Values{"csrf": {""}, "email": {"x@test"}, "role": {"admin"}, "password": {"long enough password"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post(tt.path, tt.form)
			if r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403: %s", r.Status, pageText(r.Body))
			}
			has(t, r, "did not come from this site")
		})
	}
	var sts []studyJSON
	e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200)
	st := e.studyJSON(sid)
	var staff []delphi.Staff
	e.must(e.call("GET", "/api/v1/staff", e.admin, nil, &staff), 200)
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	if len(sts) != 1 || len(st.Rounds) != 0 || len(staff) != 1 || ps[0].Withdrawn {
		t.Fatalf("a refused form changed something: %d studies, %d rounds, %d staff, withdrawn %v", len(sts), len(st.Rounds), len(staff), ps[0].Withdrawn)
	}
	// the right token works
	r := b.submit("/console/studies", url.Values{"survey": {"example"}}, http.StatusSeeOther)
	has(t, r, "created from example")
}

func TestConsoleRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	e.panel(sid, 3, e.studyJSON(sid).Definition.Groups[0].ID)
	e.openRound(sid)
	e.member(sid, e.addStaff("pres@test", "presenter", "presenter password"), "presenter")
	e.member(sid, e.addStaff("fac@test", "facilitator", "facilitator password"), "facilitator")
	admin := e.consoleLogin("admin@test", adminPassword)
	fac := e.consoleLogin("fac@test", "facilitator password")
	pres := e.consoleLogin("pres@test", "presenter password")
	study := fmt.Sprintf("/console/studies/%d", sid)

	gets := []struct {
		path            string
		admin, fac, pre int
	}{
		{"/console", 200, 200, 200},
		{study, 200, 200, 200},
		{study + "/panel", 200, 200, 403},
		{study + "/panel/1", 200, 200, 403},
		{study + "/rounds/1", 200, 200, 403},
		{study + "/rounds/new", 409, 409, 403}, // round 1 is open
		{study + "/suggestions", 200, 200, 403},
		{study + "/outbox", 200, 200, 403},
		{study + "/audit", 200, 403, 403},
		{"/console/audit", 200, 403, 403},
		{"/console/staff", 200, 403, 403},
	}
	for _, g := range gets {
		for _, u := range []struct {
			role string
			b    *browser
			want int
		}{{"admin", admin, g.admin}, {"facilitator", fac, g.fac}, {"presenter", pres, g.pre}} {
			if r := u.b.get(g.path); r.Status != u.want {
				t.Errorf("GET %s as %s: %d, want %d", g.path, u.role, r.Status, u.want)
			}
		}
	}
	r := pres.get(study)
	if strings.Contains(string(r.Body), "e1@example.org") || strings.Contains(string(r.Body), "/panel") {
		t.Errorf("the presenter's study page shows the panel: %s", pageText(r.Body))
	}
	if r = pres.get("/console"); strings.Contains(string(r.Body), "New study") {
		t.Errorf("the presenter is offered to create a study")
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/console/studies", url.Values{"survey": {"example"}}},
		{study + "/panel", url.Values{"name": {"X"}, "email": {"x@example.org"}, "group": {"a"}}},
		{study + "/panel/preview", url.Values{"csv": {"name,email,group\nX,x@example.org,a\n"}}},
		{study + "/panel/import", url.Values{"csv": {"name,email,group\nX,x@example.org,a\n"}}},
		{study + "/panel/1", url.Values{"name": {"X"}}},
		{study + "/panel/1/withdraw", nil},
		{study + "/rounds", url.Values{"action": {"open"}}},
		{study + "/rounds/1/close", nil},
		{study + "/rounds/1/deadline", url.Values{"deadline": {"2099-01-01"}}},
		{study + "/rounds/1/invitations", nil},
		{study + "/rounds/1/links.csv", nil},
		{study + "/rounds/1/reminders", nil},
		{study + "/suggestions/1", url.Values{"decision": {"reject"}, "note": {"x"}}},
		{study + "/finish", nil},
		{"/console/staff", url.Values{"email": {"y@test"}, "role": {"admin"}, "password": {"long enough password"}}},
	}
	for _, p := range posts {
		if r := pres.post(p.path, p.form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s as presenter: %d, want 403", p.path, r.Status)
		}
	}
	if r := fac.post("/console/staff", url.Values{"email": {"y@test"}, "role": {"admin"}, "password": {"long enough password"}}); r.Status != http.StatusForbidden {
		t.Errorf("facilitator adds staff: %d", r.Status)
	}
	st := e.studyJSON(sid)
	if len(st.Rounds) != 1 || st.Rounds[0].State != "open" || e.panelSize(sid) != 3 || st.State != "active" {
		t.Fatalf("refused requests changed the study: %+v", st)
	}
	// admins add staff through the console
	r = admin.submit("/console/staff", url.Values{"email": {"new@test"}, "name": {"New"}, "role": {"presenter"}, "password": {"a good long password"}}, http.StatusSeeOther)
	has(t, r, "Account new@test (presenter) added.", "new@test")
	r = admin.submit("/console/staff", url.Values{"email": {"new@test"}, "role": {"presenter"}, "password": {"a good long password"}}, http.StatusConflict)
	has(t, r, "already exists")
}

func TestConsolePanel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)
	r := b.submit("/console/studies", url.Values{"survey": {"cart-cd"}, "contact": {"team@example.org"}}, http.StatusSeeOther)
	has(t, r, "CART-CD", "138 items", "The panel is empty")
	var sts []studyJSON
	e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200)
	sid := sts[0].ID
	panel := fmt.Sprintf("/console/studies/%d/panel", sid)
	b.submit(panel, url.Values{"name": {"Existing"}, "email": {"old@example.org"}, "group": {"nurse"}, "country": {"de"}}, http.StatusSeeOther)

	bad := "\xef\xbb\xbfname;email;group;country;language\n" +
		"Ann;ann@example.org;nurse;DE;en\n" + // line 2: fine
		"Bob;not-an-email;nurse;FR;fr\n" + // line 3: bad email
		"Cid;cid@example.org;surgeon;IT;en\n" + // line 4: unknown group
		"Dee;ann@example.org;pharmacist;ES;en\n" + // line 5: duplicate in the file
		"Eve;old@example.org;industry;NL;en\n" // line 6: already on the panel
	r = b.submit(panel+"/preview", url.Values{"csv": {bad}}, http.StatusUnprocessableEntity)
	has(t, r, "4 problems found. Nothing has been written", "Preview again")
	rowRe := regexp.MustCompile(`(?s)<tr class="c-bad">\s*<td class="num">(\d+)</td>.*?</tr>`)
	rows := map[string]string{}
	for _, m := range rowRe.FindAllStringSubmatch(html.UnescapeString(string(r.Body)), -1) {
		rows[m[1]] = m[0]
	}
	for line, want := range map[string]string{"3": `"not-an-email" is not an email address`, "4": `unknown stakeholder group "surgeon"`,
		"5": "appears twice (also row 1)", "6": "old@example.org is already on the panel"} {
		if !strings.Contains(rows[line], want) {
			t.Errorf("line %s: want %q in %q", line, want, pageText([]byte(rows[line])))
		}
	}
	if len(rows) != 4 {
		t.Errorf("%d rows marked bad, want 4", len(rows))
	}
	if strings.Contains(string(r.Body), "/panel/import") {
		t.Errorf("the preview offers to import a file with problems")
	}
	// importing it anyway is refused as a whole
	r = b.submit(panel+"/import", url.Values{"csv": {bad}}, http.StatusUnprocessableEntity)
	has(t, r, "4 problems: nothing was imported")
	if n := e.panelSize(sid); n != 1 {
		t.Fatalf("panel has %d after refused import, want 1", n)
	}
	// a file that cannot be read at all
	r = b.submit(panel+"/preview", url.Values{"csv": {"nom,courriel\nx,y\n"}}, http.StatusUnprocessableEntity)
	has(t, r, `the header has no "name" column`)

	good := panelCSV(3, []string{"nurse", "pharmacist", "industry"})
	r = b.submit(panel+"/preview", url.Values{"csv": {good}}, http.StatusOK)
	has(t, r, "No problems: 3 panelists are ready to import")
	if n := e.panelSize(sid); n != 1 {
		t.Fatalf("preview wrote to the panel: %d", n)
	}
	r = b.submit(panel+"/import", formValues(t, r.Body, "import"), http.StatusSeeOther)
	has(t, r, "3 panelists imported.", "expert3@example.org")
	if n := e.panelSize(sid); n != 4 {
		t.Fatalf("panel has %d, want 4", n)
	}

	// edit: a bad email is refused with the input kept; a good edit saves
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	p := ps[1]
	r = b.submit(fmt.Sprintf("%s/%d", panel, p.ID), url.Values{"name": {"Expert One"}, "email": {"broken"}, "group": {"nurse"}, "language": {"de"}}, http.StatusUnprocessableEntity)
	has(t, r, `"broken" is not an email address`, `value="Expert One"`)
	r = b.submit(fmt.Sprintf("%s/%d", panel, p.ID), url.Values{"name": {"Expert One"}, "email": {"one@example.org"}, "group": {"nurse"}, "country": {"AT"}, "language": {"de"}}, http.StatusSeeOther)
	has(t, r, p.Pseudonym+" updated.", "one@example.org")

	// withdraw: the link issued through the API stops working (410); the rest of the panel is unaffected
	_, toks := e.openRound(sid)
	e.must(e.call("POST", "/api/v1/respond/consent", toks[p.ID], nil, nil), 200)
	e.must(e.call("PUT", "/api/v1/respond/answers", toks[p.ID], map[string]any{"answers": []map[string]any{{"item": "registry_patient_id", "rating": 7}}}, nil), 200)
	r = b.submit(fmt.Sprintf("%s/%d/withdraw", panel, p.ID), nil, http.StatusSeeOther)
	has(t, r, "is withdrawn: their links no longer work", "withdrawn")
	res := e.call("GET", "/api/v1/respond", toks[p.ID], nil, nil)
	if res.Status != http.StatusGone {
		t.Fatalf("withdrawn panelist's link: %s", res)
	}
	e.must(e.call("GET", "/api/v1/respond", toks[ps[2].ID], nil, nil), 200)
	r = b.submit(fmt.Sprintf("%s/%d/withdraw", panel, p.ID), nil, http.StatusConflict)
	has(t, r, "already withdrawn")
}

func TestConsoleIllegalSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)
	sid := e.study("example")
	study := fmt.Sprintf("/console/studies/%d", sid)

	r := b.submit(study+"/rounds", url.Values{"action": {"open"}}, http.StatusConflict)
	has(t, r, "nobody to invite: add panelists first")
	e.panel(sid, 4, e.studyJSON(sid).Definition.Groups[0].ID)
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}, "deadline": {"2001-01-01T10:00"}}, http.StatusUnprocessableEntity)
	has(t, r, "is in the past", `value="2001-01-01T10:00"`)
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}, "deadline": {"soon"}}, http.StatusUnprocessableEntity)
	has(t, r, `"soon" is not a date and time`)

	deadline := e.clock.Now().Add(72 * time.Hour).UTC().Format("2006-01-02T15:04")
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}, "deadline": {deadline}}, http.StatusSeeOther)
	has(t, r, "Round 1 is open", "Consensus rule, frozen", "Invitations")
	if r = b.get(study + "/rounds/new"); r.Status != http.StatusConflict {
		t.Fatalf("the next-round page while round 1 is open: %d", r.Status)
	}
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}}, http.StatusConflict)
	has(t, r, "round 1 is still open: close it before opening round 2")
	r = b.submit(study+"/finish", nil, http.StatusConflict)
	has(t, r, "round 1 is still open")

	b.submit(study+"/rounds/1/close", nil, http.StatusSeeOther)
	r = b.submit(study+"/rounds/1/close", nil, http.StatusConflict)
	has(t, r, "round 1 is already closed")
	r = b.submit(study+"/rounds/1/deadline", url.Values{"deadline": {deadline}}, http.StatusConflict)
	has(t, r, "round 1 is closed: its deadline cannot change")
	r = b.submit(study+"/rounds/1/invitations", nil, http.StatusConflict)
	has(t, r, "links are for an open round")
	st := e.studyJSON(sid)
	if len(st.Rounds) != 1 || st.Rounds[0].State != "closed" {
		t.Fatalf("rounds after refused steps: %+v", st.Rounds)
	}
	// nobody submitted: every item is unrated and goes on; then finish the study
	b.submit(study+"/finish", nil, http.StatusSeeOther)
	r = b.submit(study+"/finish", nil, http.StatusConflict)
	has(t, r, "already finished")
	if r = b.get(study + "/rounds/new"); r.Status != http.StatusConflict {
		t.Fatalf("next round of a finished study: %d", r.Status)
	}
	if r = b.get(study + "/rounds/9"); r.Status != http.StatusNotFound {
		t.Fatalf("round 9: %d", r.Status)
	}
}

// TestConsoleThreeRounds runs CART-CD with a 30-person panel through three rounds in the console
// alone; experts answer through the JSON API with their invite tokens.
func TestConsoleThreeRounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)

	// study and panel
	b.submit("/console/studies", url.Values{"survey": {"cart-cd"}, "contact_name": {"Study Office"}, "contact": {"office@example.org"}}, http.StatusSeeOther)
	var sts []studyJSON
	e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200)
	sid := sts[0].ID
	study := fmt.Sprintf("/console/studies/%d", sid)
	def := e.studyJSON(sid).Definition
	var groups []string
	for _, g := range def.Groups {
		groups = append(groups, g.ID)
	}
	r := b.submit(study+"/panel/preview", url.Values{"csv": {panelCSV(30, groups)}}, http.StatusOK)
	b.submit(study+"/panel/import", formValues(t, r.Body, "import"), http.StatusSeeOther)
	if n := e.panelSize(sid); n != 30 {
		t.Fatalf("panel of %d", n)
	}

	// round 1: every item, deadline, links as CSV
	r = b.get(study + "/rounds/new")
	has(t, r, "Round 1 asks all 138 items", "all 30 active panelists")
	deadline := e.clock.Now().Add(14 * 24 * time.Hour).UTC().Format("2006-01-02T15:04")
	r = b.submit(study+"/rounds", url.Values{"action": {"open"}, "deadline": {deadline}}, http.StatusSeeOther)
	has(t, r, "Round 1 is open with 138 items", "COMET: consensus in when ≥ 70% rate 7–9 and < 15% rate 1–3")
	rule := e.studyJSON(sid).Rounds[0].RuleHash
	has(t, r, rule)
	csvRes := b.post(study+"/rounds/1/links.csv", nil)
	if csvRes.Status != 200 || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csvRes.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("links.csv: %d %v", csvRes.Status, csvRes.Header)
	}
	toks := linkTokens(t, csvRes.Body)
	if len(toks) != 30 {
		t.Fatalf("%d links", len(toks))
	}

	items := def.Items()
	idx := map[string]int{}
	for i, it := range items {
		idx[it.ID] = i
	}
	// round 1: items 0–9 rated 8 by all (in), 10–14 rated 2 (out), the rest spread evenly (none)
	for p := 0; p < 27; p++ {
		p := p
		e.answerAll(toks[fmt.Sprintf("expert%d@example.org", p+1)], func(item string) *int {
			switch i := idx[item]; {
			case i < 10:
				return ip(8)
			case i < 15:
				return ip(2)
			default:
				return ip(1 + (p*7+i)%9)
			}
		}, "")
	}
	// expert 28 starts without submitting; 29 and 30 never start; expert 1 suggests an item
	t28 := toks["expert28@example.org"]
	e.must(e.call("POST", "/api/v1/respond/consent", t28, nil, nil), 200)
	e.must(e.call("PUT", "/api/v1/respond/answers", t28, map[string]any{"answers": []map[string]any{{"item": items[0].ID, "rating": 5}}}, nil), 200)
	e.must(e.call("POST", "/api/v1/respond/suggestions", toks["expert1@example.org"], map[string]string{
		"label": "Time from apheresis to infusion", "rationale": "Vein-to-vein time matters for outcomes."}, nil), 201)

	r = b.get(study + "/rounds/1")
	has(t, r, `id="n-submitted">27<`, `id="n-started">1<`, `id="n-notstarted">2<`, `id="rate">90%<`,
		`Not submitted (3)`, "expert28@example.org", "expert30@example.org", `id="n-issued">30<`, `id="n-opened">28<`,
		"Reminders: not available, email is not configured.")
	if strings.Contains(string(r.Body), "Email links to all") || strings.Contains(string(r.Body), "Send reminders") {
		t.Errorf("email actions offered without SMTP")
	}
	r = b.get(study + "/rounds/1?show=not_submitted")
	has(t, r, "Not submitted: 3", "expert28@example.org", "expert30@example.org")
	if strings.Contains(string(r.Body), "expert27@example.org") {
		t.Errorf("the not submitted filter lists someone who submitted")
	}
	r = b.submit(study+"/rounds/1/reminders", nil, http.StatusConflict)
	has(t, r, "email is not configured (set DELPHI_SMTP_HOST and restart delphi)")
	e.web.Mailer = &recordingSender{}
	r = b.get(study + "/rounds/1")
	has(t, r, "Email links to all 30 invited", "Send reminders to these 3")
	if strings.Contains(string(r.Body), "consensus_in") || strings.Contains(string(r.Body), "Kendall") {
		t.Errorf("the progress page of an open round shows results")
	}
	// per group: haematologist has experts 1, 9, 17, 25 (all submitted); per country: DE has 1, 6, …, 26 (all submitted)
	has(t, r, "Haematologist / oncologist</td><td class=\"num\">4</td><td class=\"num\">4</td>")
	has(t, r, "<td>NL</td><td class=\"num\">6</td><td class=\"num\">5</td><td class=\"num\">0</td><td class=\"num\">1</td>")
	r = b.submit(study+"/rounds/1/reminders", nil, http.StatusSeeOther)
	has(t, r, "3 reminders queued", "They are sent by SMTP")
	r = b.get(study + "/outbox")
	if n := strings.Count(string(r.Body), "<td>reminder</td>"); n != 3 {
		t.Errorf("%d reminders in the outbox, want 3", n)
	}

	r = b.submit(study+"/rounds/1/close", nil, http.StatusSeeOther)
	has(t, r, "Round 1 is closed: 27 of 30 invited panelists submitted", ">10</span> consensus in", ">5</span> consensus out", ">123</span> no consensus")
	if res := e.call("PUT", "/api/v1/respond/answers", t28, map[string]any{"answers": []map[string]any{{"item": items[1].ID, "rating": 5}}}, nil); res.Status != http.StatusConflict {
		t.Fatalf("an answer after close: %s", res)
	}

	// round 2: the proposal is exactly the items without consensus, for the 27 who submitted
	r = b.get(study + "/rounds/new")
	has(t, r, "1 suggestion has not been triaged", "the 27 panelists who submitted round 1")
	form := formValues(t, r.Body, "draft")
	var want2 []string
	for _, it := range items[15:] {
		want2 = append(want2, it.ID)
	}
	sort.Strings(want2)
	if got := draftIDs(form); strings.Join(got, ",") != strings.Join(want2, ",") {
		t.Fatalf("round 2 draft has %d items, want the %d without consensus", len(got), len(want2))
	}
	form.Set("action", "open")
	r = b.submit(study+"/rounds", form, http.StatusSeeOther)
	has(t, r, "Round 2 is open with 123 items")
	got2 := e.roundItems(sid, 2)
	if len(got2) != 123 || got2[0].ID != items[15].ID || got2[0].Changed {
		t.Fatalf("round 2 items: %d, first %+v", len(got2), got2[0])
	}
	// invitations by email: the outbox holds them (no SMTP), and the links in them work
	r = b.submit(study+"/rounds/2/invitations", nil, http.StatusSeeOther)
	has(t, r, "27 invitation emails queued, each with the panelist's current link")
	r = b.get(study + "/outbox")
	tokRe := regexp.MustCompile(`http://delphi\.test/r/([A-Za-z0-9._-]+)`)
	var toks2 []string
	for _, m := range tokRe.FindAllStringSubmatch(string(r.Body), -1) {
		if m[1] != "" && !contains(toks2, m[1]) {
			toks2 = append(toks2, m[1])
		}
	}
	if len(toks2) < 27 {
		t.Fatalf("%d links in the outbox", len(toks2))
	}
	// round 2: the first 20 items reach consensus in; the rest stay spread
	answered := 0
	for _, tok := range toks2 {
		var q respondJSON
		if e.call("GET", "/api/v1/respond", tok, nil, &q).Status != 200 || q.Round == nil || q.Round.Number != 2 {
			continue // a round-1 reminder, revoked by the round-2 invitation
		}
		p := answered
		answered++
		e.answerAll(tok, func(item string) *int {
			if i := idx[item]; i >= 35 {
				return ip(1 + (p*7+i)%9)
			}
			return ip(9)
		}, "")
	}
	if answered != 27 {
		t.Fatalf("%d experts answered round 2, want 27", answered)
	}
	r = b.submit(study+"/rounds/2/close", nil, http.StatusSeeOther)
	has(t, r, "27 of 27 invited panelists submitted", ">20</span> consensus in", ">103</span> no consensus")

	// triage: accept the suggestion as a new item
	r = b.get(study + "/suggestions")
	has(t, r, "Time from apheresis to infusion", "Vein-to-vein time matters")
	sg := regexp.MustCompile(`/suggestions/(\d+)"`).FindStringSubmatch(string(r.Body))
	section := def.Sections[1].ID
	r = b.submit(study+"/suggestions/"+sg[1], url.Values{"decision": {"accept"}, "item_id": {"Bad Id"}, "section": {section}}, http.StatusUnprocessableEntity)
	has(t, r, "give the new item an id")
	r = b.submit(study+"/suggestions/"+sg[1], url.Values{"decision": {"accept"}, "item_id": {"panel_suggestion_1"}, "section": {section}}, http.StatusSeeOther)
	has(t, r, "accepted as new item panel_suggestion_1")

	// round 3: proposal = no consensus in round 2 + the accepted suggestion; reword one, merge two
	r = b.get(study + "/rounds/new")
	form = formValues(t, r.Body, "draft")
	var want3 []string
	for _, it := range items[35:] {
		want3 = append(want3, it.ID)
	}
	want3 = append(want3, "panel_suggestion_1")
	sort.Strings(want3)
	if got := draftIDs(form); strings.Join(got, ",") != strings.Join(want3, ",") {
		t.Fatalf("round 3 draft: %d items %v, want %d", len(got), got, len(want3))
	}
	reworded, m1, m2 := items[40].ID, items[50].ID, items[51].ID
	form.Set("label."+rowIndex(t, form, reworded), "Reworded: "+items[40].Label["en"])
	// browsers send textareas with CRLF line ends: that alone is no rewording
	d := "desc." + rowIndex(t, form, items[41].ID)
	form.Set(d, strings.ReplaceAll(form.Get(d), "\n", "\r\n")+"\r\n")
	form.Set("action", "update")
	r = b.submit(study+"/rounds", form, http.StatusOK)
	has(t, r, "Draft updated", "reworded</span>")
	form = formValues(t, r.Body, "draft")
	form["merge"] = []string{m1, m2}
	form.Set("merge_id", "merged_item")
	form.Set("merge_label", "Merged parameter")
	form.Set("action", "merge")
	r = b.submit(study+"/rounds", form, http.StatusOK)
	has(t, r, "Merged into merged_item", "merged from "+m1+", "+m2, "merged into merged_item")
	form = formValues(t, r.Body, "draft")
	// a bad addition is refused with the draft kept
	form.Set("add_id", items[0].ID)
	form.Set("add_label", "Again")
	form.Set("add_section", section)
	form.Set("action", "add")
	r = b.submit(study+"/rounds", form, http.StatusUnprocessableEntity)
	has(t, r, "already exists in the survey", "merged_item")
	form = formValues(t, r.Body, "draft")
	// every change carries a reason (reason.<row>); the merged items' sources need none
	form.Set("reason."+rowIndex(t, form, reworded), "clearer for registries")
	form.Set("reason."+rowIndex(t, form, "merged_item"), "the same concept asked twice")
	form.Set("action", "open")
	r = b.submit(study+"/rounds", form, http.StatusSeeOther)
	has(t, r, fmt.Sprintf("Round 3 is open with %d items", len(want3)-1))
	got3 := map[string]delphi.RoundItem{}
	for _, it := range e.roundItems(sid, 3) {
		got3[it.ID] = it
	}
	if len(got3) != len(want3)-1 {
		t.Fatalf("round 3 has %d items, want %d", len(got3), len(want3)-1)
	}
	if it := got3[reworded]; !it.Changed || it.Label["en"] != "Reworded: "+items[40].Label["en"] || it.Description["en"] != items[40].Description["en"] {
		t.Errorf("reworded item: %+v", it)
	}
	if it := got3["panel_suggestion_1"]; it.Label["en"] != "Time from apheresis to infusion" || it.SectionID != section {
		t.Errorf("accepted suggestion: %+v", it)
	}
	if it := got3["merged_item"]; strings.Join(it.DerivedFrom, ",") != m1+","+m2 || it.SectionID != def.SectionOf(m1) {
		t.Errorf("merged item: %+v", it)
	}
	if _, ok := got3[m1]; ok {
		t.Errorf("merged item %s still asked", m1)
	}
	if it := got3[items[41].ID]; it.Changed {
		t.Errorf("an item whose form text differs only in line ends counts as changed: %+v", it)
	}
	if it := got3[items[60].ID]; it.Changed {
		t.Errorf("an untouched item counts as changed: %+v", it)
	}

	// round 3 answers, close, finish
	toks3 := linkTokens(t, b.post(study+"/rounds/3/links.csv", nil).Body)
	if len(toks3) != 27 {
		t.Fatalf("%d links for round 3", len(toks3))
	}
	for _, tok := range toks3 {
		e.answerAll(tok, func(string) *int { return ip(8) }, "")
	}
	r = b.submit(study+"/rounds/3/close", nil, http.StatusSeeOther)
	has(t, r, "27 of 27 invited panelists submitted", fmt.Sprintf(">%d</span> consensus in", len(got3)))
	r = b.submit(study+"/finish", nil, http.StatusSeeOther)
	has(t, r, "The study is finished")
	if st := e.studyJSON(sid); st.State != "finished" || len(st.Rounds) != 3 {
		t.Fatalf("study after finishing: %s, %d rounds", st.State, len(st.Rounds))
	}
	// the audit log shows the whole run
	r = b.get(study + "/audit")
	has(t, r, "round.open", "round.close", "panel.add", "suggestion.accept", "mail.queue", "study.finish")
}

func TestConsoleCreateStudyUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := e.consoleLogin("admin@test", adminPassword)
	good, err := surveys.FS.Open("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml, _ := io.ReadAll(good)
	broken := bytes.Replace(yaml, []byte("min: 1"), []byte("min: 12"), 1)
	r := b.upload("/console/studies", url.Values{"title": {"Uploaded"}}, "definition", "mine.yaml", broken)
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("broken definition: %s", pageText(r.Body))
	}
	has(t, r, "definition:", `value="Uploaded"`)
	var sts []studyJSON
	if e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200); len(sts) != 0 {
		t.Fatalf("a broken definition made a study")
	}
	r = b.upload("/console/studies", url.Values{"title": {"Uploaded"}, "survey": {"cart-cd"}}, "definition", "mine.yaml", yaml)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %s", pageText(r.Body))
	}
	r = b.get(r.Header.Get("Location"))
	has(t, r, "Study \"Uploaded\" created from example", "Survey example version 1")
	// a study keeps the exact definition it was created from
	e.must(e.call("GET", "/api/v1/studies", e.admin, nil, &sts), 200)
	if len(sts) != 1 || sts[0].Survey != "example" {
		t.Fatalf("studies: %+v", sts)
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct{ next, want string }{
		{"", "/console"},
		{"/console/studies/1?x=1#y", "/console/studies/1?x=1#y"},
		{"/reports/studies/1/rounds/2", "/reports/studies/1/rounds/2"},
		{"https://evil.example/", "/console"},
		{"//evil.example/x", "/console"},
		{"/\\evil.example", "/console"},
		{"/console\\..\\x", "/console"},
		{"javascript:alert(1)", "/console"},
		{"console", "/console"},
		{"/console\r\nSet-Cookie: x=y", "/console"},
		{"/\tevil", "/console"},
	}
	for _, tt := range tests {
		if got := localPath(tt.next); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.next, got, tt.want)
		}
	}
}

// TestConsoleLoginCrossSite checks that a sign-in posted from another site is refused (login
// CSRF), while the site's own form signs in, whatever Origin a browser sends with it: with
// Referrer-Policy: no-referrer, Chromium posts a same-origin form with Origin: null.
func TestConsoleLoginCrossSite(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		header    []string
		withToken bool // the form as the sign-in page served it, cookie and token
		status    int
	}{
		{"own form, Origin null (Chromium with no-referrer)", []string{"Origin", "null", "Sec-Fetch-Site", "same-origin"}, true, http.StatusSeeOther},
		{"own form, Origin null, no Sec-Fetch-Site (plain http)", []string{"Origin", "null"}, true, http.StatusSeeOther},
		{"own form, same origin", []string{"Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin"}, true, http.StatusSeeOther},
		{"own form, no browser headers", nil, true, http.StatusSeeOther},
		{"other origin, even with a token", []string{"Origin", "https://evil.example"}, true, http.StatusForbidden},
		{"cross-site fetch, even with a token", []string{"Sec-Fetch-Site", "cross-site"}, true, http.StatusForbidden},
		{"same-site (a sibling subdomain)", []string{"Sec-Fetch-Site", "same-site"}, true, http.StatusForbidden},
		{"Origin null without the form's token", []string{"Origin", "null"}, false, http.StatusForbidden},
		{"no token at all", nil, false, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &browser{e: e, c: e.browserClient()}
			form := url.Values{"email": {"admin@test"}, "password": {adminPassword}}
			if tt.withToken {
				b.get("/console/login")
				form.Set("csrf", b.csrf)
			}
			req, _ := http.NewRequest("POST", e.srv.URL+"/console/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			r := b.do(req)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, pageText(r.Body))
			}
			if tt.status == http.StatusForbidden {
				for _, ck := range r.Header.Values("Set-Cookie") {
					if strings.HasPrefix(ck, staffCookie+"=") && !strings.HasPrefix(ck, staffCookie+"=;") {
						t.Fatal("a session cookie was set")
					}
				}
				// a way back: the sign-in form again, with a fresh token
				has(t, r, "did not come from this site", `name="password"`, `name="csrf"`)
			}
		})
	}
}

// TestConsolePanelTemplate: the template CSV the panel page offers imports as it is: its groups
// are named by label, which the import takes, and the preview shows the group each row got.
func TestConsolePanelTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	b := e.consoleLogin("admin@test", adminPassword)
	r := b.get(fmt.Sprintf("/console/studies/%d/panel", sid))
	has(t, r, "panel/template.csv", "by its id or its name")
	tpl := b.get(fmt.Sprintf("/console/studies/%d/panel/template.csv", sid))
	if tpl.Status != 200 || !strings.HasPrefix(string(tpl.Body), "name,email,group,country,language\n") || !strings.Contains(string(tpl.Body), "Nurse") {
		t.Fatalf("template: %d %s", tpl.Status, tpl.Body)
	}
	r = b.post(fmt.Sprintf("/console/studies/%d/panel/preview", sid), url.Values{"csv": {string(tpl.Body)}})
	if r.Status != 200 {
		t.Fatalf("preview of the template: %s", pageText(r.Body))
	}
	has(t, r, "<td>Nurse</td>", "<td>Haematologist / oncologist</td>")
	r = b.submit(fmt.Sprintf("/console/studies/%d/panel/import", sid), url.Values{"csv": {string(tpl.Body)}}, http.StatusSeeOther)
	var ps []delphi.Panelist
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, nil, &ps), 200)
	if len(ps) != 4 || ps[1].Group != "nurse" {
		t.Fatalf("imported %+v", ps)
	}
}

// TestConsoleLinksReused: emailing the links again, or downloading them, reuses each panelist's
// current link (links already sent keep working); issuing new links is an explicit act that
// must be confirmed, and then the old ones stop.
func TestConsoleLinksReused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 3, "nurse")
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), 201)
	b := e.consoleLogin("admin@test", adminPassword)
	round := fmt.Sprintf("/console/studies/%d/rounds/1", sid)
	links := func() map[string]string { // email → link, from the CSV
		r := b.post(round+"/links.csv", nil)
		if r.Status != 200 {
			t.Fatalf("links.csv: %s", r)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, rec := range recs[1:] {
			out[rec[2]] = rec[5]
		}
		return out
	}
	first := links()
	e.web.Mailer = &recordingSender{}
	b.submit(round+"/invitations", nil, http.StatusSeeOther)
	second := links()
	for email, l := range first {
		if second[email] != l {
			t.Errorf("%s: the link changed on sending again", email)
		}
		tok := l[strings.LastIndex(l, "/")+1:]
		e.must(e.call("GET", "/api/v1/respond", tok, nil, nil), 200)
	}
	r := b.submit(round+"/reissue", nil, http.StatusUnprocessableEntity)
	has(t, r, "tick the box to confirm")
	r = b.submit(round+"/reissue", url.Values{"confirm": {"yes"}, "panelist": {fmt.Sprint(ids[0])}}, http.StatusSeeOther)
	has(t, r, "1 new link issued; the old one no longer works")
	third := links()
	changed := 0
	for email, l := range first {
		tok := l[strings.LastIndex(l, "/")+1:]
		if third[email] != l {
			changed++
			e.must(e.call("GET", "/api/v1/respond", tok, nil, nil), 410)
		} else {
			e.must(e.call("GET", "/api/v1/respond", tok, nil, nil), 200)
		}
	}
	if changed != 1 {
		t.Errorf("%d links changed, want the one reissued", changed)
	}
}
