package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
)

func TestEraseCommand(t *testing.T) {
	db := reportDB(t)
	ctx := context.Background()
	env := func(string) string { return "" }
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"erase", "-db", db, "1"}, env, nil, &out, &errb); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("erasing a running study: %v", err)
	}
	if err := run(ctx, []string{"erase", "-db", db, "x"}, env, nil, &out, &errb); err == nil {
		t.Fatal("a study id that is not a number was taken")
	}
	st, err := store.Open(ctx, db, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	svc := delphi.New(st, surveys.FS, nil, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := svc.FinishStudy(ctx, delphi.System, 1); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := run(ctx, []string{"erase", "-db", db, "1"}, env, nil, &out, &errb); err != nil {
		t.Fatalf("erase: %v (%s)", err, errb.String())
	}
	if !strings.Contains(out.String(), "study 1: personal data erased (16 panelists'") {
		t.Errorf("erase says %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"report", "-db", db, "-study", "1", "-round", "2", "-format", "html"}, env, nil, &out, &errb); err != nil || !strings.HasPrefix(out.String(), "<!doctype html>") {
		t.Fatalf("the report after erasure: %v", err)
	}
}
