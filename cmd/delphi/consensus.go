package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/ratingcsv"
)

const consensusUsage = `usage: delphi consensus [--scale-max 9] [-o OUT.json] RATINGS.csv

Reads ratings (panelist,group,item,round,rating) and writes the consensus statistics of
consensus-definitions.md as one JSON object to stdout or OUT.json. FILE "-" reads stdin.`

// runConsensus is `delphi consensus`: a thin shell over ratingcsv and consensus. On bad input it
// returns an error whose message is what main prints ("ratings.csv:4: rating \"10\" outside
// 1..9") and writes nothing to stdout.
func runConsensus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("consensus", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, and main prints them once
	scaleMax := fs.Int("scale-max", 9, "the scale is 1..`N` (3..127); 1-9 gets the RAND/UCLA block")
	out := fs.String("o", "", "write the JSON to `OUT.json` instead of stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, consensusUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return nil
		}
		return usageError{fmt.Sprintf("delphi consensus: %v\n\n%s", err, consensusUsage)}
	}
	if fs.NArg() != 1 {
		return usageError{"delphi consensus: want one RATINGS.csv (or - for stdin)\n\n" + consensusUsage}
	}
	if *scaleMax < 3 || *scaleMax > consensus.MaxScale {
		return usageError{fmt.Sprintf("delphi consensus: --scale-max %d outside 3..%d", *scaleMax, consensus.MaxScale)}
	}

	name := fs.Arg(0)
	in := stdin
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("delphi consensus: %w", err)
		}
		defer f.Close()
		in = f
	}
	rounds, err := ratingcsv.Parse(name, in, *scaleMax)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delphi consensus: %w", err)
	}
	res := consensus.Analyze(consensus.ThirdsScale(*scaleMax), nil, rounds)
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("delphi consensus: encode: %w", err)
	}
	b = append(b, '\n')
	if *out != "" {
		if err := writeFileAtomic(*out, b); err != nil {
			return fmt.Errorf("delphi consensus: %w", err)
		}
		return nil
	}
	_, err = io.Copy(stdout, bytes.NewReader(b))
	return err
}

// writeFileAtomic writes b to a temporary file beside path and renames it into place, so that a
// failed run never leaves a half-written OUT.json.
func writeFileAtomic(path string, b []byte) error {
	dir, base := ".", path
	for i := len(path) - 1; i >= 0; i-- {
		if os.IsPathSeparator(path[i]) {
			dir, base = path[:i+1], path[i+1:]
			break
		}
	}
	f, err := os.CreateTemp(dir, "."+base+".*")
	if err != nil {
		return err
	}
	// CreateTemp makes the file 0600; give it the usual mode of a written file.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
