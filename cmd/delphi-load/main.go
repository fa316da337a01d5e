// Command delphi-load measures delphi under a burst, on this machine, with the load generator
// included: it starts bin/delphi on 127.0.0.1 with a fresh database, creates a study through the
// real HTTP API, issues the panelists' links and drives them concurrently (questionnaire, section
// and autosave saves, submit), then presenters and facilitators reading (progress, round-2
// questionnaire with feedback, reports), and closes large rounds. In the same run it measures the
// raw ceiling: the store's upsert SQL straight into SQLite, one transaction per submission, no
// HTTP. Each figure is printed beside that ceiling, because absolute figures drift from run to
// run on a shared 2-core machine.
//
// After the save phases it kills the server (SIGKILL) and checks that every answer acknowledged
// with 2xx is in the database with the value last acknowledged.
//
//	delphi-load -bin bin/delphi -runs 3
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	Bin       string
	Dir       string
	Runs      int
	Panelists int           // panel of the save phases (40-item survey)
	Phase     time.Duration // length of each timed phase
	MaxReq    int           // per phase, a bound on requests besides the time
	Section   int           // clients of the section-save phase
	Autosave  int           // clients of the autosave phase
	Page      int           // clients of the questionnaire phase
	Light     int           // clients of the progress phase
	Readers   int           // concurrent report readers
	BigClose  []int         // panel sizes of the 300-item close phases
	// Attendees join a meeting and vote on one item, each spread over MeetingSpread.
	Attendees     int
	MeetingSpread time.Duration
	Skip          map[string]bool
	Verbose       bool
	Profile       bool // save the server's CPU profile of each timed phase
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "delphi-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("delphi-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Bin, "bin", "bin/delphi", "the delphi binary to start")
	fs.StringVar(&c.Dir, "dir", "", "working directory for databases and logs (default: a new temporary directory, removed after)")
	fs.IntVar(&c.Runs, "runs", 3, "runs; the summary gives the median of each figure")
	fs.IntVar(&c.Panelists, "panelists", 1000, "panelists of the save phases")
	fs.DurationVar(&c.Phase, "phase", 5*time.Second, "length of each timed phase")
	fs.IntVar(&c.MaxReq, "max-requests", 200000, "bound on requests per phase")
	fs.IntVar(&c.Section, "section-clients", 64, "concurrent clients saving 40-answer sections")
	fs.IntVar(&c.Autosave, "autosave-clients", 16, "concurrent clients autosaving one answer per request")
	fs.IntVar(&c.Page, "page-clients", 16, "concurrent clients reading the round-2 questionnaire")
	fs.IntVar(&c.Light, "light-clients", 16, "concurrent clients reading progress")
	fs.IntVar(&c.Readers, "readers", 100, "concurrent readers of a closed round's report")
	big := fs.String("close", "1000,10000", "panel sizes of the 300-item rounds to close (comma-separated; empty for none)")
	skip := fs.String("skip", "", "phases to skip (comma-separated: ceiling,section,autosave,page,progress,meeting,close,report)")
	fs.IntVar(&c.Attendees, "attendees", 300, "attendees of the meeting phase")
	fs.DurationVar(&c.MeetingSpread, "meeting-spread", 10*time.Second, "the meeting's joins, then its votes, are spread over this")
	fs.BoolVar(&c.Verbose, "v", false, "say what is happening")
	fs.BoolVar(&c.Profile, "profile", false, "save the server's CPU profile of each timed phase as <dir>/run<N>/<phase>.pprof (give -dir to keep them)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if c.BigClose, err = intList(*big); err != nil {
		return fmt.Errorf("-close: %w", err)
	}
	c.Skip = map[string]bool{}
	for _, s := range splitList(*skip) {
		c.Skip[s] = true
	}
	if c.Runs < 1 || c.Panelists < c.Section || c.Panelists < 10 {
		return errors.New("need -runs ≥ 1 and -panelists ≥ max(10, -section-clients)")
	}
	if _, err := os.Stat(c.Bin); err != nil {
		return fmt.Errorf("%s: %w (run make build first)", c.Bin, err)
	}
	if c.Dir == "" {
		d, err := os.MkdirTemp("", "delphi-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.Dir = d
	}
	fmt.Fprintf(stdout, "delphi-load: %s, %d run(s), machine: %s\n", c.Bin, c.Runs, machine())
	var runs []*result
	for i := 1; i <= c.Runs; i++ {
		dir := filepath.Join(c.Dir, fmt.Sprintf("run%d", i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n=== run %d/%d\n", i, c.Runs)
		r, err := oneRun(ctx, &c, dir, stdout)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		r.print(stdout)
		runs = append(runs, r)
	}
	return summary(stdout, runs)
}
