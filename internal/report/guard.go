package report

import (
	"unicode"
	"unicode/utf8"
)

// Cell neutralises a text cell against formula injection (CSV injection, OWASP): a text that a
// spreadsheet may read as a formula gets a leading apostrophe, which Excel, LibreOffice and
// Google Sheets show as text and R or pandas keep as a visible character. Every text cell of
// every CSV and XLSX export goes through Cell; numbers are written as numbers and never pass
// through it.
//
// A cell is a formula risk when it starts with a tab or a carriage return, or when its first
// character that is not white space, a control character or an invisible format character (a
// zero-width space, a byte-order mark, U+0000 …) is =, +, -, @ or one of their full-width or
// small forms: spreadsheets strip or fold those before they look.
func Cell(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			i++ // an invalid byte: a writer may drop it, and what follows would lead
			continue
		case unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			i += n
			continue
		case formulaStart(r):
			return "'" + s
		}
		return s
	}
	return s
}

func formulaStart(r rune) bool {
	switch r {
	case '=', '+', '-', '@',
		'＝', '＋', '－', '＠', // full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20)
		'﹦', '﹢', '﹣', '﹫', // small forms (U+FE66, U+FE62, U+FE63, U+FE6B)
		'−': // the minus sign (U+2212), which some spreadsheets take for '-'
		return true
	}
	return false
}
