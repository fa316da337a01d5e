package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// Benchmarks of the presenters' round summary page for a closed round of 300 items × 1000
// panelists, the round cmd/delphi-load's report phases read (answers seeded straight into the
// database the same way, then the round closed through the API).

const (
	reportBenchItems     = 300
	reportBenchPerSec    = 20
	reportBenchPanelists = 1000
)

var reportBenchGroups = []string{"haematologist", "nurse", "data_manager", "pharmacist", "patient_representative", "methodologist"}

// reportBenchDefinition is cmd/delphi-load's generated 300-item survey.
func reportBenchDefinition() string {
	var b strings.Builder
	b.WriteString(`id: load-300
version: 1
title: {en: "Load test: 300 items"}
description: {en: "A generated survey for the report benchmark."}
scale:
  min: 1
  max: 9
  labels:
    1: {en: "Not important"}
    9: {en: "Critical"}
  bands:
    - {id: low, from: 1, to: 3, label: {en: "Not important"}}
    - {id: mid, from: 4, to: 6, label: {en: "Important but not critical"}}
    - {id: high, from: 7, to: 9, label: {en: "Critical"}}
  unable: {en: "Unable to score"}
placement:
  label: {en: "Where does this item belong?"}
  options: [core, expansion, not_needed]
consensus:
  rule: comet
  in: {high_at_least: 70, low_below: 15}
  out: {low_at_least: 70, high_below: 15}
feedback:
  min_group_size: 5
  show: [own, distribution, groups, median, comments]
groups:
`)
	for _, g := range reportBenchGroups {
		fmt.Fprintf(&b, "  - {id: %s, label: {en: %q}}\n", g, g)
	}
	b.WriteString("sections:\n")
	for i := 0; i < reportBenchItems; i++ {
		if i%reportBenchPerSec == 0 {
			s := i/reportBenchPerSec + 1
			fmt.Fprintf(&b, "  - id: section_%02d\n    label: {en: \"Section %d\"}\n    items:\n", s, s)
		}
		fmt.Fprintf(&b, "      - id: item_%03d\n        label: {en: \"Parameter %d of the generated survey\"}\n        proposed_tier: core\n", i+1, i+1)
	}
	return b.String()
}

// benchMix is cmd/delphi-load's deterministic hash of a panelist, an item and a save.
func benchMix(p, i, n int) uint64 {
	x := uint64(p)*0x9E3779B97F4A7C15 ^ uint64(i)*0xC2B2AE3D27D4EB4F ^ uint64(n)*0x165667B19E3779F9
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 29
	return x
}

// reportBench is a server over a database holding the closed 300-item round.
type reportBench struct {
	st    *store.Store
	deps  Deps
	srv   *Server
	staff string
	page  string
}

// newReportBench builds the study, seeds round 1 as cmd/delphi-load's seedRound does (2% of
// answers blank, 2% unable, placements on 30%, comments on 3%, 98% of panelists submitted)
// and closes it.
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
	e.call(b, http.StatusCreated, "POST", "/api/v1/studies", e.staff, map[string]string{"definition": reportBenchDefinition(), "contact": "bench@example.org"}, &study)
	var rows []map[string]string
	for p := 0; p < reportBenchPanelists; p++ {
		rows = append(rows, map[string]string{"name": fmt.Sprintf("Expert %d", p+1), "email": fmt.Sprintf("expert%d@example.org", p+1),
			"group": reportBenchGroups[p%len(reportBenchGroups)], "country": []string{"DE", "FR", "IT", "ES", "NL", "SE", "PL"}[p%7]})
	}
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/panelists", study.ID), e.staff, rows, nil)
	e.call(b, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds", study.ID), e.staff,
		map[string]any{"deadline": time.Now().Add(30 * 24 * time.Hour)}, nil)
	if err := seedReportRound(ctx, path, study.ID); err != nil {
		b.Fatal(err)
	}
	e.call(b, http.StatusOK, "POST", fmt.Sprintf("/api/v1/studies/%d/rounds/1/close", study.ID), e.staff, nil, nil)
	return &reportBench{st: st, deps: deps, srv: srv, staff: e.staff, page: fmt.Sprintf("/reports/studies/%d/rounds/1", study.ID)}
}

// seedReportRound writes round 1's answers and submissions straight into the database.
func seedReportRound(ctx context.Context, path string, sid int64) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	var rid int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM rounds WHERE study_id = ? AND number = 1`, sid).Scan(&rid); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT panelist_id FROM round_panelists WHERE round_id = ? ORDER BY panelist_id`, rid)
	if err != nil {
		return err
	}
	var pids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		pids = append(pids, id)
	}
	rows.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO answers (round_id, panelist_id, item_id, rating, unable, placement, comment, reason, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	at := store.FormatTime(time.Now())
	for p, pid := range pids {
		for i := 0; i < reportBenchItems; i++ {
			if benchMix(p, i, 7)%100 < 2 {
				continue
			}
			h := benchMix(p, i, 0)
			centre := 1 + int(benchMix(0, i, 0)%9)
			var rating any = min(9, max(1, centre+int(h%5)-2))
			unable, placement, comment := false, "", ""
			if h>>8%100 < 2 {
				rating, unable = nil, true
			} else {
				if h>>16%100 < 30 {
					placement = []string{"core", "expansion", "not_needed"}[h>>24%3]
				}
				if h>>32%100 < 3 {
					comment = fmt.Sprintf("Comment %d on item_%03d (save 0).", p, i+1)
				}
			}
			if _, err := ins.ExecContext(ctx, rid, pid, fmt.Sprintf("item_%03d", i+1), rating, unable, placement, comment, at); err != nil {
				return err
			}
		}
	}
	for p, pid := range pids {
		if benchMix(p, 0, 9)%100 < 2 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO submissions (round_id, panelist_id, submitted_at) VALUES (?, ?, ?)`, rid, pid, at); err != nil {
			return err
		}
	}
	return tx.Commit()
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
// fresh service (no cached study or snapshot) and a fresh server (no cached page) each time.
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
