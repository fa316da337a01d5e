package consensus

import (
	"fmt"

	"github.com/go-json-experiment/json"
)

// Values in Round.Ratings that are not ratings. A rating is 1..Scale.Max.
const (
	// Missing is "did not answer": a blank in the CSV, or no row at all for a submitter.
	Missing int8 = -1
	// Unable is "unable to score" (`U` or `0` in the CSV): an answer, but not a rating.
	Unable int8 = 0
)

// MaxScale is the largest Scale.Max: ratings are stored as int8.
const MaxScale = 127

// Scale is the rating scale Min..Max with its three bands, each an inclusive [from, to] pair.
// Min is always 1 (0 is Unable). The bands cover Min..Max in order without gaps or overlap
// (Validate checks this), so n_low + n_mid + n_high = n_rated.
type Scale struct {
	Min, Max       int
	Low, Mid, High [2]int
}

// ThirdsScale returns the scale 1..max split in thirds, as the definitions (and the CLI) do:
// the low and high bands hold round(max/3) points each and the mid band the rest, so 1–9 gives
// 1–3/4–6/7–9 and 1–5 gives 1–2/3/4–5. It needs max ≥ 3 to give three non-empty bands.
func ThirdsScale(max int) Scale {
	k := (max + 1) / 3 // round(max/3) for integers
	return Scale{
		Min:  1,
		Max:  max,
		Low:  [2]int{1, k},
		Mid:  [2]int{k + 1, max - k},
		High: [2]int{max - k + 1, max},
	}
}

// Validate reports whether s is a scale the package can compute on: Min = 1, 3 ≤ Max ≤ 127, and
// three non-empty bands covering Min..Max in order.
func (s Scale) Validate() error {
	switch {
	case s.Min != 1:
		return fmt.Errorf("scale: min is %d, want 1", s.Min)
	case s.Max < 3 || s.Max > MaxScale:
		return fmt.Errorf("scale: max is %d, want 3..%d", s.Max, MaxScale)
	case s.Low[0] != s.Min || s.High[1] != s.Max ||
		s.Mid[0] != s.Low[1]+1 || s.High[0] != s.Mid[1]+1 ||
		s.Low[1] < s.Low[0] || s.Mid[1] < s.Mid[0] || s.High[1] < s.High[0]:
		return fmt.Errorf("scale: bands %v/%v/%v do not cover %d..%d in three non-empty parts",
			s.Low, s.Mid, s.High, s.Min, s.Max)
	}
	return nil
}

// IsRAND reports whether the RAND/UCLA block applies: only on the 1–9 scale.
func (s Scale) IsRAND() bool { return s.Min == 1 && s.Max == 9 }

type scaleJSON struct {
	Min   int `json:"min"`
	Max   int `json:"max"`
	Bands struct {
		Low  [2]int `json:"low"`
		Mid  [2]int `json:"mid"`
		High [2]int `json:"high"`
	} `json:"bands"`
}

// MarshalJSON writes the scale as in the definitions:
// {"min": 1, "max": 9, "bands": {"low": [1,3], "mid": [4,6], "high": [7,9]}}.
func (s Scale) MarshalJSON() ([]byte, error) {
	var j scaleJSON
	j.Min, j.Max = s.Min, s.Max
	j.Bands.Low, j.Bands.Mid, j.Bands.High = s.Low, s.Mid, s.High
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Scale) UnmarshalJSON(b []byte) error {
	var j scaleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("scale: %w", err)
	}
	*s = Scale{Min: j.Min, Max: j.Max, Low: j.Bands.Low, Mid: j.Bands.Mid, High: j.Bands.High}
	return nil
}
