package web

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
)

// answerAll has an expert consent, rate every item of their round with rate(item), and submit.
func (e *env) answerAll(tok string, rate func(item string) *int, comment string) {
	e.t.Helper()
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
	var as []delphi.Answer
	for _, it := range q.Items {
		a := delphi.Answer{Item: it.ID, Rating: rate(it.ID), Comment: comment}
		if a.Rating == nil {
			a.Unable = true
		}
		as = append(as, a)
	}
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": as}, nil), 200)
	e.must(e.call("POST", "/api/v1/respond/submit", tok, nil, nil), 200)
}

func ip(v int) *int { return &v }

// TestAPIThreeRounds runs a study through three rounds with a 30-person panel using the API alone.
func TestAPIThreeRounds(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	var st studyJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d", sid), e.admin, nil, &st), 200)
	groups := make([]string, len(st.Definition.Groups))
	for i, g := range st.Definition.Groups {
		groups[i] = g.ID
	}
	ids := e.panel(sid, 30, groups...)
	items := st.Definition.Items()
	if len(items) < 4 {
		t.Fatalf("example survey has %d items", len(items))
	}
	// item 0: everyone 8 (consensus in); item 1: everyone 2 (out); others split (no consensus)
	rate := func(p int) func(string) *int {
		return func(item string) *int {
			switch item {
			case items[0].ID:
				return ip(8)
			case items[1].ID:
				return ip(2)
			}
			return ip(1 + (p*7+len(item))%9)
		}
	}

	// round 1
	n, toks := e.openRound(sid)
	if n != 1 || len(toks) != 30 {
		t.Fatalf("round %d with %d links", n, len(toks))
	}
	// illegal: a second open round
	r := e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "still open") {
		t.Fatalf("second open round: %s", r)
	}
	for i, id := range ids[:25] { // 5 do not answer
		e.answerAll(toks[id], rate(i), "")
	}
	// a suggestion in round 1
	var sg delphi.Suggestion
	e.must(e.call("POST", "/api/v1/respond/suggestions", toks[ids[0]], map[string]string{"label": "Time to neutrophil recovery", "rationale": "matters"}, &sg), 201)

	var prog delphi.Progress
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/progress", sid), e.admin, nil, &prog), 200)
	if prog.Counts.Invited != 30 || prog.Counts.Submitted != 25 || prog.Counts.NotStarted != 5 || len(prog.NotYet) != 5 {
		t.Fatalf("progress %+v", prog.Counts)
	}
	// results of an open round are not available
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid), e.admin, nil, nil), http.StatusConflict)

	var sum map[string]any
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, &sum), 200)
	if sum["submitted"].(float64) != 25 || sum["invited"].(float64) != 30 {
		t.Fatalf("close summary %v", sum)
	}
	// closing twice is refused; answering after close is refused
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, nil), http.StatusConflict)
	r = e.call("PUT", "/api/v1/respond/answers", toks[ids[0]], map[string]any{"answers": []delphi.Answer{{Item: items[2].ID, Rating: ip(5)}}}, nil)
	if r.Status != http.StatusConflict {
		t.Fatalf("answer after close: %s", r)
	}

	var snap delphi.Snapshot
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid), e.admin, nil, &snap), 200)
	if c := snap.ClassOf(items[0].ID); c != "consensus_in" {
		t.Fatalf("item 0 class %q", c)
	}
	if c := snap.ClassOf(items[1].ID); c != "consensus_out" {
		t.Fatalf("item 1 class %q", c)
	}
	if got := snap.Result.Items.Get(items[0].ID).NRated; got != 25 {
		t.Fatalf("n_rated %d, want 25 (submitters only)", got)
	}

	// triage the suggestion, then round 2 is the proposal: no-consensus items plus the suggestion
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/suggestions/%d/triage", sid, sg.ID), e.admin,
		delphi.Triage{Decision: "accept", ItemID: "neutrophil_recovery", Section: st.Definition.Sections[0].ID}, nil), 204)
	var prop delphi.Proposal
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/next", sid), e.admin, nil, &prop), 200)
	if len(prop.Panelists) != 25 || prop.Leaving[items[0].ID] != "consensus_in" || prop.Leaving[items[1].ID] != "consensus_out" {
		t.Fatalf("proposal %+v", prop)
	}
	if last := prop.Items[len(prop.Items)-1]; last.ID != "neutrophil_recovery" {
		t.Fatalf("accepted suggestion not proposed: %+v", prop.Items)
	}
	n, toks = e.openRound(sid)
	if n != 2 || len(toks) != 25 {
		t.Fatalf("round %d with %d links, want 2 with 25 (submitters of round 1)", n, len(toks))
	}
	var round2 roundJSON
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/2", sid), e.admin, nil, &round2), 200)
	if len(round2.Items) != len(items)-2+1 {
		t.Fatalf("round 2 has %d items, want %d", len(round2.Items), len(items)-1)
	}
	// round-2 feedback: own previous answer, distribution, class
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", toks[ids[3]], nil, &q), 200)
	fb := q.Items[0].Feedback
	if fb == nil || fb.Own == nil || fb.NRated != 25 || len(fb.Bands) != 3 || fb.Class != "no_consensus" {
		t.Fatalf("feedback %+v", fb)
	}
	for _, g := range fb.Groups {
		if g.NRated < 5 {
			t.Fatalf("group %s with %d ratings broken out", g.ID, g.NRated)
		}
	}
	// an old round-1 link re-issued in round 2 is refused with 410
	for i, id := range ids[:20] {
		e.answerAll(toks[id], rate(i+100), "second thoughts")
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/2/close", sid), e.admin, nil, nil), 200)
	var snap2 delphi.Snapshot
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/2/report.json", sid), e.admin, nil, &snap2), 200)
	if snap2.Stability == nil || snap2.Stability.FromRound != 1 || len(snap2.Stability.Items) == 0 {
		t.Fatalf("round 2 stability %+v", snap2.Stability)
	}
	if len(snap2.Comments[round2.Items[0].ID]) != 20 {
		t.Fatalf("comments %v", snap2.Comments)
	}

	// round 3: reword an item, drop the rest
	reword := round2.Items[0].ID
	dropped := map[string]string{}
	for _, it := range round2.Items[1:] {
		dropped[it.ID] = "covered elsewhere"
	}
	body := map[string]any{
		"deadline": e.clock.Now().Add(72 * time.Hour),
		"items":    []any{map[string]any{"id": reword, "label": map[string]string{"en": "Reworded label"}, "derived_from": []string{reword}, "reason": "clearer"}},
		"dropped":  dropped,
	}
	var round3 roundJSON
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, body, &round3), 201)
	if round3.Number != 3 || len(round3.Items) != 1 || round3.Items[0].Label["en"] != "Reworded label" || !round3.Items[0].Changed {
		t.Fatalf("round 3 %+v", round3)
	}
	var links []delphi.Link
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/3/invitations", sid), e.admin, nil, &links), 201)
	if len(links) != 20 {
		t.Fatalf("round 3 links %d, want 20", len(links))
	}
	// the round-2 link of a round-3 panelist was replaced
	r = e.call("GET", "/api/v1/respond", toks[ids[0]], nil, nil)
	if r.Status != http.StatusGone {
		t.Fatalf("replaced link: %s", r)
	}
	for i, l := range links {
		e.answerAll(l.Token, rate(i+200), "")
	}
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/3/close", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/finish", sid), e.admin, nil, nil), 200)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), e.admin, map[string]any{}, nil), http.StatusConflict)

	var audit []map[string]any
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/audit", sid), e.admin, nil, &audit), 200)
	actions := map[string]int{}
	for _, a := range audit {
		actions[a["Action"].(string)]++
	}
	for _, want := range []string{"study.create", "panel.add", "round.open", "round.close", "invitations.issue", "round.submit", "study.finish"} {
		if actions[want] == 0 {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	tests := []struct {
		name, method, path, token string
		body                      any
		ct                        string
		status                    int
		code, field               string
	}{
		{"no token", "GET", "/api/v1/studies", "", nil, "", 401, "unauthorized", ""},
		{"bad token", "GET", "/api/v1/studies", "nonsense", nil, "", 401, "unauthorized", ""},
		{"unknown study", "GET", "/api/v1/studies/999", "admin", nil, "", 404, "not_found", ""},
		{"bad study id", "GET", "/api/v1/studies/abc", "admin", nil, "", 404, "not_found", "sid"},
		{"malformed JSON", "POST", "/api/v1/studies", "admin", `{"survey":`, "", 400, "malformed", ""},
		{"unknown field", "POST", "/api/v1/studies", "admin", `{"survy":"x"}`, "", 400, "malformed", "survy"},
		{"wrong type", "POST", "/api/v1/studies", "admin", `{"survey":3}`, "", 400, "malformed", "survey"},
		{"two values", "POST", "/api/v1/studies", "admin", `{"survey":"example"}{}`, "", 400, "malformed", ""},
		{"wrong content type", "POST", "/api/v1/studies", "admin", `survey=example`, "application/x-www-form-urlencoded", 415, "unsupported", ""},
		{"unknown survey", "POST", "/api/v1/studies", "admin", `{"survey":"nope"}`, "", 422, "invalid", "survey"},
		{"path in survey", "POST", "/api/v1/studies", "admin", `{"survey":"../etc/passwd"}`, "", 422, "invalid", "survey"},
		{"invalid definition", "POST", "/api/v1/studies", "admin", `{"definition":"id: x\nversion: 0\n"}`, "", 422, "invalid", "definition"},
		{"huge body", "POST", "/api/v1/studies", "admin", `{"definition":"` + strings.Repeat("a", 2<<20) + `"}`, "", 413, "too_large", ""},
		{"panel bad email", "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), "admin", `[{"name":"A","email":"nope","group":"haematologist"}]`, "", 422, "invalid", ""},
		{"panel csv unknown group", "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", sid), "admin", "name,email,group\nA,a@x.org,wizard\n", "text/csv", 422, "invalid", ""},
		{"close round never opened", "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), "admin", nil, "", 404, "not_found", ""},
		{"revoke unknown", "DELETE", "/api/v1/invitations/nope", "admin", nil, "", 404, "not_found", ""},
		{"method not allowed", "PUT", "/api/v1/studies", "admin", nil, "", 405, "method", ""},
		{"no route", "GET", "/api/v1/nothing", "admin", nil, "", 404, "not_found", ""},
		{"unknown field in an item", "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), "admin", `{"items":[{"id":"x","lable":{"en":"y"}}]}`, "", 400, "malformed", "lable"},
		{"deadline in the past", "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", sid), "admin", `{"deadline":"2001-01-01T00:00:00Z"}`, "", 422, "invalid", "deadline"},
		{"respond without link", "GET", "/api/v1/respond", "", nil, "", 401, "unauthorized", ""},
		{"respond with staff token", "GET", "/api/v1/respond", "admin", nil, "", 401, "unauthorized", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token
			if tok == "admin" {
				tok = e.admin
			}
			var rd *strings.Reader
			switch b := tt.body.(type) {
			case string:
				rd = strings.NewReader(b)
			case nil:
				rd = strings.NewReader("")
			}
			req, _ := http.NewRequest(tt.method, e.srv.URL+tt.path, rd)
			if tt.body != nil {
				ct := tt.ct
				if ct == "" {
					ct = "application/json"
				}
				req.Header.Set("Content-Type", ct)
			}
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			r := e.do(req, nil)
			var b apiErrorBody
			if err := json.Unmarshal(r.Body, &b); err != nil {
				t.Fatalf("not a JSON error: %s", r)
			}
			if r.Status != tt.status || b.Error.Code != tt.code || (tt.field != "" && b.Error.Field != tt.field) || b.Error.Message == "" {
				t.Fatalf("got %s, want %d %s field %q", r, tt.status, tt.code, tt.field)
			}
		})
	}
}

// TestAPIAnswersAllOrNothing checks that a save with one bad answer writes none of them.
func TestAPIAnswersAllOrNothing(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 3, "haematologist")
	_, toks := e.openRound(sid)
	tok := toks[ids[0]]
	var q respondJSON
	e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
	a, b := q.Items[0].ID, q.Items[1].ID
	// before consent
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": []delphi.Answer{{Item: a, Rating: ip(5)}}}, nil), 403)
	e.must(e.call("POST", "/api/v1/respond/consent", tok, nil, nil), 200)
	bad := []struct {
		name  string
		ans   []delphi.Answer
		field string
	}{
		{"rating above scale", []delphi.Answer{{Item: a, Rating: ip(5)}, {Item: b, Rating: ip(10)}}, "answers[1].rating"},
		{"rating below scale", []delphi.Answer{{Item: a, Rating: ip(5)}, {Item: b, Rating: ip(0)}}, "answers[1].rating"},
		{"unknown item", []delphi.Answer{{Item: a, Rating: ip(5)}, {Item: "nope", Rating: ip(3)}}, "answers[1].item"},
		{"rating and unable", []delphi.Answer{{Item: a, Rating: ip(5), Unable: true}}, "answers[0].unable"},
		{"comment too long", []delphi.Answer{{Item: a, Rating: ip(5), Comment: strings.Repeat("x", delphi.MaxComment+1)}}, "answers[0].comment"},
		{"bad placement", []delphi.Answer{{Item: a, Rating: ip(5), Placement: "space"}}, "answers[0].placement"},
		{"duplicate item", []delphi.Answer{{Item: a, Rating: ip(5)}, {Item: a, Rating: ip(6)}}, "answers[1].item"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call("PUT", "/api/v1/respond/answers", tok, map[string]any{"answers": tt.ans}, nil)
			var body apiErrorBody
			_ = json.Unmarshal(r.Body, &body)
			if r.Status != 422 || body.Error.Field != tt.field {
				t.Fatalf("got %s, want 422 on %s", r, tt.field)
			}
			var q respondJSON
			e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
			if len(q.Answers) != 0 {
				t.Fatalf("half saved: %+v", q.Answers)
			}
		})
	}
	// a good save is idempotent
	good := map[string]any{"answers": []delphi.Answer{{Item: a, Rating: ip(7), Comment: "<script>alert(1)</script>"}, {Item: b, Unable: true}}}
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, good, nil), 200)
	e.must(e.call("PUT", "/api/v1/respond/answers", tok, good, nil), 200)
	e.must(e.call("GET", "/api/v1/respond", tok, nil, &q), 200)
	if len(q.Answers) != 2 {
		t.Fatalf("answers %+v", q.Answers)
	}
	// another expert cannot see them
	var q2 respondJSON
	e.must(e.call("GET", "/api/v1/respond", toks[ids[1]], nil, &q2), 200)
	if len(q2.Answers) != 0 {
		t.Fatalf("expert sees another's answers: %+v", q2.Answers)
	}
}

// TestConcurrentSavesAndClose races saves against the close: every acknowledged answer is in
// the snapshot; every refused one is not in the database.
func TestConcurrentSavesAndClose(t *testing.T) {
	e := newEnv(t)
	sid := e.study("example")
	ids := e.panel(sid, 12, "haematologist", "nurse", "patient_representative")
	_, toks := e.openRound(sid)
	var q respondJSON
	for _, id := range ids {
		e.must(e.call("POST", "/api/v1/respond/consent", toks[id], nil, nil), 200)
		e.must(e.call("POST", "/api/v1/respond/submit", toks[id], nil, nil), 200)
	}
	e.must(e.call("GET", "/api/v1/respond", toks[ids[0]], nil, &q), 200)
	item := q.Items[0].ID
	type result struct {
		id     int64
		rating int
		ok     bool
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	done := make(chan struct{})
	for _, id := range ids {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(id))
			for {
				select {
				case <-done:
					return
				default:
				}
				v := 1 + rng.Intn(9)
				r := e.call("PUT", "/api/v1/respond/answers", toks[id], map[string]any{"answers": []delphi.Answer{{Item: item, Rating: &v}}}, nil)
				mu.Lock()
				results = append(results, result{id, v, r.Status == 200})
				mu.Unlock()
				if r.Status != 200 {
					if r.Status != http.StatusConflict {
						t.Errorf("save: %s", r)
					}
					return
				}
			}
		}(id)
	}
	time.Sleep(150 * time.Millisecond)
	var sum map[string]any
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", sid), e.admin, nil, &sum), 200)
	close(done)
	wg.Wait()
	last := map[int64]int{}
	for _, r := range results {
		if r.ok {
			last[r.id] = r.rating
		}
	}
	var snap delphi.Snapshot
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.json", sid), e.admin, nil, &snap), 200)
	hist := snap.Result.Items.Get(item).Hist
	want := make([]int, 9)
	for _, v := range last {
		want[v-1]++
	}
	if fmt.Sprint(hist) != fmt.Sprint(want) {
		t.Fatalf("snapshot histogram %v, acknowledged last answers %v", hist, want)
	}
}

// TestAPIPanelEditPreviewErase covers what the other API tests reach only through the console:
// a panel import's preview (JSON and CSV), editing a panelist, and erasing a finished study's
// personal data; the answers are checked against the OpenAPI document like every other.
func TestAPIPanelEditPreviewErase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sid := e.study("cart-cd")
	ids := e.panel(sid, 2, "haematologist")
	panel := fmt.Sprintf("/api/v1/studies/%d/panelists", sid)

	var pv delphi.ImportPreview
	e.must(e.call("POST", panel+"/preview", e.admin, []delphi.PanelistInput{{Name: "A", Email: "a@example.org", Group: "nurse"},
		{Name: "B", Email: "nope", Group: "nurse"}}, &pv), 200)
	if len(pv.Rows) != 2 || len(pv.Problems) != 1 {
		t.Errorf("JSON preview: %+v", pv)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+panel+"/preview", strings.NewReader("name,email,group\nC,c@example.org,nurse\n"))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+e.admin)
	pv = delphi.ImportPreview{}
	e.must(e.do(req, &pv), 200)
	if len(pv.Rows) != 1 || len(pv.Problems) != 0 {
		t.Errorf("CSV preview: %+v", pv)
	}
	var ps []delphi.Panelist
	e.must(e.call("GET", panel, e.admin, nil, &ps), 200)
	if len(ps) != 2 {
		t.Fatalf("the previews wrote to the panel: %d panelists", len(ps))
	}

	var p delphi.Panelist
	e.must(e.call("PATCH", fmt.Sprintf("%s/%d", panel, ids[0]), e.admin, delphi.PanelistInput{Name: "Renamed", Email: "r@example.org",
		Group: "nurse", Country: "AT", Language: "de"}, &p), 200)
	if p.Name != "Renamed" || p.Group != "nurse" || p.Language != "de" {
		t.Errorf("edited panelist: %+v", p)
	}

	fin := e.simStudy(6, 1)
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/finish", fin), e.admin, nil, nil), 200)
	var erased store.Erased
	e.must(e.call("POST", fmt.Sprintf("/api/v1/studies/%d/erase", fin), e.admin, nil, &erased), 200)
	if erased.Panelists != 6 {
		t.Errorf("erased %+v, want 6 panelists", erased)
	}
}
