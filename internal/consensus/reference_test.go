package consensus_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/ratingcsv"
)

// The reference values in testdata/ref were computed from the CSVs beside them by
// testdata/reference.R (R's quantile, median, mean, sd, prop.test, wilcox.test and a Kendall's W
// written in R) and testdata/reference_scipy.py (scipy.stats.wilcoxon, both zero methods); the
// cases come from testdata/make_cases.py. The tests read the values; they never run R or Python.

// tolerance of the definitions: relative 1e-9, absolute 1e-12 near zero.
func close(got, want float64) bool {
	if got == want {
		return true
	}
	d := math.Abs(got - want)
	return d <= 1e-12 || d <= 1e-9*math.Max(math.Abs(got), math.Abs(want))
}

type refCase struct {
	file     string
	scaleMax int
}

func readCases(t *testing.T) []refCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ref", "cases.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	var cs []refCase
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		f := strings.Split(line, "\t")
		m, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("cases.tsv: %q: %v", line, err)
		}
		cs = append(cs, refCase{file: f[0], scaleMax: m})
	}
	return cs
}

// analyzeFile runs what `delphi consensus` runs and returns the JSON document.
func analyzeFile(t *testing.T, name string, max int) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ref", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rounds, err := ratingcsv.Parse(name, f, max)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(consensus.Analyze(consensus.ThirdsScale(max), nil, rounds))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flatten maps every JSON path (keys and array indices joined by ".") to its value; objects and
// arrays are also recorded, as themselves, so that a reference null can be checked on them.
func flatten(prefix string, v any, out map[string]any) {
	out[prefix] = v
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			flatten(join(prefix, k), e, out)
		}
	case []any:
		for i, e := range x {
			flatten(join(prefix, strconv.Itoa(i)), e, out)
		}
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

func decodeFlat(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	flat := make(map[string]any)
	flatten("", doc, flat)
	return flat
}

// matches compares one value of ours with a reference cell.
func matches(got any, want string) error {
	switch want {
	case "null":
		if got != nil {
			return fmt.Errorf("got %v, want null", got)
		}
		return nil
	case "true", "false":
		if b, ok := got.(bool); !ok || strconv.FormatBool(b) != want {
			return fmt.Errorf("got %v, want %s", got, want)
		}
		return nil
	}
	if s, ok := strings.CutPrefix(want, `"`); ok {
		if g, ok := got.(string); !ok || g != strings.TrimSuffix(s, `"`) {
			return fmt.Errorf("got %v, want %s", got, want)
		}
		return nil
	}
	w, err := strconv.ParseFloat(want, 64)
	if err != nil {
		return fmt.Errorf("bad reference value %q", want)
	}
	n, ok := got.(json.Number)
	if !ok {
		return fmt.Errorf("got %v (%T), want %s", got, got, want)
	}
	g, err := n.Float64()
	if err != nil || !close(g, w) {
		return fmt.Errorf("got %s, want %s", n, want)
	}
	return nil
}

func TestReference(t *testing.T) {
	for _, src := range []string{"reference_r.tsv", "reference_scipy.tsv"} {
		t.Run(src, func(t *testing.T) {
			want := readRef(t, src)
			for _, c := range readCases(t) {
				t.Run(c.file, func(t *testing.T) {
					rows := want[c.file]
					if len(rows) == 0 {
						t.Skipf("no reference values for %s (one round: no stability)", c.file)
					}
					flat := decodeFlat(t, analyzeFile(t, c.file, c.scaleMax))
					bad := 0
					for _, r := range rows {
						got, ok := flat[r.path]
						if !ok {
							t.Errorf("%s: missing in our JSON (want %s)", r.path, r.value)
						} else if err := matches(got, r.value); err != nil {
							t.Errorf("%s: %v", r.path, err)
						} else {
							continue
						}
						if bad++; bad > 20 {
							t.Fatal("too many differences")
						}
					}
				})
			}
		})
	}
}

// TestBenchAgainstR checks the benchmark CSV against the values bench.R wrote for it, when
// $DELPHI_BENCH_CSV and $DELPHI_BENCH_R_TSV name them (see BENCHMARKS.md); otherwise it is skipped.
func TestBenchAgainstR(t *testing.T) {
	csvPath, tsv := os.Getenv("DELPHI_BENCH_CSV"), os.Getenv("DELPHI_BENCH_R_TSV")
	if csvPath == "" || tsv == "" {
		t.Skip("set DELPHI_BENCH_CSV and DELPHI_BENCH_R_TSV")
	}
	abs, err := filepath.Abs(tsv)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rounds, err := ratingcsv.Parse(csvPath, f, 9)
	if err != nil {
		t.Fatal(err)
	}
	flat := decodeFlat(t, mustJSON(t, consensus.Analyze(consensus.ThirdsScale(9), nil, rounds)))
	n := 0
	for _, rows := range readRefPath(t, abs) {
		for _, r := range rows {
			got, ok := flat[r.path]
			if !ok {
				t.Fatalf("%s: missing", r.path)
			}
			if err := matches(got, r.value); err != nil {
				t.Fatalf("%s: %v", r.path, err)
			}
			n++
		}
	}
	t.Logf("%d values agree with R", n)
}

type refRow struct{ path, value string }

func readRef(t *testing.T, name string) map[string][]refRow {
	t.Helper()
	return readRefPath(t, filepath.Join("testdata", "ref", name))
}

func readRefPath(t *testing.T, name string) map[string][]refRow {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string][]refRow)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("%s: bad line %q", name, line)
		}
		out[f[0]] = append(out[f[0]], refRow{path: f[1], value: f[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
