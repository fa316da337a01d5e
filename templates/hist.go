package templates

import "strconv"

// Hist is a distribution of ratings as the Histogram component draws it, on expert pages
// (feedback beside an item) and in reports alike.
type Hist struct {
	Class  string // the svg's class: "hist" in reports, "hist-chart" on expert pages
	Label  string // aria-label
	Title  string // a tooltip; "" for none
	Points []HistPoint
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

func (h *Hist) width() int  { return len(h.Points)*(histBarW+histGap) + histGap }
func (h *Hist) axisY() int  { return histTop + histH }
func (h *Hist) height() int { return histTop + histH + histFoot }

func (h *Hist) viewBox() string {
	return "0 0 " + strconv.Itoa(h.width()) + " " + strconv.Itoa(h.height())
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
	var out []histPath
	for i, p := range h.Points {
		bh := barH(p.N, m)
		if bh == 0 {
			continue
		}
		k := -1
		for j := range out {
			if out[j].Class == "b-"+p.Band {
				k = j
			}
		}
		if k < 0 {
			fill := bandFill[min(max(p.Index, 0), len(bandFill)-1)]
			out = append(out, histPath{Class: "b-" + p.Band, Fill: fill})
			k = len(out) - 1
		}
		d := []byte(out[k].D)
		if len(d) > 0 {
			d = append(d, ' ')
		}
		d = append(d, 'M')
		d = strconv.AppendInt(d, int64(barX(i)), 10)
		d = append(d, ' ')
		d = strconv.AppendInt(d, int64(h.axisY()), 10)
		d = append(d, 'v', '-')
		d = strconv.AppendInt(d, int64(bh), 10)
		d = append(d, 'h')
		d = strconv.AppendInt(d, histBarW, 10)
		d = append(d, 'v')
		d = strconv.AppendInt(d, int64(bh), 10)
		d = append(d, 'z')
		out[k].D = string(d)
	}
	return out
}
