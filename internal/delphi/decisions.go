package delphi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// DecisionInput is a committee decision on an item: its tier (core, expansion with a module,
// excluded) and why.
type DecisionInput struct {
	Item   string `json:"item"`
	Tier   string `json:"tier"`
	Module string `json:"module,omitempty"`
	Reason string `json:"reason"`
}

// MeetingVoteInput is the counted vote of a consensus meeting on one item. GroupVotes holds the
// same counts per stakeholder group (group → option → count); they must add up to Vote.Counts.
type MeetingVoteInput struct {
	Item       string                    `json:"item"`
	Meeting    string                    `json:"meeting"`
	Question   string                    `json:"question"`
	Vote       outcome.Vote              `json:"vote"`
	GroupVotes map[string]map[string]int `json:"group_votes,omitempty"`
	// hidden counts the groups not broken out in GroupVotes (too small, or deducible): their
	// votes are in Vote.Counts only, so GroupVotes may add up to less (CloseVote).
	hidden int
}

// Decide records a committee decision (admins and the study's facilitators). A decision on a
// study that still runs is allowed and marked provisional.
func (s *Service) Decide(ctx context.Context, a Actor, studyID int64, in DecisionInput) (outcome.Decision, error) {
	if err := a.mustRun(); err != nil {
		return outcome.Decision{}, err
	}
	in.Item, in.Tier, in.Module, in.Reason = strings.TrimSpace(in.Item), strings.TrimSpace(in.Tier), strings.TrimSpace(in.Module), strings.TrimSpace(in.Reason)
	var d outcome.Decision
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.anyStudy(tx, studyID)
		if err != nil {
			return err
		}
		if err := checkDecisionItem(tx, st, in.Item); err != nil {
			return err
		}
		switch in.Tier {
		case outcome.Core, outcome.Excluded:
			if in.Module != "" {
				return Errorf(EInvalid, "module", "a module goes with tier expansion, not %s", in.Tier)
			}
		case outcome.Expansion:
			if err := checkModule(st.Def, "module", in.Module); err != nil {
				return err
			}
		default:
			return Errorf(EInvalid, "tier", "tier must be core, expansion or excluded, not %q", in.Tier)
		}
		switch {
		case in.Reason == "":
			return Errorf(EInvalid, "reason", "say why the committee decided this")
		case len(in.Reason) > maxReason:
			return Errorf(EInvalid, "reason", "the reason is longer than %d characters", maxReason)
		}
		d, err = s.recordDecision(tx, a, st, store.Decision{ItemID: in.Item, Tier: in.Tier, Module: in.Module,
			Basis: outcome.BasisCommittee, Reason: in.Reason})
		return err
	})
	return d, err
}

// RecordMeetingVote records a meeting's vote on an item as a decision, through the same path as
// a committee decision: the meeting rule in force (the definition's outcome.meeting) decides
// whether the vote carried a tier; when it did not, the decision's tier is undecided (reason
// meeting_no_agreement). The decision keeps the counts per option, the voters and abstentions,
// the votes cast per stakeholder group, and the meeting rule with its sha256.
func (s *Service) RecordMeetingVote(ctx context.Context, a Actor, studyID int64, in MeetingVoteInput) (outcome.Decision, error) {
	if err := a.mustRun(); err != nil {
		return outcome.Decision{}, err
	}
	var d outcome.Decision
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		st, err := s.anyStudy(tx, studyID)
		if err != nil {
			return err
		}
		d, err = s.recordMeetingVote(tx, a, st, in)
		return err
	})
	return d, err
}

// recordMeetingVote is RecordMeetingVote inside a transaction (CloseVote's too).
func (s *Service) recordMeetingVote(tx *store.Tx, a Actor, st *Study, in MeetingVoteInput) (outcome.Decision, error) {
	var d outcome.Decision
	err := func() error {
		if err := checkDecisionItem(tx, st, in.Item); err != nil {
			return err
		}
		if strings.TrimSpace(in.Meeting) == "" {
			return Errorf(EInvalid, "meeting", "name the meeting")
		}
		if strings.TrimSpace(in.Question) == "" {
			return Errorf(EInvalid, "question", "give the question put to the vote")
		}
		v := in.Vote
		switch v.Kind {
		case outcome.VoteProposal:
			switch v.Tier {
			case outcome.Core, outcome.Excluded:
			case outcome.Expansion:
				if err := checkModule(st.Def, "vote.module", v.Module); err != nil {
					return err
				}
			default:
				return Errorf(EInvalid, "vote.tier", "a proposal states a tier: core, expansion or excluded")
			}
		case outcome.VoteOptions:
		default:
			return Errorf(EInvalid, "vote.kind", "a vote is a proposal or options")
		}
		if err := checkCounts(st.Def, v, "vote.counts", v.Counts); err != nil {
			return err
		}
		groups := map[string]int{}
		if len(in.GroupVotes) > 0 {
			sum := map[string]int{}
			for g, c := range in.GroupVotes {
				if !st.Def.HasGroup(g) {
					return Errorf(EInvalid, "group_votes."+g, "unknown stakeholder group %q", g)
				}
				if err := checkCounts(st.Def, v, "group_votes."+g, c); err != nil {
					return err
				}
				for k, n := range c {
					sum[k] += n
					if k != outcome.OptAbstain {
						groups[g] += n
					}
				}
			}
			for k := range mergeKeys(sum, v.Counts) {
				if sum[k] > v.Counts[k] || (in.hidden == 0 && sum[k] != v.Counts[k]) {
					return Errorf(EInvalid, "group_votes", "the groups' votes for %q add up to %d, not %d", k, sum[k], v.Counts[k])
				}
			}
		}
		rule := st.Def.Outcome.Meeting
		rb, _ := json.Marshal(rule)
		sum := sha256.Sum256(rb)
		hash := hex.EncodeToString(sum[:])
		tier, module, ok := outcome.Carry(rule, v)
		if !ok {
			tier, module = outcome.Undecided, ""
		}
		mb := outcome.MeetingBasis{Meeting: strings.TrimSpace(in.Meeting), Question: strings.TrimSpace(in.Question), Vote: v,
			Voters: v.Voters(), Abstained: v.Counts[outcome.OptAbstain], Groups: groups, GroupVotes: in.GroupVotes,
			Rule: rule, RuleHash: hash, HiddenGroups: in.hidden}
		if len(mb.Groups) == 0 {
			mb.Groups = nil
		}
		mj, _ := json.Marshal(mb)
		var err error
		d, err = s.recordDecision(tx, a, st, store.Decision{ItemID: in.Item, Tier: tier, Module: module,
			Basis: outcome.BasisMeetingVote, Meeting: string(mj)})
		return err
	}()
	return d, err
}

func mergeKeys(a, b map[string]int) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// checkCounts checks the option keys and counts of a vote.
func checkCounts(def *survey.Definition, v outcome.Vote, field string, counts map[string]int) error {
	if len(counts) == 0 {
		return Errorf(EInvalid, field, "no votes counted")
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if counts[k] < 0 {
			return Errorf(EInvalid, field+"."+k, "a count cannot be negative")
		}
		ok := k == outcome.OptAbstain
		switch v.Kind {
		case outcome.VoteProposal:
			ok = ok || k == outcome.OptAgree || k == outcome.OptDisagree
		case outcome.VoteOptions:
			ok = ok || k == outcome.OptCore || k == outcome.OptExclude
			if m, isModule := strings.CutPrefix(k, outcome.OptModule); isModule {
				if err := checkModule(def, field+"."+k, m); err != nil {
					return err
				}
				ok = true
			}
		}
		if !ok {
			return Errorf(EInvalid, field+"."+k, "unknown option %q", k)
		}
	}
	return nil
}

// recordDecision writes a decision and its audit entry, and returns it as the outcome sees it.
func (s *Service) recordDecision(tx *store.Tx, a Actor, st *Study, row store.Decision) (outcome.Decision, error) {
	row.StudyID, row.DecidedBy, row.Provisional = st.ID, a.StaffID, st.State != "finished"
	id, err := tx.AddDecision(row)
	if err != nil {
		return outcome.Decision{}, err
	}
	row.ID, row.DecidedAt = id, tx.Now()
	detail, _ := json.Marshal(map[string]any{"decision": id, "item": row.ItemID, "tier": row.Tier, "module": row.Module,
		"basis": row.Basis, "provisional": row.Provisional})
	if err := tx.Audit(a.String(), "decision."+row.Basis, st.ID, string(detail)); err != nil {
		return outcome.Decision{}, err
	}
	return decisionOf(row), nil
}

func decisionOf(r store.Decision) outcome.Decision {
	d := outcome.Decision{ID: r.ID, Item: r.ItemID, Tier: r.Tier, Module: r.Module, Basis: r.Basis, Reason: r.Reason,
		At: store.ParseTime(r.DecidedAt), By: r.DecidedByEmail, Provisional: r.Provisional}
	if d.By == "" && r.DecidedBy > 0 {
		d.By = fmt.Sprintf("staff:%d", r.DecidedBy)
	}
	if r.Meeting != "" {
		var mb outcome.MeetingBasis
		if json.Unmarshal([]byte(r.Meeting), &mb) == nil {
			d.Meeting = &mb
		}
	}
	return d
}

// Decisions lists a study's decisions, oldest first.
func (s *Service) Decisions(ctx context.Context, studyID int64) ([]outcome.Decision, error) {
	rows, err := s.st.Decisions(ctx, studyID)
	if err != nil {
		return nil, err
	}
	out := make([]outcome.Decision, len(rows))
	for i, r := range rows {
		out[i] = decisionOf(r)
	}
	return out, nil
}

// anyStudy reads a study, active or finished.
func (s *Service) anyStudy(tx *store.Tx, id int64) (*Study, error) {
	row, err := tx.Study(id)
	if err != nil {
		return nil, notFound(err, "study %d does not exist", id)
	}
	return s.study(row)
}

// checkDecisionItem requires an item some round of the study asked.
func checkDecisionItem(tx *store.Tx, st *Study, id string) error {
	if id == "" {
		return Errorf(EInvalid, "item", "name the item")
	}
	if !inRounds(tx, st.ID, id) {
		return Errorf(EInvalid, "item", "unknown item %q: no round of this study asked it", id)
	}
	return nil
}

func checkModule(def *survey.Definition, field, m string) error {
	if m == "" {
		return Errorf(EInvalid, field, "an expansion item needs its module (one of the definition's modules)")
	}
	for _, x := range def.Modules {
		if x.ID == m {
			return nil
		}
	}
	return Errorf(EInvalid, field, "unknown module %q", m)
}
