package consensus_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
)

// benchRounds makes two rounds of a synthetic study with np panelists, ni items and ng groups
// on 1..9: each item has a centre, ratings scatter around it, 3% are blank, 2% unable, 2% of
// the panel does not submit; in round 2 a third of the ratings move one point towards the
// centre. Deterministic for a seed.
func benchRounds(np, ni, ng int, seed uint64) (prev, cur *consensus.Round) {
	rng := rand.New(rand.NewPCG(seed, 1))
	items := make([]string, ni)
	centre := make([]int, ni)
	for i := range items {
		items[i] = fmt.Sprintf("I%03d", i+1)
		centre[i] = 1 + rng.IntN(9)
	}
	panelists := make([]string, np)
	group := make([]int, np)
	for p := range panelists {
		panelists[p] = fmt.Sprintf("P%05d", p+1)
		group[p] = rng.IntN(ng)
	}
	groups := make([]string, ng)
	for g := range groups {
		groups[g] = fmt.Sprintf("group%d", g+1)
	}
	mk := func(n int) *consensus.Round {
		rd := &consensus.Round{Number: n, Items: items, Panelists: panelists, Groups: groups, Group: group,
			Submitted: make([]bool, np), Ratings: make([]int8, np*ni)}
		for p := range rd.Submitted {
			rd.Submitted[p] = rng.IntN(50) != 0
		}
		return rd
	}
	prev, cur = mk(1), mk(2)
	for p := 0; p < np; p++ {
		for i := 0; i < ni; i++ {
			x := p*ni + i
			v := centre[i] + rng.IntN(5) - 2
			v = min(9, max(1, v))
			a := int8(v)
			switch u := rng.IntN(100); {
			case u < 3:
				a = consensus.Missing
			case u < 5:
				a = consensus.Unable
			}
			prev.Ratings[x] = a
			b := a
			if a > 0 && rng.IntN(3) == 0 {
				switch {
				case v < centre[i]:
					b = a + 1
				case v > centre[i]:
					b = a - 1
				}
			}
			cur.Ratings[x] = b
		}
	}
	return prev, cur
}

// snapshot is what the service computes when it closes a round: every per-round statistic
// (all items, all groups, Kendall's W) and the stability against the previous round.
func snapshot(s consensus.Scale, r consensus.Rule, prev, cur *consensus.Round) (*consensus.RoundResult, *consensus.Stability) {
	return consensus.ComputeRound(s, r, cur), consensus.ComputeStability(s, r, prev, cur)
}

func benchmarkSnapshot(b *testing.B, np int) {
	prev, cur := benchRounds(np, 300, 6, 1)
	s, r := consensus.ThirdsScale(9), consensus.DefaultRule()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		snapshot(s, r, prev, cur)
	}
}

// BenchmarkSnapshot1000x300 is one round of 1,000 panelists × 300 items in 6 groups.
func BenchmarkSnapshot1000x300(b *testing.B) { benchmarkSnapshot(b, 1000) }

// BenchmarkSnapshot10000x300 is one round of 10,000 panelists × 300 items in 6 groups.
func BenchmarkSnapshot10000x300(b *testing.B) { benchmarkSnapshot(b, 10000) }

func BenchmarkComputeRound1000x300(b *testing.B) {
	_, cur := benchRounds(1000, 300, 6, 1)
	s, r := consensus.ThirdsScale(9), consensus.DefaultRule()
	b.ReportAllocs()
	for b.Loop() {
		consensus.ComputeRound(s, r, cur)
	}
}

func BenchmarkComputeStability1000x300(b *testing.B) {
	prev, cur := benchRounds(1000, 300, 6, 1)
	s, r := consensus.ThirdsScale(9), consensus.DefaultRule()
	b.ReportAllocs()
	for b.Loop() {
		consensus.ComputeStability(s, r, prev, cur)
	}
}

// BenchmarkAnalyze10000x300 is the whole document of two rounds, as `delphi consensus` computes
// it (without reading the CSV).
func BenchmarkAnalyze10000x300(b *testing.B) {
	prev, cur := benchRounds(10000, 300, 6, 1)
	s := consensus.ThirdsScale(9)
	b.ReportAllocs()
	for b.Loop() {
		consensus.Analyze(s, nil, []*consensus.Round{prev, cur})
	}
}

// TestWriteBenchCSV writes the two benchmark rounds of 10,000 × 300 as a ratings CSV to the
// file named by $DELPHI_BENCH_CSV, for timing `delphi consensus` against testdata/bench.R:
//
//	DELPHI_BENCH_CSV=/tmp/bench.csv go test -run TestWriteBenchCSV ./internal/consensus/
//
// $DELPHI_BENCH_PANELISTS changes the panel size. Without $DELPHI_BENCH_CSV it is skipped.
func TestWriteBenchCSV(t *testing.T) {
	path := os.Getenv("DELPHI_BENCH_CSV")
	if path == "" {
		t.Skip("set DELPHI_BENCH_CSV to write the benchmark CSV")
	}
	np := 10000
	if s := os.Getenv("DELPHI_BENCH_PANELISTS"); s != "" {
		var err error
		if np, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	prev, cur := benchRounds(np, 300, 6, 1)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("panelist,group,item,round,rating\n")
	for _, rd := range []*consensus.Round{prev, cur} {
		round := strconv.Itoa(rd.Number)
		for p, id := range rd.Panelists {
			if !rd.Submitted[p] {
				continue
			}
			for i, item := range rd.Items {
				v := ""
				switch a := rd.Ratings[p*len(rd.Items)+i]; {
				case a == consensus.Unable:
					v = "U"
				case a > 0:
					v = strconv.Itoa(int(a))
				}
				fmt.Fprintf(w, "%s,%s,%s,%s,%s\n", id, rd.Groups[rd.Group[p]], item, round, v)
			}
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
