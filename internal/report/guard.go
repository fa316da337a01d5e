package report

// Cell neutralises a text cell against formula injection (CSV injection): a text starting with
// =, +, -, @, a tab or a carriage return is read as a formula by Excel, LibreOffice and Google
// Sheets, so it gets a leading apostrophe, which they show as text and R or pandas keep as a
// visible character. Every text cell of every CSV and XLSX export goes through Cell; numbers
// are written as numbers and never pass through it.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
