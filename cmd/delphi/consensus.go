package main

import (
	"context"
	"errors"
	"io"
)

// runConsensus is replaced by the consensus work.
func runConsensus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return errors.New("delphi consensus: not built yet")
}
