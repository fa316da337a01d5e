package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report/reporttest"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
)

// reportDB writes a database with a simulated study of two closed rounds.
func reportDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "delphi.db")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := func() time.Time { return now }
	st, err := store.Open(ctx, path, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, _, err := auth.LoadOrCreateKey(strings.TrimSuffix(path, ".db") + ".key") // as the server does
	if err != nil {
		t.Fatal(err)
	}
	signer, err := auth.New(key, clk)
	if err != nil {
		t.Fatal(err)
	}
	svc := delphi.New(st, surveys.FS, signer, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := reporttest.Run(ctx, svc, reporttest.Options{Definition: reporttest.Fixture, Panelists: 16, Rounds: 2, Seed: 5,
		Advance: func(d time.Duration) { now = now.Add(d) }}); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	db := reportDB(t)
	ctx := context.Background()
	env := func(string) string { return "" }
	heads := map[string]string{
		"csv":            "study_id,survey_id,round,section,item,item_label,group,",
		"answers":        "panelist,group,item,round,rating,unable,placement\nR1-",
		"answers-linked": "panelist,group,item,round,rating,unable,placement\nP-",
		"outcome":        "group,group_label,item,section,label,",
		"comments":       "round,item,item_label,kind,text\n",
		"json":           `{"study_id":1,`,
		"html":           "<!doctype html>",
	}
	for format, head := range heads {
		var out, errb bytes.Buffer
		err := run(ctx, []string{"report", "-db", db, "-study", "1", "-round", "2", "-format", format}, env, nil, &out, &errb)
		if err != nil {
			t.Fatalf("%s: %v (%s)", format, err, errb.String())
		}
		if !strings.HasPrefix(out.String(), head) {
			t.Errorf("%s starts %.80q, want %q", format, out.String(), head)
		}
	}
	x := filepath.Join(t.TempDir(), "r.xlsx")
	var errb bytes.Buffer
	if err := run(ctx, []string{"report", "-db", db, "-study", "1", "-round", "1", "-format", "xlsx", "-o", x}, env, nil, io.Discard, &errb); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(x); !bytes.HasPrefix(b, []byte("PK")) {
		t.Error("xlsx is not a zip file")
	}

	var u usageError
	for _, args := range [][]string{
		{"report", "-db", db, "-study", "1"},
		{"report", "-db", db, "-study", "1", "-round", "1", "-format", "xlsx"},
		{"report", "-db", db, "-study", "1", "-round", "1", "-format", "pdf"},
	} {
		if err := run(ctx, args, env, nil, io.Discard, io.Discard); !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if err := run(ctx, []string{"report", "-db", db, "-study", "1", "-round", "3"}, env, nil, io.Discard, io.Discard); err == nil {
		t.Error("round 3 does not exist, want an error")
	}
}

// TestReportDemoDB writes a database with a simulated CART-CD study of two closed rounds (60
// panelists) to $REPORT_DEMO_DB, for a look at the reports in a browser:
//
//	REPORT_DEMO_DB=/tmp/demo.db go test -run TestReportDemoDB ./cmd/delphi
//	DELPHI_ADMIN_PASSWORD=secret-demo-pw go run ./cmd/delphi serve -db /tmp/demo.db
//	open http://localhost:8080/reports (admin@localhost)
func TestReportDemoDB(t *testing.T) {
	path := os.Getenv("REPORT_DEMO_DB")
	if path == "" {
		t.Skip("set REPORT_DEMO_DB=FILE to write a demo database")
	}
	ctx := context.Background()
	now := time.Now().Add(-30 * 24 * time.Hour)
	clk := func() time.Time { return now }
	st2, err := store.Open(ctx, path, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), clk)
	if err != nil {
		t.Fatal(err)
	}
	svc := delphi.New(st2, surveys.FS, signer, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	sid, err := reporttest.Run(ctx, svc, reporttest.Options{Survey: "cart-cd", Panelists: 60, Rounds: 2, Seed: 3,
		Advance: func(d time.Duration) { now = now.Add(d) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("study %d with rounds 1 and 2 closed in %s", sid, path)
}
