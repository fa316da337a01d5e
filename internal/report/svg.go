package report

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/cart-cd/delphi/internal/survey"
)

// Charts are server-generated inline SVG with presentation attributes (no style attributes:
// the pages' CSP allows no inline styles). They scale with their viewBox; CSS sets the size.

// bandFill colours the bars of the low, mid and high bands (the same as app.css).
var bandFill = []string{"#c0392b", "#b7950b", "#1e8449"}

func esc(s string) string { return template.HTMLEscapeString(s) }

// histSVG draws the distribution of ratings 1..Max (hist[v−1] = count of v), bars coloured
// by band, with the count above each bar and the scale point below.
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
	var desc []string
	for v, c := range hist {
		desc = append(desc, fmt.Sprintf("%d: %d", v+1, c))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="hist" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, top+h+foot, esc("Ratings of "+label+" — "+strings.Join(desc, ", ")))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(fmt.Sprintf("%s: %d ratings (%s)", label, total, strings.Join(desc, ", "))))
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#57606a" stroke-width="0.6"/>`, top+h, width, top+h)
	for v, c := range hist {
		x := gap + v*(bw+gap)
		bh := 0
		if maxc > 0 {
			bh = (c*h + maxc/2) / maxc
		}
		if c > 0 && bh == 0 {
			bh = 1
		}
		fill := bandFill[min(max(sc.BandOf(v+1), 0), 2)]
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, x, top+h-bh, bw, bh, fill)
		if c > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="8" text-anchor="middle" fill="#1b1f24">%d</text>`, x+bw/2, top+h-bh-1, c)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="8" text-anchor="middle" fill="#57606a">%d</text>`, x+bw/2, top+h+foot-1, v+1)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
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
