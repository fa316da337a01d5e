package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report/reporttest"
	"github.com/cart-cd/delphi/templates"
)

// reportFiles are every export of a round.
var reportFiles = []string{"report.json", "report.csv", "report.xlsx", "report.html", "answers.csv", "outcome.csv", "comments.csv"}

// simStudy runs a simulated study of the fixture survey through the domain, on the env's clock.
func (e *env) simStudy(panelists, rounds int) int64 {
	e.t.Helper()
	sid, err := reporttest.Run(context.Background(), e.svc, reporttest.Options{Definition: reporttest.Fixture,
		Panelists: panelists, Rounds: rounds, Seed: 7, Advance: e.clock.Add, Hostile: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword) // the simulation took weeks
	return sid
}

// get fetches a path with the admin's bearer token.
func (e *env) get(path string, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	// a transport of its own, so that Go does not gunzip for us
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// roundReports fetches every export and view of a round.
func (e *env) roundReports(sid int64, n int) map[string][]byte {
	e.t.Helper()
	out := map[string][]byte{}
	for _, f := range reportFiles {
		r := e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/%d/%s", sid, n, f)), 200)
		out[f] = r.Body
	}
	for _, v := range []string{"screen", "print", "slides"} {
		r := e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/%d?view=%s", sid, n, v)), 200)
		i := bytes.Index(r.Body, []byte(`<div class="report" id="report">`))
		if i < 0 {
			e.t.Fatalf("view %s: no report in the page", v)
		}
		out["page-"+v] = r.Body[i:]
	}
	return out
}

// TestReportNeverChanges: the reports of a closed round are the same bytes before and after
// more answers and rounds come (and after a restart of the caches).
func TestReportNeverChanges(t *testing.T) {
	e := newEnv(t)
	sid := e.simStudy(16, 1)
	before := e.roundReports(sid, 1)

	// round 2 opens, is answered and closes; a late change to the panel comes too
	ctx := context.Background()
	if _, err := e.svc.OpenRound(ctx, delphi.System, sid, delphi.OpenRoundInput{}); err != nil {
		t.Fatal(err)
	}
	links, err := e.svc.IssueInvitations(ctx, delphi.System, sid, 2, nil, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links[:len(links)/2] {
		ex, err := e.svc.Expert(ctx, l.Token)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := e.svc.Study(ctx, sid)
		items, _ := e.svc.Items(ctx, st, st.Round(2))
		v := 9
		var as []delphi.Answer
		for _, it := range items {
			as = append(as, delphi.Answer{Item: it.ID, Rating: &v, Comment: "late comment"})
		}
		if _, err := e.svc.SaveAnswers(ctx, ex, as); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Submit(ctx, ex); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(48 * 3600e9)
	if _, err := e.svc.CloseRound(ctx, delphi.System, sid, 2); err != nil {
		t.Fatal(err)
	}
	e.admin = e.login("admin@test", adminPassword)
	after := e.roundReports(sid, 1)
	for name, b := range before {
		if name == "page-slides" {
			// the slides are a deck for a room: its items under discussion follow the
			// outcome's ranking (delphi.Service.RankOpen), which later rounds and meeting
			// decisions change; the round's figures on them do not
			continue
		}
		if !bytes.Equal(b, after[name]) {
			t.Errorf("round 1 %s changed after round 2", name)
		}
	}
	// a fresh server (empty caches) gives the same bytes too
	w, err := New(e.web.Deps)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Config.Handler = w
	fresh := e.roundReports(sid, 1)
	if !bytes.Equal(after["page-slides"], fresh["page-slides"]) {
		t.Error("round 1 slides differ on a fresh server")
	}
	for name, b := range before {
		if name == "page-slides" {
			continue
		}
		if !bytes.Equal(b, fresh[name]) {
			t.Errorf("round 1 %s differs on a fresh server", name)
		}
	}
	// round 2's report sees round 1 as its previous round
	r2 := e.roundReports(sid, 2)
	if !bytes.Contains(r2["page-screen"], []byte("Change since round 1")) {
		t.Error("round 2 summary lacks the change since round 1")
	}
}

func TestReportPagesAndExports(t *testing.T) {
	e := newEnv(t)
	sid := e.simStudy(20, 2)

	// the index lists the closed rounds
	r := e.must(e.get("/reports"), 200)
	for _, want := range []string{fmt.Sprintf("/reports/studies/%d/rounds/1", sid), fmt.Sprintf("/reports/studies/%d/rounds/2", sid),
		fmt.Sprintf("/reports/studies/%d/outcome", sid)} {
		if !bytes.Contains(r.Body, []byte(want)) {
			t.Errorf("index lacks %s", want)
		}
	}
	page := e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/2?view=slides", sid)), 200)
	for _, want := range []string{`class="report-page view-slides"`, templates.Static("report.js"), templates.Static("report.css"),
		`<svg class="hist"`, `class="traffic"`, `class="slide deck-item"`, "Appendix: the other items", `class="slide`} {
		if !bytes.Contains(page.Body, []byte(want)) {
			t.Errorf("slides page lacks %s", want)
		}
	}
	if bytes.Contains(page.Body, []byte("<script>alert")) || bytes.Contains(page.Body, []byte(" style=")) {
		t.Error("the page has unescaped markup or an inline style")
	}
	if e.must(e.get(fmt.Sprintf("/reports/studies/%d/outcome", sid)), 200).Status != 200 {
		t.Fatal("outcome page")
	}

	// gzip when asked
	gz := e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/1", sid), "Accept-Encoding", "gzip"), 200)
	if gz.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", gz.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !bytes.Contains(b, []byte("Round 1 summary")) {
		t.Error("gzipped page does not unpack to the summary")
	}

	// downloads are attachments with sane names, without names or emails
	for _, f := range reportFiles {
		res := e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/2/%s", sid, f)), 200)
		cd := res.Header.Get("Content-Disposition")
		if !strings.HasPrefix(cd, `attachment; filename="report-fixture-study`) {
			t.Errorf("%s: Content-Disposition %q", f, cd)
		}
		if bytes.Contains(res.Body, []byte("Expert Name")) || bytes.Contains(res.Body, []byte("@hospital.example.org")) {
			t.Errorf("%s holds a panelist's name or email", f)
		}
	}
	// errors: an unknown export, an open round, no token
	e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.pdf", sid)), 404)
	e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/9/report.csv", sid)), 404)
	e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/1?view=poster", sid)), 422)
	if _, err := e.svc.OpenRound(context.Background(), delphi.System, sid, delphi.OpenRoundInput{}); err == nil {
		e.must(e.get(fmt.Sprintf("/api/v1/studies/%d/rounds/3/report.csv", sid)), 409)
		e.must(e.get(fmt.Sprintf("/reports/studies/%d/rounds/3", sid)), 409)
	}
	e.must(e.call("GET", fmt.Sprintf("/api/v1/studies/%d/rounds/1/report.csv", sid), "", nil, nil), 401)
	res := e.call("GET", "/reports", "", nil, nil) // a page: sign in first
	if res.Status != 200 && res.Status != 303 && res.Status != 404 {
		t.Errorf("/reports without a session: %d", res.Status)
	}
}

// TestReportPageCachedForEveryReader checks that a closed round's summary is one cached page for
// all readers of a role: the same bytes for two presenters, gzipped when asked, holding nobody's
// email or CSRF token.
func TestReportPageCachedForEveryReader(t *testing.T) {
	e := newEnv(t)
	sid := e.simStudy(12, 1)
	for _, email := range []string{"p1@test", "p2@test"} {
		e.member(sid, e.addStaff(email, "presenter", "presenter-pass"), "presenter")
	}
	path := fmt.Sprintf("/reports/studies/%d/rounds/1", sid)
	var pages [][]byte
	for _, email := range []string{"p1@test", "p2@test"} {
		e.admin = e.login(email, "presenter-pass")
		plain := e.must(e.get(path), 200)
		gz := e.must(e.get(path, "Accept-Encoding", "gzip"), 200)
		if gz.Header.Get("Content-Encoding") != "gzip" || len(gz.Body) >= len(plain.Body)/3 {
			t.Fatalf("gzip: %q, %d of %d bytes", gz.Header.Get("Content-Encoding"), len(gz.Body), len(plain.Body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
		if err != nil {
			t.Fatal(err)
		}
		unz, _ := io.ReadAll(zr)
		if !bytes.Equal(unz, plain.Body) {
			t.Fatal("gzipped page differs from the plain one")
		}
		for _, leak := range []string{email, `name="csrf"`} {
			if bytes.Contains(plain.Body, []byte(leak)) {
				t.Errorf("cached page holds %q", leak)
			}
		}
		pages = append(pages, plain.Body)
	}
	if !bytes.Equal(pages[0], pages[1]) {
		t.Error("two presenters got different pages")
	}
	// sign-out from such a page goes through a confirmation form with the reader's CSRF token
	if !bytes.Contains(pages[0], []byte(`href="/console/logout"`)) {
		t.Error("no sign-out link")
	}
	r := e.must(e.get("/console/logout"), 200)
	if !bytes.Contains(r.Body, []byte(`name="csrf"`)) {
		t.Errorf("confirmation has no CSRF token: %s", r.Body)
	}
}

// TestReportPageConcurrentReaders: readers who open a summary at once all get the page (built
// once while the others wait), gzipped fast at first and best later, always the same page.
func TestReportPageConcurrentReaders(t *testing.T) {
	e := newEnv(t)
	sid := e.simStudy(12, 1)
	path := fmt.Sprintf("/reports/studies/%d/rounds/1", sid)
	gunzip := func(r response) []byte {
		if r.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("no gzip: %v", r.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	const readers = 16
	got := make([]response, readers)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = e.get(path, "Accept-Encoding", "gzip")
		}()
	}
	wg.Wait()
	plain := e.must(e.get(path), 200).Body
	for _, r := range got {
		if e.must(r, 200); !bytes.Equal(gunzip(r), plain) {
			t.Fatal("a reader got another page")
		}
	}
	// the background recompression ends with a smaller body holding the same page (it may
	// already have ended for the last of the readers above)
	first := len(gzipBytes(plain, gzip.BestSpeed, 1))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		r := e.must(e.get(path, "Accept-Encoding", "gzip"), 200)
		if !bytes.Equal(gunzip(r), plain) {
			t.Fatal("the recompressed page differs")
		}
		if len(r.Body) < first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d bytes gzipped, as first served", len(r.Body))
		}
	}
}

// TestReportCacheSurvivesPanic: a build that panics leaves no page behind for readers to wait
// on forever; the next reader builds it again, and a waiter gives up with its request.
func TestReportCacheSurvivesPanic(t *testing.T) {
	rc := &reportCache{m: map[reportKey][]byte{}, pages: map[pageKey]*cachedPage{}}
	k := pageKey{sid: 1, n: 1, view: "screen"}
	if _, err := rc.page(t.Context(), k, func() ([]byte, []byte, error) { panic("boom") }); err == nil {
		t.Fatal("a panicking build gave no error")
	}
	done := make(chan error, 1)
	go func() {
		_, err := rc.page(t.Context(), k, func() ([]byte, []byte, error) { return []byte("<p>page</p>"), nil, nil })
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("rebuild after a panic: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the page stayed stuck after a panicking build")
	}
	// a reader waiting on a build in progress leaves when its request ends
	k2 := pageKey{sid: 2, n: 1, view: "screen"}
	release := make(chan struct{})
	go rc.page(t.Context(), k2, func() ([]byte, []byte, error) { <-release; return []byte("x"), nil, nil })
	for {
		rc.mu.Lock()
		_, building := rc.pages[k2]
		rc.mu.Unlock()
		if building {
			break
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	left := make(chan error, 1)
	go func() {
		_, err := rc.page(ctx, k2, func() ([]byte, []byte, error) { return nil, nil, nil })
		left <- err
	}()
	select {
	case err := <-left:
		if err == nil {
			t.Error("a cancelled reader got a page it could not have waited for, or built it twice")
		}
	case <-time.After(5 * time.Second):
		t.Error("a cancelled reader kept waiting for a build in progress")
	}
	close(release)
}
