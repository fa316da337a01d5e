package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cart-cd/delphi/internal/store"
)

const backupUsage = `usage: delphi backup [-db FILE] OUT

Write a consistent copy of the database to OUT (a new file) while the service
runs, and check it with PRAGMA integrity_check. The signing key (delphi.key
beside the database) is not in the copy: keep one copy of it apart, as a secret.`

const restoreUsage = `usage: delphi restore [-db FILE] BACKUP

Replace the database by BACKUP, after checking it. Stop delphi serve first:
restore refuses while the database is open. The replaced file is kept as
FILE.before-restore.`

// dbFlag parses "-db" (DELPHI_DB, ./data/delphi.db) and one positional argument.
func dbFlag(name, usage string, args []string, getenv func(string) string, stderr io.Writer) (db, arg string, err error) {
	def := getenv("DELPHI_DB")
	if def == "" {
		def = "./data/delphi.db"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, usage) }
	fs.StringVar(&db, "db", def, "SQLite database file (DELPHI_DB)")
	if err := fs.Parse(args); err != nil {
		return "", "", usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return "", "", usageError{usage}
	}
	return db, fs.Arg(0), nil
}

// runBackup runs "delphi backup [-db FILE] OUT".
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	db, out, err := dbFlag("backup", backupUsage, args, getenv, stderr)
	if err != nil {
		return err
	}
	if err := store.BackupFile(ctx, db, out); err != nil {
		return err
	}
	fi, _ := os.Stat(out)
	fmt.Fprintf(stdout, "%s: backup of %s written and checked (%d bytes, integrity_check ok)\n", out, db, fi.Size())
	key := strings.TrimSuffix(db, filepath.Ext(db)) + ".key"
	fmt.Fprintf(stdout, "note: the signing key %s is not in the backup; without it, restored links and sessions stop working\n", key)
	return nil
}

// runRestore runs "delphi restore [-db FILE] BACKUP".
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	db, in, err := dbFlag("restore", restoreUsage, args, getenv, stderr)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(db)
	if err := store.Restore(ctx, in, db); err != nil {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("delphi restore: %s is open in another process (is delphi serve running?); stop it and try again: %w", db, err)
		}
		return err
	}
	fmt.Fprintf(stdout, "%s restored from %s\n", db, in)
	if statErr == nil {
		fmt.Fprintf(stdout, "the replaced database is kept as %s.before-restore\n", db)
	}
	return nil
}
