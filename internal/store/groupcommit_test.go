package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// TestGroupCommitIsolatesUnits runs many units at once, some failing and one panicking: every
// successful unit is durable, no failed unit leaves a trace, and the writer survives.
func TestGroupCommitIsolatesUnits(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	var study int64
	if err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		study, err = tx.CreateStudy("x", "X", []byte("id: x"), "h", "", 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = s.InTx(ctx, func(tx *Tx) error {
				if err := tx.Audit("t", fmt.Sprintf("unit-%d", i), study, ""); err != nil {
					return err
				}
				switch {
				case i%7 == 0:
					return errors.New("refused")
				case i == 13:
					panic("boom")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	log, err := s.AuditLog(ctx, study)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range log {
		got[e.Action] = true
	}
	for i := 0; i < n; i++ {
		failed := i%7 == 0 || i == 13
		if failed != (errs[i] != nil) {
			t.Errorf("unit %d: err %v", i, errs[i])
		}
		if got[fmt.Sprintf("unit-%d", i)] == failed {
			t.Errorf("unit %d: in log %v, failed %v", i, !failed, failed)
		}
	}
}

func TestInTxAfterClose(t *testing.T) {
	s, _ := newTestStore(t)
	s.Close()
	if err := s.InTx(context.Background(), func(*Tx) error { return nil }); err == nil {
		t.Fatal("write accepted after Close")
	}
}

// TestMeta checks what Meta promises: answer units leave it alone; any other unit moves it,
// failed or not; and a unit later in the same batch sees it moved before the commit.
func TestMeta(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 1)
	seven := 7
	save := func(tx *AnswerTx) error {
		return tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: panelist, ItemID: "i0", Rating: &seven}})
	}

	m0 := s.Meta()
	if err := s.InAnswerTx(ctx, save); err != nil {
		t.Fatal(err)
	}
	if m := s.Meta(); m != m0 {
		t.Fatalf("an answer save moved Meta %d → %d", m0, m)
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return errors.New("refused") }); err == nil {
		t.Fatal("no error")
	}
	m1 := s.Meta()
	if m1 == m0 {
		t.Fatal("a failed unit left Meta alone")
	}

	// one batch: [other unit, answer unit], queued behind a unit that holds the writer
	release, holding := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		s.InAnswerTx(ctx, func(*AnswerTx) error { close(holding); <-release; return nil })
	}()
	waitQueued := func(n int) {
		for len(s.queue) != n {
			runtime.Gosched()
		}
	}
	<-holding
	go func() {
		defer wg.Done()
		s.InTx(ctx, func(tx *Tx) error { return tx.Audit("t", "x", 0, "") })
	}()
	waitQueued(1)
	var seen uint64
	go func() {
		defer wg.Done()
		s.InAnswerTx(ctx, func(tx *AnswerTx) error { seen = tx.Meta(); return save(tx) })
	}()
	waitQueued(2)
	close(release)
	wg.Wait()
	if seen == m1 {
		t.Errorf("the answer unit after another unit in its batch saw Meta unchanged (%d)", seen)
	}
	if m := s.Meta(); m == seen || m == m1 {
		t.Errorf("Meta %d after the batch, %d inside it, %d before: it must move again at the commit", m, seen, m1)
	}
}

// TestVotes: meeting joins and votes (InVoteTx) move Votes and not Meta; answers move neither,
// other units leave Votes alone.
func TestVotes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	round, panelist := answerFixture(t, s, 1)
	seven := 7
	m0, v0 := s.Meta(), s.Votes()
	if err := s.InAnswerTx(ctx, func(tx *AnswerTx) error {
		return tx.UpsertAnswers([]Answer{{RoundID: round, PanelistID: panelist, ItemID: "i0", Rating: &seven}})
	}); err != nil {
		t.Fatal(err)
	}
	if m, v := s.Meta(), s.Votes(); m != m0 || v != v0 {
		t.Fatalf("an answer save moved Meta %d → %d or Votes %d → %d", m0, m, v0, v)
	}
	if err := s.InVoteTx(ctx, func(*VoteTx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	m1, v1 := s.Meta(), s.Votes()
	if m1 != m0 || v1 == v0 {
		t.Fatalf("a vote unit: Meta %d → %d (want unchanged), Votes %d → %d (want moved)", m0, m1, v0, v1)
	}
	if err := s.InTx(ctx, func(*Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if v := s.Votes(); v != v1 {
		t.Fatalf("another unit moved Votes %d → %d", v1, v)
	}
}
