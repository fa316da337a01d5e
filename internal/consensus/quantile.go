package consensus

import (
	"math"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Ratings of one item are held as a histogram h, h[v] = number of ratings v for v = 1..Max
// (h[0] is unused). Sorted ratings x(1) ≤ … ≤ x(n) are never materialised: x(k) is the smallest
// v whose cumulative count reaches k.

// orderPair returns the order statistics x(k) and x(k+1) of the histogram h holding n ≥ k ≥ 1
// ratings; x(k+1) is x(k) when k = n.
func orderPair(h []int32, k int) (a, b int) {
	cum := 0
	for v := 1; v < len(h); v++ {
		cum += int(h[v])
		if a == 0 && cum >= k {
			a = v
		}
		if cum > k {
			return a, v
		}
	}
	return a, a
}

// quantile7 returns den·Q for the Hyndman–Fan type-7 quantile Q at p = num/den of n ≥ 1
// ratings (definitions: h = (n − 1)p + 1; Q = x(⌊h⌋) + (h − ⌊h⌋)(x(⌊h⌋+1) − x(⌊h⌋))). With
// integer ratings den·Q is an integer, so the result is exact.
func quantile7(h []int32, n, num, den int) int {
	t := (n - 1) * num // den·(h − 1)
	k, r := t/den+1, t%den
	a, b := orderPair(h, k)
	return den*a + r*(b-a)
}

// quantile6 returns den·Q for the type-6 quantile at p = num/den of n ≥ 1 ratings
// (definitions: h = (n + 1)p; Q = x(1) if h < 1, x(n) if h ≥ n, else the type-7 interpolation).
func quantile6(h []int32, n, num, den int) int {
	t := (n + 1) * num // den·h
	switch {
	case t < den:
		a, _ := orderPair(h, 1)
		return den * a
	case t >= n*den:
		a, _ := orderPair(h, n)
		return den * a
	}
	k, r := t/den, t%den
	a, b := orderPair(h, k)
	return den*a + r*(b-a)
}

// Quartiles are the first and third quartiles of one quantile type, and iqr = q3 − q1.
type Quartiles struct {
	Q1  float64 `json:"q1"`
	Q3  float64 `json:"q3"`
	IQR float64 `json:"iqr"`
}

// quartiles7 returns the type-7 quartiles and 4·IQR (an exact integer).
func quartiles7(h []int32, n int) (Quartiles, int) {
	q1, q3 := quantile7(h, n, 1, 4), quantile7(h, n, 3, 4)
	return Quartiles{Q1: float64(q1) / 4, Q3: float64(q3) / 4, IQR: float64(q3-q1) / 4}, q3 - q1
}

// quartiles6 returns the type-6 quartiles and 4·IQR (an exact integer).
func quartiles6(h []int32, n int) (Quartiles, int) {
	q1, q3 := quantile6(h, n, 1, 4), quantile6(h, n, 3, 4)
	return Quartiles{Q1: float64(q1) / 4, Q3: float64(q3) / 4, IQR: float64(q3-q1) / 4}, q3 - q1
}

// Category is a RAND/UCLA appropriateness category.
type Category string

// The RAND/UCLA categories.
const (
	Inappropriate Category = "inappropriate"
	Uncertain     Category = "uncertain"
	Appropriate   Category = "appropriate"
)

// MarshalJSONTo writes the category, or null for the zero Category.
func (c Category) MarshalJSONTo(enc *jsontext.Encoder) error { return writeEnum(enc, string(c)) }

// UnmarshalJSONFrom reads a category or null.
func (c *Category) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return readEnum(dec, "rand category", c, Inappropriate, Uncertain, Appropriate)
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (c Category) MarshalJSON() ([]byte, error) { return json.Marshal(c) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (c *Category) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, c) }

// RAND is the RAND/UCLA block of an item (definitions, "rand"), on the 1–9 scale only.
type RAND struct {
	P30Type7 float64 `json:"p30_type7"`
	P70Type7 float64 `json:"p70_type7"`
	// IPR = p70 − p30.
	IPR float64 `json:"ipr"`
	// IPRCP = (p30 + p70)/2, the IPR's central point.
	IPRCP float64 `json:"iprcp"`
	// AI = |5 − IPRCP|, the asymmetry index.
	AI float64 `json:"ai"`
	// IPRAS = 2.35 + 1.5·AI (RAND/UCLA manual constants).
	IPRAS float64 `json:"ipras"`
	// Disagreement is IPR > IPRAS, compared exactly in units of 1/40; equality is not
	// disagreement.
	Disagreement bool `json:"disagreement"`
	// MedianCategory: median ≤ 3.5 inappropriate, 4..6.5 uncertain, ≥ 7 appropriate.
	MedianCategory Category `json:"median_category"`
	// FinalCategory is uncertain with disagreement, else MedianCategory.
	FinalCategory Category `json:"final_category"`
}

// randBlock computes the RAND/UCLA block of n ≥ 1 ratings on 1..9 whose median is median2/2.
//
// p30 and p70 are multiples of 1/10, IPRCP and AI of 1/20, IPRAS of 1/40, so in integer units
// p30t = 10·p30, p70t = 10·p70: 40·IPR = 4(p70t − p30t), 20·AI = |100 − (p30t + p70t)|, and
// 40·IPRAS = 94 + 3·(20·AI). Comparing those integers is the exact comparison the definitions
// require (doubles would give 2.7999999999999998 > 2.7999999999999985 for a tie at 2.8).
func randBlock(h []int32, n, median2 int) RAND {
	p30t, p70t := quantile7(h, n, 3, 10), quantile7(h, n, 7, 10)
	ai20 := 100 - (p30t + p70t)
	if ai20 < 0 {
		ai20 = -ai20
	}
	ipras40 := 94 + 3*ai20
	ipr40 := 4 * (p70t - p30t)
	r := RAND{
		P30Type7:     float64(p30t) / 10,
		P70Type7:     float64(p70t) / 10,
		IPR:          float64(p70t-p30t) / 10,
		IPRCP:        float64(p30t+p70t) / 20,
		AI:           float64(ai20) / 20,
		IPRAS:        float64(ipras40) / 40,
		Disagreement: ipr40 > ipras40,
	}
	// Medians of integers are multiples of 1/2, so 3.5 < median < 4 and 6.5 < median < 7
	// cannot happen.
	switch {
	case median2 <= 7:
		r.MedianCategory = Inappropriate
	case median2 <= 13:
		r.MedianCategory = Uncertain
	default:
		r.MedianCategory = Appropriate
	}
	r.FinalCategory = r.MedianCategory
	if r.Disagreement {
		r.FinalCategory = Uncertain
	}
	return r
}

// Interval is a confidence interval in percent.
type Interval struct {
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
}

// wilsonZ is z = qnorm(0.975) for the 95% Wilson intervals.
func wilsonZ() float64 { return distuv.UnitNormal.Quantile(0.975) }

// wilson returns the Wilson score interval of x successes in n ≥ 1 trials, in percent, without
// continuity correction, computed as R's prop.test(x, n, correct = FALSE)$conf.int does
// (including its exact 0 and 1 at x = 0 and x = n).
func wilson(x, n int, z float64) Interval {
	p, nf := float64(x)/float64(n), float64(n)
	z22n := z * z / (2 * nf)
	w := z * math.Sqrt(p*(1-p)/nf+z22n/(2*nf))
	lo, hi := 0.0, 1.0
	if p > 0 {
		lo = math.Max((p+z22n-w)/(1+2*z22n), 0)
	}
	if p < 1 {
		hi = math.Min((p+z22n+w)/(1+2*z22n), 1)
	}
	return Interval{Lo: 100 * lo, Hi: 100 * hi}
}

// moments holds scratch space for the mean and SD of a histogram.
type moments struct{ x, w []float64 }

func newMoments(max int) *moments {
	m := &moments{x: make([]float64, max), w: make([]float64, max)}
	for v := range m.x {
		m.x[v] = float64(v + 1)
	}
	return m
}

// meanSD returns the arithmetic mean and sample SD (n − 1) of the histogram h of n ≥ 1
// ratings, with gonum's frequency-weighted stat.MeanVariance over the scale points. The SD is
// meaningful only for n ≥ 2.
func (m *moments) meanSD(h []int32) (mean, sd float64) {
	for v := range m.w {
		m.w[v] = float64(h[v+1])
	}
	mean, variance := stat.MeanVariance(m.x, m.w)
	return mean, math.Sqrt(variance)
}
