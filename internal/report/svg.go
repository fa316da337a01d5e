package report

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/cart-cd/delphi/internal/survey"
)

// Charts are server-generated inline SVG with presentation attributes (no style attributes:
// the pages' CSP allows no inline styles). They scale with their viewBox; CSS sets the size.

// bandFill colours the bars of the low, mid and high bands (the same as app.css).
var bandFill = []string{"#c0392b", "#b7950b", "#1e8449"}

func esc(s string) string { return template.HTMLEscapeString(s) }

// histSVG draws the distribution of ratings 1..Max (hist[v−1] = count of v), bars coloured
// by band, with the count above each bar and the scale point below. A report shows hundreds of
// these, so the markup is lean: one path per band, the shared text attributes on a group (SVG
// presentation attributes inherit), no empty bars; and it is built with appends, not fmt.
func histSVG(sc survey.Scale, hist []int, label string) template.HTML {
	if len(hist) == 0 {
		return ""
	}
	const bw, gap, top, h, foot = 14, 3, 9, 44, 10
	width := len(hist)*(bw+gap) + gap
	maxc := 0
	total := 0
	for _, c := range hist {
		maxc = max(maxc, c)
		total += c
	}
	height := func(c int) int { // of the bar of count c
		bh := 0
		if maxc > 0 {
			bh = (c*h + maxc/2) / maxc
		}
		if c > 0 && bh == 0 {
			bh = 1
		}
		return bh
	}
	var desc []byte // "1: 0, 2: 3, …"
	for v, c := range hist {
		if v > 0 {
			desc = append(desc, ", "...)
		}
		desc = strconv.AppendInt(desc, int64(v+1), 10)
		desc = append(desc, ": "...)
		desc = strconv.AppendInt(desc, int64(c), 10)
	}
	label = esc(label) // desc holds digits, commas and colons only
	b := make([]byte, 0, 600+2*len(label)+2*len(desc)+len(hist)*70)
	b = append(b, `<svg class="hist" viewBox="0 0 `...)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, top+h+foot, 10)
	b = append(b, `" role="img" aria-label="Ratings of `...)
	b = append(b, label...)
	b = append(b, " — "...)
	b = append(b, desc...)
	b = append(b, `" xmlns="http://www.w3.org/2000/svg"><title>`...)
	b = append(b, label...)
	b = append(b, ": "...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, " ratings ("...)
	b = append(b, desc...)
	b = append(b, `)</title><line x1="0" y1="`...)
	b = strconv.AppendInt(b, top+h, 10)
	b = append(b, `" x2="`...)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, `" y2="`...)
	b = strconv.AppendInt(b, top+h, 10)
	b = append(b, `" stroke="#57606a" stroke-width="0.6"/>`...)
	// bars: per band, one path of rectangles standing on the axis
	for band, fill := range bandFill {
		open := false
		for v, c := range hist {
			bh := height(c)
			if bh == 0 || min(max(sc.BandOf(v+1), 0), 2) != band {
				continue
			}
			if !open {
				b = append(b, `<path fill="`...)
				b = append(b, fill...)
				b = append(b, `" d="`...)
				open = true
			} else {
				b = append(b, ' ')
			}
			b = append(b, 'M')
			b = strconv.AppendInt(b, int64(gap+v*(bw+gap)), 10)
			b = append(b, ' ')
			b = strconv.AppendInt(b, top+h, 10)
			b = append(b, 'v', '-')
			b = strconv.AppendInt(b, int64(bh), 10)
			b = append(b, 'h')
			b = strconv.AppendInt(b, bw, 10)
			b = append(b, 'v')
			b = strconv.AppendInt(b, int64(bh), 10)
			b = append(b, 'z')
		}
		if open {
			b = append(b, `"/>`...)
		}
	}
	// counts above the bars, then the scale points below the axis
	b = append(b, `<g font-size="8" text-anchor="middle" fill="#1b1f24">`...)
	for v, c := range hist {
		if c > 0 {
			b = append(b, `<text x="`...)
			b = strconv.AppendInt(b, int64(gap+v*(bw+gap)+bw/2), 10)
			b = append(b, `" y="`...)
			b = strconv.AppendInt(b, int64(top+h-height(c)-1), 10)
			b = append(b, `">`...)
			b = strconv.AppendInt(b, int64(c), 10)
			b = append(b, `</text>`...)
		}
	}
	b = append(b, `</g><g font-size="8" text-anchor="middle" fill="#57606a">`...)
	for v := range hist {
		b = append(b, `<text x="`...)
		b = strconv.AppendInt(b, int64(gap+v*(bw+gap)+bw/2), 10)
		b = append(b, `" y="`...)
		b = strconv.AppendInt(b, top+h+foot-1, 10)
		b = append(b, `">`...)
		b = strconv.AppendInt(b, int64(v+1), 10)
		b = append(b, `</text>`...)
	}
	b = append(b, `</g></svg>`...)
	return template.HTML(b)
}

// flowSVG draws the participant flow: per round, invited → submitted, with those who did not
// submit to the side, and between rounds who was not invited again or newly invited.
func flowSVG(rounds []RoundFlow) template.HTML {
	if len(rounds) == 0 {
		return ""
	}
	const w, boxW, boxH, sideX, sideW, step = 560, 250, 46, 330, 220, 170
	height := len(rounds)*step - 20
	var b strings.Builder
	var desc []string
	for _, r := range rounds {
		desc = append(desc, fmt.Sprintf("round %d: %d invited, %d submitted, %d did not submit", r.Round, r.Invited, r.Submitted, r.NotSubmitted))
	}
	fmt.Fprintf(&b, `<svg class="flow" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		w, height, esc("Participant flow: "+strings.Join(desc, "; ")))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker></defs>`)
	box := func(x, y, bw int, fill, line1, line2 string) {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="%s" stroke="#57606a" stroke-width="1"/>`, x, y, bw, boxH, fill)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="15" font-weight="600" text-anchor="middle" fill="#1b1f24">%s</text>`, x+bw/2, y+20, esc(line1))
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="#1b1f24">%s</text>`, x+bw/2, y+38, esc(line2))
	}
	arrow := func(x1, y1, x2, y2 int) {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#57606a" stroke-width="1.5" marker-end="url(#arrow)"/>`, x1, y1, x2, y2)
	}
	cx := 10 + boxW/2
	for i, r := range rounds {
		y := i * step
		box(10, y, boxW, "#eef4fb", fmt.Sprintf("Round %d", r.Round), fmt.Sprintf("invited: %d", r.Invited))
		arrow(cx, y+boxH, cx, y+boxH+38)
		box(10, y+boxH+40, boxW, "#dafbe1", fmt.Sprintf("Submitted: %d", r.Submitted), "response rate "+r.Rate)
		arrow(cx, y+boxH+19, sideX, y+boxH+19)
		box(sideX, y+boxH-4, sideW, "#fff5f5", fmt.Sprintf("Did not submit: %d", r.NotSubmitted), fmt.Sprintf("round %d", r.Round))
		if i+1 < len(rounds) {
			nx := rounds[i+1]
			y2 := (i + 1) * step
			arrow(cx, y+2*boxH+40, cx, y2-2)
			note := "all submitters invited again"
			switch {
			case nx.NotReinvited > 0:
				note = fmt.Sprintf("not invited again: %d", nx.NotReinvited)
			case nx.NewInvite > 0:
				note = fmt.Sprintf("newly invited: %d", nx.NewInvite)
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="#57606a">%s</text>`, cx+10, y+2*boxH+40+(y2-(y+2*boxH+40))/2+4, esc(note))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
