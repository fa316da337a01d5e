package delphi

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/surveys"
)

// Callers asking for a closed round's snapshot at once share one decoding: every one gets the
// same snapshot (separate decodings would give each its own), and a cancelled caller neither
// gets it nor stops the others.
func TestSnapshotDecodedOnce(t *testing.T) {
	svc, st, sid := seedRound(t, filepath.Join(t.TempDir(), "d.db"), 300, 300)
	defer st.Close()
	ctx := context.Background()
	if _, err := svc.CloseRound(ctx, Actor{StaffID: 1, Role: RoleAdmin}, sid, 1); err != nil {
		t.Fatal(err)
	}
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	for attempt := range 3 {
		fresh := New(st, surveys.FS, signer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
		const callers = 8
		got := make([]*Snapshot, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				<-start
				got[i], errs[i] = fresh.Snapshot(ctx, sid, 1)
			})
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		close(start)
		if _, err := fresh.Snapshot(cancelled, sid, 1); err == nil && attempt == 0 {
			t.Log("the cancelled caller found the snapshot decoded already")
		}
		wg.Wait()
		for i := range callers {
			if errs[i] != nil {
				t.Fatalf("attempt %d, caller %d: %v", attempt, i, errs[i])
			}
			if got[i] != got[0] {
				t.Fatalf("attempt %d: callers %d and 0 got different snapshots: decoded more than once", attempt, i)
			}
		}
		if got[0].Result == nil || len(got[0].Result.Items) != 300 {
			t.Fatalf("attempt %d: snapshot without its 300 items", attempt)
		}
	}
}
