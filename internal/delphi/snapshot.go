package delphi

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/cart-cd/delphi/internal/consensus"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/survey"
)

// Snapshot is the immutable result of closing a round: every statistic, computed once inside
// the closing transaction, with what reports need to stand alone (item texts, participation,
// anonymised comments). Reports and the next round's feedback read it, never live answers.
type Snapshot struct {
	StudyID    int64     `json:"study_id"`
	StudyTitle string    `json:"study_title"`
	SurveyID   string    `json:"survey_id"`
	Round      int       `json:"round"`
	OpenedAt   time.Time `json:"opened_at"`
	ClosedAt   time.Time `json:"closed_at"`
	Deadline   time.Time `json:"deadline,omitempty"`
	// Rule is the consensus rule frozen when the round opened, with its hash and in words.
	Rule     survey.Rule       `json:"rule"`
	RuleHash string            `json:"rule_hash"`
	RuleText string            `json:"rule_text"`
	Scale    survey.Scale      `json:"scale"`
	Groups   []survey.Group    `json:"groups"`
	Sections []SnapshotSection `json:"sections"`
	Items    []RoundItem       `json:"items"`
	// Participation counts invited and submitted panelists, overall, by group and by country.
	Participation Participation `json:"participation"`
	// Result holds the statistics of consensus-definitions.md for this round.
	Result *consensus.RoundResult `json:"result"`
	// Stability compares with the previous round (nil in round 1).
	Stability *consensus.Stability `json:"stability,omitempty"`
	// Comments and Reasons are anonymised: texts only, sorted, so that no order links them
	// across items to one panelist.
	Comments map[string][]string `json:"comments"`
	Reasons  map[string][]string `json:"reasons"`
	// Placement counts the answers to the placement question per item and option.
	Placement map[string]map[string]int `json:"placement,omitempty"`
	// PlacementGroups counts the same per stakeholder group (item → group → option → count).
	// Reports apply the small-group rule before showing it.
	PlacementGroups map[string]map[string]map[string]int `json:"placement_groups,omitempty"`
	// OutcomeRule is the tier rule frozen when the round opened, with its hash.
	OutcomeRule     *survey.Outcome `json:"outcome_rule,omitempty"`
	OutcomeRuleHash string          `json:"outcome_rule_hash,omitempty"`
	// Changes are the facilitators' changes to the item set when the round opened, each with
	// its reason (and the earlier wording of a reworded item).
	Changes  []ItemChange `json:"changes,omitempty"`
	Software string       `json:"software"`
	// Disclosure is set on the copies made for staff-facing outputs (Disclosed, Full), never
	// on a stored snapshot: what those copies withhold under the small-cell rule.
	Disclosure *Disclosure `json:"disclosure,omitempty"`
}

// ItemChange is an item added, reworded, merged or dropped when a round opened, with the
// facilitator's reason.
type ItemChange struct {
	Item        string       `json:"item"`
	Kind        string       `json:"kind"`
	Reason      string       `json:"reason"`
	DerivedFrom []string     `json:"derived_from,omitempty"`
	Earlier     *survey.Item `json:"earlier,omitempty"`
}

// itemChangesOf converts stored change rows.
func itemChangesOf(rows []store.ItemChange) []ItemChange {
	out := make([]ItemChange, 0, len(rows))
	for _, r := range rows {
		c := ItemChange{Item: r.ItemID, Kind: r.Kind, Reason: r.Reason}
		if r.DerivedFrom != "" {
			c.DerivedFrom = strings.Split(r.DerivedFrom, ",")
		}
		if r.Earlier != "" {
			var it survey.Item
			if json.Unmarshal([]byte(r.Earlier), &it) == nil {
				c.Earlier = &it
			}
		}
		out = append(out, c)
	}
	return out
}

// SnapshotSection is a section of the round, for grouping results.
type SnapshotSection struct {
	ID    string      `json:"id"`
	Label survey.Text `json:"label"`
}

// Participation is who was invited and who submitted.
type Participation struct {
	Invited   int                `json:"invited"`
	Submitted int                `json:"submitted"`
	Groups    []ParticipationRow `json:"groups"`
	Countries []ParticipationRow `json:"countries"`
}

// ParticipationRow is invited and submitted for one group or country.
type ParticipationRow struct {
	Key       string `json:"key"`
	Invited   int    `json:"invited"`
	Submitted int    `json:"submitted"`
}

// Version is the software version written into snapshots and reports (set by main).
var Version = "dev"

// scaleOf converts the definition's scale for the consensus package.
func scaleOf(sc survey.Scale) consensus.Scale {
	b := func(i int) [2]int { return [2]int{sc.Bands[i].From, sc.Bands[i].To} }
	return consensus.Scale{Min: sc.Min, Max: sc.Max, Low: b(0), Mid: b(1), High: b(2)}
}

func ruleOf(r survey.Rule) consensus.Rule {
	return consensus.Rule{InHighAtLeast: r.In.HighAtLeast, InLowBelow: r.In.LowBelow,
		OutLowAtLeast: r.Out.LowAtLeast, OutHighBelow: r.Out.HighBelow, EveryGroup: r.EveryGroup}
}

// matrix reads a round's answers into the consensus input, with comments, reasons and placements.
type matrix struct {
	round     *consensus.Round
	comments  map[string][]string
	reasons   map[string][]string
	placement map[string]map[string]int
	// placementGroups: item → group → option → count
	placementGroups map[string]map[string]map[string]int
	panel           []store.Panelist // invited, in order
}

// readMatrix reads the answers of a round's submitted panelists into the consensus input, with
// comments, reasons and placements. rows are the round's items in order.
func readMatrix(tx *store.Tx, def *survey.Definition, r store.Round, rows []store.RoundItem, panelByID map[int64]store.Panelist) (*matrix, error) {
	ids, err := tx.RoundPanelists(r.ID)
	if err != nil {
		return nil, err
	}
	subs, err := tx.Submissions(r.ID)
	if err != nil {
		return nil, err
	}
	submitted := make(map[int64]bool, len(subs))
	for _, s := range subs {
		submitted[s.PanelistID] = true
	}
	groups := make([]string, len(def.Groups))
	gi := map[string]int{}
	for i, g := range def.Groups {
		groups[i], gi[g.ID] = g.ID, i
	}
	ni := len(rows)
	items := make([]string, ni)
	byPos := make(map[int]int, ni) // position → index
	for i, it := range rows {
		items[i] = it.ItemID
		byPos[it.Position] = i
	}
	m := &matrix{
		round: &consensus.Round{Number: r.Number, Items: items, Groups: groups,
			Panelists: make([]string, len(ids)), Group: make([]int, len(ids)), Submitted: make([]bool, len(ids)),
			Ratings: make([]int8, len(ids)*ni)},
		comments: map[string][]string{}, reasons: map[string][]string{}, placement: map[string]map[string]int{},
		placementGroups: map[string]map[string]map[string]int{},
	}
	for i := range m.round.Ratings {
		m.round.Ratings[i] = consensus.Missing
	}
	row := make(map[int64]int, len(ids))
	for k, id := range ids {
		p := panelByID[id]
		m.panel = append(m.panel, p)
		row[id] = k
		m.round.Panelists[k] = p.Pseudonym
		m.round.Group[k] = gi[p.Group]
		m.round.Submitted[k] = submitted[id]
	}
	// placements are counted per item index and option, then named once
	var options []string
	if def.Placement != nil {
		options = def.Placement.Options
	}
	placed := make([]int, ni*len(options))
	ng := len(groups)
	placedG := make([]int, ni*len(options)*ng)
	err = tx.ScanSubmitted(r.ID, func(a *store.SubmittedAnswers) error {
		k, ok := row[a.PanelistID]
		if !ok {
			return nil
		}
		line := m.round.Ratings[k*ni : (k+1)*ni]
		for _, x := range a.Ratings {
			i, ok := byPos[x.Position]
			if !ok {
				continue
			}
			switch {
			case x.Unable:
				line[i] = consensus.Unable
			case x.Rating >= 0:
				line[i] = int8(x.Rating)
			}
		}
		for _, x := range a.Placements {
			if i, ok := byPos[x.Position]; ok {
				if o := slices.Index(options, x.Text); o >= 0 {
					placed[i*len(options)+o]++
					placedG[(i*len(options)+o)*ng+m.round.Group[k]]++
				}
			}
		}
		for _, x := range a.Comments {
			if i, ok := byPos[x.Position]; ok {
				m.comments[items[i]] = append(m.comments[items[i]], x.Text)
			}
		}
		for _, x := range a.Reasons {
			if i, ok := byPos[x.Position]; ok {
				m.reasons[items[i]] = append(m.reasons[items[i]], x.Text)
			}
		}
		return nil
	})
	for i, id := range items {
		for o, opt := range options {
			if n := placed[i*len(options)+o]; n > 0 {
				if m.placement[id] == nil {
					m.placement[id] = map[string]int{}
				}
				m.placement[id][opt] = n
				for g, gid := range groups {
					if c := placedG[(i*len(options)+o)*ng+g]; c > 0 {
						if m.placementGroups[id] == nil {
							m.placementGroups[id] = map[string]map[string]int{}
						}
						if m.placementGroups[id][gid] == nil {
							m.placementGroups[id][gid] = map[string]int{}
						}
						m.placementGroups[id][gid][opt] = c
					}
				}
			}
		}
	}
	for _, c := range m.comments {
		sort.Strings(c)
	}
	for _, c := range m.reasons {
		sort.Strings(c)
	}
	return m, err
}

// CloseRound closes round n in one transaction: after it no answer to the round is accepted,
// and the snapshot holds exactly the answers accepted before it. Once committed, the snapshot
// is what Snapshot returns for the round (callers share it and must not change it), so the
// first report or feedback after a close does not decode what was just encoded.
func (s *Service) CloseRound(ctx context.Context, a Actor, studyID int64, n int) (*Snapshot, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	var snap *Snapshot
	var roundID int64
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		row, err := tx.Study(studyID)
		if err != nil {
			return notFound(err, "study %d does not exist", studyID)
		}
		st, err := s.study(row)
		if err != nil {
			return err
		}
		r, err := tx.Round(studyID, n)
		if err != nil {
			return notFound(err, "study %d has no round %d", studyID, n)
		}
		if r.State != "open" {
			return Errorf(EConflict, "", "round %d is already closed", n)
		}
		if _, err := tx.CloseRound(r.ID, a.StaffID); err != nil {
			return err
		}
		r.State, r.ClosedAt = "closed", tx.Now()
		roundID = r.ID
		snap, err = s.computeSnapshot(tx, st, r)
		if err != nil {
			return err
		}
		b, err := encodeSnapshot(snap)
		if err != nil {
			return err
		}
		if err := tx.PutSnapshot(r.ID, b); err != nil {
			return err
		}
		return tx.Audit(a.String(), "round.close", studyID, fmt.Sprintf(`{"round":%d,"submitted":%d,"invited":%d}`,
			n, snap.Participation.Submitted, snap.Participation.Invited))
	})
	if err != nil {
		return nil, err
	}
	d := &decodedSnapshot{done: make(chan struct{}), snap: snap}
	close(d.done)
	s.snaps.Put(roundID, d)
	return snap, nil
}

func (s *Service) computeSnapshot(tx *store.Tx, st *Study, r store.Round) (*Snapshot, error) {
	def := st.Def
	round := toRound(r)
	itemRows, err := tx.RoundItems(r.ID)
	if err != nil {
		return nil, err
	}
	items := roundItems(def, itemRows)
	panel, err := tx.Panelists(st.ID)
	if err != nil {
		return nil, err
	}
	byID := panelByID(panel)
	m, err := readMatrix(tx, def, r, itemRows, byID)
	if err != nil {
		return nil, err
	}
	scale, rule := scaleOf(def.Scale), ruleOf(round.Rule)
	snap := &Snapshot{StudyID: st.ID, StudyTitle: st.Title, SurveyID: st.SurveyID, Round: r.Number,
		OpenedAt: round.OpenedAt, ClosedAt: round.ClosedAt, Deadline: round.Deadline,
		Rule: round.Rule, RuleHash: r.RuleHash, RuleText: rule.String(), Scale: def.Scale, Groups: def.Groups,
		Items: items, Comments: m.comments, Reasons: m.reasons, Placement: m.placement, PlacementGroups: m.placementGroups,
		OutcomeRuleHash: r.OutcomeRuleHash, Software: "delphi " + Version,
		Result: consensus.ComputeRound(scale, rule, m.round)}
	if len(m.placementGroups) == 0 {
		snap.PlacementGroups = nil
	}
	if r.OutcomeRule != "" {
		var o survey.Outcome
		if err := json.Unmarshal([]byte(r.OutcomeRule), &o); err == nil {
			snap.OutcomeRule = &o
		}
	}
	chRows, err := tx.ItemChanges(r.ID)
	if err != nil {
		return nil, err
	}
	if len(chRows) > 0 {
		snap.Changes = itemChangesOf(chRows)
	}
	if len(snap.Placement) == 0 {
		snap.Placement = nil // as the stored snapshot decodes (omitempty): the one kept at close is the same
	}
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.SectionID] {
			seen[it.SectionID] = true
			sec := SnapshotSection{ID: it.SectionID}
			for _, ds := range def.Sections {
				if ds.ID == it.SectionID {
					sec.Label = ds.Label
				}
			}
			snap.Sections = append(snap.Sections, sec)
		}
	}
	snap.Participation = participation(m)
	if r.Number > 1 {
		prev, err := tx.Round(st.ID, r.Number-1)
		if err != nil {
			return nil, err
		}
		prevItems, err := tx.RoundItems(prev.ID)
		if err != nil {
			return nil, err
		}
		pm, err := readMatrix(tx, def, prev, prevItems, byID)
		if err != nil {
			return nil, err
		}
		snap.Stability = consensus.ComputeStabilityRules(scale, ruleOf(toRound(prev).Rule), rule, pm.round, m.round)
	}
	return snap, nil
}

func participation(m *matrix) Participation {
	var p Participation
	groups, countries := map[string]*ParticipationRow{}, map[string]*ParticipationRow{}
	var gk, ck []string
	for k, pl := range m.panel {
		sub := m.round.Submitted[k]
		p.Invited++
		g, ok := groups[pl.Group]
		if !ok {
			g = &ParticipationRow{Key: pl.Group}
			groups[pl.Group] = g
			gk = append(gk, pl.Group)
		}
		country := pl.Country
		if country == "" {
			country = "unknown"
		}
		c, ok := countries[country]
		if !ok {
			c = &ParticipationRow{Key: country}
			countries[country] = c
			ck = append(ck, country)
		}
		g.Invited++
		c.Invited++
		if sub {
			p.Submitted++
			g.Submitted++
			c.Submitted++
		}
	}
	sort.Strings(gk)
	sort.Strings(ck)
	for _, k := range gk {
		p.Groups = append(p.Groups, *groups[k])
	}
	for _, k := range ck {
		p.Countries = append(p.Countries, *countries[k])
	}
	return p
}

// Snapshot returns the stored snapshot of a closed round (decoded once, then cached: it never
// changes). Callers who ask while it is being decoded wait for that decoding rather than start
// their own: a room opening the report at once, or a panel opening round 2's feedback.
func (s *Service) Snapshot(ctx context.Context, studyID int64, n int) (*Snapshot, error) {
	r, err := s.st.Round(ctx, studyID, n)
	if err != nil {
		return nil, notFound(err, "study %d has no round %d", studyID, n)
	}
	if r.State != "closed" {
		return nil, Errorf(EConflict, "", "round %d is %s: results are available when it closes", n, r.State)
	}
	for {
		d := &decodedSnapshot{done: make(chan struct{})}
		d, loaded := s.snaps.LoadOrStore(r.ID, d)
		if !loaded {
			s.decodeStored(ctx, d, r.ID, n)
			return d.snap, d.err
		}
		select {
		case <-d.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if d.err == nil {
			return d.snap, nil
		}
		// the caller who decoded it failed (its request may have ended): try ourselves
	}
}

// snapshotIn returns closed round r's snapshot inside a transaction, which runs on the one
// writer: the decoded one of Service.snaps if it is there (kept since the close, or decoded for
// a reader), else it decodes the stored one rather than wait for a reader's decoding.
func (s *Service) snapshotIn(tx *store.Tx, r *store.Round) (*Snapshot, error) {
	if d, ok := s.snaps.Get(r.ID); ok {
		select {
		case <-d.done:
			if d.err == nil {
				return d.snap, nil
			}
		default:
		}
	}
	b, err := tx.Snapshot(r.ID)
	if err != nil {
		return nil, err
	}
	snap, err := decodeSnapshot(b)
	if err != nil {
		return nil, fmt.Errorf("round %d: %w", r.Number, err)
	}
	return snap, nil
}

// decodedSnapshot is a round's snapshot in Service.snaps: done is closed once snap or err is set.
type decodedSnapshot struct {
	done chan struct{}
	snap *Snapshot
	err  error
}

// decodeStored reads and decodes round roundID's snapshot into d. Whatever happens, d ends
// done, and dropped from the cache if it failed.
func (s *Service) decodeStored(ctx context.Context, d *decodedSnapshot, roundID int64, n int) {
	defer func() {
		if d.err == nil && d.snap == nil { // a panic on its way up
			d.err = fmt.Errorf("decode snapshot of round %d: failed", n)
		}
		if d.err != nil {
			s.snaps.DeleteIf(roundID, func(v *decodedSnapshot) bool { return v == d })
		}
		close(d.done)
	}()
	b, err := s.st.Snapshot(ctx, roundID)
	if err != nil {
		d.err = err
		return
	}
	if d.snap, err = decodeSnapshot(b); err != nil {
		d.snap, d.err = nil, fmt.Errorf("round %d: %w", n, err)
	}
}

// SnapshotJSON returns the stored snapshot bytes as written at close.
func (s *Service) SnapshotJSON(ctx context.Context, studyID int64, n int) ([]byte, error) {
	r, err := s.st.Round(ctx, studyID, n)
	if err != nil {
		return nil, notFound(err, "study %d has no round %d", studyID, n)
	}
	if r.State != "closed" {
		return nil, Errorf(EConflict, "", "round %d is %s: results are available when it closes", n, r.State)
	}
	return s.st.Snapshot(ctx, r.ID)
}

// encodeSnapshot writes a snapshot as it is stored. The options make the bytes what
// encoding/json wrote before this library was used (escapes for HTML and JavaScript, nil
// slices and maps as null, map keys sorted, omitempty as encoding/json reads it), so that old
// and new snapshots read alike and TestStoredSnapshotsRead can hold old ones to the byte.
func encodeSnapshot(snap *Snapshot) ([]byte, error) {
	b, err := json.Marshal(snap, json.FormatNilSliceAsNull(true), json.FormatNilMapAsNull(true), json.Deterministic(true),
		jsonv1.OmitEmptyWithLegacySemantics(true), jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true))
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return b, nil
}

// EncodeSnapshot writes a snapshot as it would be stored (a disclosed copy for an export).
func EncodeSnapshot(snap *Snapshot) ([]byte, error) { return encodeSnapshot(snap) }

// decodeSnapshot decodes a stored snapshot. It reads as encoding/json did where the library is
// stricter by default (a repeated name: the last counts; invalid UTF-8 becomes U+FFFD), which
// also spares it checking what encodeSnapshot cannot write.
func decodeSnapshot(b []byte) (*Snapshot, error) {
	snap := new(Snapshot)
	if err := json.Unmarshal(b, snap, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return snap, nil
}
