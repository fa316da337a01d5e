package consensus

import (
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Rule is the COMET consensus rule of a round, as data, so that a study can state it before
// round 1 and reports can print it (String). Thresholds are whole percentages 0..100.
//
//	consensus_in  if 100·n_high ≥ InHighAtLeast·n_rated and 100·n_low < InLowBelow·n_rated
//	consensus_out if 100·n_low ≥ OutLowAtLeast·n_rated and 100·n_high < OutHighBelow·n_rated
//	no_consensus  otherwise
//
// The comparison is on integer counts, never on rounded percentages (definitions, "COMET rule").
// consensus_in is tested first, so with odd thresholds that let both hold, the item is in.
//
// EveryGroup adds a requirement: an item is consensus_in (or consensus_out) only if the whole
// panel is, and so is every stakeholder group that has at least one rating of the item. Groups
// with no rating neither help nor block. It applies wherever a class is computed (items, and
// the from/to classes of stability, paired or not).
type Rule struct {
	InHighAtLeast int  `json:"in_high_at_least"`
	InLowBelow    int  `json:"in_low_below"`
	OutLowAtLeast int  `json:"out_low_at_least"`
	OutHighBelow  int  `json:"out_high_below"`
	EveryGroup    bool `json:"every_group"`
}

// DefaultRule is the COMET default: in at ≥ 70% high and < 15% low, out at ≥ 70% low and < 15%
// high, on the whole panel only.
func DefaultRule() Rule {
	return Rule{InHighAtLeast: 70, InLowBelow: 15, OutLowAtLeast: 70, OutHighBelow: 15}
}

// Validate reports whether every threshold is a percentage 0..100.
func (r Rule) Validate() error {
	for _, t := range []struct {
		name string
		v    int
	}{
		{"in_high_at_least", r.InHighAtLeast}, {"in_low_below", r.InLowBelow},
		{"out_low_at_least", r.OutLowAtLeast}, {"out_high_below", r.OutHighBelow},
	} {
		if t.v < 0 || t.v > 100 {
			return fmt.Errorf("rule: %s is %d, want 0..100", t.name, t.v)
		}
	}
	return nil
}

// String states the rule in words, for reports, e.g. "consensus in: ≥70% high and <15% low;
// consensus out: ≥70% low and <15% high; whole panel".
func (r Rule) String() string {
	scope := "whole panel"
	if r.EveryGroup {
		scope = "whole panel and every group with ratings"
	}
	return fmt.Sprintf("consensus in: ≥%d%% high and <%d%% low; consensus out: ≥%d%% low and <%d%% high; %s",
		r.InHighAtLeast, r.InLowBelow, r.OutLowAtLeast, r.OutHighBelow, scope)
}

// RuleSet is a study's rule with per-round overrides, as data. For(n) is the rule of round n;
// pass rs.For to Analyze.
type RuleSet struct {
	Default Rule         `json:"default"`
	Rounds  map[int]Rule `json:"rounds,omitempty"`
}

// For returns the rule in force in round n: the override if there is one, else Default.
func (rs RuleSet) For(n int) Rule {
	if r, ok := rs.Rounds[n]; ok {
		return r
	}
	return rs.Default
}

// Class is a COMET class. The zero value means "not classified" (no ratings) and is written
// as JSON null.
type Class string

// The COMET classes.
const (
	ConsensusIn  Class = "consensus_in"
	ConsensusOut Class = "consensus_out"
	NoConsensus  Class = "no_consensus"
)

// MarshalJSONTo writes the class, or null for the zero Class.
func (c Class) MarshalJSONTo(enc *jsontext.Encoder) error { return writeEnum(enc, string(c)) }

// UnmarshalJSONFrom reads a class or null.
func (c *Class) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	return readEnum(dec, "comet class", c, ConsensusIn, ConsensusOut, NoConsensus)
}

// MarshalJSON is MarshalJSONTo for encoding/json.
func (c Class) MarshalJSON() ([]byte, error) { return json.Marshal(c) }

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (c *Class) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, c) }

// classify applies the COMET rule on integer counts; n > 0.
func (r Rule) classify(nLow, nHigh, n int) Class {
	switch {
	case 100*nHigh >= r.InHighAtLeast*n && 100*nLow < r.InLowBelow*n:
		return ConsensusIn
	case 100*nLow >= r.OutLowAtLeast*n && 100*nHigh < r.OutHighBelow*n:
		return ConsensusOut
	}
	return NoConsensus
}

// fragile says whether class c could change somewhere inside the Wilson intervals (hl, hh) of
// pct_high and (ll, lh) of pct_low (definitions, "fragile"), with the rule's thresholds in place
// of 70 and 15:
//
//	in:   hl < InHighAtLeast or lh ≥ InLowBelow
//	out:  ll < OutLowAtLeast or hh ≥ OutHighBelow
//	none: (hh ≥ InHighAtLeast and ll < InLowBelow) or (lh ≥ OutLowAtLeast and hl < OutHighBelow)
func (r Rule) fragile(c Class, high, low Interval) bool {
	hl, hh, ll, lh := high.Lo, high.Hi, low.Lo, low.Hi
	in, inLow := float64(r.InHighAtLeast), float64(r.InLowBelow)
	out, outHigh := float64(r.OutLowAtLeast), float64(r.OutHighBelow)
	switch c {
	case ConsensusIn:
		return hl < in || lh >= inLow
	case ConsensusOut:
		return ll < out || hh >= outHigh
	}
	return (hh >= in && ll < inLow) || (lh >= out && hl < outHigh)
}
