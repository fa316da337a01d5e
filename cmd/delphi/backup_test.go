package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/store"
)

// TestBackupAndRestoreCommands runs `delphi backup` against a running server, checks that
// `delphi restore` refuses while the server holds the database, and restores after it stops.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "delphi.db")
	env := map[string]string{"DELPHI_ADMIN_PASSWORD": "backup test password"}
	url, _, stop := startServe(t, db, env)
	tok := login(t, url, "admin@localhost", "backup test password")
	if !strings.Contains(get(t, url+"/api/v1/studies", tok), "cart-cd") {
		t.Fatal("no study")
	}
	getenv := func(k string) string { return map[string]string{"DELPHI_DB": db}[k] }
	ctx := context.Background()
	var out, errb bytes.Buffer
	bak := filepath.Join(dir, "backup.db")
	if err := run(ctx, []string{"backup", bak}, getenv, nil, &out, &errb); err != nil {
		t.Fatalf("backup: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "integrity_check ok") || !strings.Contains(out.String(), "delphi.key") {
		t.Fatalf("backup output %q", out.String())
	}
	if err := store.Verify(ctx, bak); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"backup", bak}, getenv, nil, &out, &errb); err == nil {
		t.Fatal("backup over an existing file")
	}
	err := run(ctx, []string{"restore", bak}, getenv, nil, &out, &errb)
	if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), "delphi serve running") {
		t.Fatalf("restore while serving: %v", err)
	}
	get(t, url+"/api/v1/studies", tok) // the server is unharmed
	stop()
	out.Reset()
	if err := run(ctx, []string{"restore", "-db", db, bak}, func(string) string { return "" }, nil, &out, &errb); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "before-restore") {
		t.Fatalf("restore output %q", out.String())
	}
	url, _, stop = startServe(t, db, env)
	defer stop()
	tok = login(t, url, "admin@localhost", "backup test password")
	get(t, url+"/api/v1/studies", tok)

	for _, args := range [][]string{{"backup"}, {"restore"}, {"backup", "a", "b"}, {"restore", "-nope", "x"}} {
		var u usageError
		if err := run(ctx, args, getenv, nil, &out, &errb); !errors.As(err, &u) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
