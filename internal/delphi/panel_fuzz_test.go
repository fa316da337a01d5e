package delphi

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/surveys"
)

// FuzzPanelCSV feeds ParsePanelCSV arbitrary bytes: it never panics, refuses invalid UTF-8,
// bounds the rows, and what it accepts is consistent (one line per row, problems point at rows
// that exist) and survives the validation that an import runs next.
func FuzzPanelCSV(f *testing.F) {
	for _, s := range []string{
		"name,email,group,country,language\nAnna,a@x.org,nurse,DE,de\nBen,b@x.org,nurse,FR,fr\n",
		"\xef\xbb\xbfName;E-mail;Stakeholder group;Country\nAnna;a@x.org;nurse;DE\n",
		"name,email,group\n\"Doe, Jane\",j@x.org,nurse\n\"Multi\nLine\",m@x.org,nurse\n",
		"name,email,group\n\"A,a@x.org,nurse\n",
		"name,email,group\nJ\xe9r\xf4me,j@x.org,nurse\n",
		"name,email,email,group\n",
		"name,email,group\n=HYPERLINK(\"http://x\"),a@x.org,nurse\n",
		"name,email,group\n<script>alert(1)</script>,s@x.org,nurse\n",
		"name,email,group\nA,a@x.org\nB,b@x.org,nurse,extra,fields,here\n",
		"name,email,group\r\nA,a@x.org,nurse\r\n",
		"\n\n\n",
		"",
		"name,email,group\n\x00,\x00,\x00\n",
	} {
		f.Add([]byte(s))
	}
	def, _, err := survey.Load(surveys.FS, "example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pv, err := ParsePanelCSV(data)
		if !utf8.Valid(data) && err == nil {
			t.Fatal("accepted a file that is not UTF-8")
		}
		if len(pv.Rows) > MaxPanelRows {
			t.Fatalf("%d rows, more than MaxPanelRows", len(pv.Rows))
		}
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Code == "" || de.Message == "" {
				t.Fatalf("error without a code and message: %#v", err)
			}
			return
		}
		if len(pv.Rows) == 0 {
			t.Fatal("accepted a file without rows")
		}
		if len(pv.Lines) != len(pv.Rows) {
			t.Fatalf("%d lines for %d rows", len(pv.Lines), len(pv.Rows))
		}
		prev := 1
		for i, l := range pv.Lines {
			if l <= prev && i > 0 || l < 2 {
				t.Fatalf("row %d at line %d after line %d", i+1, l, prev)
			}
			prev = l
		}
		for _, p := range pv.Problems {
			if p.Row < 1 || p.Row > len(pv.Rows) || p.Message == "" {
				t.Fatalf("problem points nowhere: %+v", p)
			}
		}
		for _, r := range pv.Rows {
			for _, s := range []string{r.Name, r.Email, r.Group, r.Country, r.Language} {
				if !utf8.ValidString(s) {
					t.Fatalf("row holds invalid UTF-8: %+v", r)
				}
			}
		}
		// the validation step of an import must cope with whatever the parser passed on
		for _, p := range checkPanel(def, nil, pv.Rows, pv.Lines, 0) {
			if p.Row < 1 || p.Row > len(pv.Rows) || p.Line == 0 {
				t.Fatalf("validation problem points nowhere: %+v", p)
			}
		}
	})
}
