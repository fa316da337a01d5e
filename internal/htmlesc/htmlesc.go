// Package htmlesc escapes text for HTML exactly as html/template does in text and in quoted
// attribute values, for the markup that is built in Go rather than in a template because a
// template would call its escaper through reflection for every field (report rows, the items
// of an expert's section page). Same bytes as the template, so the same safety.
package htmlesc

// table is html/template's replacement table for text and quoted attribute values.
var table = [128]string{0: "\uFFFD", '"': "&#34;", '&': "&amp;", '\'': "&#39;", '+': "&#43;", '<': "&lt;", '>': "&gt;"}

// Append appends s escaped for HTML text or a quoted attribute value.
func Append(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 128 && table[c] != "" {
			b = append(b, s[last:i]...)
			b = append(b, table[c]...)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}

// AppendQuery appends s escaped as html/template escapes it in the query or fragment of a
// quoted URL attribute (href="#item-{{.}}"): every byte but letters, digits and -._~ as %xx.
// Nothing in the result needs HTML escaping.
func AppendQuery(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

// AppendURL appends s escaped as html/template escapes it in the path of a quoted URL
// attribute after a fixed start (href="/respond/section/{{.}}", href="mailto:{{.}}"): bytes
// that may not stand in a URL as %xx (valid %xx escapes and reserved characters stay), then
// & and + as in any attribute value.
func AppendURL(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '&':
			b = append(b, "&amp;"...)
		case c == '+':
			b = append(b, "&#43;"...)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~',
			c == '!', c == '#', c == '$', c == '*', c == ',', c == '/', c == ':', c == ';', c == '=', c == '?', c == '@', c == '[', c == ']',
			c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
