package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// pairs counts audit rows written in pairs (one unit = two rows) and checks that every pair is
// whole and that the ids have no gap: a copy taken mid-load must hold a prefix of the commits,
// never half a unit.
func checkPairs(t *testing.T, path string) int {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var details []string
	if err := db.Select(&details, `SELECT detail FROM audit_log WHERE action = 'pair' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(details)%2 != 0 {
		t.Fatalf("%s: %d pair rows: half a unit was copied", path, len(details))
	}
	for i := 0; i < len(details); i += 2 {
		a, b := fmt.Sprintf("%d a", i/2), fmt.Sprintf("%d b", i/2)
		if details[i] != a || details[i+1] != b {
			t.Fatalf("%s: rows %d,%d are %q,%q, want %q,%q", path, i, i+1, details[i], details[i+1], a, b)
		}
	}
	return len(details) / 2
}

// TestBackupDuringLoad copies a live database while a writer commits without pause: the writer
// is never held up for long, and the copy opens, passes integrity_check and holds a whole prefix
// of the commits.
func TestBackupDuringLoad(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	// some bulk, so that the copy takes a while
	blob := strings.Repeat("x", 3000)
	for i := 0; i < 4; i++ {
		if err := s.InTx(ctx, func(tx *Tx) error {
			for j := 0; j < 500; j++ {
				if err := tx.Audit("system", "bulk", 0, blob); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var seq, during atomic.Int64
	var maxWait atomic.Int64
	var backingUp atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			n := seq.Load()
			err := s.InTx(ctx, func(tx *Tx) error {
				if err := tx.Audit("system", "pair", 0, fmt.Sprintf("%d a", n)); err != nil {
					return err
				}
				return tx.Audit("system", "pair", 0, fmt.Sprintf("%d b", n))
			})
			if err != nil {
				t.Error(err)
				return
			}
			seq.Add(1)
			if backingUp.Load() {
				during.Add(1)
				if w := int64(time.Since(start)); w > maxWait.Load() {
					maxWait.Store(w)
				}
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	dir := t.TempDir()
	var copies []string
	for i := 0; i < 3; i++ {
		dst := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		backingUp.Store(true)
		if err := s.Backup(ctx, dst); err != nil {
			t.Fatal(err)
		}
		backingUp.Store(false)
		copies = append(copies, dst)
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if during.Load() == 0 {
		t.Errorf("no commit went through while the backups ran: the writer was blocked")
	}
	if w := time.Duration(maxWait.Load()); w > 2*time.Second {
		t.Errorf("a commit waited %v during a backup", w)
	}
	prev := -1
	for _, c := range copies {
		if err := Verify(ctx, c); err != nil {
			t.Fatal(err)
		}
		n := checkPairs(t, c)
		if n < prev {
			t.Fatalf("%s holds %d units, an earlier copy %d", c, n, prev)
		}
		prev = n
		// a backup is a database delphi opens as it is
		s2, err := Open(ctx, c, time.Now)
		if err != nil {
			t.Fatalf("open the copy: %v", err)
		}
		if v, err := s2.Migrations(ctx); err != nil || len(v) == 0 {
			t.Fatalf("copy migrations %v %v", v, err)
		}
		s2.Close()
	}
	t.Logf("%d units committed in all, %d while backing up; last copy holds %d", seq.Load(), during.Load(), prev)
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	s, _ := newTestStore(t)
	dst := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(dst, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(context.Background(), dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "precious" {
		t.Fatal("the existing file was changed")
	}
}

func TestVerifyRefusesDamage(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	dst := filepath.Join(t.TempDir(), "b.db")
	if err := s.Backup(ctx, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	// overwrite the start (the b-tree header) of every page after the first with garbage
	bad := append([]byte(nil), b...)
	for off := 4096; off+200 < len(bad); off += 4096 {
		copy(bad[off:off+200], strings.Repeat("\xff", 200))
	}
	garbage := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(garbage, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Verify(ctx, garbage); err == nil {
		t.Fatal("a damaged file passed Verify")
	}
	notDB := filepath.Join(t.TempDir(), "text.db")
	os.WriteFile(notDB, []byte("hello"), 0o600)
	if err := Verify(ctx, notDB); err == nil {
		t.Fatal("a text file passed Verify")
	}
}

// TestRestore brings a backup back: refused while the database is open (a running server), and
// then done, keeping the replaced file.
func TestRestore(t *testing.T) {
	s, path := newTestStore(t)
	ctx := context.Background()
	audit := func(s *Store, what string) {
		t.Helper()
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.Audit("system", what, 0, "") }); err != nil {
			t.Fatal(err)
		}
	}
	count := func(p string, what string) int {
		db, err := sqlx.Open("sqlite3", "file:"+p+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = ?`, what); err != nil {
			t.Fatal(err)
		}
		return n
	}
	audit(s, "before")
	bak := filepath.Join(t.TempDir(), "b.db")
	if err := s.Backup(ctx, bak); err != nil {
		t.Fatal(err)
	}
	audit(s, "after")

	// refused while open
	if err := Restore(ctx, bak, path); !errors.Is(err, ErrInUse) {
		t.Fatalf("restore over an open database: %v", err)
	}
	audit(s, "still writable") // the refused restore left the live database alone
	s.Close()

	// a damaged backup is refused before anything changes
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte("not a database"), 0o600)
	if err := Restore(ctx, junk, path); err == nil {
		t.Fatal("restored a file that is not a database")
	}
	if count(path, "after") != 1 {
		t.Fatal("a refused restore changed the database")
	}

	if err := Restore(ctx, bak, path); err != nil {
		t.Fatal(err)
	}
	if count(path, "before") != 1 || count(path, "after") != 0 {
		t.Fatal("restored database does not hold the backup's contents")
	}
	if count(path+".before-restore", "still writable") != 1 {
		t.Fatal("the replaced database was not kept")
	}
	s2, err := Open(ctx, path, time.Now)
	if err != nil {
		t.Fatalf("open the restored database: %v", err)
	}
	defer s2.Close()
	audit(s2, "after restore")
	var mode string
	if err := s2.w.Get(&mode, `PRAGMA journal_mode`); err != nil || mode != "wal" {
		t.Fatalf("restored database journal mode %q %v", mode, err)
	}
	// restoring into a new place works too
	fresh := filepath.Join(t.TempDir(), "sub", "new.db")
	if err := Restore(ctx, bak, fresh); err != nil {
		t.Fatal(err)
	}
	if count(fresh, "before") != 1 {
		t.Fatal("restore to a new path")
	}
}
