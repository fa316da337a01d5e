package main

import (
	"context"
	"errors"
	"io"
)

// runSurvey is replaced by the survey work.
func runSurvey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("delphi survey: not built yet")
}
