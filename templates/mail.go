package templates

import (
	"context"
	"fmt"
	"strings"
)

// mailPiece is a run of a mail line: text, or a link.
type mailPiece struct {
	text string
	link bool
}

// mailParagraphs splits a plain-text body into paragraphs (at blank lines) of lines of
// pieces, the http(s) URLs among them links.
func mailParagraphs(body string) [][][]mailPiece {
	var out [][][]mailPiece
	var para [][]mailPiece
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			if para != nil {
				out = append(out, para)
				para = nil
			}
			continue
		}
		var pieces []mailPiece
		for i, word := range strings.Split(line, " ") {
			if i > 0 {
				pieces = append(pieces, mailPiece{text: " "})
			}
			// only web links: templ.SafeURL is given nothing else
			if strings.HasPrefix(word, "https://") || strings.HasPrefix(word, "http://") {
				pieces = append(pieces, mailPiece{text: word, link: true})
			} else {
				pieces = append(pieces, mailPiece{text: word})
			}
		}
		para = append(para, pieces)
	}
	if para != nil {
		out = append(out, para)
	}
	return out
}

// RenderMailHTML returns the HTML part of a message whose plain-text part is body.
func RenderMailHTML(ctx context.Context, subject, body string) (string, error) {
	var b strings.Builder
	if err := MailHTML(subject, body).Render(ctx, &b); err != nil {
		return "", fmt.Errorf("templates: mail: %w", err)
	}
	return b.String(), nil
}
