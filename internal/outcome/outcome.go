// Package outcome derives a Delphi study's outcome, exactly as shared/outcome-definitions.md §2–3
// defines it: the tier each item gets from the tier rule (core, expansion module, excluded,
// undecided or pending, with a reason), the lineage of items through rewording and merging,
// items dropped or replaced by the facilitators, the decisions of meetings and the steering
// committee, and the final tier.
//
// It is pure: values in, values out. It knows no HTTP, SQL or files, and imports only survey
// (for the definition's types). Every comparison of a share with a threshold is made on integer
// counts (100·count ≥ threshold·n), never on rounded or floating-point percentages.
package outcome

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/survey"
)

// Tiers.
const (
	Core      = "core"
	Expansion = "expansion"
	Excluded  = "excluded"
	Undecided = "undecided" // the panel left it open (after the study, or by the rule)
	Pending   = "pending"   // no consensus yet while the study runs
)

// Reasons beside a tier.
const (
	ReasonTooFewPlacement     = "too_few_placement_answers"
	ReasonModuleToAssign      = "module_to_assign"
	ReasonPlacementSplit      = "placement_split"
	ReasonNoPlacementQuestion = "no_placement_question"
	ReasonConsensusOut        = "consensus_out"
	ReasonNoConsensus         = "no_consensus"
	ReasonNotRated            = "not_rated" // asked, but no panelist gave a rating
	ReasonNotYetClosed        = "not_yet_closed"
	ReasonDropped             = "dropped"
	ReasonReplaced            = "replaced"
	ReasonMeetingNoAgreement  = "meeting_no_agreement"
)

// Importance classes (consensus-definitions.md's COMET classes).
const (
	ConsensusIn  = "consensus_in"
	ConsensusOut = "consensus_out"
	NoConsensus  = "no_consensus"
)

// Unassigned is the module of an expansion item that has none: the committee assigns it.
const Unassigned = "unassigned"

// Rule is the tier rule's thresholds, frozen as JSON with its sha256 (see Freeze).
type Rule = survey.Outcome

// Freeze returns the rule as JSON and the hex sha256 of those bytes.
func Freeze(r Rule) (string, string) {
	b, _ := json.Marshal(r) // a struct of ints: cannot fail
	sum := sha256.Sum256(b)
	return string(b), hex.EncodeToString(sum[:])
}

// Placement counts a round's answers to the placement question for one item, over the
// panelists who submitted the round. Blanks are not answers; N = Core + Expansion + NotNeeded.
type Placement struct {
	N         int `json:"n"`
	Core      int `json:"core"`
	Expansion int `json:"expansion"`
	NotNeeded int `json:"not_needed"`
}

// PlacementOf counts the options of a snapshot's placement map (option → count). Options other
// than core, expansion and not_needed are not placement answers.
func PlacementOf(m map[string]int) Placement {
	p := Placement{Core: m[survey.PlaceCore], Expansion: m[survey.PlaceExpansion], NotNeeded: m[survey.PlaceNotNeeded]}
	p.N = p.Core + p.Expansion + p.NotNeeded
	return p
}

// Evidence is what the tier rule looks at for one item: its importance class in its last round
// and that round's placement answers.
type Evidence struct {
	Importance string // consensus_in, consensus_out, no_consensus; "" when nobody rated it
	// PlacementQuestion is whether the survey asks where items belong.
	PlacementQuestion bool
	Placement         Placement
	ProposedTier      string // core or expansion; "" is core
	Module            string // the item's module, for expansion
}

// Tier applies §2's rule to one item. finished says whether the study is finished (no
// consensus is then undecided, not pending). module is set for expansion only; reason is ""
// when the rule needs none (core, or expansion in the item's own module).
func Tier(r Rule, e Evidence, finished bool) (tier, module, reason string) {
	switch e.Importance {
	case ConsensusOut:
		return Excluded, "", ReasonConsensusOut
	case ConsensusIn:
	default:
		why := ReasonNoConsensus
		if e.Importance == "" {
			why = ReasonNotRated
		}
		if finished {
			return Undecided, "", why
		}
		return Pending, "", why
	}
	if !e.PlacementQuestion {
		if e.ProposedTier == Expansion {
			m, why := moduleOf(e.Module)
			if why == "" {
				why = ReasonNoPlacementQuestion
			}
			return Expansion, m, why
		}
		return Core, "", ReasonNoPlacementQuestion
	}
	p := e.Placement
	switch {
	case p.N < r.MinPlacementAnswers:
		return Undecided, "", ReasonTooFewPlacement
	case 100*p.Core >= r.CoreAtLeast*p.N:
		return Core, "", ""
	case 100*(p.Core+p.Expansion) >= r.CollectAtLeast*p.N:
		m, why := moduleOf(e.Module)
		return Expansion, m, why
	}
	return Undecided, "", ReasonPlacementSplit
}

func moduleOf(m string) (string, string) {
	if m == "" {
		return Unassigned, ReasonModuleToAssign
	}
	return m, ""
}

// Vote kinds of a meeting.
const (
	VoteProposal = "proposal" // agree / disagree / abstain on a stated tier
	VoteOptions  = "options"  // core / expansion module / exclude / abstain
)

// Vote options. An options vote counts "core", "exclude", "abstain" and "expansion:<module>".
const (
	OptAgree    = "agree"
	OptDisagree = "disagree"
	OptAbstain  = "abstain"
	OptCore     = "core"
	OptExclude  = "exclude"
	OptModule   = "expansion:" // + module id
)

// Vote is the counted votes on one item at a meeting.
type Vote struct {
	Kind string `json:"kind"` // proposal or options
	// Tier and Module are the proposal's (proposal votes only).
	Tier   string         `json:"tier,omitempty"`
	Module string         `json:"module,omitempty"`
	Counts map[string]int `json:"counts"`
}

// Voters is the number of votes cast other than abstentions.
func (v Vote) Voters() int {
	n := 0
	for k, c := range v.Counts {
		if k != OptAbstain {
			n += c
		}
	}
	return n
}

// Carry applies §3's meeting rule. A proposal is carried when voters ≥ min_voters and
// 100·agree ≥ agree_at_least·voters; an options vote carries the one option that reaches that
// share. When nothing is carried, ok is false (the item stays undecided, reason
// meeting_no_agreement). With a threshold of 50 or less two options can reach it: then
// neither is carried, as the meeting did not agree on one.
func Carry(m survey.Meeting, v Vote) (tier, module string, ok bool) {
	voters := v.Voters()
	if voters < m.MinVoters || voters == 0 {
		return "", "", false
	}
	reaches := func(n int) bool { return 100*n >= m.AgreeAtLeast*voters }
	switch v.Kind {
	case VoteProposal:
		if reaches(v.Counts[OptAgree]) {
			return v.Tier, v.Module, true
		}
		return "", "", false
	case VoteOptions:
		keys := make([]string, 0, len(v.Counts))
		for k := range v.Counts {
			if k != OptAbstain && reaches(v.Counts[k]) {
				keys = append(keys, k)
			}
		}
		if len(keys) != 1 {
			return "", "", false
		}
		switch k := keys[0]; {
		case k == OptCore:
			return Core, "", true
		case k == OptExclude:
			return Excluded, "", true
		case strings.HasPrefix(k, OptModule) && len(k) > len(OptModule):
			return Expansion, k[len(OptModule):], true
		}
	}
	return "", "", false
}

// Decision bases.
const (
	BasisCommittee   = "committee"
	BasisMeetingVote = "meeting_vote"
)

// Decision settles an item after the rounds: a committee decision or a meeting vote.
type Decision struct {
	ID     int64     `json:"id"`
	Item   string    `json:"item"`
	Tier   string    `json:"tier"` // core, expansion, excluded; undecided for a meeting vote that carried nothing
	Module string    `json:"module,omitempty"`
	Basis  string    `json:"basis"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"` // the staff member who recorded it
	// Provisional: recorded while the study still ran.
	Provisional bool          `json:"provisional"`
	Meeting     *MeetingBasis `json:"meeting,omitempty"`
}

// MeetingBasis is what a meeting vote records (§3).
type MeetingBasis struct {
	Meeting    string                    `json:"meeting"`
	Question   string                    `json:"question"`
	Vote       Vote                      `json:"vote"`
	Voters     int                       `json:"voters"`
	Abstained  int                       `json:"abstained"`
	Groups     map[string]int            `json:"groups,omitempty"`      // votes cast per stakeholder group
	GroupVotes map[string]map[string]int `json:"group_votes,omitempty"` // option counts per group
	// HiddenGroups counts the groups not broken out in Groups and GroupVotes: fewer votes than
	// min_group_size, or deducible from the rest (their votes are in Vote.Counts only).
	HiddenGroups int            `json:"hidden_groups,omitempty"`
	Rule         survey.Meeting `json:"rule"`
	RuleHash     string         `json:"rule_hash"`
}

// Latest returns the latest of ds (by time, then id), or nil.
func Latest(ds []Decision) *Decision {
	if len(ds) == 0 {
		return nil
	}
	best := 0
	for i, d := range ds {
		b := ds[best]
		if d.At.After(b.At) || (d.At.Equal(b.At) && d.ID > b.ID) {
			best = i
		}
	}
	return &ds[best]
}

// sortDecisions orders decisions oldest first.
func sortDecisions(ds []Decision) {
	slices.SortStableFunc(ds, func(a, b Decision) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
