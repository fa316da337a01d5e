package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/surveys"
)

const eraseUsage = `usage: delphi erase [-db FILE] STUDY

Erase the personal data of a finished study now: the panel's names and emails,
every invitation link and the outbox. Answers, comments, snapshots, reports
and the audit log stay (they name no one); the audit log records the erasure.
The same as an admin's POST /api/v1/studies/{sid}/erase. It cannot be undone:
take a backup first if in doubt (delphi backup).`

// runErase runs "delphi erase [-db FILE] STUDY".
func runErase(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	db, arg, err := dbFlag("erase", eraseUsage, args, getenv, stderr)
	if err != nil {
		return err
	}
	sid, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || sid <= 0 {
		return usageError{fmt.Sprintf("delphi erase: %q is not a study id\n\n%s", arg, eraseUsage)}
	}
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("delphi erase: %w", err)
	}
	st, err := store.Open(ctx, db, time.Now)
	if err != nil {
		return fmt.Errorf("delphi erase: %w", err)
	}
	defer st.Close()
	svc := delphi.New(st, surveys.FS, nil, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e, err := svc.EraseStudy(ctx, delphi.System, sid)
	if err != nil {
		return fmt.Errorf("delphi erase: %w", err)
	}
	fmt.Fprintf(stdout, "study %d: personal data erased (%d panelists' names and emails, %d links ended, %d messages deleted)\n",
		sid, e.Panelists, e.Invitations, e.Messages)
	return nil
}
