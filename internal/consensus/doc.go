// Package consensus computes the consensus statistics of a Delphi round exactly as
// consensus-definitions.md (the "definitions", kept beside DESIGN.md) defines them: per item and per
// stakeholder group the counts, bands, median, type-7 and type-6 quartiles, mean, sample SD,
// Wilson intervals, COMET class with its fragile flag and the RAND/UCLA block; Kendall's W per
// round; and stability between consecutive rounds (changes and Wilcoxon signed-rank tests).
//
// It is pure: ratings in, numbers out. It does no I/O and imports nothing of ours; only the
// standard library and gonum (means, SDs and the χ² and normal distributions). Quantiles and
// ranks are computed by hand from per-item histograms, because the scale is a small set of
// integers: an order statistic is a walk over at most Max counts, a mid-rank is a cumulative
// count, and nothing is sorted. The same code serves the `delphi consensus` command and the
// round snapshots of the service.
//
// Exactness. Every quantile of integer ratings at p = .25, .5, .75 is a multiple of 1/4 and at
// p = .30, .70 a multiple of 1/10, so quantiles are computed as integer numerators and divided
// once (the result is the double nearest the exact value). COMET compares integer counts, the
// RAND/UCLA disagreement compares integers in units of 1/40, and rank sums are kept doubled so
// that mid-ranks stay integers. Results agree with R and SciPy to a relative 1e-9: see
// testdata/reference.R, testdata/reference_scipy.py and the values they wrote in testdata/ref.
//
// Choices where the definitions leave room, documented where they are made: Rule.EveryGroup
// (groups without ratings neither help nor block); fragile is judged on the class shown;
// Wilcoxon z is that of the two-sided statistic, (min(R+, R−) − mean)/sd, as SciPy reports it
// and as the definitions' worked example shows (their prose says (R+ − mean)/sd, which differs
// only in sign; the p-value is the same); pratt's tie correction covers the non-zero |d| only,
// as SciPy's does; answers outside the scale count as missing (Round.Validate rejects them).
//
// Entry points: ComputeRound (one round), ComputeStability (two rounds) and Analyze (the whole
// JSON document of the definitions). Result types carry the JSON tags of the definitions and
// round-trip through github.com/go-json-experiment/json (the service stores snapshots with it)
// and encoding/json alike; the ordered objects (items, groups, rounds) have typed
// (un)marshalers for the first and MarshalJSON/UnmarshalJSON for the second.
package consensus
