package report

import (
	"html/template"
	"strconv"
)

// The rows a summary repeats for every item (results table, groups table, the group table of
// an item card, comment lists) are built here rather than in the report_summary template: a
// 300-item round has some 40,000 of their fields, and html/template calls its escaper through
// reflection for each one, which made rendering the summary cost tens of milliseconds. The
// markup is the template's, byte for byte, and every text goes through appendEsc, which
// escapes as html/template does in text and quoted attribute values.

// htmlEsc is html/template's replacement table for text and quoted attribute values.
var htmlEsc = [128]string{0: "\uFFFD", '"': "&#34;", '&': "&amp;", '\'': "&#39;", '+': "&#43;", '<': "&lt;", '>': "&gt;"}

// appendEsc appends s escaped for HTML text or a quoted attribute value.
func appendEsc(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 128 && htmlEsc[c] != "" {
			b = append(b, s[last:i]...)
			b = append(b, htmlEsc[c]...)
			last = i + 1
		}
	}
	return append(b, s[last:]...)
}

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// ResultRow is the item's row of a results table (report_items_table).
func (iv *ItemView) ResultRow() template.HTML {
	b := make([]byte, 0, 700+len(iv.Hist))
	b = append(b, `<tr id="row-`...)
	b = appendEsc(b, iv.ID)
	b = append(b, `" class="`...)
	b = appendEsc(b, iv.Class)
	b = append(b, `"><th scope="row">`...)
	b = appendEsc(b, iv.Label)
	if iv.New {
		b = append(b, ` <span class="tag">new</span>`...)
	}
	if iv.Reworded {
		b = append(b, ` <span class="tag">reworded</span>`...)
	}
	b = append(b, `</th><td class="num">`...)
	b = appendInt(b, iv.N)
	b = append(b, `</td><td class="num">`...)
	b = appendInt(b, iv.NUnable)
	for _, s := range []string{iv.PctLow, iv.PctMid, iv.PctHigh, iv.Median} {
		b = append(b, `</td><td class="num">`...)
		b = appendEsc(b, s)
	}
	b = append(b, `</td><td class="num">`...)
	b = appendEsc(b, iv.Q1)
	b = append(b, "–"...)
	b = appendEsc(b, iv.Q3)
	b = append(b, " ("...)
	b = appendEsc(b, iv.IQR)
	b = append(b, `)</td><td class="num">`...)
	b = appendEsc(b, iv.WilsonHigh)
	b = append(b, `</td><td><span class="badge `...)
	b = appendEsc(b, iv.Class)
	b = append(b, `">`...)
	b = appendEsc(b, iv.ClassLabel)
	b = append(b, `</span>`...)
	if iv.Fragile {
		b = append(b, ` <span class="flag">fragile</span>`...)
	}
	if iv.Disagree {
		b = append(b, ` <span class="flag">groups disagree</span>`...)
	}
	b = append(b, `</td><td class="hist-cell">`...)
	b = append(b, iv.Hist...)
	b = append(b, `</td></tr>`...)
	return template.HTML(b)
}

// GroupsRow is the item's row of the table by stakeholder group: the whole panel, then each
// group's cell.
func (iv *ItemView) GroupsRow() template.HTML {
	b := make([]byte, 0, 300+len(iv.Groups)*160)
	b = append(b, `<tr`...)
	if iv.Disagree {
		b = append(b, ` class="disagree"`...)
	}
	b = append(b, `><th scope="row">`...)
	b = appendEsc(b, iv.Label)
	if iv.Disagree {
		b = append(b, ` <span class="flag">groups disagree</span>`...)
	}
	b = append(b, `</th><td class="g `...)
	b = appendEsc(b, iv.Class)
	b = append(b, `">`...)
	b = appendEsc(b, iv.PctHigh)
	b = append(b, `<small>n=`...)
	b = appendInt(b, iv.N)
	b = append(b, `</small></td>`...)
	for _, g := range iv.Groups {
		b = append(b, `<td class="g `...)
		b = appendEsc(b, g.Class)
		if g.Differs {
			b = append(b, ` differs`...)
		}
		b = append(b, `" title="`...)
		b = appendEsc(b, g.Label)
		b = append(b, ": "...)
		b = appendEsc(b, g.ClassLabel)
		b = append(b, ", median "...)
		b = appendEsc(b, g.Median)
		b = append(b, `">`...)
		b = appendEsc(b, g.PctHigh)
		b = append(b, `<small>n=`...)
		b = appendInt(b, g.NRated)
		b = append(b, `</small></td>`...)
	}
	b = append(b, `</tr>`...)
	return template.HTML(b)
}

// GroupRows are the rows of an item card's table by group.
func (iv *ItemView) GroupRows() template.HTML {
	b := make([]byte, 0, len(iv.Groups)*260)
	for _, g := range iv.Groups {
		b = append(b, `<tr`...)
		if g.Differs {
			b = append(b, ` class="differs"`...)
		}
		b = append(b, `><th scope="row">`...)
		b = appendEsc(b, g.Label)
		b = append(b, `</th><td class="num">`...)
		b = appendInt(b, g.NRated)
		for _, s := range []string{g.PctHigh, g.PctLow, g.Median} {
			b = append(b, `</td><td class="num">`...)
			b = appendEsc(b, s)
		}
		b = append(b, `</td><td><span class="badge `...)
		b = appendEsc(b, g.Class)
		b = append(b, `">`...)
		b = appendEsc(b, g.ClassLabel)
		b = append(b, `</span></td></tr>`...)
	}
	return template.HTML(b)
}

// CommentItems are the item's comments as list items.
func (iv *ItemView) CommentItems() template.HTML { return listItems(iv.Comments) }

// ReasonItems are the reasons given for changed ratings as list items.
func (iv *ItemView) ReasonItems() template.HTML { return listItems(iv.Reasons) }

func listItems(texts []string) template.HTML {
	n := 0
	for _, s := range texts {
		n += len(s) + 16
	}
	b := make([]byte, 0, n)
	for _, s := range texts {
		b = append(b, `<li>`...)
		b = appendEsc(b, s)
		b = append(b, `</li>`...)
	}
	return template.HTML(b)
}
