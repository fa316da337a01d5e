package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/report/reporttest"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixture is the fixed study of the golden tests, run once (TestMain) through the domain.
type fixture struct {
	sid   int64
	study report.Study
	snaps []*delphi.Snapshot
	json  [][]byte // stored snapshot bytes per round
	raw   []delphi.RawAnswer
}

var fix *fixture

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "report-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fix, err = fixedStudy(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixture:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixedStudy runs the fixture survey with 24 panelists over two rounds at fixed dates, with
// hostile comments, and keeps its snapshots and raw answers.
func fixedStudy(dir string) (*fixture, error) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st, err := store.Open(ctx, filepath.Join(dir, "delphi.db"), clk.Now)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	signer, err := auth.New([]byte("0123456789abcdef0123456789abcdef"), clk.Now)
	if err != nil {
		return nil, err
	}
	svc := delphi.New(st, surveys.FS, signer, clk.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Rand = mrand.NewChaCha8([32]byte{1}) // the same pseudonyms on every run, for the golden files
	sid, err := reporttest.Run(ctx, svc, reporttest.Options{Definition: reporttest.Fixture, Title: "Report fixture",
		Panelists: 24, Rounds: 2, Seed: 1, Advance: clk.Add, Hostile: true})
	if err != nil {
		return nil, err
	}
	f := &fixture{sid: sid}
	study, err := svc.Study(ctx, sid)
	if err != nil {
		return nil, err
	}
	f.study = report.StudyOf(study)
	for n := 1; n <= 2; n++ {
		snap, err := svc.Snapshot(ctx, sid, n)
		if err != nil {
			return nil, err
		}
		b, err := svc.SnapshotJSON(ctx, sid, n)
		if err != nil {
			return nil, err
		}
		raw, err := svc.RawAnswers(ctx, sid, n, true) // linked: R's reproduction pairs the rounds
		if err != nil {
			return nil, err
		}
		f.snaps, f.json, f.raw = append(f.snaps, snap), append(f.json, b), append(f.raw, raw...)
	}
	return f, nil
}

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs from the golden file at line %d:\n got: %.300s\nwant: %.300s\n(run with -update if the change is intended)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs from the golden file in length: %d lines, want %d (run with -update if intended)", name, len(gl), len(wl))
	}
}

// exports renders every export of the fixture, by file name.
func exports(t *testing.T, f *fixture) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	put := func(name string, fn func(w io.Writer) error) {
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = b.Bytes()
	}
	for n := 1; n <= 2; n++ {
		snaps := f.snaps[:n]
		put(fmt.Sprintf("round%d.csv", n), func(w io.Writer) error { return report.CSV(w, snaps...) })
		put(fmt.Sprintf("round%d-comments.csv", n), func(w io.Writer) error { return report.CommentsCSV(w, snaps[n-1]) })
		put(fmt.Sprintf("round%d-outcome.csv", n), func(w io.Writer) error {
			return report.OutcomeCSV(w, report.Outcome(f.study, snaps))
		})
		put(fmt.Sprintf("round%d.json", n), func(w io.Writer) error {
			_, err := w.Write(f.json[n-1])
			return err
		})
		put(fmt.Sprintf("round%d.xlsx", n), func(w io.Writer) error { return report.XLSX(w, f.study, snaps...) })
		put(fmt.Sprintf("round%d.html", n), func(w io.Writer) error {
			sum, err := report.Build(f.study, snaps)
			if err != nil {
				return err
			}
			return templates.WriteReport(templates.WithTranslator(context.Background(), catalog(t).T), w, sum)
		})
		put(fmt.Sprintf("round%d-methods.txt", n), func(w io.Writer) error {
			_, err := io.WriteString(w, strings.Join(report.Methods(f.study, snaps), "\n\n")+"\n")
			return err
		})
	}
	// round 2 as staff see it under a minimum of 5 (the fixture's groups of 4 are withheld)
	var disclosed []*delphi.Snapshot
	for _, sn := range f.snaps[:2] {
		disclosed = append(disclosed, sn.Disclosed(5))
	}
	put("round2-disclosed.csv", func(w io.Writer) error { return report.CSV(w, disclosed...) })
	put("round2-disclosed.xlsx", func(w io.Writer) error { return report.XLSX(w, f.study, disclosed...) })
	put("round2-disclosed.html", func(w io.Writer) error {
		sum, err := report.Build(f.study, disclosed)
		if err != nil {
			return err
		}
		return templates.WriteReport(templates.WithTranslator(context.Background(), catalog(t).T), w, sum)
	})
	put("answers.csv", func(w io.Writer) error { return report.AnswersCSV(w, f.raw) })
	return out
}

func loadFixture(t *testing.T) *fixture {
	t.Helper()
	return fix
}

func TestGoldenExports(t *testing.T) {
	f := loadFixture(t)
	for name, b := range exports(t, f) {
		t.Run(name, func(t *testing.T) {
			if strings.HasSuffix(name, ".xlsx") {
				b = dumpXLSX(t, b)
				name += ".txt"
			}
			golden(t, name, b)
		})
	}
}

// dumpXLSX writes every sheet of a workbook as tab-separated text, for a golden file that shows
// what changed (the zip bytes would not).
func dumpXLSX(t *testing.T, b []byte) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var out bytes.Buffer
	for _, sh := range x.GetSheetList() {
		fmt.Fprintf(&out, "== %s\n", sh)
		rows, err := x.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out.WriteString(strings.Join(r, "\t") + "\n")
		}
	}
	return out.Bytes()
}

// TestExportsAreSafe checks every export: no panelist name or email, and no text cell that a
// spreadsheet would run as a formula.
func TestExportsAreSafe(t *testing.T) {
	f := loadFixture(t)
	for name, b := range exports(t, f) {
		text := b
		if strings.HasSuffix(name, ".xlsx") {
			text = dumpXLSX(t, b)
		}
		for _, bad := range []string{"Expert Name", "@hospital.example.org", "study-office@"} {
			if bytes.Contains(text, []byte(bad)) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
		if strings.HasSuffix(name, ".html") && bytes.Contains(b, []byte("<script>alert")) ||
			name == "round1.html" && !bytes.Contains(b, []byte("&lt;script&gt;alert")) {
			t.Errorf("%s does not escape the hostile comment", name)
		}
		switch {
		case strings.HasSuffix(name, ".csv"):
			recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i, rec := range recs {
				for j, v := range rec {
					checkCell(t, fmt.Sprintf("%s row %d col %d", name, i+1, j+1), v)
				}
			}
		case strings.HasSuffix(name, ".xlsx"):
			x, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range x.GetSheetList() {
				rows, _ := x.GetRows(sh)
				for i, r := range rows {
					for j, v := range r {
						cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
						if fm, _ := x.GetCellFormula(sh, cell); fm != "" {
							t.Errorf("%s %s!%s has a formula %q", name, sh, cell, fm)
						}
						checkCell(t, fmt.Sprintf("%s %s!%s", name, sh, cell), v)
					}
				}
			}
			x.Close()
		}
	}
	// the hostile comment is there, neutralised
	var comments bytes.Buffer
	if err := report.CommentsCSV(&comments, f.snaps[0]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(comments.String(), `'=HYPERLINK(`) {
		t.Errorf("comments.csv lacks the neutralised =HYPERLINK comment:\n%s", comments.String())
	}
	x := exports(t, f)["round1.xlsx"]
	if !bytes.Contains(dumpXLSX(t, x), []byte(`'=HYPERLINK(`)) {
		t.Error("round1.xlsx lacks the neutralised =HYPERLINK comment")
	}
}

func checkCell(t *testing.T, where, v string) {
	t.Helper()
	if v == "" || strings.HasPrefix(v, "'") {
		return
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return // a number
	}
	if report.Cell(v) != v {
		t.Errorf("%s: text cell %q starts with a formula character", where, v)
	}
}

// formulaCases are cells a spreadsheet may run as a formula (OWASP's CSV injection list, and
// the disguises that get past a guard looking at the first byte only), and cells it does not.
var formulaCases = []struct {
	in      string
	guarded bool
}{
	{"=1+1", true}, {"+49 30 1234", true}, {"-x", true}, {"@SUM(A1)", true}, {"\tx", true}, {"\rx", true},
	{" =1+1", true}, {"\n=1+1", true}, {"\u00a0=1", true}, {"\x00=1+1", true}, {"\u200b=1+1", true}, {"\ufeff=1+1", true},
	{"\u200d\u2060@x", true}, {"\x1b=cmd", true}, {"＝1+1", true}, {"＋1", true}, {"－1", true}, {"＠SUM(A1)", true},
	{"﹦1", true}, {"−1", true}, {"  \t =HYPERLINK(\"x\")", true},
	{"", false}, {"plain", false}, {"a=b", false}, {"'=x", false}, {"1-2", false}, {"ok @home", false}, {"\u200bplain", false},
	{"\xff=bad utf-8", true},
}

// xmlText is s without the characters an XLSX cell cannot keep as they are (XML 1.0 has no
// control characters; excelize writes U+FFFD for them and for invalid UTF-8, or drops them).
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || (r < 0x20 && r != '\t' && r != '\n' && r != '\r') {
			return -1
		}
		return r
	}, s)
}

func TestCell(t *testing.T) {
	for _, tt := range formulaCases {
		want := tt.in
		if tt.guarded {
			want = "'" + tt.in
		}
		if got := report.Cell(tt.in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", tt.in, got, want)
		}
	}
}

// TestFormulaGuardInExports puts every case of formulaCases in a comment and reads the CSV and
// XLSX back: each comes out neutralised (or untouched), as a spreadsheet would read it.
func TestFormulaGuardInExports(t *testing.T) {
	f := loadFixture(t)
	snap := *f.snaps[0]
	snap.Comments = map[string][]string{}
	item := snap.Items[0].ID
	for _, tt := range formulaCases {
		if tt.in != "" {
			snap.Comments[item] = append(snap.Comments[item], tt.in)
		}
	}
	var csvb, xb bytes.Buffer
	if err := report.CommentsCSV(&csvb, &snap); err != nil {
		t.Fatal(err)
	}
	if err := report.XLSX(&xb, f.study, &snap); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&csvb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var fromCSV []string
	for _, r := range recs[1:] {
		fromCSV = append(fromCSV, r[len(r)-1])
	}
	x, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	var fromXLSX []string
	for _, sh := range x.GetSheetList() {
		rows, _ := x.GetRows(sh, excelize.Options{RawCellValue: true})
		for _, r := range rows {
			for _, v := range r {
				fromXLSX = append(fromXLSX, v)
			}
		}
	}
	for _, tt := range formulaCases {
		if tt.in == "" {
			continue
		}
		want := report.Cell(tt.in)
		if tt.guarded != (want != tt.in) {
			t.Fatalf("Cell(%q) = %q", tt.in, want)
		}
		for name, cells := range map[string][]string{"comments.csv": fromCSV, "xlsx": fromXLSX} {
			norm := func(v string) string { return v }
			if name == "xlsx" {
				norm = xmlText // XML cannot hold control characters or invalid UTF-8
			}
			found := false
			for _, v := range cells {
				found = found || norm(v) == norm(want)
				checkCell(t, name, v)
			}
			if !found {
				t.Errorf("%s: %q is not there as %q", name, tt.in, want)
			}
		}
	}
}

// TestSummary checks the view model against the snapshot it comes from.
func TestSummary(t *testing.T) {
	f := loadFixture(t)
	sum, err := report.Build(f.study, f.snaps)
	if err != nil {
		t.Fatal(err)
	}
	snap := f.snaps[1]
	if sum.Round != 2 || len(sum.Items) != len(snap.Items) || sum.Change == nil {
		t.Fatalf("round %d, %d items (want %d), change %v", sum.Round, len(sum.Items), len(snap.Items), sum.Change)
	}
	if len(sum.Participation.Rounds) != 2 || sum.Participation.Attrition == "" {
		t.Errorf("participation: %+v", sum.Participation)
	}
	if len(sum.Points) != 9 || len(sum.Items[0].Hist) != 9 {
		t.Errorf("scale of %d points, a histogram of %d", len(sum.Points), len(sum.Items[0].Hist))
	}
	n := 0
	for _, s := range sum.Status {
		n += len(s.Items)
	}
	if n != len(sum.Items) {
		t.Errorf("status lists hold %d items, want %d", n, len(sum.Items))
	}
	// round 1 dropped the items that reached consensus
	r1, _ := report.Build(f.study, f.snaps[:1])
	if got := len(r1.Items) - len(sum.Items) + len(sum.Change.New); got != len(sum.Change.Dropped) {
		t.Errorf("dropped %d, want %d", len(sum.Change.Dropped), got)
	}
	if len(sum.Methods) < 3 {
		t.Errorf("methods: %q", sum.Methods)
	}
}

func TestOutcome(t *testing.T) {
	f := loadFixture(t)
	rows := report.Outcome(f.study, f.snaps)
	if len(rows) != len(f.snaps[0].Items) {
		t.Fatalf("%d rows, want %d", len(rows), len(f.snaps[0].Items))
	}
	for _, r := range rows {
		switch r.Status {
		case "consensus_in":
			switch {
			case r.Tier == report.TierUndecided && (r.Reason == "placement_split" || r.Reason == "too_few_placement_answers"):
			case (r.Tier == report.TierCore || r.Tier == report.TierExpansion) && r.DecidedRound > 0:
			default:
				t.Errorf("%s: in, tier %s (%s) round %d", r.Item, r.Tier, r.Reason, r.DecidedRound)
			}
		case "consensus_out", "dropped", "replaced":
			if r.Tier != report.TierExcluded || r.DecidedRound == 0 {
				t.Errorf("%s: %s, tier %s round %d", r.Item, r.Status, r.Tier, r.DecidedRound)
			}
		case "no_consensus":
			if r.Tier != report.TierPending || r.DecidedRound != 0 {
				t.Errorf("%s: open study without consensus, tier %s round %d", r.Item, r.Tier, r.DecidedRound)
			}
		default:
			t.Errorf("%s: status %q", r.Item, r.Status)
		}
	}
	finished := f.study
	finished.Finished = true
	for _, r := range report.Outcome(finished, f.snaps) {
		if r.Tier == report.TierPending {
			t.Errorf("%s pending in a finished study", r.Item)
		}
		// finishing never excludes by itself
		if r.Status == "no_consensus" && (r.Tier != report.TierUndecided || r.Reason != "no_consensus") {
			t.Errorf("%s: no consensus in a finished study became %s (%s)", r.Item, r.Tier, r.Reason)
		}
	}
	// grouped: core, modules, undecided, excluded, never back
	order := map[string]int{"core": 0, "module": 1, "undecided": 2, "excluded": 3}
	for i := 1; i < len(rows); i++ {
		if order[rows[i].Group] < order[rows[i-1].Group] {
			t.Fatalf("row %d (%s, %s) after %s", i, rows[i].Item, rows[i].Group, rows[i-1].Group)
		}
	}
}

// TestReproduceInR runs testdata/reproduce.R on the golden CSVs: a statistician recomputes
// every count, percentage, quartile, Wilson interval and Wilcoxon p-value from the raw
// answers. It needs Rscript (apt-get install -y r-base-core) and skips without it.
func TestReproduceInR(t *testing.T) {
	rs, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not installed: the R check of the exports is skipped")
	}
	for _, round := range []string{"golden/round1.csv", "golden/round2.csv"} {
		cmd := exec.Command(rs, "reproduce.R", round, "golden/answers.csv")
		cmd.Dir = "testdata"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", round, err, out)
		}
		t.Logf("%s", out)
	}
}

// catalog is the interface strings, as the server loads them.
func catalog(t *testing.T) *i18n.Catalog {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}
