package report

import (
	"html/template"
	"strings"
	"testing"
)

// TestAppendEsc: the rows built in Go escape text as html/template does, in text and in quoted
// attribute values, so that they are as safe as the template and give the same bytes.
func TestAppendEsc(t *testing.T) {
	tt := template.Must(template.New("").Parse(`<p title="{{.}}">{{.}}</p>`))
	for _, s := range []string{"", "plain", `<script>alert("x")</script>`, "a & b + c 'd'", "=1+2", "nul\x00byte",
		"bad \xff utf-8 \xc3", "naïve – “quotes”", "\uFFFD\ufdd0"} {
		var want strings.Builder
		if err := tt.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		e := string(appendEsc(nil, s))
		if got := `<p title="` + e + `">` + e + `</p>`; got != want.String() {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	}
}
