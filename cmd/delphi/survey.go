package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cart-cd/delphi/internal/survey"
)

const surveyUsage = `usage: delphi survey check FILE…

check   parse and validate survey definition files; print every problem as
        file:line: field: message, and "FILE: ok (…)" for each good file`

// runSurvey runs "delphi survey check FILE…". Problems go to stderr, one per line; good files get
// an ok line on stdout. It returns an error when any file has a problem, so the exit status says
// whether every file is valid.
func runSurvey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{surveyUsage}
	}
	switch args[0] {
	case "check":
		return surveyCheck(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, surveyUsage)
		return nil
	}
	return usageError{fmt.Sprintf("delphi survey: unknown subcommand %q\n\n%s", args[0], surveyUsage)}
}

func surveyCheck(ctx context.Context, files []string, stdout, stderr io.Writer) error {
	if len(files) == 0 {
		return usageError{"delphi survey check: no files given\n\n" + surveyUsage}
	}
	nProblems, nBad := 0, 0
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("survey check: %w", err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, err)
			nProblems++
			nBad++
			continue
		}
		def, err := survey.Parse(file, data)
		if err != nil {
			ps := survey.Problems(err)
			for _, p := range ps {
				fmt.Fprintln(stderr, p)
			}
			if len(ps) == 0 { // not expected from Parse, but never hide an error
				fmt.Fprintln(stderr, err)
				ps = make([]*survey.Error, 1)
			}
			nProblems += len(ps)
			nBad++
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d sections, %d items, %d groups)\n",
			file, len(def.Sections), len(def.Items()), len(def.Groups))
	}
	if nBad > 0 {
		return errors.New("survey check: " + plural(nProblems, "problem") + " in " + plural(nBad, "file"))
	}
	return nil
}

// plural formats n with noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
