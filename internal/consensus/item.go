package consensus

// Item is the result for one item in one round (definitions, "ITEM"). Counts are over the
// panelists who submitted the round. When NRated = 0 every statistic is nil (JSON null) and
// Comet is the zero Class; the counts are still given.
type Item struct {
	// ID is the item id: the key of the item in the JSON object "items".
	ID string `json:"-"`

	NRated   int `json:"n_rated"`   // answers with a rating 1..Max
	NUnable  int `json:"n_unable"`  // answers U or 0
	NMissing int `json:"n_missing"` // n_submitted − n_rated − n_unable
	NLow     int `json:"n_low"`
	NMid     int `json:"n_mid"`
	NHigh    int `json:"n_high"`
	// Hist[v−1] is the number of ratings v, v = 1..Max (not in the definitions; for feedback).
	Hist []int `json:"hist"`

	Median        *float64   `json:"median"`
	QuantileType7 *Quartiles `json:"quantile_type7"` // Hyndman–Fan type 7 at .25, .75
	QuantileType6 *Quartiles `json:"quantile_type6"` // type 6 at .25, .75
	Mean          *float64   `json:"mean"`
	// SDSample is the sample SD (n − 1); nil when NRated < 2.
	SDSample *float64 `json:"sd_sample"`
	PctLow   *float64 `json:"pct_low"` // 100·n_low/n_rated
	PctMid   *float64 `json:"pct_mid"`
	PctHigh  *float64 `json:"pct_high"`
	// PctLowWilson95 and PctHighWilson95 are 95% Wilson score intervals, in percent.
	PctLowWilson95  *Interval `json:"pct_low_wilson95"`
	PctHighWilson95 *Interval `json:"pct_high_wilson95"`
	// Comet is the COMET class under the round's Rule (with EveryGroup, the class must hold
	// in every group with ratings too).
	Comet Class `json:"comet"`
	// Fragile says whether Comet (the class shown, after EveryGroup) would change somewhere
	// inside the whole panel's Wilson intervals PctHighWilson95 and PctLowWilson95, by the
	// definitions' conditions with the rule's thresholds in place of 70 and 15.
	Fragile *bool `json:"fragile"`
	// RAND is the RAND/UCLA block; nil on scales other than 1–9.
	RAND *RAND `json:"rand"`
	// Groups has one entry per group of the panel, in the round's group order.
	Groups GroupList `json:"groups"`
}

// Group is the result for one item in one stakeholder group (definitions, "GROUP").
type Group struct {
	// Name is the group name: the key in the JSON object "groups".
	Name string `json:"-"`

	NSubmitted int   `json:"n_submitted"`
	NRated     int   `json:"n_rated"`
	NUnable    int   `json:"n_unable"`
	NMissing   int   `json:"n_missing"`
	NLow       int   `json:"n_low"`
	NMid       int   `json:"n_mid"`
	NHigh      int   `json:"n_high"`
	Hist       []int `json:"hist"` // as Item.Hist

	Median  *float64 `json:"median"` // nil when the group's NRated = 0
	PctLow  *float64 `json:"pct_low"`
	PctMid  *float64 `json:"pct_mid"`
	PctHigh *float64 `json:"pct_high"`
	// Comet is the COMET class of the group alone (not in the definitions; it is what
	// Rule.EveryGroup checks).
	Comet Class `json:"comet"`
}

// bandCounts returns the numbers of ratings in the low, mid and high bands, and their sum.
func (s Scale) bandCounts(h []int32) (low, mid, high, n int) {
	for v := 1; v < len(h); v++ {
		c := int(h[v])
		switch {
		case v <= s.Low[1]:
			low += c
		case v <= s.Mid[1]:
			mid += c
		default:
			high += c
		}
	}
	return low, mid, high, low + mid + high
}

// itemArena allocates the results of a round in a few large blocks: one allocation per kind
// instead of one per pointer, which keeps a 300-item snapshot to a handful of allocations.
type itemArena struct {
	f  []float64
	q  []Quartiles
	iv []Interval
	r  []RAND
	b  []bool
	h  []int
}

func (a *itemArena) float(v float64) *float64 {
	a.f = append(a.f, v)
	return &a.f[len(a.f)-1]
}

func (a *itemArena) quartiles(q Quartiles) *Quartiles {
	a.q = append(a.q, q)
	return &a.q[len(a.q)-1]
}

func (a *itemArena) interval(iv Interval) *Interval {
	a.iv = append(a.iv, iv)
	return &a.iv[len(a.iv)-1]
}

func (a *itemArena) rand(r RAND) *RAND {
	a.r = append(a.r, r)
	return &a.r[len(a.r)-1]
}

func (a *itemArena) bool(v bool) *bool {
	a.b = append(a.b, v)
	return &a.b[len(a.b)-1]
}

func (a *itemArena) hist(h []int32) []int {
	start := len(a.h)
	for _, c := range h[1:] {
		a.h = append(a.h, int(c))
	}
	return a.h[start:len(a.h):len(a.h)]
}

// newItemArena sizes the blocks for ni items and ng groups so that append never reallocates
// (pointers into the blocks must stay valid).
func newItemArena(ni, ng, max int) *itemArena {
	return &itemArena{
		f:  make([]float64, 0, ni*(6+4*ng)),
		q:  make([]Quartiles, 0, 2*ni),
		iv: make([]Interval, 0, 2*ni),
		r:  make([]RAND, 0, ni),
		b:  make([]bool, 0, ni),
		h:  make([]int, 0, ni*(1+ng)*max),
	}
}

// pct returns 100·x/n as R computes 100 * x / n.
func pct(x, n int) float64 { return float64(100*x) / float64(n) }

// combine returns overall, the COMET class of the whole panel, except that with EveryGroup an
// in or out class is demoted to no_consensus unless every group with ratings has that class
// too. groups[g] is a group's class, "" when the group has no rating (it neither helps nor
// blocks).
func (r Rule) combine(overall Class, groups []Class) Class {
	if !r.EveryGroup || overall == NoConsensus {
		return overall
	}
	for _, c := range groups {
		if c != "" && c != overall {
			return NoConsensus
		}
	}
	return overall
}

// computeItem fills it (whose Groups slice is already in place) for item i of the tally.
func computeItem(s Scale, r Rule, t *tally, i int, it *Item, a *itemArena, m *moments, h []int32, classes []Class, z float64) {
	for g := range it.Groups {
		gr := &it.Groups[g]
		gr.NUnable = t.hist(g, i, h)
		gr.NSubmitted = t.submitted[g]
		gr.NLow, gr.NMid, gr.NHigh, gr.NRated = s.bandCounts(h)
		gr.NMissing = gr.NSubmitted - gr.NRated - gr.NUnable
		gr.Hist = a.hist(h)
		classes[g] = ""
		if gr.NRated == 0 {
			continue
		}
		n := gr.NRated
		gr.Median = a.float(float64(quantile7(h, n, 1, 2)) / 2)
		gr.PctLow, gr.PctMid, gr.PctHigh = a.float(pct(gr.NLow, n)), a.float(pct(gr.NMid, n)), a.float(pct(gr.NHigh, n))
		gr.Comet = r.classify(gr.NLow, gr.NHigh, n)
		classes[g] = gr.Comet
	}

	it.NUnable = t.hist(-1, i, h)
	it.NLow, it.NMid, it.NHigh, it.NRated = s.bandCounts(h)
	it.NMissing = t.nSubmitted - it.NRated - it.NUnable
	it.Hist = a.hist(h)
	n := it.NRated
	if n == 0 {
		return
	}
	median2 := quantile7(h, n, 1, 2)
	it.Median = a.float(float64(median2) / 2)
	q7, _ := quartiles7(h, n)
	q6, _ := quartiles6(h, n)
	it.QuantileType7, it.QuantileType6 = a.quartiles(q7), a.quartiles(q6)
	mean, sd := m.meanSD(h)
	it.Mean = a.float(mean)
	if n >= 2 {
		it.SDSample = a.float(sd)
	}
	it.PctLow, it.PctMid, it.PctHigh = a.float(pct(it.NLow, n)), a.float(pct(it.NMid, n)), a.float(pct(it.NHigh, n))
	low, high := wilson(it.NLow, n, z), wilson(it.NHigh, n, z)
	it.PctLowWilson95, it.PctHighWilson95 = a.interval(low), a.interval(high)
	it.Comet = r.combine(r.classify(it.NLow, it.NHigh, n), classes)
	it.Fragile = a.bool(r.fragile(it.Comet, high, low))
	if s.IsRAND() {
		it.RAND = a.rand(randBlock(h, n, median2))
	}
}
