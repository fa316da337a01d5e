// Command delphi runs Delphi consensus studies: the web service and its command-line tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // studies' time zones work on a machine without a zoneinfo database

	"github.com/gin-gonic/gin"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	gin.SetMode(gin.ReleaseMode) // process-wide; set once, here
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `usage: delphi <command> [flags]

commands:
  serve       run the web service (default)
  migrate     apply database migrations and exit
  consensus   compute consensus statistics from a ratings CSV
  survey      check survey definition files (delphi survey check FILE…)
  report      export a closed round: csv, answers, outcome, xlsx, json, html (delphi report -study 1 -round 2)
  backup      write a checked copy of the live database (delphi backup [-db FILE] OUT)
  restore     replace the database by a backup, server stopped (delphi restore [-db FILE] BACKUP)
  erase       erase a finished study's personal data now (delphi erase [-db FILE] STUDY)
  version     print the version`

// run dispatches a subcommand. It never exits the process; errors are returned to main, whose
// message is printed as is (subcommands format them, e.g. "file:line: message").
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "consensus":
		return runConsensus(ctx, args, stdin, stdout, stderr)
	case "survey":
		return runSurvey(ctx, args, stdout, stderr)
	case "report":
		return runReport(ctx, args, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args, getenv, stdout, stderr)
	case "erase":
		return runErase(ctx, args, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "delphi", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("delphi: unknown command %q\n\n%s", cmd, usage)}
}
