package templates

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestMailHTML(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // in the markup
		links      []string // the hrefs, in order
	}{
		{"invitation", "Dear Ana,\n\nYour personal link:\nhttps://delphi.example/r/abc.def\n\nQuestions: team@example.org\n",
			[]string{"<p>Dear Ana,</p>", "Your personal link:<br>"}, []string{"https://delphi.example/r/abc.def"}},
		{"hostile", hostile + "\n\n" + hostileURL + " javascript:alert(1) http://x/\"onmouseover=alert(1)",
			[]string{"&lt;script&gt;"}, []string{`http://x/"onmouseover=alert(1)`}},
		{"empty", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := RenderMailHTML(context.Background(), tc.name+" "+hostile, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			doc, err := html.Parse(strings.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			for _, pr := range problems(doc, false) {
				t.Error(pr)
			}
			var links []string
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode && n.Data == "a" {
					links = append(links, attr(n, "href"))
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			if strings.Join(links, " ") != strings.Join(tc.links, " ") {
				t.Errorf("links %q, want %q", links, tc.links)
			}
		})
	}
}
