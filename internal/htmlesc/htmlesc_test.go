package htmlesc

import (
	"html/template"
	"strings"
	"testing"
)

// TestAppend: text escaped as html/template escapes it, in text and in quoted attribute
// values, so that markup built in Go is as safe as the template and gives the same bytes.
func TestAppend(t *testing.T) {
	tt := template.Must(template.New("").Parse(`<p title="{{.}}">{{.}}</p><textarea>{{.}}</textarea>`))
	for _, s := range []string{"", "plain", `<script>alert("x")</script>`, "a & b + c 'd'", "=1+2", "nul\x00byte",
		"bad \xff utf-8 \xc3", "naïve – “quotes”", "\uFFFD\ufdd0", "\u2028\u2029", "`backtick` = ${x}"} {
		var want strings.Builder
		if err := tt.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		e := string(Append(nil, s))
		if got := `<p title="` + e + `">` + e + `</p><textarea>` + e + `</textarea>`; got != want.String() {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	}
}

// FuzzAppend holds Append to html/template on any text.
func FuzzAppend(f *testing.F) {
	f.Add(`<a href="x">&'+</a>`)
	f.Add("nul\x00 \xff")
	tt := template.Must(template.New("").Parse(`<p title="{{.}}">{{.}}</p>`))
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		if err := tt.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		e := string(Append(nil, s))
		if got := `<p title="` + e + `">` + e + `</p>`; got != want.String() {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	})
}

// FuzzAppendQuery holds AppendQuery to html/template in a fragment and a query.
func FuzzAppendQuery(f *testing.F) {
	for _, s := range []string{"item_001", "a b/c?d#e&f=g", `"><script>`, "naïve – ✓", "%41", "nul\x00 \xff", "'()*!~.-_"} {
		f.Add(s)
	}
	tt := template.Must(template.New("").Parse(`<a href="#item-{{.}}">x</a><a href="/r?q={{.}}">y</a>`))
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		if err := tt.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		e := string(AppendQuery(nil, s))
		if got := `<a href="#item-` + e + `">x</a><a href="/r?q=` + e + `">y</a>`; got != want.String() {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	})
}

// FuzzAppendURL holds AppendURL to html/template in a URL's path and after mailto:.
func FuzzAppendURL(f *testing.F) {
	for _, s := range []string{"section_01", "a b/c?d#e&f=g+h", `"><script>`, "naïve – ✓", "%41%4", "%zz%", "x%", "nul\x00 \xff",
		"'()*!~.-_", "study@example.org", "[::1]:80"} {
		f.Add(s)
	}
	tt := template.Must(template.New("").Parse(`<a href="/respond/section/{{.}}">x</a><a href="mailto:{{.}}">y</a>`))
	f.Fuzz(func(t *testing.T, s string) {
		var want strings.Builder
		if err := tt.Execute(&want, s); err != nil {
			t.Fatal(err)
		}
		e := string(AppendURL(nil, s))
		if got := `<a href="/respond/section/` + e + `">x</a><a href="mailto:` + e + `">y</a>`; got != want.String() {
			t.Errorf("%q: got %s, want %s", s, got, want.String())
		}
	})
}
