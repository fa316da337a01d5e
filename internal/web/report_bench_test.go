package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/loadgen"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// Benchmarks of the presenters' round summary page for a closed round of 300 items × 1000
// panelists, the round cmd/delphi-load's report phases read (the same generated survey and
// answers, internal/loadgen, seeded straight into the database, then the round closed through
// the API).

const (
	reportBenchItems     = 300
	reportBenchPerSec    = 20
	reportBenchPanelists = 1000
)

// reportBench is a server over a database holding the closed 300-item round.
type reportBench struct {
	st    *store.Store
	deps  Deps
	srv   *Server
	staff string
	page  string
}

// newReportBench builds the study, seeds round 1 with loadgen.SeedRound (2% of answers blank,
// 2% unable, placements on 30%, comments on 3%, 98% of panelists submitted) and closes it.
func newReportBench(b *testing.B) *reportBench {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "delphi.db")
	st, err := store.Open(ctx, path, time.Now)
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
	deps := Deps{Service: svc, Signer: signer, Templates: templates.FS, Log: log, BaseURL: "http://bench"}
	srv, err := New(deps)
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{srv: srv, svc: svc}
	var tok struct{ Token string }
	e.call(b, http.StatusOK, "POST", "/api/v1/auth/login", "", map[string]string{"email": "admin@bench", "password": adminPassword}, &tok)
	e.staff = tok.Token
	var study struct{ ID int64 }
	e.call(b, http.StatusCreated, "POST", "/api/v1/studies", e.staff, map[string]string{"definition": loadgen.Definition("load-300", reportBenchItems, reportBenchPerSec), "contact": "bench@example.org"}, &study)
	var rows []map[string]string
	for p := 0; p < reportBenchPanelists; p++ {
		rows = append(rows, map[string]string{"name": fmt.Sprintf("Expert %d", p+1), "email": fmt.Sprintf("expert%d@example.org", p+1),
			"group": loadgen.Groups[p%len(loadgen.Groups)], "country": []string{"DE", "FR", "IT", "ES", "NL", "SE", "PL"}[p%7]})
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", study.ID), e.staff, rows, nil)
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", study.ID), e.staff,
		map[string]any{"deadline": time.Now().Add(30 * 24 * time.Hour)}, nil)
	if _, err := loadgen.SeedRound(ctx, path, study.ID, reportBenchItems); err != nil {
		b.Fatal(err)
	}
	e.call(b, http.StatusOK, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", study.ID), e.staff, nil, nil)
	return &reportBench{st: st, deps: deps, srv: srv, staff: e.staff, page: fmt.Sprintf("/reports/studies/%d/rounds/1", study.ID)}
}

// get serves the summary page (gzip accepted) on srv and returns the status and body size.
func (rb *reportBench) get(srv *Server) (int, int) {
	req := httptest.NewRequest("GET", rb.page, nil)
	req.Header.Set("Authorization", "Bearer "+rb.staff)
	req.Header.Set("Accept-Encoding", "gzip")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w.Code, w.Body.Len()
}

// settled returns the page's size on the wire once the server has recompressed it in the
// background (the first answer is compressed fast, later ones best; see cachedPage).
func (rb *reportBench) settled(b *testing.B, srv *Server) int {
	_, first := rb.get(srv)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		st, n := rb.get(srv)
		if st != http.StatusOK {
			b.Fatalf("GET %s: %d", rb.page, st)
		}
		if n < first {
			return n
		}
	}
	b.Fatal("the page was not recompressed within 5 s")
	return 0
}

// BenchmarkReportPageUncached is the first request for the summary after a server start: a
// fresh service (no cached snapshot; studies loaded, as delphi serve loads them at start) and a
// fresh server (no cached page) each time.
// wire-bytes is that first answer's size, cached-bytes the size later readers get.
func BenchmarkReportPageUncached(b *testing.B) {
	rb := newReportBench(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.ReportAllocs()
	b.ResetTimer()
	size, cached := 0, 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		deps := rb.deps
		deps.Service = delphi.New(rb.st, surveys.FS, rb.deps.Signer, time.Now, log)
		if err := deps.Service.LoadStudies(context.Background()); err != nil { // as delphi serve does at start
			b.Fatal(err)
		}
		srv, err := New(deps)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		st, n := rb.get(srv)
		if st != http.StatusOK {
			b.Fatalf("GET %s: %d", rb.page, st)
		}
		b.StopTimer()
		size = n
		cached = rb.settled(b, srv) // and let background work end before the next start
		b.StartTimer()
	}
	b.ReportMetric(float64(size), "wire-bytes")
	b.ReportMetric(float64(cached), "cached-bytes")
}

// BenchmarkReportPageCached is readers of the cached page, 100 at a time (as in delphi-load).
func BenchmarkReportPageCached(b *testing.B) {
	rb := newReportBench(b)
	size := rb.settled(b, rb.srv)
	b.ReportAllocs()
	b.SetParallelism(50)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if st, _ := rb.get(rb.srv); st != http.StatusOK {
				b.Errorf("GET %s: %d", rb.page, st)
				return
			}
		}
	})
	b.ReportMetric(float64(size), "wire-bytes")
}

// discardWriter is a ResponseWriter that keeps only the status and the body's size, so that
// the benchmark measures the server's memory, not 100 recorded copies of the body.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// maxRSS returns the process's peak resident set size in bytes (getrusage; Linux reports KiB).
func maxRSS(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Maxrss << 10
}

// BenchmarkExportXLSXConcurrent is 100 presenters asking at once for the workbook of the
// 1,000 × 300 round on a fresh server (nothing cached). peak-rss-added-MB is how much the
// process's peak RSS rose over the first iteration (getrusage maxrss is a high-water mark: run
// it with -benchtime=1x, alone, for the figure of BENCHMARKS.md); every request must succeed.
func BenchmarkExportXLSXConcurrent(b *testing.B) {
	rb := newReportBench(b)
	path := strings.Replace(rb.page, "/reports/", "/api/v1/", 1) + "/report.xlsx"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const clients = 100
	var added int64 = -1
	size := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		deps := rb.deps
		deps.Service = delphi.New(rb.st, surveys.FS, rb.deps.Signer, time.Now, log)
		if err := deps.Service.LoadStudies(context.Background()); err != nil {
			b.Fatal(err)
		}
		srv, err := New(deps)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		before := maxRSS(b)
		b.StartTimer()
		var wg sync.WaitGroup
		codes := make([]int, clients)
		sizes := make([]int, clients)
		for c := range clients {
			wg.Go(func() {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+rb.staff)
				w := &discardWriter{h: http.Header{}, status: http.StatusOK}
				srv.ServeHTTP(w, req)
				codes[c], sizes[c] = w.status, w.n
			})
		}
		wg.Wait()
		b.StopTimer()
		if added < 0 {
			added = maxRSS(b) - before
		}
		for c, code := range codes {
			if code != http.StatusOK || sizes[c] != sizes[0] {
				b.Fatalf("request %d: %d, %d bytes (first: %d bytes)", c, code, sizes[c], sizes[0])
			}
		}
		size = sizes[0]
		b.StartTimer()
	}
	b.ReportMetric(float64(added)/(1<<20), "peak-rss-added-MB")
	b.ReportMetric(float64(size), "xlsx-bytes")
}
