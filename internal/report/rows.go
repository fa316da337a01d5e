package report

import (
	"bytes"
	"html/template"
	"strconv"

	"github.com/cart-cd/delphi/internal/htmlesc"
)

// The rows a summary repeats for every item (results table, groups table, the group table of
// an item card, comment lists) are built here rather than in the report_summary template: a
// 300-item round has some 40,000 of their fields, and html/template calls its escaper through
// reflection for each one, which made rendering the summary cost tens of milliseconds. The
// markup is the template's, byte for byte, and every text goes through htmlesc.Append, which
// escapes as html/template does in text and quoted attribute values.

func appendInt(b []byte, n int) []byte { return strconv.AppendInt(b, int64(n), 10) }

// appendBadge appends a class's badge: <span class="badge {class}">{label}</span>.
func appendBadge(b []byte, class, label string) []byte {
	b = append(b, `<span class="badge `...)
	b = htmlesc.Append(b, class)
	b = append(b, `">`...)
	b = htmlesc.Append(b, label)
	return append(b, `</span>`...)
}

// output is where Renderer.Fragment is writing a summary, shared by the summary's items:
// while it is set, the markup methods of Items append to it in place and return nothing, so
// that the markup is neither built in a string of its own nor copied through fmt (the same
// bytes land in the same place).
type output struct {
	w *bytes.Buffer
	// written, if set, is told w's bytes each time a loop of items has been written (see
	// Renderer.FragmentStream).
	written func([]byte)
}

// emit returns the markup append writes, or appends it to the output in place.
func (iv *ItemView) emit(size int, f func([]byte) []byte) template.HTML {
	if iv.out != nil && iv.out.w != nil {
		w := iv.out.w
		w.Grow(size)
		w.Write(f(w.AvailableBuffer()))
		return ""
	}
	return template.HTML(f(make([]byte, 0, size)))
}

// appendResultRow appends the item's row of a results table (report_items_table).
func (iv *ItemView) appendResultRow(b []byte) []byte {
	b = append(b, `<tr id="row-`...)
	b = htmlesc.Append(b, iv.ID)
	b = append(b, `" class="`...)
	b = htmlesc.Append(b, iv.Class)
	b = append(b, `"><th scope="row">`...)
	b = htmlesc.Append(b, iv.Label)
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
		b = htmlesc.Append(b, s)
	}
	b = append(b, `</td><td class="num">`...)
	b = htmlesc.Append(b, iv.Q1)
	b = append(b, "–"...)
	b = htmlesc.Append(b, iv.Q3)
	b = append(b, " ("...)
	b = htmlesc.Append(b, iv.IQR)
	b = append(b, `)</td><td class="num">`...)
	b = htmlesc.Append(b, iv.WilsonHigh)
	b = append(b, `</td><td>`...)
	b = appendBadge(b, iv.Class, iv.ClassLabel)
	if iv.Fragile {
		b = append(b, ` <span class="flag">fragile</span>`...)
	}
	if iv.Disagree {
		b = append(b, ` <span class="flag">groups disagree</span>`...)
	}
	b = append(b, `</td><td class="hist-cell">`...)
	b = append(b, iv.Hist...)
	b = append(b, `</td></tr>`...)
	return b
}

// appendGroupsRow appends the item's row of the table by stakeholder group: the whole panel,
// then each group's cell.
func (iv *ItemView) appendGroupsRow(b []byte) []byte {
	b = append(b, `<tr`...)
	if iv.Disagree {
		b = append(b, ` class="disagree"`...)
	}
	b = append(b, `><th scope="row">`...)
	b = htmlesc.Append(b, iv.Label)
	if iv.Disagree {
		b = append(b, ` <span class="flag">groups disagree</span>`...)
	}
	b = append(b, `</th><td class="g `...)
	b = htmlesc.Append(b, iv.Class)
	b = append(b, `">`...)
	b = htmlesc.Append(b, iv.PctHigh)
	b = append(b, `<small>n=`...)
	b = appendInt(b, iv.N)
	b = append(b, `</small></td>`...)
	for _, g := range iv.Groups {
		b = append(b, `<td class="g `...)
		b = htmlesc.Append(b, g.Class)
		if g.Differs {
			b = append(b, ` differs`...)
		}
		b = append(b, `" title="`...)
		b = htmlesc.Append(b, g.Label)
		b = append(b, ": "...)
		b = htmlesc.Append(b, g.ClassLabel)
		b = append(b, ", median "...)
		b = htmlesc.Append(b, g.Median)
		b = append(b, `">`...)
		b = htmlesc.Append(b, g.PctHigh)
		b = append(b, `<small>n=`...)
		b = appendInt(b, g.NRated)
		b = append(b, `</small></td>`...)
	}
	b = append(b, `</tr>`...)
	return b
}

// groupRows are the rows of an item card's table by group.
func (iv *ItemView) appendGroupRows(b []byte) []byte {
	for _, g := range iv.Groups {
		b = append(b, `<tr`...)
		if g.Differs {
			b = append(b, ` class="differs"`...)
		}
		b = append(b, `><th scope="row">`...)
		b = htmlesc.Append(b, g.Label)
		b = append(b, `</th><td class="num">`...)
		b = appendInt(b, g.NRated)
		for _, s := range []string{g.PctHigh, g.PctLow, g.Median} {
			b = append(b, `</td><td class="num">`...)
			b = htmlesc.Append(b, s)
		}
		b = append(b, `</td><td>`...)
		b = appendBadge(b, g.Class, g.ClassLabel)
		b = append(b, `</td></tr>`...)
	}
	return b
}

// appendListItems appends texts as list items.
func appendListItems(b []byte, texts []string) []byte {
	for _, s := range texts {
		b = append(b, `<li>`...)
		b = htmlesc.Append(b, s)
		b = append(b, `</li>`...)
	}
	return b
}

// appendCard appends the item's card among the items to discuss (one slide each in the
// slides view): its histogram, statistics, table by group and comments.
func (iv *ItemView) appendCard(b []byte) []byte {
	b = append(b, `<article class="slide item-card" id="item-`...)
	b = htmlesc.Append(b, iv.ID)
	b = append(b, `" aria-labelledby="h-item-`...)
	b = htmlesc.Append(b, iv.ID)
	b = append(b, "\">\n<p class=\"kicker\">"...)
	b = htmlesc.Append(b, iv.Section)
	b = append(b, " · to discuss: "...)
	b = htmlesc.Append(b, iv.Why)
	b = append(b, "</p>\n<h2 id=\"h-item-"...)
	b = htmlesc.Append(b, iv.ID)
	b = append(b, `" class="h3">`...)
	b = htmlesc.Append(b, iv.Label)
	b = append(b, "</h2>\n"...)
	if iv.Description != "" {
		b = append(b, `<p class="muted desc">`...)
		b = htmlesc.Append(b, iv.Description)
		b = append(b, `</p>`...)
	}
	b = append(b, "\n<div class=\"card-grid\">\n<figure class=\"hist-large\">"...)
	b = append(b, iv.Hist...)
	b = append(b, `<figcaption>Ratings (n = `...)
	b = appendInt(b, iv.N)
	b = append(b, "; unable "...)
	b = appendInt(b, iv.NUnable)
	b = append(b, "; blank "...)
	b = appendInt(b, iv.NMissing)
	b = append(b, ")</figcaption></figure>\n<dl class=\"stats\">\n<div><dt>Class</dt><dd>"...)
	b = appendBadge(b, iv.Class, iv.ClassLabel)
	if iv.Fragile {
		b = append(b, ` <span class="flag">fragile</span>`...)
	}
	b = append(b, "</dd></div>\n<div><dt>% low / mid / high</dt><dd>"...)
	b = htmlesc.Append(b, iv.PctLow)
	b = append(b, " / "...)
	b = htmlesc.Append(b, iv.PctMid)
	b = append(b, " / "...)
	b = htmlesc.Append(b, iv.PctHigh)
	b = append(b, "</dd></div>\n<div><dt>Median (IQR)</dt><dd>"...)
	b = htmlesc.Append(b, iv.Median)
	b = append(b, " ("...)
	b = htmlesc.Append(b, iv.Q1)
	b = append(b, "–"...)
	b = htmlesc.Append(b, iv.Q3)
	b = append(b, ")</dd></div>\n<div><dt>95% CI high · low</dt><dd>"...)
	b = htmlesc.Append(b, iv.WilsonHigh)
	b = append(b, " · "...)
	b = htmlesc.Append(b, iv.WilsonLow)
	b = append(b, "</dd></div>\n"...)
	if c := iv.Change; c != nil {
		b = append(b, "<div><dt>Since last round</dt><dd>"...)
		b = htmlesc.Append(b, c.FromLabel)
		b = append(b, " → "...)
		b = htmlesc.Append(b, c.ToLabel)
		b = append(b, "; Δ% high "...)
		b = htmlesc.Append(b, c.DeltaPctHigh)
		b = append(b, "; "...)
		b = htmlesc.Append(b, c.Wilcoxon)
		b = append(b, "</dd></div>"...)
	}
	b = append(b, '\n')
	if iv.Placement != "" {
		b = append(b, "<div><dt>Placement</dt><dd>"...)
		b = htmlesc.Append(b, iv.Placement)
		b = append(b, "</dd></div>"...)
	}
	b = append(b, "\n</dl>\n</div>\n<table class=\"compact group-mini\">\n"+
		`<thead><tr><th scope="col">Group</th><th scope="col" class="num">n</th><th scope="col" class="num">% high</th><th scope="col" class="num">% low</th><th scope="col" class="num">Median</th><th scope="col">Class</th></tr></thead>`+
		"\n<tbody>"...)
	b = iv.appendGroupRows(b)
	b = append(b, "</tbody>\n</table>\n"...)
	if len(iv.Comments) > 0 {
		b = append(b, `<div class="card-comments"><p class="muted small">Comments (`...)
		b = appendInt(b, len(iv.Comments))
		b = append(b, `):</p><ul class="comments">`...)
		b = appendListItems(b, iv.Comments)
		b = append(b, `</ul></div>`...)
	}
	b = append(b, "\n</article>"...)
	return b
}

// Items is a list of a summary's items, with the markup the summary repeats for each of them
// (the template's loops: one call each rather than a few actions per item).
type Items []*ItemView

// each emits f's markup for every item, about size bytes each.
func (l Items) each(size int, f func(b []byte, iv *ItemView) []byte) template.HTML {
	if len(l) == 0 {
		return ""
	}
	h := l[0].emit(size*len(l), func(b []byte) []byte {
		for _, iv := range l {
			b = f(b, iv)
		}
		return b
	})
	if out := l[0].out; out != nil && out.w != nil && out.written != nil {
		out.written(out.w.Bytes())
	}
	return h
}

// ResultRows are the rows of a results table.
func (l Items) ResultRows() template.HTML {
	return l.each(800, func(b []byte, iv *ItemView) []byte { return iv.appendResultRow(b) })
}

// GroupsRows are the rows of the table by stakeholder group, one per line.
func (l Items) GroupsRows() template.HTML {
	return l.each(1200, func(b []byte, iv *ItemView) []byte { return append(iv.appendGroupsRow(b), '\n') })
}

// Cards are the cards of the items to discuss.
func (l Items) Cards() template.HTML {
	return l.each(4000, func(b []byte, iv *ItemView) []byte { return iv.appendCard(b) })
}

// Links are the list items linking to each item's card, flagging the fragile ones.
func (l Items) Links() template.HTML {
	return l.each(120, func(b []byte, iv *ItemView) []byte {
		b = append(b, `<li><a href="#item-`...)
		b = htmlesc.AppendQuery(b, iv.ID)
		b = append(b, `">`...)
		b = htmlesc.Append(b, iv.Label)
		b = append(b, `</a>`...)
		if iv.Fragile {
			b = append(b, ` <span class="flag">fragile</span>`...)
		}
		return append(b, `</li>`...)
	})
}

// CommentBlocks are each item's comments and reasons, under its label.
func (l Items) CommentBlocks() template.HTML {
	return l.each(1000, func(b []byte, iv *ItemView) []byte {
		b = append(b, "<div class=\"comment-block\">\n<h3 class=\"h4\"><a href=\"#item-"...)
		b = htmlesc.AppendQuery(b, iv.ID)
		b = append(b, `">`...)
		b = htmlesc.Append(b, iv.Label)
		b = append(b, `</a> `...)
		b = appendBadge(b, iv.Class, iv.ClassLabel)
		b = append(b, "</h3>\n"...)
		if len(iv.Comments) > 0 {
			b = append(b, `<ul class="comments">`...)
			b = appendListItems(b, iv.Comments)
			b = append(b, `</ul>`...)
		}
		b = append(b, '\n')
		if len(iv.Reasons) > 0 {
			b = append(b, `<p class="muted small">Reasons given for changed ratings:</p><ul class="comments reasons">`...)
			b = appendListItems(b, iv.Reasons)
			b = append(b, `</ul>`...)
		}
		return append(b, "\n</div>"...)
	})
}

// ChangeRows are the rows of the table of changes since the previous round.
func (l Items) ChangeRows() template.HTML {
	return l.each(600, func(b []byte, iv *ItemView) []byte {
		c := iv.Change
		b = append(b, `<tr`...)
		if c.ClassChanged {
			b = append(b, ` class="class-changed"`...)
		}
		b = append(b, `><th scope="row">`...)
		b = htmlesc.Append(b, iv.Label)
		b = append(b, `</th><td>`...)
		b = appendBadge(b, c.FromClass, c.FromLabel)
		b = append(b, `</td><td>`...)
		b = appendBadge(b, c.ToClass, c.ToLabel)
		b = append(b, `</td><td class="num">`...)
		b = htmlesc.Append(b, c.DeltaPctHigh)
		b = append(b, `</td><td class="num">`...)
		b = htmlesc.Append(b, c.DeltaIQR)
		b = append(b, `</td><td class="num">`...)
		b = appendInt(b, c.NPairs)
		b = append(b, `</td><td class="num">`...)
		b = htmlesc.Append(b, c.PctChanged)
		b = append(b, `</td><td`...)
		if c.Significant {
			b = append(b, ` class="signif"`...)
		}
		b = append(b, `>`...)
		b = htmlesc.Append(b, c.Wilcoxon)
		return append(b, `</td></tr>`...)
	})
}
