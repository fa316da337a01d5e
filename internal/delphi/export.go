package delphi

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cart-cd/delphi/internal/store"
)

// RawAnswer is one pseudonymous answer of a closed round, for the raw answers export: one per
// submitter and item of the round, so that a missing answer is a row too. It never carries
// names, emails or comments.
type RawAnswer struct {
	Panelist  string // pseudonym: the round's (R2-…) or, in the linked export, the study's (P-…)
	Group     string
	Item      string
	Round     int
	Rating    int // 1..max; 0 when not rated (unable or missing)
	Unable    bool
	Placement string
}

// RawAnswers returns the answers of the panelists who submitted round n of a study, in
// pseudonym then round-item order. Unless linked, each panelist has a pseudonym of this round
// only, so that rows of two rounds cannot be joined into one person's profile (with group and
// country, a few answers may single someone out); linked uses the study's pseudonyms, which
// facilitators need to follow a panelist across rounds (stability, reproducing it in R). The round must be closed: its answers can no longer change,
// so the export is as immutable as the round's snapshot. A panelist's group is read from the
// panel as it is now (groups are fixed at import in practice; the snapshot holds the counts).
func (s *Service) RawAnswers(ctx context.Context, studyID int64, n int, linked bool) ([]RawAnswer, error) {
	r, err := s.st.Round(ctx, studyID, n)
	if err != nil {
		return nil, notFound(err, "study %d has no round %d", studyID, n)
	}
	if r.State != "closed" {
		return nil, Errorf(EConflict, "", "round %d is %s: its answers are exported when it closes", n, r.State)
	}
	items, err := s.st.RoundItems(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	subs, err := s.st.Submissions(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	panel, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return nil, err
	}
	byID := panelByID(panel)
	ni := len(items)
	pos := make(map[string]int, ni)
	for i, it := range items {
		pos[it.ItemID] = i
	}
	row := make(map[int64]int, len(subs))
	out := make([]RawAnswer, 0, len(subs)*ni)
	name := make(map[int64]string, len(subs))
	for _, sb := range subs {
		name[sb.PanelistID] = byID[sb.PanelistID].Pseudonym
		if !linked {
			name[sb.PanelistID] = s.signer.RoundPseudonym(studyID, int64(n), sb.PanelistID)
		}
	}
	// in pseudonym order: the order of submission or import would tell something
	slices.SortFunc(subs, func(a, b store.Submission) int { return strings.Compare(name[a.PanelistID], name[b.PanelistID]) })
	for _, sb := range subs {
		p := byID[sb.PanelistID]
		row[sb.PanelistID] = len(out)
		for _, it := range items {
			out = append(out, RawAnswer{Panelist: name[sb.PanelistID], Group: p.Group, Item: it.ItemID, Round: n})
		}
	}
	err = s.st.ScanAnswers(ctx, r.ID, func(a *store.Answer) error {
		base, ok := row[a.PanelistID]
		if !ok {
			return nil // invited but did not submit: outside the round's counts
		}
		i, ok := pos[a.ItemID]
		if !ok {
			return nil
		}
		ra := &out[base+i]
		ra.Placement = a.Placement
		switch {
		case a.Unable:
			ra.Unable = true
		case a.Rating != nil:
			ra.Rating = *a.Rating
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// AuditExport records that someone exported data of a study's round (file names the export).
func (s *Service) AuditExport(ctx context.Context, a Actor, studyID int64, n int, file string) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(a.String(), "report.export", studyID, fmt.Sprintf(`{"round":%d,"file":%q}`, n, file))
	})
}
