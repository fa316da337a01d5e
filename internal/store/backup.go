package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"github.com/jmoiron/sqlx"
)

// Backup writes a consistent copy of the live database to dst (which must not exist) and checks
// it with PRAGMA integrity_check before returning.
//
// The copy is made by VACUUM INTO on a connection of its own: that is one read transaction, so in
// WAL mode the writer goes on committing while it runs, and the copy holds exactly the commits
// made before it began. The writer pool cannot be used (it would hold up every save for the
// duration) and neither can the reader pool (query_only refuses VACUUM). The copy is written
// beside dst under a temporary name, synced, checked and then renamed, so that dst is either a
// whole, verified backup or absent.
func (s *Store) Backup(ctx context.Context, dst string) error {
	src, err := s.path(ctx)
	if err != nil {
		return err
	}
	return backupFile(ctx, src, dst)
}

// path is the file of the main database, as SQLite resolved it.
func (s *Store) path(ctx context.Context) (string, error) {
	var p string
	if err := s.r.GetContext(ctx, &p, `SELECT file FROM pragma_database_list WHERE name = 'main'`); err != nil {
		return "", fmt.Errorf("store: backup: find the database file: %w", err)
	}
	if p == "" {
		return "", errors.New("store: backup: the database has no file")
	}
	return p, nil
}

// BackupFile copies the database at src (in use or not) to dst, as Backup does, without opening
// it as a Store: no migration runs and the source is never written.
func BackupFile(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return backupFile(ctx, src, dst)
}

func backupFile(ctx context.Context, src, dst string) error {
	dst, err := filepath.Abs(dst)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("store: backup: %s already exists; choose a new name", dst)
	}
	tmp := dst + ".partial"
	os.Remove(tmp)
	// VACUUM INTO writes into an empty file that exists: create it owner-only first, since the
	// copy holds every panelist's name and answers (otherwise it would get the umask's 0644)
	if err := createPrivate(tmp); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	db, err := sqlx.Open("sqlite3", "file:"+src+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("store: backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup of %s: %w", src, err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: sync: %w", err)
	}
	if err := Verify(ctx, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: backup: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// Verify opens the database file at path read-only and runs PRAGMA integrity_check and
// foreign_key_check on it; it returns an error naming the first problems found.
func Verify(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	// mode=ro and immutable: reading a backup must never create -wal or -shm files beside it,
	// nor change it.
	db, err := sqlx.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		return fmt.Errorf("store: verify %s: %w", path, err)
	}
	defer db.Close()
	var res []string
	if err := db.SelectContext(ctx, &res, `PRAGMA integrity_check`); err != nil {
		return fmt.Errorf("store: verify %s: %w", path, err)
	}
	if len(res) != 1 || res[0] != "ok" {
		if len(res) > 5 {
			res = res[:5]
		}
		return fmt.Errorf("store: verify %s: integrity_check: %v", path, res)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("store: verify %s: %w", path, err)
	}
	bad := rows.Next()
	rows.Close()
	if bad {
		return fmt.Errorf("store: verify %s: foreign_key_check found rows that point nowhere", path)
	}
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM schema_migrations`); err != nil || n == 0 {
		return fmt.Errorf("store: verify %s: not a delphi database (no migrations recorded): %v", path, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}

// ErrInUse is returned by Restore when another connection (a running delphi serve) has the
// database open.
var ErrInUse = errors.New("the database is in use: stop delphi serve first")

// Restore replaces the database at dst by the backup at src. The backup is verified first; dst
// must not be open anywhere (a running server would go on writing to the old file, and its
// answers would be lost). The file it replaces is kept as dst + ".before-restore" (a former one
// of that name is overwritten), and dst's -wal and -shm files are removed with it, so that the
// restored database starts clean.
func Restore(ctx context.Context, src, dst string) error {
	if err := Verify(ctx, src); err != nil {
		return fmt.Errorf("store: restore: the backup is not usable: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		unlock, err := lockExclusive(ctx, dst)
		if err != nil {
			return err
		}
		defer unlock()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: restore: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	tmp := dst + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: restore: %w", err)
	}
	if _, err := os.Stat(dst); err == nil {
		if err := os.Rename(dst, dst+".before-restore"); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("store: restore: keep the old database: %w", err)
		}
	}
	for _, ext := range []string{"-wal", "-shm"} {
		if err := os.Remove(dst + ext); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: restore: %w", err)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	return syncDir(filepath.Dir(dst))
}

// lockExclusive takes SQLite's exclusive lock on the database at path, failing at once with
// ErrInUse if any other connection, in this process or another, has it open. It first folds the
// WAL into the file (a checkpoint), which needs the same exclusive access.
func lockExclusive(ctx context.Context, path string) (func(), error) {
	db, err := sqlx.Open("sqlite3", "file:"+path+"?_busy_timeout=0&_locking_mode=EXCLUSIVE")
	if err != nil {
		return nil, fmt.Errorf("store: restore: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	// Leaving WAL mode needs every other connection gone: in WAL mode each open connection holds
	// a shared lock on the file for as long as it is open.
	var mode string
	if err := db.GetContext(ctx, &mode, `PRAGMA journal_mode = DELETE`); err != nil || mode != "delete" {
		db.Close()
		if err == nil {
			err = fmt.Errorf("journal mode stays %q", mode)
		}
		return nil, fmt.Errorf("store: restore %s: %w (%v)", path, ErrInUse, err)
	}
	if _, err := db.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: restore %s: %w (%v)", path, ErrInUse, err)
	}
	return func() { db.Exec(`ROLLBACK`); db.Close() }, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// createPrivate creates an empty file readable by its owner only (0600). An existing file is
// made so when it is readable by others and that can be changed (a read-only filesystem is
// left for the open that follows to report).
func createPrivate(path string) error {
	fi, err := os.Stat(path)
	if err == nil {
		if fi.Mode().Perm()&0o077 != 0 {
			_ = os.Chmod(path, fi.Mode().Perm()&0o700)
		}
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}
