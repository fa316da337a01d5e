package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// Benchmarks of the expert and facilitator hot paths, through the whole handler stack (Gin,
// auth, domain, store with group commit and synchronous=FULL) but without a network: the
// requests go to ServeHTTP. cmd/delphi-load measures the same paths over real HTTP.

const benchItems = 40

// benchDefinition is a generated survey of n items in one section.
func benchDefinition(n int) string {
	var b strings.Builder
	b.WriteString(`id: bench
version: 1
title: {en: "Benchmark"}
scale:
  min: 1
  max: 9
  bands:
    - {id: low, from: 1, to: 3, label: {en: "Low"}}
    - {id: mid, from: 4, to: 6, label: {en: "Mid"}}
    - {id: high, from: 7, to: 9, label: {en: "High"}}
  unable: {en: "Unable to score"}
placement:
  label: {en: "Where?"}
  options: [core, expansion, not_needed]
consensus:
  rule: comet
  in: {high_at_least: 70, low_below: 15}
  out: {low_at_least: 70, high_below: 15}
feedback:
  min_group_size: 5
  show: [own, distribution, groups, median, comments]
groups:
  - {id: a, label: {en: "A"}}
  - {id: b, label: {en: "B"}}
  - {id: c, label: {en: "C"}}
sections:
  - id: s1
    label: {en: "Section"}
    items:
`)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      - id: item_%03d\n        label: {en: \"Item %d\"}\n        proposed_tier: core\n", i+1, i+1)
	}
	return b.String()
}

// benchEnv is a server over a real SQLite file with a study of panelists in round 1, all
// consented, and their tokens.
type benchEnv struct {
	srv    *Server
	svc    *delphi.Service
	sid    int64
	staff  string
	tokens []string
	// gzip: requests take gzip, as browsers and delphi-load do (set once the set-up, which
	// decodes answers, is over)
	gzip bool
}

func newBenchEnv(b *testing.B, panelists int) *benchEnv {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "delphi.db"), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := delphi.New(st, surveys.FS, signer, time.Now, log)
	if _, err := svc.Bootstrap(ctx, "admin@bench", adminPassword, ""); err != nil {
		b.Fatal(err)
	}
	srv, err := New(Deps{Service: svc, Signer: signer, Templates: templates.FS, Log: log, BaseURL: "http://bench"})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{srv: srv, svc: svc}
	var tok struct{ Token string }
	e.call(b, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@bench", "password": adminPassword}, &tok)
	e.staff = tok.Token
	var study struct{ ID int64 }
	e.call(b, http.StatusCreated, "POST", "/api/v1/studies", e.staff, map[string]string{"definition": benchDefinition(benchItems),
		"contact_name": "Bench Office", "contact": "office@bench.example"}, &study)
	e.sid = study.ID
	var rows []map[string]string
	for p := 0; p < panelists; p++ {
		rows = append(rows, map[string]string{"name": fmt.Sprint("P", p), "email": fmt.Sprintf("p%d@bench", p), "group": []string{"a", "b", "c"}[p%3]})
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", e.sid), e.staff, rows, nil)
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", e.sid), e.staff, map[string]any{}, nil)
	e.invite(b, 1)
	for _, t := range e.tokens {
		e.call(b, http.StatusOK, "POST", "/api/v1/respond/consent", t, nil, nil)
	}
	return e
}

func (e *benchEnv) invite(b *testing.B, n int) {
	var links []struct{ Token string }
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/%d/invitations", e.sid, n), e.staff, nil, &links)
	e.tokens = e.tokens[:0]
	for _, l := range links {
		e.tokens = append(e.tokens, l.Token)
	}
}

// serve runs one request through the handler stack and returns the status.
func (e *benchEnv) serve(method, path, token string, body []byte) (int, []byte) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if e.gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// serveCookie runs a page request with the cookie an invite link sets.
func (e *benchEnv) serveCookie(method, path, token string) (int, []byte) {
	req := httptest.NewRequest(method, path, nil)
	req.AddCookie(&http.Cookie{Name: expertCookie, Value: token})
	if e.gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

func (e *benchEnv) call(b *testing.B, want int, method, path, token string, in, out any) {
	b.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			b.Fatal(err)
		}
	}
	st, res := e.serve(method, path, token, body)
	if st != want {
		b.Fatalf("%s %s: %d %s", method, path, st, res)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			b.Fatal(err)
		}
	}
}

// saveBody is a save of per answers starting at item first.
func saveBody(first, per, v int) []byte {
	var b strings.Builder
	b.WriteString(`{"answers":[`)
	for j := 0; j < per; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"item":"item_%03d","rating":%d}`, (first+j)%benchItems+1, 1+(v+j)%9)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// benchSaves runs saves of per answers from 32 goroutines per core, each on its own panelist.
func benchSaves(b *testing.B, per int) {
	e := newBenchEnv(b, 256)
	var next atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1)) - 1
		tok := e.tokens[i%len(e.tokens)]
		for v := 0; pb.Next(); v++ {
			if st, res := e.serve("PUT", "/api/v1/respond/answers", tok, saveBody(v*per, per, v)); st != http.StatusOK {
				b.Fatalf("save: %d %s", st, res)
			}
		}
	})
}

// BenchmarkSaveSection is a 40-answer section save under concurrency (group commit at work).
func BenchmarkSaveSection(b *testing.B) { benchSaves(b, benchItems) }

// BenchmarkAutosave is a one-answer save under concurrency.
func BenchmarkAutosave(b *testing.B) { benchSaves(b, 1) }

// BenchmarkQuestionnaireRound2 is GET /api/v1/respond for 40 items with round-1 feedback.
func BenchmarkQuestionnaireRound2(b *testing.B) { benchRound2(b, "/api/v1/respond", false) }

// BenchmarkSectionPageRound2 is the HTML section page experts see, 40 items with round-1
// feedback (no comments: delphi-load's page carries some).
func BenchmarkSectionPageRound2(b *testing.B) { benchRound2(b, "/respond/section/s1", true) }

func benchRound2(b *testing.B, path string, cookie bool) {
	e := newBenchEnv(b, 200)
	for i, t := range e.tokens {
		e.call(b, http.StatusOK, "PUT", "/api/v1/respond/answers", t, json.RawMessage(saveBody(0, benchItems, i)), nil)
		e.call(b, http.StatusOK, "POST", "/api/v1/respond/submit", t, nil, nil)
	}
	e.call(b, http.StatusOK, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", e.sid), e.staff, nil, nil)
	ids := make([]string, benchItems)
	for i := range ids {
		ids[i] = fmt.Sprintf("item_%03d", i+1)
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", e.sid), e.staff, map[string]any{"items": ids}, nil)
	e.invite(b, 2)
	e.gzip = true
	b.ResetTimer()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tok := e.tokens[int(next.Add(1))%len(e.tokens)]
			var st int
			var res []byte
			if cookie {
				st, res = e.serveCookie("GET", path, tok)
			} else {
				st, res = e.serve("GET", path, tok, nil)
			}
			if st != http.StatusOK {
				b.Fatalf("GET %s: %d %.200s", path, st, res)
			}
		}
	})
}

// BenchmarkProgress is the facilitators' progress JSON of a 1,000-panelist round.
func BenchmarkProgress(b *testing.B) {
	e := newBenchEnv(b, 1000)
	for i, t := range e.tokens {
		e.call(b, http.StatusOK, "PUT", "/api/v1/respond/answers", t, json.RawMessage(saveBody(0, 5, i)), nil)
		e.call(b, http.StatusOK, "POST", "/api/v1/respond/submit", t, nil, nil)
	}
	path := fmt.Sprintf("/api/v1/studies/%d/rounds/1/progress", e.sid)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, res := e.serve("GET", path, e.staff, nil); st != http.StatusOK {
				b.Fatalf("progress: %d %.200s", st, res)
			}
		}
	})
}
