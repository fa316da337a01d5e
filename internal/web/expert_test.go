package web

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
)

// expertClient is one panelist's browser: a cookie jar, no automatic redirects.
type expertClient struct {
	e     *env
	c     *http.Client
	token string // the invite token, for checking answers through the API
}

// openLink opens /r/{token} as a browser would and checks that it lands on /respond.
func (e *env) openExpertLink(token string) *expertClient {
	e.t.Helper()
	x := &expertClient{e: e, c: e.browserClient(), token: token}
	r := x.get("/r/" + token)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/respond" {
		e.t.Fatalf("open link: %d %q: %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	return x
}

func (x *expertClient) get(path string) response {
	x.e.t.Helper()
	req, err := http.NewRequest("GET", x.e.srv.URL+path, nil)
	if err != nil {
		x.e.t.Fatal(err)
	}
	return x.send(req)
}

// post sends a form; csrf is added unless the form sets it (an empty value sends none).
func (x *expertClient) post(path string, form url.Values) response {
	x.e.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", x.csrf())
	} else if form.Get("csrf") == "" {
		form.Del("csrf")
	}
	req, err := http.NewRequest("POST", x.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		x.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return x.send(req)
}

func (x *expertClient) send(req *http.Request) response {
	x.e.t.Helper()
	body := requestBody(x.e.t, req)
	res, err := x.c.Do(req)
	if err != nil {
		x.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: b}
	x.e.checkAPI(req, body, r)
	return r
}

var expertCSRFRe = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`)

// csrf reads the CSRF token from the overview page.
func (x *expertClient) csrf() string {
	x.e.t.Helper()
	r := x.get("/respond")
	m := expertCSRFRe.FindSubmatch(r.Body)
	if m == nil {
		x.e.t.Fatalf("no csrf field on /respond: %s", r)
	}
	return string(m[1])
}

// consent gives consent through the welcome page.
func (x *expertClient) consent() {
	x.e.t.Helper()
	r := x.post("/respond/consent", url.Values{"agree": {"yes"}})
	if r.Status != http.StatusSeeOther {
		x.e.t.Fatalf("consent: %s", r)
	}
}

// answers returns the saved answers of the expert's current round, through the API.
func (x *expertClient) answers() map[string]delphi.Answer {
	x.e.t.Helper()
	var out respondJSON
	x.e.must(x.e.call("GET", "/api/v1/respond", x.token, nil, &out), 200)
	m := map[string]delphi.Answer{}
	for _, a := range out.Answers {
		m[a.Item] = a
	}
	return m
}

// section builds a section form: item ids, then field=value pairs ("rating:crs_max_grade", "7").
func sectionForm(items []string, kv ...string) url.Values {
	f := url.Values{"item": items}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f
}

func expertHas(t *testing.T, r response, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(r.Body), w) {
			t.Errorf("page (%d) lacks %q", r.Status, w)
		}
	}
}

func expertLacks(t *testing.T, r response, bad ...string) {
	t.Helper()
	for _, w := range bad {
		if strings.Contains(string(r.Body), w) {
			t.Errorf("page (%d) has %q", r.Status, w)
		}
	}
}

// expertStudy makes a study of survey with n English panelists and round 1 open.
func (e *env) expertStudy(survey string, n int, groups ...string) (int64, []int64, map[int64]string) {
	e.t.Helper()
	sid := e.study(survey)
	ids := e.panel(sid, n, groups...)
	_, toks := e.openRound(sid)
	return sid, ids, toks
}

func TestExpertLinkStates(t *testing.T) {
	noneToken := func(sid, pid int64) string {
		enc := base64.RawURLEncoding.EncodeToString
		h := enc([]byte(`{"alg":"none","typ":"JWT"}`))
		c := enc([]byte(fmt.Sprintf(`{"sid":%d,"pid":%d,"jti":"x","iss":"delphi","aud":["invite"],"exp":%d}`, sid, pid, time.Now().Add(time.Hour).Unix())))
		return h + "." + c + "."
	}
	tests := []struct {
		name    string
		token   func(e *env, sid int64, ids []int64, toks map[int64]string) string
		status  int
		title   string
		contact bool
	}{
		{"valid", func(e *env, sid int64, ids []int64, toks map[int64]string) string { return toks[ids[0]] }, 303, "", false},
		{"tampered", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			tok := toks[ids[0]]
			i := strings.LastIndex(tok, ".") + 5
			c := byte('A')
			if tok[i] == 'A' {
				c = 'B'
			}
			return tok[:i] + string(c) + tok[i+1:]
		}, 401, "This link is not valid", false},
		{"claims swapped", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			a, b := strings.Split(toks[ids[0]], "."), strings.Split(toks[ids[1]], ".")
			return a[0] + "." + b[1] + "." + a[2]
		}, 401, "This link is not valid", false},
		{"expired", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			e.clock.Add(e.svc.InviteTTL + time.Hour)
			return toks[ids[0]]
		}, 410, "This link has expired", true},
		{"revoked", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			var links []delphi.Link
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, map[string]any{"panelists": []int64{ids[0]}}, &links), 201)
			e.must(e.call("DELETE", "/api/v1/invitations/"+links[0].InvitationID, e.admin, nil, nil), 204)
			return links[0].Token
		}, 410, "This link no longer works", true},
		{"re-issued, old link", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, nil), 201)
			return toks[ids[0]]
		}, 410, "This link no longer works", true},
		{"withdrawn panelist", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			e.must(e.call("DELETE", fmt.Sprintf("/api/v1/studies/%d/panelists/%d", sid, ids[0]), e.admin, nil, nil), 204)
			return toks[ids[0]]
		}, 410, "You are no longer on this panel", true},
		{"another study", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			claims, err := e.signer.ParseInvite(toks[ids[0]])
			if err != nil {
				e.t.Fatal(err)
			}
			other := e.study("example")
			tok, err := e.signer.SignInvite(auth.Invite{ID: claims.ID, StudyID: other, PanelistID: claims.PanelistID, Expires: claims.Expires})
			if err != nil {
				e.t.Fatal(err)
			}
			return tok
		}, 401, "This link is not valid", false},
		{"foreign key", func(e *env, sid int64, ids []int64, toks map[int64]string) string {
			claims, _ := e.signer.ParseInvite(toks[ids[0]])
			other, _ := auth.New([]byte("another key, 32 bytes or more, really"), e.clock.Now)
			tok, _ := other.SignInvite(claims)
			return tok
		}, 401, "This link is not valid", false},
		{"alg none", func(e *env, sid int64, ids []int64, toks map[int64]string) string { return noneToken(sid, ids[0]) }, 401, "This link is not valid", false},
		{"garbage", func(e *env, sid int64, ids []int64, toks map[int64]string) string { return "not-a-token" }, 401, "This link is not valid", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each row has its own server and database
			e := newEnv(t)
			var st studyJSON
			e.must(e.call("POST", "/api/v1/studies", e.admin, map[string]string{"survey": "example", "contact": "study-team@example.org"}, &st), 201)
			ids := e.panel(st.ID, 3, "haematologist", "nurse")
			_, toks := e.openRound(st.ID)
			tok := tt.token(e, st.ID, ids, toks)
			x := &expertClient{e: e, c: e.browserClient(), token: tok}
			r := x.get("/r/" + tok)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if strings.Contains(e.logs.String(), tok) {
				t.Error("the token was written to the log")
			}
			if tt.status == 303 {
				if loc := r.Header.Get("Location"); loc != "/respond" {
					t.Errorf("Location %q, want the clean /respond", loc)
				}
				ck := r.Header.Get("Set-Cookie")
				for _, w := range []string{expertCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
					if !strings.Contains(ck, w) {
						t.Errorf("Set-Cookie %q lacks %q", ck, w)
					}
				}
				home := x.get("/respond")
				if home.Status != 200 {
					t.Fatalf("/respond: %s", home)
				}
				expertHas(t, home, "Welcome", "Example: follow-up after CAR T-cell therapy", `action="/respond/consent"`)
				expertLacks(t, home, tok)
				return
			}
			if ck := r.Header.Get("Set-Cookie"); strings.Contains(ck, expertCookie+"=ey") {
				t.Errorf("a refused link set the cookie: %q", ck)
			}
			expertHas(t, r, tt.title)
			expertLacks(t, r, `name="rating:`, `action="/respond/consent"`, tok)
			if tt.contact {
				expertHas(t, r, "mailto:study-team@example.org")
			} else {
				expertLacks(t, r, "study-team@example.org")
			}
			if !strings.Contains(e.logs.String(), "invite link refused") {
				t.Error("the refusal was not logged")
			}
			// Nor does the questionnaire open without the link.
			q := x.get("/respond")
			if q.Status != 401 {
				t.Errorf("/respond without a valid link: %d", q.Status)
			}
			expertHas(t, q, "Please open your personal link")
		})
	}
}

// A link revoked after it was opened stops working at once, cookie or not.
func TestExpertRevokedWhileOpen(t *testing.T) {
	e := newEnv(t)
	sid, ids, toks := e.expertStudy("example", 2, "nurse")
	x := e.openExpertLink(toks[ids[0]])
	x.consent()
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, nil), 201)
	r := x.get("/respond/section/toxicity")
	if r.Status != http.StatusGone {
		t.Fatalf("after re-issue: %s", r)
	}
	expertHas(t, r, "This link no longer works", "use the newest invitation email")
	expertLacks(t, r, `name="rating:`)
	if ck := r.Header.Get("Set-Cookie"); !strings.Contains(ck, expertCookie+"=;") {
		t.Errorf("the dead cookie was not cleared: %q", ck)
	}
	// Posting with the dead cookie saves nothing either.
	if r := x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "7", "csrf", "x")); r.Status != 401 {
		t.Errorf("post after revocation: %d", r.Status)
	}
}

func TestExpertQuestionnaireWithoutJS(t *testing.T) {
	e := newEnv(t)
	_, ids, toks := e.expertStudy("example", 3, "haematologist")
	x := e.openExpertLink(toks[ids[0]])

	// Before consent the questionnaire is not reachable.
	if r := x.get("/respond/section/toxicity"); r.Status != 303 || r.Header.Get("Location") != "/respond" {
		t.Fatalf("section before consent: %d %s", r.Status, r.Header.Get("Location"))
	}
	r := x.post("/respond/consent", url.Values{})
	if r.Status != 422 {
		t.Fatalf("consent without the box: %s", r)
	}
	expertHas(t, r, "Please tick the box")
	x.consent()
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", x.token, nil, &q), 200)
	if !q.Consented {
		t.Fatal("consent not recorded")
	}
	home := x.get("/respond")
	expertHas(t, home, "0 of 8 items answered", `href="/respond/section/toxicity"`, "Start the questionnaire")

	page := x.get("/respond/section/toxicity")
	if page.Status != 200 {
		t.Fatalf("section: %s", page)
	}
	expertHas(t, page, "Maximum CRS grade (ASTCT)", "Highest grade of cytokine release syndrome", "0, 1, 2, 3, 4, 5",
		"days after infusion", "Expansion module: Toxicity detail", "Core data set",
		`name="rating:crs_max_grade" value="9"`, `name="rating:crs_max_grade" value="unable"`, "Unable to score",
		`name="placement:crs_max_grade" value="expansion"`, "Where does this item belong?",
		"Not important", "Important but not critical", "Critical", `<legend>How important is this parameter?`,
		"Section 1 of 3", `maxlength="2000"`)
	expertLacks(t, page, "<fieldset class=\"rating\" aria-describedby")

	items := []string{"crs_max_grade", "icans_max_grade", "crs_onset_day"}
	r = x.post("/respond/section/toxicity", sectionForm(items,
		"rating:crs_max_grade", "8", "placement:crs_max_grade", "core", "comment:crs_max_grade", "Needed for every registry.",
		"rating:icans_max_grade", "unable", "go", "next"))
	if r.Status != 303 || r.Header.Get("Location") != "/respond/section/outcomes?m=saved" {
		t.Fatalf("save section: %d %q %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	got := x.answers()
	if a := got["crs_max_grade"]; a.Rating == nil || *a.Rating != 8 || a.Placement != "core" || a.Comment != "Needed for every registry." {
		t.Errorf("crs_max_grade saved as %+v", a)
	}
	if a := got["icans_max_grade"]; !a.Unable || a.Rating != nil {
		t.Errorf("icans_max_grade saved as %+v", a)
	}
	if _, ok := got["crs_onset_day"]; ok {
		t.Error("an item left empty was saved")
	}

	// A reload finds the answers.
	page = x.get("/respond/section/toxicity?m=saved")
	expertHas(t, page, `value="8" data-band="high" checked`, `value="unable" checked`, `value="core" checked`,
		"Needed for every registry.</textarea>", "Your answers are saved.", "2 of 8 items answered")

	// Changing the rating replaces the whole answer: the comment cleared, the placement kept.
	r = x.post("/respond/section/toxicity", sectionForm(items, "rating:crs_max_grade", "3", "placement:crs_max_grade", "core",
		"rating:icans_max_grade", "unable", "go", "stay"))
	if r.Status != 303 || r.Header.Get("Location") != "/respond/section/toxicity?m=saved" {
		t.Fatalf("save again: %s %q", r, r.Header.Get("Location"))
	}
	if a := x.answers()["crs_max_grade"]; a.Rating == nil || *a.Rating != 3 || a.Comment != "" {
		t.Errorf("after change: %+v", a)
	}
	// The last section goes on to the review.
	r = x.post("/respond/section/quality_of_life", sectionForm([]string{"eq5d", "return_to_work"}, "rating:eq5d", "5", "go", "next"))
	if r.Header.Get("Location") != "/respond/review?m=saved" {
		t.Errorf("last section went to %q", r.Header.Get("Location"))
	}

	rev := x.get("/respond/review")
	expertHas(t, rev, "5 items are not answered yet", `href="/respond/section/toxicity#item-crs_onset_day"`,
		"Best response", `action="/respond/submit"`)
	expertLacks(t, rev, `#item-crs_max_grade"`, `#item-eq5d"`)
	r = x.post("/respond/submit", url.Values{})
	if r.Status != 303 || r.Header.Get("Location") != "/respond/review?m=submitted" {
		t.Fatalf("submit: %s", r)
	}
	rev = x.get("/respond/review?m=submitted")
	expertHas(t, rev, "Thank you: your answers are submitted.", "You submitted this round on", "You can still change your answers")
	expertLacks(t, rev, `action="/respond/submit"`)

	// Still editable after submitting, until the round closes.
	r = x.post("/respond/section/outcomes", sectionForm([]string{"best_response"}, "rating:best_response", "9"))
	if r.Status != 303 {
		t.Fatalf("change after submit: %s", r)
	}

	// The Clear button beside the scale posts the section with that rating removed.
	expertHas(t, x.get("/respond/section/outcomes"), `<button type="submit" name="clear" value="best_response" class="clear-rating secondary">Clear rating`)
	r = x.post("/respond/section/outcomes", sectionForm([]string{"best_response"}, "rating:best_response", "9",
		"placement:best_response", "core", "clear", "best_response"))
	if r.Status != 303 || r.Header.Get("Location") != "/respond/section/outcomes?m=saved#item-best_response" {
		t.Fatalf("clear: %s %q", r, r.Header.Get("Location"))
	}
	if a := x.answers()["best_response"]; a.Rating != nil || a.Unable || a.Placement != "core" {
		t.Errorf("after clearing best_response is %+v", a)
	}
	expertLacks(t, x.get("/respond/section/outcomes"), `name="rating:best_response" value="9" data-band="high" checked`)

	// Round 1 takes suggestions.
	r = x.post("/respond/suggest", url.Values{"label": {""}, "rationale": {"x"}})
	if r.Status != 422 {
		t.Errorf("empty suggestion: %s", r)
	}
	r = x.post("/respond/suggest", url.Values{"label": {"Time to neutrophil recovery"}, "rationale": {"Predicts infections."}})
	if r.Status != 303 {
		t.Fatalf("suggest: %s", r)
	}
	expertHas(t, x.get("/respond/suggest?m=suggested"), "Time to neutrophil recovery", "Predicts infections.", "received",
		"your suggestion is saved for the facilitators")
}

func TestExpertCSRF(t *testing.T) {
	e := newEnv(t)
	_, ids, toks := e.expertStudy("example", 2, "nurse")
	x := e.openExpertLink(toks[ids[0]])
	other := e.openExpertLink(toks[ids[1]])
	x.consent()
	items := []string{"crs_max_grade"}
	tests := []struct {
		name string
		path string
		form url.Values
	}{
		{"section, no token", "/respond/section/toxicity", sectionForm(items, "rating:crs_max_grade", "7", "csrf", "")},
		{"section, wrong token", "/respond/section/toxicity", sectionForm(items, "rating:crs_max_grade", "7", "csrf", "forged")},
		{"section, another expert's token", "/respond/section/toxicity", sectionForm(items, "rating:crs_max_grade", "7", "csrf", other.csrf())},
		{"submit, no token", "/respond/submit", url.Values{"csrf": {""}}},
		{"consent, wrong token", "/respond/consent", url.Values{"agree": {"yes"}, "csrf": {"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := x.post(tt.path, tt.form)
			if r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403: %s", r.Status, r.Body)
			}
			expertHas(t, r, "reload the page")
			if len(x.answers()) != 0 {
				t.Error("something was saved")
			}
		})
	}
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", x.token, nil, &q), 200)
	if q.SubmittedAt != nil {
		t.Error("submitted without a CSRF token")
	}
	// The autosave endpoint too: cookie without the header is refused.
	req, _ := http.NewRequest("PUT", e.srv.URL+"/api/v1/respond/answers", strings.NewReader(`{"answers":[{"item":"crs_max_grade","rating":7}]}`))
	req.Header.Set("Content-Type", "application/json")
	if r := x.send(req); r.Status != http.StatusForbidden {
		t.Errorf("autosave without X-CSRF-Token: %s", r)
	}
	req, _ = http.NewRequest("PUT", e.srv.URL+"/api/v1/respond/answers", strings.NewReader(`{"answers":[{"item":"crs_max_grade","rating":7}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", x.csrf())
	if r := x.send(req); r.Status != 200 {
		t.Errorf("autosave with the token: %s", r)
	}
}

func TestExpertBadInput(t *testing.T) {
	e := newEnv(t)
	sid, ids, toks := e.expertStudy("example", 2, "nurse")
	x := e.openExpertLink(toks[ids[0]])
	x.consent()
	tox := []string{"crs_max_grade", "icans_max_grade"}
	// A valid answer travels with each bad one: nothing may be half saved.
	ok := []string{"rating:icans_max_grade", "6"}
	tests := []struct {
		name   string
		form   url.Values
		status int
		want   string
	}{
		{"rating above the scale", sectionForm(tox, append(ok, "rating:crs_max_grade", "10")...), 422, "Choose a rating from 1 to 9"},
		{"rating below the scale", sectionForm(tox, append(ok, "rating:crs_max_grade", "0")...), 422, "Choose a rating from 1 to 9"},
		{"rating not a number", sectionForm(tox, append(ok, "rating:crs_max_grade", "9; DROP TABLE answers")...), 422, "Choose a rating from 1 to 9"},
		{"placement not an option", sectionForm(tox, append(ok, "placement:crs_max_grade", "everywhere")...), 422, "Choose one of the placement options"},
		{"comment too long", sectionForm(tox, append(ok, "rating:crs_max_grade", "7", "comment:crs_max_grade", strings.Repeat("é", delphi.MaxComment+1))...), 422, "at most 2000 characters"},
		{"reason too long", sectionForm(tox, append(ok, "rating:crs_max_grade", "7", "reason:crs_max_grade", strings.Repeat("x", delphi.MaxReason+1))...), 422, "at most 1000 characters"},
		{"item not in the round", sectionForm(append(tox, "no_such_item"), append(ok, "rating:no_such_item", "5")...), 422, "not part of this round"},
		{"field for an item not on the form", sectionForm(tox, append(ok, "rating:eq5d", "5")...), 400, "unexpected form field"},
		{"unknown field", sectionForm(tox, append(ok, "admin", "1")...), 400, "unexpected form field"},
		{"clear for an item not on the form", sectionForm(tox, append(ok, "clear", "eq5d")...), 400, "clear names no item"},
		{"field twice", sectionForm(tox, append(ok, "rating:crs_max_grade", "5", "rating:crs_max_grade", "6")...), 400, "appears 2 times"},
		{"item listed twice", sectionForm(append(tox, "crs_max_grade"), ok...), 400, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := x.post("/respond/section/toxicity", tt.form)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			expertHas(t, r, tt.want)
			if got := x.answers(); len(got) != 0 {
				t.Errorf("saved %v", got)
			}
			if tt.status == 422 && !strings.Contains(tt.name, "not in the round") {
				// The page comes back with the expert's input and the item marked.
				expertHas(t, r, "Nothing was saved.", `class="field-error"`, `value="6" data-band="mid" checked`)
			}
		})
	}
	t.Run("body too large", func(t *testing.T) {
		r := x.post("/respond/section/toxicity", sectionForm(tox, "comment:crs_max_grade", strings.Repeat("x", 2<<20)))
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %.200s", r.Status, r.Body)
		}
	})
	t.Run("unknown section", func(t *testing.T) {
		if r := x.get("/respond/section/nope"); r.Status != 404 {
			t.Fatalf("status %d", r.Status)
		}
	})
	t.Run("after close", func(t *testing.T) {
		e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
		r := x.post("/respond/section/toxicity", sectionForm(tox, ok...))
		if r.Status != http.StatusConflict {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		expertHas(t, r, "closed")
		if r := x.post("/respond/submit", url.Values{}); r.Status != http.StatusConflict {
			t.Errorf("submit after close: %d", r.Status)
		}
		if got := x.answers(); len(got) != 0 {
			t.Errorf("saved %v", got)
		}
		// The section shows read-only, without a form to post.
		page := x.get("/respond/section/toxicity")
		expertHas(t, page, "This round is closed", "disabled")
		expertLacks(t, page, `name="go"`, `data-autosave`)
	})
}

func TestExpertLanguage(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	var ps []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, []delphi.PanelistInput{
		{Name: "Anna", Email: "anna@example.de", Group: "nurse", Country: "DE", Language: "de"},
		{Name: "Luca", Email: "luca@example.it", Group: "nurse", Country: "IT", Language: "it"},
	}, &ps), 201)
	_, toks := e.openRound(sid)
	de := e.openExpertLink(toks[ps[0].ID])
	home := de.get("/respond")
	expertHas(t, home, `<html lang="de">`, "Willkommen", "Beispiel: Nachsorge nach CAR-T-Zell-Therapie", "Eine kurze Demonstrationsumfrage",
		"Zustimmen und beginnen")
	de.consent()
	page := de.get("/respond/section/toxicity")
	expertHas(t, page, "Maximaler CRS-Grad (ASTCT)", // German where the definition has it
		"Day of CRS onset",                           // English otherwise
		"Highest grade of cytokine release syndrome", // description only in English
		"Wichtig, aber nicht kritisch", "Kann ich nicht beurteilen", "Wohin gehört dieses Item?",
		"Speichern und weiter", "Toxizitäten", "Erweiterungsmodul: Toxizität im Detail")
	expertLacks(t, page, "Maximum CRS grade", "Save and continue")
	// English inside the German page says so (lang="en"); German texts carry no lang of their own.
	expertHas(t, page, `<span lang="en">Day of CRS onset</span>`, `<p class="desc" lang="en">Highest grade`,
		`<span>Maximaler CRS-Grad (ASTCT)</span>`, `<legend>Wie wichtig ist dieser Parameter? <span class="sr" lang="en">Day of CRS onset</span>`)
	expertHas(t, de.get("/respond/review"), `lang="en">Day of CRS onset</a>`)

	// A language the definition lacks gets English throughout.
	it := e.openExpertLink(toks[ps[1].ID])
	it.consent()
	page = it.get("/respond/section/toxicity")
	expertHas(t, page, `<html lang="en">`, "Maximum CRS grade (ASTCT)", "Save and continue")
	expertLacks(t, page, `lang="en">Day of CRS onset`)
}

func TestExpertEscapesHostileText(t *testing.T) {
	e := newEnv(t)
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	sid := e.study("example")
	ids := e.panel(sid, 3, "nurse")
	var r1 roundJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"items": []any{
		"crs_max_grade",
		map[string]any{"id": "evil_item", "section": "toxicity", "label": map[string]string{"en": evil}, "description": map[string]string{"en": evil}},
	}}, &r1), 201)
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/invitations", sid), e.admin, nil, &links), 201)
	for _, l := range links {
		e.must(e.call("POST", "/api/v1/respond/consent", l.Token, nil, nil), 200)
		e.must(e.call("PUT", "/api/v1/respond/answers", l.Token, map[string]any{"answers": []map[string]any{
			{"item": "crs_max_grade", "rating": 5, "comment": evil}, {"item": "evil_item", "rating": 2 + int(l.PanelistID%3)*3}}}, nil), 200)
		e.must(e.call("POST", "/api/v1/respond/submit", l.Token, nil, nil), 200)
	}
	x := e.openExpertLink(links[0].Token)
	page := x.get("/respond/section/toxicity")
	expertHas(t, page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	expertLacks(t, page, evil, "<script>alert", "<img src=x")

	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{"items": []string{"crs_max_grade", "evil_item"}}, nil), 201)
	var links2 []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/2/invitations", sid), e.admin, nil, &links2), 201)
	x = e.openExpertLink(links2[0].Token)
	page = x.get("/respond/section/toxicity")
	expertHas(t, page, "Comments from the panel (3)", "&lt;img src=x onerror=alert(1)&gt;")
	expertLacks(t, page, evil, "<script>alert", "<img src=x")
	_ = ids
}

// expertRateAll saves and submits answers for every panelist through the API: rating(i, item) gives
// panelist i's rating (0 for unable).
func (e *env) expertRateAll(toks map[int64]string, ids []int64, items []string, rating func(i int, item string) int, comment string) {
	e.t.Helper()
	for i, id := range ids {
		tok := toks[id]
		e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
		var as []map[string]any
		for _, it := range items {
			a := map[string]any{"item": it}
			if r := rating(i, it); r > 0 {
				a["rating"] = r
			} else {
				a["unable"] = true
			}
			if comment != "" && i == 0 {
				a["comment"] = comment
			}
			as = append(as, a)
		}
		e.must(e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": as}, nil), 200)
		e.must(e.call("POST", "/api/v1/respond/submit", tok, nil, nil), 200)
	}
}

func exampleItemIDs() []string {
	return []string{"crs_max_grade", "icans_max_grade", "crs_onset_day", "best_response", "overall_survival", "death_cause", "eq5d", "return_to_work"}
}

func TestExpertFeedbackRound2(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	// example.yaml: min_group_size 3. Four haematologists and three nurses are broken out; the
	// one data manager and two patient representatives are not (together three ratings, so the
	// panel minus the groups shown gives no small group away).
	ids := e.panel(sid, 10, "haematologist", "nurse", "haematologist", "nurse", "haematologist", "nurse", "haematologist", "data_manager",
		"patient_representative", "patient_representative")
	_, toks := e.openRound(sid)
	spread := []int{2, 5, 8, 3, 6, 9, 4, 7, 5, 6} // no consensus on any item
	e.expertRateAll(toks, ids, exampleItemIDs(), func(i int, _ string) int { return spread[i] }, "Round one thought")
	// Four of them also place the first item: two core, one expansion, one not needed.
	for i, pl := range []string{"core", "core", "expansion", "not_needed"} {
		a := map[string]any{"item": "crs_max_grade", "rating": spread[i], "placement": pl}
		if i == 0 {
			a["comment"] = "Round one thought"
		}
		e.must(e.call("PUT", "/api/v1/respond/answers", toks[ids[i]], map[string]any{"answers": []any{a}}, nil), 200)
	}
	// The last one clears their rating of eq5d: no longer counted, as rated or as unable.
	e.must(e.call("PUT", "/api/v1/respond/answers", toks[ids[9]], map[string]any{"answers": []any{map[string]any{"item": "eq5d"}}}, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), 200)

	// Between rounds the link shows round 1 read-only.
	x := e.openExpertLink(toks[ids[0]])
	home := x.get("/respond")
	expertHas(t, home, "Round 1 closed on", "Your answers", "2 – Not important", "Round one thought", "share the panel")
	expertLacks(t, home, `action="/respond/consent"`)

	_, toks2 := e.openRound(sid)
	x = e.openExpertLink(toks2[ids[0]])
	page := x.get("/respond/section/toxicity")
	if page.Status != 200 {
		t.Fatalf("round 2 section: %s", page)
	}
	expertHas(t, page, "Round 2", "Round 1 results", "Your answer in round 1:", "2 – Not important",
		`<svg class="hist-chart"`, `class="bar b-low"`, "<caption>Ratings per point</caption>",
		`<th scope="row">1</th><td>0</td>`, `<th scope="row">2 (your rating)</th><td>1</td>`, `class="own-mark"`, "▲ your rating",
		`aria-describedby="fbown-crs_max_grade fbsum-crs_max_grade"`, `id="fbsum-crs_max_grade"`,
		"Where the panel placed it (4 answers)", `<th scope="row">Core data set</th>`, `value="50"`, "50% (2)", "25% (1)",
		"Median:", "By stakeholder group", "Haematologist / oncologist", "Nurse",
		"2 groups with fewer than 3 ratings are not shown separately.",
		"Comments from the panel (1)", "Round one thought", "no consensus",
		`data-prev-band="low"`, `class="reason collapsed"`, "Why did you change it?")
	expertLacks(t, page, "Data manager / registry", "Patient representative")
	// Percent per band of 10 ratings: 2, 3 low; 4, 5, 5, 6, 6 mid; 7, 8, 9 high.
	expertHas(t, page, "Not important (1–3)</th><td class=\"num\">2</td><td class=\"num\">20%</td>",
		"Important but not critical (4–6)</th><td class=\"num\">5</td><td class=\"num\">50%</td>")

	var q2 struct {
		Items []struct {
			ID       string `json:"id"`
			Feedback struct {
				NRated  int   `json:"n_rated"`
				NUnable int   `json:"n_unable"`
				Hist    []int `json:"hist"`
			} `json:"feedback"`
		} `json:"items"`
	}
	e.must(e.call("GET", "/api/v1/respond", toks2[ids[0]], nil, &q2), 200)
	found := false
	for _, it := range q2.Items {
		if it.ID != "eq5d" {
			continue
		}
		found = true
		if f := it.Feedback; f.NRated != 9 || f.NUnable != 0 || len(f.Hist) != 9 || f.Hist[5] != 1 {
			t.Errorf("eq5d after one rating was cleared: %+v (want 9 rated, one 6 left)", f)
		}
	}
	if !found {
		t.Error("eq5d is not in round 2")
	}
	// The API gives the same placement split.
	r2 := e.must(e.call("GET", "/api/v1/respond", toks2[ids[0]], nil, nil), 200)
	if !strings.Contains(string(r2.Body), `"placement":[{"Option":"core","N":2,"Pct":50},{"Option":"expansion","N":1,"Pct":25},{"Option":"not_needed","N":1,"Pct":25}]`) {
		t.Errorf("the API lacks the placement split: %.2000s", r2.Body)
	}

	// A new rating in another band opens the reason field; the reason is saved.
	x.consent()
	r := x.post("/respond/section/toxicity", sectionForm([]string{"crs_max_grade"}, "rating:crs_max_grade", "8",
		"reason:crs_max_grade", "The panel convinced me."))
	if r.Status != 303 {
		t.Fatalf("save: %s", r)
	}
	if a := x.answers()["crs_max_grade"]; a.Reason != "The panel convinced me." {
		t.Errorf("reason not saved: %+v", a)
	}
	expertHas(t, x.get("/respond/section/toxicity"), `class="reason"`, "The panel convinced me.</textarea>")
}

// Every expert page renders for CART-CD in every catalogue language, with no catalogue key left
// on screen.
func TestExpertPagesRenderCARTCD(t *testing.T) {
	e := newEnv(t)
	sid := e.study("cart-cd")
	var ps []delphi.Panelist
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), e.admin, []delphi.PanelistInput{
		{Name: "A", Email: "a@example.org", Group: "nurse", Language: "en"},
		{Name: "B", Email: "b@example.org", Group: "nurse", Language: "de"},
		{Name: "C", Email: "c@example.org", Group: "nurse", Language: "fr"},
	}, &ps), 201)
	_, toks := e.openRound(sid)
	keyRe := regexp.MustCompile(`>\s*[a-z]+\.[a-z_]+(\.[a-z_]+)*\s*<`)
	for _, p := range ps {
		x := e.openExpertLink(toks[p.ID])
		pages := []string{"/respond"}
		welcome := x.get("/respond")
		if m := keyRe.Find(welcome.Body); m != nil {
			t.Errorf("%s welcome: untranslated key %s", p.Language, m)
		}
		x.consent()
		var q respondJSON
		e.must(e.call("GET", "/api/v1/respond", x.token, nil, &q), 200)
		if len(q.Items) != 138 {
			t.Errorf("CART-CD round 1 has %d items, want 138", len(q.Items))
		}
		seen := map[string]bool{}
		for _, it := range q.Items {
			if !seen[it.SectionID] {
				seen[it.SectionID] = true
				pages = append(pages, "/respond/section/"+it.SectionID)
			}
		}
		pages = append(pages, "/respond/review", "/respond/suggest")
		for _, path := range pages {
			r := x.get(path)
			if r.Status != 200 {
				t.Fatalf("%s %s: %s", p.Language, path, r)
			}
			if m := keyRe.Find(r.Body); m != nil {
				t.Errorf("%s %s: untranslated key %s", p.Language, path, m)
			}
		}
	}
}
