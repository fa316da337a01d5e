package templates

import "strconv"

// Hist is a distribution of ratings as the Histogram component draws it, on expert pages
// (feedback beside an item) and in reports alike.
type Hist struct {
	Class  string // the svg's class: "hist" in reports, "hist-chart" on expert pages
	Label  string // aria-label
	Title  string // a tooltip; "" for none
	Points []HistPoint
	// Ticks is histTicks rendered before for charts of the same scale; nil: render them.
	Ticks []byte
	// Own is the reader's own rating, outlined with OwnLabel under it; 0: none.
	Own      int
	OwnLabel string
}

// HistPoint is one point of the scale with its count.
type HistPoint struct {
	Value int
	N     int
	Band  string // the band's id, for its CSS class
	Index int    // the band's position in the scale: low, mid, high
}

// Histogram geometry, in SVG user units: bar width and gap, space above the bars for the
// counts, the tallest bar, space below the axis for the scale points.
const (
	histBarW = 14
	histGap  = 3
	histTop  = 9
	histH    = 44
	histFoot = 10
)

// bandFill colours the bars of the low, mid and high bands (as app.css does); a page's CSS
// may set them by class instead (b-{band}).
var bandFill = [...]string{"#c0392b", "#b7950b", "#1e8449"}

// HistDesc is the distribution in words: "1: 0, 2: 3, …".
func HistDesc(points []HistPoint) string {
	b := make([]byte, 0, 8*len(points))
	for i, p := range points {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(b, int64(p.Value), 10)
		b = append(b, ": "...)
		b = strconv.AppendInt(b, int64(p.N), 10)
	}
	return string(b)
}

func (h *Hist) width() int { return len(h.Points)*(histBarW+histGap) + histGap }
func (h *Hist) height() int {
	if h.ownIndex() >= 0 {
		return histTop + histH + histFoot + histOwnFoot
	}
	return histTop + histH + histFoot
}

// histOwnFoot is the room under the scale points for the label of the reader's own rating.
const histOwnFoot = 12

// ownIndex is the position of the reader's own rating among the points, or -1.
func (h *Hist) ownIndex() int {
	if h.Own == 0 {
		return -1
	}
	for i, p := range h.Points {
		if p.Value == h.Own {
			return i
		}
	}
	return -1
}

// histOwn is the outline around the column of the reader's own rating and its label under the
// axis: a mark by shape and words, not by colour alone.
type histOwn struct {
	X, Y, W, H    string
	TextX, TextY  string
	Anchor, Label string
}

func (h *Hist) own() *histOwn {
	i := h.ownIndex()
	if i < 0 {
		return nil
	}
	x := barX(i) - 1
	o := &histOwn{X: strconv.Itoa(x), Y: "1", W: strconv.Itoa(histBarW + 2), H: strconv.Itoa(histAxisY + histFoot),
		TextY: strconv.Itoa(h.height() - 3), Anchor: "middle", Label: h.OwnLabel}
	switch {
	case i < 2:
		o.Anchor, o.TextX = "start", strconv.Itoa(x)
	case i >= len(h.Points)-2:
		o.Anchor, o.TextX = "end", strconv.Itoa(x+histBarW+2)
	default:
		o.TextX = strconv.Itoa(barX(i) + histBarW/2)
	}
	return o
}

const histAxisY = histTop + histH

// histGeometry is a chart's numbers as the markup writes them.
type histGeometry struct {
	viewBox, width, axisY string
	paths                 []histPath
	counts                []histText
}

// histText is a text of the chart at (X, Y).
type histText struct{ X, Y, Text string }

func (h *Hist) geometry() histGeometry {
	w := strconv.Itoa(h.width())
	g := histGeometry{viewBox: "0 0 " + w + " " + strconv.Itoa(h.height()), width: w, axisY: strconv.Itoa(histAxisY),
		paths: h.paths(), counts: make([]histText, 0, len(h.Points))}
	m := h.maxN()
	for i, p := range h.Points {
		if p.N > 0 {
			g.counts = append(g.counts, histText{X: strconv.Itoa(barX(i) + histBarW/2),
				Y: strconv.Itoa(histAxisY - barH(p.N, m) - 1), Text: strconv.Itoa(p.N)})
		}
	}
	return g
}

func (h *Hist) ticks() []histText {
	out := make([]histText, len(h.Points))
	y := strconv.Itoa(histTop + histH + histFoot - 1)
	for i, p := range h.Points {
		out[i] = histText{X: strconv.Itoa(barX(i) + histBarW/2), Y: y, Text: strconv.Itoa(p.Value)}
	}
	return out
}

func (h *Hist) maxN() int {
	m := 0
	for _, p := range h.Points {
		m = max(m, p.N)
	}
	return m
}

// barH is the height of the bar of count n when the largest count is m: at least 1 when n > 0.
func barH(n, m int) int {
	if m == 0 || n == 0 {
		return 0
	}
	return max((n*histH+m/2)/m, 1)
}

func barX(i int) int { return histGap + i*(histBarW+histGap) }

// histPath is the bars of one band as one path: a chart is drawn for every item of a report,
// so its markup is kept lean.
type histPath struct {
	Class, Fill, D string
}

// paths returns one path per band that has a bar, in the order of the bands.
func (h *Hist) paths() []histPath {
	m := h.maxN()
	type band struct {
		id   string
		fill string
		d    []byte
	}
	var bands []band
	for i, p := range h.Points {
		bh := barH(p.N, m)
		if bh == 0 {
			continue
		}
		k := -1
		for j := range bands {
			if bands[j].id == p.Band {
				k = j
			}
		}
		if k < 0 {
			bands = append(bands, band{id: p.Band, fill: bandFill[min(max(p.Index, 0), len(bandFill)-1)], d: make([]byte, 0, 64)})
			k = len(bands) - 1
		}
		d := bands[k].d
		if len(d) > 0 {
			d = append(d, ' ')
		}
		d = append(d, 'M')
		d = strconv.AppendInt(d, int64(barX(i)), 10)
		d = append(d, ' ')
		d = strconv.AppendInt(d, histAxisY, 10)
		d = append(d, 'v', '-')
		d = strconv.AppendInt(d, int64(bh), 10)
		d = append(d, 'h')
		d = strconv.AppendInt(d, histBarW, 10)
		d = append(d, 'v')
		d = strconv.AppendInt(d, int64(bh), 10)
		d = append(d, 'z')
		bands[k].d = d
	}
	out := make([]histPath, len(bands))
	for i, b := range bands {
		out[i] = histPath{Class: "b-" + b.id, Fill: b.fill, D: string(b.d)}
	}
	return out
}
