package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func newTestStore(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "delphi.db")
	s, err := Open(context.Background(), path, func() time.Time { return time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestMigrationsIdempotentAndRefuseNewer(t *testing.T) {
	s, path := newTestStore(t)
	ctx := context.Background()
	v, err := s.Migrations(ctx)
	if err != nil || len(v) == 0 || v[0] != "0001_init" {
		t.Fatalf("migrations %v %v", v, err)
	}
	s.Close()
	s2, err := Open(ctx, path, time.Now)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	v2, _ := s2.Migrations(ctx)
	if len(v2) != len(v) {
		t.Fatalf("reopen applied again: %v", v2)
	}
	if _, err := s2.w.ExecContext(ctx, `INSERT INTO schema_migrations VALUES ('9999_future', 'x')`); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := Open(ctx, path, time.Now); err == nil {
		t.Fatal("opened a database written by a newer binary")
	}
}

func TestPragmas(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for _, tt := range []struct{ pragma, want string }{
		{"journal_mode", "wal"}, {"foreign_keys", "1"}, {"synchronous", "2"}, {"busy_timeout", "5000"},
	} {
		var got string
		if err := s.w.GetContext(ctx, &got, "PRAGMA "+tt.pragma); err != nil || got != tt.want {
			t.Errorf("writer PRAGMA %s = %q (%v), want %q", tt.pragma, got, err, tt.want)
		}
		if err := s.r.GetContext(ctx, &got, "PRAGMA "+tt.pragma); err != nil || got != tt.want {
			t.Errorf("reader PRAGMA %s = %q (%v), want %q", tt.pragma, got, err, tt.want)
		}
	}
	if _, err := s.r.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action) VALUES ('t', 'a', 'b')`); err == nil {
		t.Error("the read pool accepted a write")
	}
	var auto, limit int
	if err := s.w.GetContext(ctx, &auto, "PRAGMA wal_autocheckpoint"); err != nil || auto != writerCheckpointPages {
		t.Errorf("writer PRAGMA wal_autocheckpoint = %d (%v), want the backstop %d", auto, err, writerCheckpointPages)
	}
	if err := s.w.GetContext(ctx, &limit, "PRAGMA journal_size_limit"); err != nil || limit != walSizeLimit {
		t.Errorf("writer PRAGMA journal_size_limit = %d (%v), want %d", limit, err, walSizeLimit)
	}
}

// TestWALStaysBounded saves from 64 goroutines without a pause, as a panel's burst does, and
// checks that the WAL keeps starting again: under a steady stream the checkpointer alone never
// sees a moment when the writer has not already begun its next transaction.
func TestWALStaysBounded(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const panelists, items = 256, 40
	var round int64
	var ids []int64
	err := s.InTx(ctx, func(tx *Tx) error {
		study, err := tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0)
		if err != nil {
			return err
		}
		ps := make([]Panelist, panelists)
		for i := range ps {
			ps[i] = Panelist{Name: "x", Email: fmt.Sprintf("p%d@x.org", i), Group: "g", Language: "en"}
		}
		if ids, err = tx.AddPanelists(study, ps); err != nil {
			return err
		}
		round, err = tx.CreateOpenRound(NewRound{StudyID: study, Number: 1, Rule: "{}", RuleHash: "h", Panelists: ids})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(1500 * time.Millisecond)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(deadline); n++ {
				rows := make([]Answer, items)
				for i := range rows {
					r := 1 + (n+i)%9
					rows[i] = Answer{RoundID: round, PanelistID: ids[(w+64*n)%panelists], ItemID: fmt.Sprintf("i%02d", i), Rating: &r,
						Comment: strings.Repeat("c", 60)}
				}
				if err := s.InAnswerTx(ctx, func(tx *AnswerTx) error { return tx.UpsertAnswers(rows) }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// frames in the WAL since it last started again
	var busy, frames, copied int
	if err := s.ck.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if frames > 2*writerCheckpointPages {
		t.Errorf("the WAL holds %d frames after the burst: it never started again (backstop at %d)", frames, writerCheckpointPages)
	}
}

// TestCheckpointer checks that committed pages reach the database file without the writer
// checkpointing: the file grows by what was written while the store is open.
func TestCheckpointer(t *testing.T) {
	s, path := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 0)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	r := 5
	for c := 0; c < 20; c++ {
		as := make([]Answer, 200)
		for i := range as {
			as[i] = Answer{RoundID: round, PanelistID: panelist, ItemID: fmt.Sprintf("item_%02d_%03d", c, i), Rating: &r, Comment: strings.Repeat("x", 200)}
		}
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.UpsertAnswers(as) }); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+800_000 { // 4,000 answers of over 200 bytes
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes, %d before the writes: the WAL was not checkpointed", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConstraints checks that the schema itself refuses what the code must never write.
func TestConstraints(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	var study, panelist, round int64
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		if study, err = tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0); err != nil {
			return err
		}
		ids, err := tx.AddPanelists(study, []Panelist{{Name: "A", Email: "a@x.org", Group: "g", Language: "en"}})
		if err != nil {
			return err
		}
		panelist = ids[0]
		round, err = tx.CreateOpenRound(NewRound{StudyID: study, Number: 1, Rule: "{}", RuleHash: "h", Items: []RoundItem{{ItemID: "i1", SectionID: "s"}}, Panelists: ids})
		if err != nil {
			return err
		}
		return tx.Audit("system", "test", study, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	seven, eleven := 7, 101
	tests := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"rating out of range", func(tx *Tx) error {
			return tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: panelist, ItemID: "i1", Rating: &eleven}})
		}},
		{"rating and unable", func(tx *Tx) error {
			return tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: panelist, ItemID: "i1", Rating: &seven, Unable: true}})
		}},
		{"second open round", func(tx *Tx) error {
			_, err := tx.CreateOpenRound(NewRound{StudyID: study, Number: 2, Rule: "{}", RuleHash: "h"})
			return err
		}},
		{"duplicate round number", func(tx *Tx) error {
			_, err := tx.insert("x", `INSERT INTO rounds (study_id, number, state, created_at) VALUES (?, 1, 'closed', 'x')`, study)
			return err
		}},
		{"duplicate panelist email", func(tx *Tx) error {
			_, err := tx.AddPanelists(study, []Panelist{{Name: "B", Email: "A@X.org", Group: "g"}})
			return err
		}},
		{"answer of unknown panelist", func(tx *Tx) error {
			return tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: 999, ItemID: "i1", Rating: &seven}})
		}},
		{"bad round state", func(tx *Tx) error {
			_, err := tx.exec("x", `UPDATE rounds SET state = 'paused' WHERE id = ?`, round)
			return err
		}},
		{"audit log update", func(tx *Tx) error {
			_, err := tx.exec("x", `UPDATE audit_log SET action = 'c'`)
			return err
		}},
		{"audit log delete", func(tx *Tx) error {
			_, err := tx.exec("x", `DELETE FROM audit_log`)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.InTx(ctx, tt.fn)
			if err == nil {
				t.Fatal("accepted")
			}
		})
	}
	// conflicts are reported as ErrConflict
	err = s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.AddPanelists(study, []Panelist{{Name: "B", Email: "a@x.org", Group: "g"}})
		return err
	})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate email: %v, want ErrConflict", err)
	}
	// a failed transaction leaves nothing behind
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: panelist, ItemID: "i1", Rating: &seven}}); err != nil {
			return err
		}
		return errors.New("later step failed")
	})
	if err == nil {
		t.Fatal("no error")
	}
	as, _ := s.Answers(ctx, round, panelist)
	if len(as) != 0 {
		t.Fatalf("rolled-back answer persisted: %+v", as)
	}
}

// TestFilesPrivate: the database, its WAL and a backup hold personal data and are readable by
// their owner only, whatever the umask; an older database file readable by others is made so.
func TestFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "delphi.db")
	s, err := Open(context.Background(), path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.InTx(context.Background(), func(tx *Tx) error { return tx.Audit("system", "test", 0, "") }); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(context.Background(), backup); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm", backup} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want -rw-------", filepath.Base(p), fi.Mode().Perm())
		}
	}
	legacy := filepath.Join(dir, "old.db")
	if err := os.WriteFile(legacy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(context.Background(), legacy, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if fi, _ := os.Stat(legacy); fi.Mode().Perm() != 0o600 {
		t.Errorf("an older world-readable database stays %v", fi.Mode().Perm())
	}
}

// ConsentCount counts the study's panelists with a consent, withdrawn ones included.
func TestConsentCount(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	var study int64
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		if study, err = tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0); err != nil {
			return err
		}
		ids, err := tx.AddPanelists(study, []Panelist{{Name: "A", Email: "a@x.org", Group: "g", Language: "en"},
			{Name: "B", Email: "b@x.org", Group: "g", Language: "en"}, {Name: "C", Email: "c@x.org", Group: "g", Language: "en"}})
		if err != nil {
			return err
		}
		for _, id := range ids[:2] {
			if err := tx.SetConsent(id, "v1"); err != nil {
				return err
			}
		}
		_, err = tx.WithdrawPanelist(study, ids[1], "keep")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.ConsentCount(ctx, study); err != nil || n != 2 {
		t.Errorf("ConsentCount = %d, %v; want 2", n, err)
	}
	if n, err := s.ConsentCount(ctx, study+1); err != nil || n != 0 {
		t.Errorf("ConsentCount of another study = %d, %v; want 0", n, err)
	}
}
