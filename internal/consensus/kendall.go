package consensus

import (
	"gonum.org/v1/gonum/stat/distuv"
)

// KendallStatus says whether Kendall's W could be computed.
type KendallStatus string

// The Kendall statuses of the definitions.
const (
	KendallOK                     KendallStatus = "ok"
	InsufficientItems             KendallStatus = "insufficient_items"              // n < 2
	InsufficientCompletePanelists KendallStatus = "insufficient_complete_panelists" // m < 2
)

// Kendall is Kendall's coefficient of concordance W for one round (definitions, "KENDALL").
type Kendall struct {
	// NCompletePanelists is m: submitters who rated (1..Max) every item of the round.
	NCompletePanelists int `json:"n_complete_panelists"`
	// NItems is n: all items of the round.
	NItems int           `json:"n_items"`
	Status KendallStatus `json:"status"`
	// Uncorrected is W without the ties correction; nil unless Status is ok.
	Uncorrected *KendallW `json:"uncorrected"`
	// Corrected is W with the ties correction; nil unless Status is ok, and nil when its
	// denominator is 0 (every complete panelist gave one rating to all items). Reports show
	// this one.
	Corrected *KendallW `json:"corrected"`
}

// KendallW is one W with its χ² test.
type KendallW struct {
	W      float64 `json:"W"`
	ChiSq  float64 `json:"chisq"`   // m(n − 1)W
	DF     int     `json:"df"`      // n − 1
	PValue float64 `json:"p_value"` // upper tail of χ²(df)
}

// kendall computes Kendall's W over the complete panelists of rd, as R's irr::kendall does on
// them (items in rows): mid-ranks of each panelist's ratings across the items; R_j the rank
// sum of item j; S = Σ_j (R_j − mean R)²; T = Σ over panelists and their tie groups of t³ − t;
// W = 12S / (m²(n³ − n)) uncorrected and 12S / (m²(n³ − n) − m·T) corrected.
//
// A panelist's ratings take at most Max values, so their mid-ranks come from a histogram: the
// ratings equal to v occupy positions c+1..c+t, where c counts the ratings below v and t those
// equal to v, and share the rank c + (t+1)/2. Ranks are kept doubled (2c + t + 1) so that rank
// sums are integers; nothing is sorted.
func kendall(s Scale, rd *Round) Kendall {
	n := len(rd.Items)
	k := Kendall{NItems: n}
	r2 := make([]int64, n)          // doubled rank sums
	h := make([]int32, s.Max+1)     // one panelist's histogram
	rank2 := make([]int64, s.Max+1) // doubled mid-rank of each rating
	var ties int64                  // T
	top := int8(s.Max)
	for p := range rd.Panelists {
		if !rd.Submitted[p] {
			continue
		}
		row := rd.Ratings[p*n : (p+1)*n]
		complete := true
		for _, v := range row {
			if v < 1 || v > top {
				complete = false
				break
			}
		}
		if !complete {
			continue
		}
		k.NCompletePanelists++
		for v := range h {
			h[v] = 0
		}
		for _, v := range row {
			h[v]++
		}
		var c int64
		for v := 1; v < len(h); v++ {
			t := int64(h[v])
			rank2[v] = 2*c + t + 1
			ties += t*t*t - t
			c += t
		}
		for j, v := range row {
			r2[j] += rank2[v]
		}
	}
	m := k.NCompletePanelists
	switch {
	case n < 2:
		k.Status = InsufficientItems
		return k
	case m < 2:
		k.Status = InsufficientCompletePanelists
		return k
	}
	k.Status = KendallOK
	// 4S = Σ (2R_j − m(n + 1))², each term an exact integer.
	var s4 float64
	mean2 := int64(m) * int64(n+1)
	for _, r := range r2 {
		d := float64(r - mean2)
		s4 += d * d
	}
	n3n := int64(n)*int64(n)*int64(n) - int64(n)
	mf := float64(m)
	chi := distuv.ChiSquared{K: float64(n - 1)}
	test := func(denom float64) *KendallW {
		w := 3 * s4 / denom // 12S/denom with S = s4/4
		chisq := mf * float64(n-1) * w
		return &KendallW{W: w, ChiSq: chisq, DF: n - 1, PValue: chi.Survival(chisq)}
	}
	k.Uncorrected = test(mf * mf * float64(n3n))
	// m²(n³ − n) − m·T = m·(m(n³ − n) − T), with the inner factor an exact integer so that
	// "denominator 0" is decided exactly.
	if inner := int64(m)*n3n - ties; inner != 0 {
		k.Corrected = test(mf * float64(inner))
	}
	return k
}
