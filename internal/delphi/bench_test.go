package delphi

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
)

// closeDefinition generates a survey of n items in sections of 20 with six groups.
func closeDefinition(n int) string {
	var b strings.Builder
	b.WriteString(`id: close
version: 1
title: {en: "Close benchmark"}
scale:
  min: 1
  max: 9
  bands:
    - {id: low, from: 1, to: 3, label: {en: "Low"}}
    - {id: mid, from: 4, to: 6, label: {en: "Mid"}}
    - {id: high, from: 7, to: 9, label: {en: "High"}}
  unable: {en: "Unable to score"}
placement:
  label: {en: "Where?"}
  options: [core, expansion, not_needed]
consensus:
  rule: comet
  in: {high_at_least: 70, low_below: 15}
  out: {low_at_least: 70, high_below: 15}
groups:
`)
	for g := 1; g <= 6; g++ {
		fmt.Fprintf(&b, "  - {id: g%d, label: {en: \"Group %d\"}}\n", g, g)
	}
	b.WriteString("sections:\n")
	for i := 0; i < n; i++ {
		if i%20 == 0 {
			fmt.Fprintf(&b, "  - id: s%02d\n    label: {en: \"Section %d\"}\n    items:\n", i/20+1, i/20+1)
		}
		fmt.Fprintf(&b, "      - id: item_%03d\n        label: {en: \"Item %d\"}\n        proposed_tier: core\n", i+1, i+1)
	}
	return b.String()
}

// seedRound makes, in the database at path, a study of np panelists and ni items with round 1
// open and answered: ratings around an item centre, 2% blank, 2% unable, 1% with a comment
// only (no rating), placements on 30%, comments on 3% (some with quotes, backslashes and
// non-ASCII), reasons on 1%; 98% of the panel submitted. It returns the service and study id.
func seedRound(tb testing.TB, path string, np, ni int) (*Service, *store.Store, int64) {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	svc := New(st, surveys.FS, signer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := svc.Bootstrap(ctx, "admin@bench", "a password for benchmarks", ""); err != nil {
		tb.Fatal(err)
	}
	admin := Actor{StaffID: 1, Role: RoleAdmin}
	study, err := svc.CreateStudy(ctx, admin, CreateStudyInput{Definition: []byte(closeDefinition(ni)), Contact: "office@example.org"})
	if err != nil {
		tb.Fatal(err)
	}
	for from := 0; from < np; from += 5000 {
		var rows []PanelistInput
		for p := from; p < min(np, from+5000); p++ {
			rows = append(rows, PanelistInput{Name: fmt.Sprint("P", p), Email: fmt.Sprintf("p%d@bench.example", p),
				Group: fmt.Sprintf("g%d", 1+p%6), Country: []string{"DE", "FR", "IT", ""}[p%4]})
		}
		if _, err := svc.ImportPanel(ctx, admin, study.ID, ImportPreview{Rows: rows}); err != nil {
			tb.Fatal(err)
		}
	}
	r, err := svc.OpenRound(ctx, admin, study.ID, OpenRoundInput{})
	if err != nil {
		tb.Fatal(err)
	}
	ids, err := st.RoundPanelists(ctx, r.ID)
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(np), uint64(ni)))
	centre := make([]int, ni)
	for i := range centre {
		centre[i] = 1 + rng.IntN(9)
	}
	texts := []string{"Plain comment.", `Quoted "text" with \ backslash`, "Überprüfung – ok ✓", "line\nbreak\ttab"}
	for from := 0; from < len(ids); from += 500 {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			for k := from; k < min(len(ids), from+500); k++ {
				var as []store.Answer
				for i := 0; i < ni; i++ {
					u := rng.IntN(100)
					if u < 2 {
						continue
					}
					a := store.Answer{RoundID: r.ID, PanelistID: ids[k], ItemID: fmt.Sprintf("item_%03d", i+1)}
					switch {
					case u < 4:
						a.Unable = true
					case u < 5:
						a.Comment = texts[rng.IntN(len(texts))]
					default:
						v := min(9, max(1, centre[i]+rng.IntN(5)-2))
						a.Rating = &v
					}
					if rng.IntN(100) < 30 {
						a.Placement = []string{"core", "expansion", "not_needed"}[rng.IntN(3)]
					}
					if rng.IntN(100) < 3 {
						a.Comment = texts[rng.IntN(len(texts))] + fmt.Sprint(" #", k)
					}
					if rng.IntN(100) < 1 {
						a.Reason = "Reason " + texts[rng.IntN(len(texts))]
					}
					as = append(as, a)
				}
				if err := tx.UpsertAnswers(as); err != nil {
					return err
				}
				if rng.IntN(50) != 0 {
					if err := tx.Submit(r.ID, ids[k]); err != nil {
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
	return svc, st, study.ID
}

// rowScanMatrix is readMatrix done the plain way, one answer row at a time: the reference the
// packed scan must reproduce.
func rowScanMatrix(tx *store.Tx, def *Study, r store.Round, rows []store.RoundItem, byID map[int64]store.Panelist) (*matrix, error) {
	m, err := readMatrix(tx, def.Def, r, rows, byID) // for the panel, groups and submissions
	if err != nil {
		return nil, err
	}
	ni := len(rows)
	ii := map[string]int{}
	for i, it := range rows {
		ii[it.ItemID] = i
	}
	row := map[int64]int{}
	for k, p := range m.panel {
		row[p.ID] = k
	}
	ref := &matrix{round: &consensus.Round{}, comments: map[string][]string{}, reasons: map[string][]string{}, placement: map[string]map[string]int{}}
	*ref.round = *m.round
	ref.round.Ratings = make([]int8, len(m.round.Ratings))
	for i := range ref.round.Ratings {
		ref.round.Ratings[i] = consensus.Missing
	}
	err = tx.ScanAnswers(r.ID, func(a *store.Answer) error {
		k, ok := row[a.PanelistID]
		if !ok || !m.round.Submitted[k] {
			return nil
		}
		i := ii[a.ItemID]
		switch {
		case a.Unable:
			ref.round.Ratings[k*ni+i] = consensus.Unable
		case a.Rating != nil:
			ref.round.Ratings[k*ni+i] = int8(*a.Rating)
		}
		if a.Comment != "" {
			ref.comments[a.ItemID] = append(ref.comments[a.ItemID], a.Comment)
		}
		if a.Reason != "" {
			ref.reasons[a.ItemID] = append(ref.reasons[a.ItemID], a.Reason)
		}
		if a.Placement != "" {
			if ref.placement[a.ItemID] == nil {
				ref.placement[a.ItemID] = map[string]int{}
			}
			ref.placement[a.ItemID][a.Placement]++
		}
		return nil
	})
	for _, c := range ref.comments {
		slices.Sort(c)
	}
	for _, c := range ref.reasons {
		slices.Sort(c)
	}
	ref.panel = m.panel
	if !reflect.DeepEqual(ref.round, m.round) {
		return nil, fmt.Errorf("ratings differ from a row-by-row scan")
	}
	for what, pair := range map[string][2]any{"comments": {ref.comments, m.comments}, "reasons": {ref.reasons, m.reasons}, "placement": {ref.placement, m.placement}} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			return nil, fmt.Errorf("%s differ from a row-by-row scan:\n%v\n%v", what, pair[0], pair[1])
		}
	}
	return ref, err
}

// TestReadMatrixMatchesRowScan checks the packed per-panelist scan of the close against reading
// every answer row.
func TestReadMatrixMatchesRowScan(t *testing.T) {
	svc, st, sid := seedRound(t, filepath.Join(t.TempDir(), "d.db"), 120, 45)
	defer st.Close()
	ctx := context.Background()
	study, err := svc.Study(ctx, sid)
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.Round(sid, 1)
		if err != nil {
			return err
		}
		rows, err := tx.RoundItems(r.ID)
		if err != nil {
			return err
		}
		panel, err := tx.Panelists(sid)
		if err != nil {
			return err
		}
		byID := map[int64]store.Panelist{}
		for _, p := range panel {
			byID[p.ID] = p
		}
		m, err := rowScanMatrix(tx, study, r, rows, byID)
		if err == nil && len(m.comments) == 0 {
			err = fmt.Errorf("the seed made no comments")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// benchmarkClose closes round 1 of np × ni, on a copy of a database seeded once.
func benchmarkClose(b *testing.B, np, ni int) {
	if np >= 10000 && testing.Short() {
		b.Skip("seeding 3 million answers takes a while; run without -short")
	}
	dir := b.TempDir()
	seed := filepath.Join(dir, "seed.db")
	_, st, sid := seedRound(b, seed, np, ni)
	if err := st.Close(); err != nil { // checkpoints the WAL into the file
		b.Fatal(err)
	}
	data, err := os.ReadFile(seed)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(dir, fmt.Sprintf("run%d.db", i))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			b.Fatal(err)
		}
		st, err := store.Open(ctx, path, time.Now)
		if err != nil {
			b.Fatal(err)
		}
		signer, _ := auth.New([]byte("0123456789abcdef0123456789abcdef"), time.Now)
		svc := New(st, surveys.FS, signer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
		b.StartTimer()
		snap, err := svc.CloseRound(ctx, Actor{StaffID: 1, Role: RoleAdmin}, sid, 1)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if snap.Participation.Invited != np {
			b.Fatalf("invited %d", snap.Participation.Invited)
		}
		st.Close()
		os.Remove(path)
		b.StartTimer()
	}
}

// BenchmarkCloseRound1000x300 closes a round of 1,000 panelists × 300 items: read every answer,
// compute every statistic, write the snapshot, in one transaction.
func BenchmarkCloseRound1000x300(b *testing.B) { benchmarkClose(b, 1000, 300) }

// BenchmarkCloseRound10000x300 is the same for 10,000 panelists (skipped with -short).
func BenchmarkCloseRound10000x300(b *testing.B) { benchmarkClose(b, 10000, 300) }

// BenchmarkDecodeSnapshot1000x300 decodes the stored snapshot of a closed round of 1,000
// panelists × 300 items, as a report or round-2 feedback does when it first needs it after a
// start.
func BenchmarkDecodeSnapshot1000x300(b *testing.B) {
	svc, st, sid := seedRound(b, filepath.Join(b.TempDir(), "d.db"), 1000, 300)
	defer st.Close()
	ctx := context.Background()
	if _, err := svc.CloseRound(ctx, Actor{StaffID: 1, Role: RoleAdmin}, sid, 1); err != nil {
		b.Fatal(err)
	}
	data, err := svc.SnapshotJSON(ctx, sid, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSnapshot(data); err != nil {
			b.Fatal(err)
		}
	}
}
