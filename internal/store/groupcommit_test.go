package store

import (
	"context"
	"errors"
	"fmt"
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
