package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

const reportUsage = `usage: delphi report [-db FILE] -study ID -round N [-format FORMAT] [-full] [-o OUT]

Writes the report of a closed round from its snapshot, as the web service serves it:
  csv       tidy results: one row per item × stakeholder group (default)
  answers   pseudonymous raw answers of rounds 1..N (panelist, group, item, round, rating, unable, placement),
            with a new pseudonym per round
  answers-linked  the same with the study's pseudonyms, which link a panelist's rounds
  outcome   the outcome after round N as a data dictionary (final tier and deciding round)
  comments  anonymised comments and reasons for changed ratings
  xlsx      workbook: summary, items, groups, participation, comments, outcome
  json      the whole snapshot
  html      the round summary as one self-contained HTML file
Without -o the report goes to stdout (xlsx needs -o).`

// runReport is `delphi report`: exports of a closed round, read from the database (never
// written to). DELPHI_DB gives the database when -db is not set.
func runReport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, reportUsage)
		fs.PrintDefaults()
	}
	dbDefault := getenv("DELPHI_DB")
	if dbDefault == "" {
		dbDefault = "data/delphi.db"
	}
	db := fs.String("db", dbDefault, "the SQLite database `FILE` (env DELPHI_DB)")
	sid := fs.Int64("study", 0, "study `ID`")
	n := fs.Int("round", 0, "round `N` (closed)")
	format := fs.String("format", "csv", "csv, answers, answers-linked, outcome, comments, xlsx, json or html")
	out := fs.String("o", "", "write to `OUT` instead of stdout")
	full := fs.Bool("full", false, "every cell, small groups and countries included (marked in the file); by default cells under min_group_size are withheld")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{fmt.Sprintf("delphi report: %v", err)}
	}
	switch {
	case fs.NArg() > 0:
		return usageError{"delphi report: unexpected arguments\n\n" + reportUsage}
	case *sid <= 0 || *n <= 0:
		return usageError{"delphi report: give -study and -round\n\n" + reportUsage}
	case *format == "xlsx" && *out == "":
		return usageError{"delphi report: -format xlsx needs -o FILE"}
	}
	if _, err := os.Stat(*db); err != nil {
		return fmt.Errorf("delphi report: %w", err)
	}
	st, err := store.Open(ctx, *db, time.Now)
	if err != nil {
		return fmt.Errorf("delphi report: %w", err)
	}
	defer st.Close()
	// The signing key beside the database derives the per-round pseudonyms of the answers
	// export: the same as the server's.
	var signer *auth.Signer
	keyPath := strings.TrimSuffix(*db, filepath.Ext(*db)) + ".key"
	if _, err := os.Stat(keyPath); err == nil { // read it; never make one here
		if key, _, err := auth.LoadOrCreateKey(keyPath); err == nil {
			signer, _ = auth.New(key, time.Now)
		}
	}
	if signer == nil && *format == "answers" {
		return fmt.Errorf("delphi report: -format answers needs the signing key beside the database (%s.key)", strings.TrimSuffix(*db, filepath.Ext(*db)))
	}
	svc := delphi.New(st, surveys.FS, signer, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var buf bytes.Buffer
	if err := writeReport(ctx, &buf, svc, *sid, *n, *format, *full); err != nil {
		return fmt.Errorf("delphi report: %w", err)
	}
	if err := svc.AuditExport(ctx, delphi.System, *sid, *n, cliExportName(*format, *full)); err != nil {
		return fmt.Errorf("delphi report: %w", err)
	}
	if *out == "" {
		_, err = stdout.Write(buf.Bytes())
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("delphi report: %w", err)
	}
	fmt.Fprintf(stderr, "wrote %s (%d bytes)\n", *out, buf.Len())
	return nil
}

func cliExportName(format string, full bool) string {
	if full {
		return "cli:" + format + "?disclosure=full"
	}
	return "cli:" + format
}

func writeReport(ctx context.Context, w io.Writer, svc *delphi.Service, sid int64, n int, format string, full bool) error {
	study, err := svc.Study(ctx, sid)
	if err != nil {
		return err
	}
	min := 5
	if study.Def != nil && study.Def.Feedback.MinGroupSize > 0 {
		min = study.Def.Feedback.MinGroupSize
	}
	var snaps []*delphi.Snapshot
	for k := 1; k <= n; k++ {
		snap, err := svc.Snapshot(ctx, sid, k)
		if err != nil {
			return err
		}
		// the study's small-cell rule, as on the server (or every cell, marked, with -full)
		if full {
			snap = snap.Full(min)
		} else {
			snap = snap.Disclosed(min)
		}
		snaps = append(snaps, snap)
	}
	rs := report.StudyOf(study)
	if rs.Consented, err = svc.ConsentCount(ctx, sid); err != nil {
		return err
	}
	if rs.Meetings, err = svc.StudyMeetingReports(ctx, sid); err != nil {
		return err
	}
	switch format {
	case "json":
		b, err := delphi.EncodeSnapshot(snaps[len(snaps)-1])
		if err != nil {
			return err
		}
		return report.AugmentJSON(w, b, rs, snaps)
	case "csv":
		return report.CSV(w, snaps...)
	case "answers", "answers-linked":
		var all []delphi.RawAnswer
		for k := 1; k <= n; k++ {
			as, err := svc.RawAnswers(ctx, sid, k, format == "answers-linked")
			if err != nil {
				return err
			}
			all = append(all, as...)
		}
		return report.AnswersCSV(w, all)
	case "outcome":
		return report.OutcomeCSV(w, report.Outcome(rs, snaps))
	case "comments":
		return report.CommentsCSV(w, snaps[len(snaps)-1])
	case "xlsx":
		return report.XLSX(w, rs, snaps...)
	case "html":
		sum, err := report.Build(rs, snaps)
		if err != nil {
			return err
		}
		cat, err := i18n.Load()
		if err != nil {
			return err
		}
		return templates.WriteReport(templates.WithTranslator(ctx, cat.T), w, sum)
	}
	return usageError{fmt.Sprintf("delphi report: unknown format %q (csv, answers, answers-linked, outcome, comments, xlsx, json, html)", format)}
}
