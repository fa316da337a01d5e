package consensus

import (
	"math"
	"testing"
)

func histOf(max int, ratings ...int) ([]int32, int) {
	h := make([]int32, max+1)
	for _, v := range ratings {
		h[v]++
	}
	return h, len(ratings)
}

func repeat(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func concat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Hand-computed from the definitions' formulas (and agreeing with R's quantile(type = 7|6)).
func TestQuantiles(t *testing.T) {
	tests := []struct {
		name     string
		ratings  []int
		median   float64
		q71, q73 float64
		q61, q63 float64
	}{
		{"n=1", []int{5}, 5, 5, 5, 5, 5},
		// type 7: h = 1.25 → 2 + .25·6; type 6: h = .75 < 1 → x(1), h = 2.25 ≥ 2 → x(2).
		{"n=2", []int{2, 8}, 5, 3.5, 6.5, 2, 8},
		{"n=4", []int{1, 2, 3, 4}, 2.5, 1.75, 3.25, 1.25, 3.75},
		{"all identical", repeat(7, 9), 7, 7, 7, 7, 7},
		{"median 3.5", concat(repeat(3, 10), repeat(4, 10)), 3.5, 3, 4, 3, 4},
		{"median 6.5", concat(repeat(6, 10), repeat(7, 10)), 6.5, 6, 7, 6, 7},
		// n = 5: type 7 h = 2, 4; type 6 h = 1.5, 4.5.
		{"ties n=5", []int{1, 1, 5, 9, 9}, 5, 1, 9, 1, 9},
		{"n=6", []int{1, 2, 4, 7, 8, 9}, 5.5, 2.5, 7.75, 1.75, 8.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := histOf(9, tt.ratings...)
			if got := float64(quantile7(h, n, 1, 2)) / 2; got != tt.median {
				t.Errorf("median = %v, want %v", got, tt.median)
			}
			q7, iqr7 := quartiles7(h, n)
			if q7.Q1 != tt.q71 || q7.Q3 != tt.q73 || q7.IQR != tt.q73-tt.q71 || float64(iqr7)/4 != q7.IQR {
				t.Errorf("type 7 = %+v (4·iqr %d), want %v %v", q7, iqr7, tt.q71, tt.q73)
			}
			q6, iqr6 := quartiles6(h, n)
			if q6.Q1 != tt.q61 || q6.Q3 != tt.q63 || q6.IQR != tt.q63-tt.q61 || float64(iqr6)/4 != q6.IQR {
				t.Errorf("type 6 = %+v (4·iqr %d), want %v %v", q6, iqr6, tt.q61, tt.q63)
			}
		})
	}
}

// The published RAND/UCLA worked example: 15 ratings on 4..9 with counts 1,1,1,5,5,2.
func TestRANDWorkedExample(t *testing.T) {
	ratings := concat([]int{4, 5, 6}, repeat(7, 5), repeat(8, 5), repeat(9, 2))
	h, n := histOf(9, ratings...)
	got := randBlock(h, n, quantile7(h, n, 1, 2))
	want := RAND{P30Type7: 7, P70Type7: 8, IPR: 1, IPRCP: 7.5, AI: 2.5, IPRAS: 6.1,
		Disagreement: false, MedianCategory: Appropriate, FinalCategory: Appropriate}
	if got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestRANDDisagreementExact(t *testing.T) {
	tests := []struct {
		name     string
		ratings  []int
		ipr      float64
		disagree bool
		final    Category
	}{
		// IPR = IPRAS = 2.8; in doubles R gets ipr 2.7999999999999998 > ipras 2.7999999999999985.
		{"ipr = ipras = 2.8", []int{2, 3, 3, 3, 6, 6, 6, 6, 7, 8, 8, 9}, 2.8, false, Uncertain},
		{"ipr = ipras = 3.4", []int{1, 1, 3, 5, 6, 6, 7}, 3.4, false, Uncertain},
		{"ipr = ipras = 4.6", []int{1, 1, 1, 3, 4, 6, 7, 9}, 4.6, false, Inappropriate},
		{"disagreement", []int{1, 1, 1, 1, 9, 9, 9, 9, 5}, 8, true, Uncertain},
		{"appropriate", []int{7, 8, 8, 9}, 0.2, false, Appropriate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n := histOf(9, tt.ratings...)
			got := randBlock(h, n, quantile7(h, n, 1, 2))
			if math.Abs(got.IPR-tt.ipr) > 1e-12 || got.Disagreement != tt.disagree || got.FinalCategory != tt.final {
				t.Errorf("got %+v, want ipr %v disagreement %v final %s", got, tt.ipr, tt.disagree, tt.final)
			}
			if !tt.disagree && got.IPR != got.IPRAS && got.IPR > got.IPRAS {
				t.Errorf("exact tie came out as ipr %v > ipras %v", got.IPR, got.IPRAS)
			}
		})
	}
}

func TestMedianCategory(t *testing.T) {
	tests := []struct {
		ratings []int
		want    Category
	}{
		{[]int{1}, Inappropriate},
		{concat(repeat(3, 10), repeat(4, 10)), Inappropriate}, // 3.5
		{[]int{4}, Uncertain},
		{concat(repeat(6, 10), repeat(7, 10)), Uncertain}, // 6.5
		{[]int{7}, Appropriate},
		{[]int{9, 9}, Appropriate},
	}
	for _, tt := range tests {
		h, n := histOf(9, tt.ratings...)
		if got := randBlock(h, n, quantile7(h, n, 1, 2)).MedianCategory; got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.ratings, got, tt.want)
		}
	}
}

func TestCOMETBoundaries(t *testing.T) {
	def := DefaultRule()
	tests := []struct {
		name         string
		r            Rule
		low, high, n int
		want         Class
	}{
		{"exactly 70% high, 10% low", def, 2, 14, 20, ConsensusIn},
		{"69.99% high", def, 0, 6999, 10000, NoConsensus},
		{"70% high, exactly 15% low", def, 3, 14, 20, NoConsensus},
		{"70% high, 14.99% low", def, 1499, 7000, 10000, ConsensusIn},
		{"exactly 70% low, 10% high", def, 14, 2, 20, ConsensusOut},
		{"70% low, exactly 15% high", def, 14, 3, 20, NoConsensus},
		{"n=1 high", def, 0, 1, 1, ConsensusIn},
		{"n=1 low", def, 1, 0, 1, ConsensusOut},
		{"n=2 split", def, 1, 1, 2, NoConsensus},
		{"stricter 80", Rule{80, 15, 80, 15, false}, 2, 14, 20, NoConsensus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.classify(tt.low, tt.high, tt.n); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFragile(t *testing.T) {
	def := DefaultRule()
	iv := func(lo, hi float64) Interval { return Interval{Lo: lo, Hi: hi} }
	tests := []struct {
		name      string
		c         Class
		high, low Interval
		want      bool
	}{
		{"in, solid", ConsensusIn, iv(75, 95), iv(0, 10), false},
		{"in, high interval reaches below 70", ConsensusIn, iv(69.9, 95), iv(0, 10), true},
		{"in, low interval reaches 15", ConsensusIn, iv(75, 95), iv(0, 15), true},
		{"out, solid", ConsensusOut, iv(0, 10), iv(75, 95), false},
		{"out, low interval below 70", ConsensusOut, iv(0, 10), iv(60, 95), true},
		{"out, high interval reaches 15", ConsensusOut, iv(0, 15), iv(75, 95), true},
		{"none, solid", NoConsensus, iv(20, 50), iv(20, 50), false},
		{"none, could be in", NoConsensus, iv(40, 70), iv(5, 14.9), true},
		{"none, could be out", NoConsensus, iv(5, 14), iv(40, 70), true},
		{"none, high reaches 70 but low too high", NoConsensus, iv(40, 70), iv(15, 30), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := def.fragile(tt.c, tt.high, tt.low); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// Values from R: 100 * prop.test(x, n, correct = FALSE)$conf.int, and qnorm(0.975).
func TestWilson(t *testing.T) {
	z := wilsonZ()
	if want := 1.9599639845400536; math.Abs(z-want) > 1e-15*want {
		t.Errorf("z = %.17g, want qnorm(0.975) = %.17g", z, want)
	}
	tests := []struct {
		x, n   int
		lo, hi float64
	}{
		{0, 1, 0, 79.345068562276253},
		{1, 1, 20.65493143772375, 100},
		{3, 10, 10.779126740630105, 60.322185253885451},
		{14, 20, 48.102718164647662, 85.452275513239556},
		{0, 20, 0, 16.11251580528193},
		{20, 20, 83.88748419471807, 100},
	}
	rel := func(a, b float64) bool { return a == b || math.Abs(a-b) <= 1e-9*math.Abs(b) }
	for _, tt := range tests {
		got := wilson(tt.x, tt.n, z)
		if !rel(got.Lo, tt.lo) || !rel(got.Hi, tt.hi) {
			t.Errorf("wilson(%d, %d) = %+v, want [%v, %v]", tt.x, tt.n, got, tt.lo, tt.hi)
		}
	}
}

func TestThirdsScale(t *testing.T) {
	tests := []struct {
		max            int
		low, mid, high [2]int
	}{
		{9, [2]int{1, 3}, [2]int{4, 6}, [2]int{7, 9}},
		{5, [2]int{1, 2}, [2]int{3, 3}, [2]int{4, 5}},
		{7, [2]int{1, 2}, [2]int{3, 5}, [2]int{6, 7}},
		{3, [2]int{1, 1}, [2]int{2, 2}, [2]int{3, 3}},
		{10, [2]int{1, 3}, [2]int{4, 7}, [2]int{8, 10}},
	}
	for _, tt := range tests {
		s := ThirdsScale(tt.max)
		if s.Low != tt.low || s.Mid != tt.mid || s.High != tt.high || s.Min != 1 || s.Max != tt.max {
			t.Errorf("ThirdsScale(%d) = %+v", tt.max, s)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("ThirdsScale(%d): %v", tt.max, err)
		}
	}
	for _, s := range []Scale{ThirdsScale(2), ThirdsScale(128), {Min: 0, Max: 9, Low: [2]int{0, 3}, Mid: [2]int{4, 6}, High: [2]int{7, 9}},
		{Min: 1, Max: 9, Low: [2]int{1, 3}, Mid: [2]int{5, 6}, High: [2]int{7, 9}}} {
		if s.Validate() == nil {
			t.Errorf("Validate(%+v) = nil, want an error", s)
		}
	}
}
