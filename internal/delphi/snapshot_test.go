package delphi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/store"
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

// answerRound answers round roundID for its panelists as seedRound does round 1, with texts
// that JSON must escape, and submits for 9 in 10.
func answerRound(tb testing.TB, st *store.Store, roundID int64, seed uint64) {
	tb.Helper()
	ctx := context.Background()
	ids, err := st.RoundPanelists(ctx, roundID)
	if err != nil {
		tb.Fatal(err)
	}
	items, err := st.RoundItems(ctx, roundID)
	if err != nil {
		tb.Fatal(err)
	}
	texts := []string{"</script><b>&amp;", "line\u2028sep\u2029", `"own":null`, "emoji 🙂 \x00 nul", "Überprüfung"}
	rng := rand.New(rand.NewPCG(seed, 9))
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for k, id := range ids {
			var as []store.Answer
			for i, it := range items {
				a := store.Answer{RoundID: roundID, PanelistID: id, ItemID: it.ItemID}
				switch u := rng.IntN(100); {
				case u < 3:
					continue
				case u < 6:
					a.Unable = true
				default:
					v := min(9, max(1, 3+i%5+rng.IntN(3)))
					a.Rating = &v
				}
				if rng.IntN(100) < 10 {
					a.Comment = texts[rng.IntN(len(texts))] + fmt.Sprint(" #", k)
				}
				if rng.IntN(100) < 5 {
					a.Reason = texts[rng.IntN(len(texts))]
				}
				if rng.IntN(100) < 30 {
					a.Placement = []string{"core", "expansion", "not_needed"}[rng.IntN(3)]
				}
				as = append(as, a)
			}
			if err := tx.UpsertAnswers(as); err != nil {
				return err
			}
			if rng.IntN(10) != 0 {
				if err := tx.Submit(roundID, id); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Closing a round leaves its snapshot decoded in the service: Snapshot returns the one
// CloseRound computed, and it equals what decoding the stored bytes gives (what a restarted
// service reads), in round 1 and in round 2 with stability.
func TestCloseRoundPrimesSnapshot(t *testing.T) {
	svc, st, sid := seedRound(t, filepath.Join(t.TempDir(), "p.db"), 40, 20)
	defer st.Close()
	ctx := context.Background()
	admin := Actor{StaffID: 1, Role: RoleAdmin}
	for n := 1; n <= 2; n++ {
		if n == 2 {
			r, err := svc.OpenRound(ctx, admin, sid, OpenRoundInput{})
			if err != nil {
				t.Fatal(err)
			}
			answerRound(t, st, r.ID, 7)
		}
		closed, err := svc.CloseRound(ctx, admin, sid, n)
		if err != nil {
			t.Fatal(err)
		}
		got, err := svc.Snapshot(ctx, sid, n)
		if err != nil {
			t.Fatal(err)
		}
		if got != closed {
			t.Errorf("round %d: Snapshot decoded the snapshot again", n)
		}
		b, err := svc.SnapshotJSON(ctx, sid, n)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := decodeSnapshot(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored, closed) {
			t.Errorf("round %d: the snapshot kept at close differs from the stored one:\n%+v\n%+v", n, closed, stored)
		}
		if n == 2 && (closed.Stability == nil || len(closed.Comments) == 0) {
			t.Error("round 2 without stability or comments")
		}
		// the proposal from the kept snapshot is the one a restarted service makes from the stored one
		signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		fresh := New(st, surveys.FS, signer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
		kept, err := svc.ProposeNextRound(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := fresh.ProposeNextRound(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(kept, decoded) || len(kept.Items)+len(kept.Leaving) == 0 {
			t.Errorf("round %d: proposal %+v from the kept snapshot, %+v from the stored one", n, kept, decoded)
		}
	}
}
