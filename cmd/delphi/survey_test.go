package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSurveyCheck(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("id: bad\nversion: 1\ntitle: {en: Bad}\ngroups: [{id: g, label: {en: G}}]\nsections:\n  - id: s\n    label: {en: S}\n    items:\n      - {id: a, label: {en: A}, proposed_teir: core}\n      - {id: a, label: {en: A}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	getenv := func(string) string { return "" }

	tests := []struct {
		name    string
		args    []string
		wantOut []string
		wantErr []string // lines expected on stderr
		err     string   // fragment of the returned error; "" for none
		usage   bool
	}{
		{
			name:    "good files",
			args:    []string{"check", "../../surveys/cart-cd.yaml", "../../surveys/example.yaml"},
			wantOut: []string{"../../surveys/cart-cd.yaml: ok (17 sections, 138 items, 8 groups)", "../../surveys/example.yaml: ok (3 sections, 8 items, 4 groups)"},
		},
		{
			name:    "bad and missing files",
			args:    []string{"check", "../../surveys/example.yaml", bad, missing},
			wantOut: []string{"../../surveys/example.yaml: ok (3 sections, 8 items, 4 groups)"},
			wantErr: []string{
				bad + `:9: sections[0].items[0].proposed_teir: unknown field (did you mean "proposed_tier"?)`,
				bad + `:10: sections[0].items[1].id: duplicate item id "a" (first at sections[0].items[0], line 9); item ids are unique across sections`,
				"open " + missing + ": no such file or directory",
			},
			err: "survey check: 3 problems in 2 files",
		},
		{name: "no subcommand", args: nil, usage: true, err: "usage: delphi survey check"},
		{name: "no files", args: []string{"check"}, usage: true, err: "no files given"},
		{name: "unknown subcommand", args: []string{"lint", "x.yaml"}, usage: true, err: `unknown subcommand "lint"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), append([]string{"survey"}, tt.args...), getenv, strings.NewReader(""), &out, &errb)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("run: %v\nstderr:\n%s", err, errb.String())
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("run error = %v, want …%s…", err, tt.err)
			}
			var u usageError
			if got := errors.As(err, &u); got != tt.usage {
				t.Errorf("usage error = %v, want %v", got, tt.usage)
			}
			if got := outputLines(out.String()); !slices.Equal(got, tt.wantOut) {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), strings.Join(tt.wantOut, "\n"))
			}
			if got := outputLines(errb.String()); !slices.Equal(got, tt.wantErr) {
				t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), strings.Join(tt.wantErr, "\n"))
			}
		})
	}
}

// outputLines splits command output into lines, without the final newline.
func outputLines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
