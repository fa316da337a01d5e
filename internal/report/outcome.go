package report

import (
	"strings"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/delphi"
)

// Final tiers of the outcome.
const (
	TierCore      = "core"
	TierExpansion = "expansion"
	TierExcluded  = "excluded"
	TierPending   = "pending" // no decision yet: the study goes on
)

// OutcomeRow is one parameter of the outcome: its final tier and the round that decided it.
type OutcomeRow struct {
	Item         string
	Section      string
	Label        string
	Description  string
	Unit         string
	Categories   string
	ProposedTier string
	Module       string
	// Status is consensus_in, consensus_out, no_consensus (asked in the last round without
	// consensus), dropped (not carried forward without consensus) or replaced (reworded or
	// merged into another item).
	Status string
	Tier   string
	// DecidedRound is the round whose result decided the tier (0 while pending).
	DecidedRound int
	LastRound    int    // the last round that asked the item
	Median       string // in the deciding (else last) round, formatted
	PctHigh      string
	MedianValue  *float64 // the same, as numbers, for exports
	PctHighValue *float64
	Placement    map[string]int
	ReplacedBy   string
	Basis        string // how the tier was decided, in words
}

// OutcomeRule says in words how Outcome assigns tiers; the outcome page and exports print it.
const OutcomeRule = "An item is decided in the first round in which it reaches consensus. Consensus in: the tier is core " +
	"or expansion module by the majority of the placement answers in that round (a tie, or no placement answers, keeps the " +
	"proposed tier). Consensus out: excluded. Not carried forward without consensus, or replaced by a reworded or merged " +
	"item: excluded after the last round that asked it. Still without consensus in the last round: excluded once the study " +
	"is finished, pending before."

// Outcome returns the CART-CD outcome as a data dictionary after the closed rounds snaps
// (1..n in order): every item asked in any round, in order of first appearance.
func Outcome(st Study, snaps []*delphi.Snapshot) []OutcomeRow {
	var rows []*OutcomeRow
	byID := map[string]*OutcomeRow{}
	replaced := map[string]string{}
	last := 0
	for _, snap := range snaps {
		last = snap.Round
		secLabel := map[string]string{}
		for _, s := range snap.Sections {
			secLabel[s.ID] = s.Label.In("en")
		}
		for _, it := range snap.Items {
			for _, d := range it.DerivedFrom {
				if d != it.ID {
					replaced[d] = it.ID
				}
			}
			r := byID[it.ID]
			if r == nil {
				r = &OutcomeRow{Item: it.ID}
				byID[it.ID] = r
				rows = append(rows, r)
			}
			if r.DecidedRound > 0 {
				continue // decided earlier (only asked again if a facilitator insisted)
			}
			// the latest wording is the one decided on
			r.Section, r.Label, r.Description = secLabel[it.SectionID], it.Label.In("en"), it.Description.In("en")
			r.Unit, r.Categories, r.ProposedTier, r.Module = it.Unit, strings.Join(it.Categories, "; "), it.ProposedTier, it.Module
			r.LastRound = snap.Round
			res := snap.Result.Items.Get(it.ID)
			if res == nil {
				continue
			}
			r.Median, r.PctHigh, r.Placement = nump(res.Median), pctp(res.PctHigh), snap.Placement[it.ID]
			r.MedianValue, r.PctHighValue = res.Median, res.PctHigh
			switch res.Comet {
			case consensus.ConsensusIn:
				r.Status, r.DecidedRound = string(res.Comet), snap.Round
				r.Tier, r.Basis = inTier(r.ProposedTier, r.Placement)
			case consensus.ConsensusOut:
				r.Status, r.DecidedRound, r.Tier, r.Basis = string(res.Comet), snap.Round, TierExcluded, "consensus out"
			default:
				r.Status = string(consensus.NoConsensus)
			}
		}
	}
	out := make([]OutcomeRow, 0, len(rows))
	for _, r := range rows {
		if r.DecidedRound == 0 {
			switch {
			case replaced[r.Item] != "" && r.LastRound < last:
				r.Status, r.ReplacedBy, r.Tier, r.DecidedRound = "replaced", replaced[r.Item], TierExcluded, r.LastRound
				r.Basis = "replaced by " + r.ReplacedBy
			case r.LastRound < last:
				r.Status, r.Tier, r.DecidedRound = "dropped", TierExcluded, r.LastRound
				r.Basis = "not carried forward without consensus"
			case st.Finished:
				r.Tier, r.DecidedRound, r.Basis = TierExcluded, r.LastRound, "no consensus in the last round"
			default:
				r.Tier, r.Basis = TierPending, "no consensus yet"
			}
		}
		out = append(out, *r)
	}
	return out
}

// inTier decides core or expansion for an item with consensus in.
func inTier(proposed string, placement map[string]int) (tier, basis string) {
	if proposed != TierExpansion {
		proposed = TierCore
	}
	core, exp := placement["core"], placement["expansion"]
	switch {
	case core > exp:
		return TierCore, "consensus in; placement: core"
	case exp > core:
		return TierExpansion, "consensus in; placement: expansion module"
	}
	return proposed, "consensus in; proposed tier"
}

// OutcomeCounts counts the outcome's items per tier.
func OutcomeCounts(rows []OutcomeRow) map[string]int {
	m := map[string]int{}
	for _, r := range rows {
		m[r.Tier]++
	}
	return m
}
