package delphi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cart-cd/delphi/internal/store"
)

// Limits on free text from experts.
const (
	MaxComment = 2000
	MaxReason  = 1000
	MaxAnswers = 1000 // per save
)

// Answer is an expert's answer to one item.
type Answer struct {
	Item      string `json:"item"`
	Rating    *int   `json:"rating"`
	Unable    bool   `json:"unable"`
	Placement string `json:"placement,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Reason    string `json:"reason,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"`
}

// Answered reports whether the answer gives a rating or "unable to score".
func (a Answer) Answered() bool { return a.Rating != nil || a.Unable }

// Questionnaire is what an expert sees of their current round.
type Questionnaire struct {
	Study       *Study
	Round       *Round // nil before round 1 opens
	Items       []RoundItem
	Answers     map[string]Answer
	SubmittedAt time.Time
	Editable    bool // the round is open and the expert is invited to it
	Consented   bool
	// Feedback per item, from the previous round's snapshot; nil in round 1.
	Feedback map[string]*ItemFeedback
	// PrevRound is the round the feedback comes from (0 in round 1).
	PrevRound int
}

// Answered counts items with a rating or "unable".
func (q *Questionnaire) Answered() int {
	n := 0
	for _, it := range q.Items {
		if q.Answers[it.ID].Answered() {
			n++
		}
	}
	return n
}

// Unanswered lists the items without a rating or "unable".
func (q *Questionnaire) Unanswered() []RoundItem {
	var out []RoundItem
	for _, it := range q.Items {
		if !q.Answers[it.ID].Answered() {
			out = append(out, it)
		}
	}
	return out
}

// expertRound returns the latest round the expert is invited to, as Expert read it.
func (s *Service) expertRound(ctx context.Context, e *Expert) (*Round, error) {
	if e.read {
		return e.round, nil
	}
	r, _, err := s.latestRoundOf(ctx, e)
	return r, err
}

// latestRoundOf reads the latest round the expert is invited to, and when they first opened it
// ("" for not yet): one indexed lookup per round (usually one in all).
func (s *Service) latestRoundOf(ctx context.Context, e *Expert) (*Round, string, error) {
	st := e.Study
	for i := len(st.Rounds) - 1; i >= 0; i-- {
		in, opened, err := s.st.RoundOpening(ctx, st.Rounds[i].ID, e.Panelist.ID)
		if err != nil {
			return nil, "", err
		}
		if in {
			return &st.Rounds[i], opened, nil
		}
	}
	return nil, "", nil
}

// Questionnaire returns the expert's current round with their answers and the feedback.
func (s *Service) Questionnaire(ctx context.Context, e *Expert) (*Questionnaire, error) {
	q := &Questionnaire{Study: e.Study, Answers: map[string]Answer{}, Consented: e.Panelist.Consented}
	r, err := s.expertRound(ctx, e)
	if err != nil || r == nil {
		return q, err
	}
	q.Round = r
	if q.Items, err = s.Items(ctx, e.Study, r); err != nil {
		return nil, err
	}
	rows, err := s.st.Answers(ctx, r.ID, e.Panelist.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range rows {
		q.Answers[a.ItemID] = toAnswer(a)
	}
	sub, err := s.st.SubmittedAt(ctx, r.ID, e.Panelist.ID)
	if err != nil {
		return nil, err
	}
	q.SubmittedAt = store.ParseTime(sub)
	q.Editable = r.Open() && e.Study.State == "active"
	if r.Number > 1 {
		prev := e.Study.Round(r.Number - 1)
		if prev != nil && prev.State == "closed" {
			q.PrevRound = prev.Number
			if q.Feedback, err = s.feedback(ctx, e, prev, r, q.Items); err != nil {
				return nil, err
			}
		}
	}
	return q, nil
}

func toAnswer(a store.Answer) Answer {
	return Answer{Item: a.ItemID, Rating: a.Rating, Unable: a.Unable, Placement: a.Placement, Comment: a.Comment,
		Reason: a.Reason, UpdatedAt: a.UpdatedAt}
}

// Consent records the expert's consent (once; the first time stays) to the consent text named
// by version (a hash of the text they were shown, in their language).
func (s *Service) Consent(ctx context.Context, e *Expert, version string) error {
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetConsent(e.Panelist.ID, version); err != nil {
			return err
		}
		e.Panelist.Consented = true
		return tx.Audit(e.Actor().String(), "panelist.consent", e.Study.ID, jsonObject("version", version))
	})
}

// roundReader reads rounds in a transaction (store.Tx and store.AnswerTx).
type roundReader interface {
	Round(studyID int64, n int) (store.Round, error)
	InRound(roundID, panelistID int64) (bool, error)
}

func closedRound(n int) error {
	return Errorf(EConflict, "", "round %d is closed: answers can no longer be changed", n)
}

// openRoundFor checks, inside a transaction, that the expert may answer round r now.
func (s *Service) openRoundFor(tx roundReader, e *Expert, roundNumber int) (store.Round, error) {
	r, err := tx.Round(e.Study.ID, roundNumber)
	if err != nil {
		return r, notFound(err, "round %d does not exist", roundNumber)
	}
	if r.State != "open" {
		return r, closedRound(r.Number)
	}
	in, err := tx.InRound(r.ID, e.Panelist.ID)
	if err != nil {
		return r, err
	}
	if !in {
		return r, Errorf(EForbidden, "", "you are not invited to round %d", r.Number)
	}
	return r, nil
}

// SaveAnswers saves answers to the expert's open round, all or nothing. Each answer replaces
// that item's whole answer (rating or unable, placement, comment, reason), so saving the same
// request twice changes nothing. Items not listed are left as they are.
func (s *Service) SaveAnswers(ctx context.Context, e *Expert, answers []Answer) (*Round, error) {
	if !e.Panelist.Consented {
		return nil, Errorf(EForbidden, "", "please give your consent on the welcome page before answering")
	}
	if len(answers) == 0 {
		return nil, Errorf(EInvalid, "answers", "no answers given")
	}
	if len(answers) > MaxAnswers {
		return nil, Errorf(ETooLarge, "answers", "more than %d answers in one save", MaxAnswers)
	}
	cur, err := s.expertRound(ctx, e)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, Errorf(EConflict, "", "no round is open")
	}
	def := e.Study.Def
	// Checked here rather than in the transaction: the writer is shared by every save, and a
	// round's items never change once it is open.
	ri, err := s.roundItemsOf(func(id int64) ([]store.RoundItem, error) { return s.st.RoundItems(ctx, id) }, def, cur.ID)
	if err != nil {
		return nil, err
	}
	rows := make([]store.Answer, 0, len(answers))
	seen := make(map[string]bool, len(answers))
	for i, a := range answers {
		if _, ok := ri.index[a.Item]; !ok {
			return nil, Errorf(EInvalid, answerField(i, "item"), "item %q is not in round %d", a.Item, cur.Number)
		}
		if seen[a.Item] {
			return nil, Errorf(EInvalid, answerField(i, "item"), "item %q appears twice", a.Item)
		}
		seen[a.Item] = true
		if a.Rating != nil && (*a.Rating < def.Scale.Min || *a.Rating > def.Scale.Max) {
			return nil, Errorf(EInvalid, answerField(i, "rating"), "rating %d is outside the scale %d–%d", *a.Rating, def.Scale.Min, def.Scale.Max)
		}
		if a.Rating != nil && a.Unable {
			return nil, Errorf(EInvalid, answerField(i, "unable"), "give a rating or \"unable to score\", not both")
		}
		if a.Placement != "" && (def.Placement == nil || !contains(def.Placement.Options, a.Placement)) {
			return nil, Errorf(EInvalid, answerField(i, "placement"), "%q is not a placement option", a.Placement)
		}
		a.Comment = strings.TrimSpace(a.Comment)
		a.Reason = strings.TrimSpace(a.Reason)
		if !utf8.ValidString(a.Comment) || !utf8.ValidString(a.Reason) {
			return nil, Errorf(EInvalid, answerField(i, "comment"), "text is not valid UTF-8")
		}
		if utf8.RuneCountInString(a.Comment) > MaxComment {
			return nil, Errorf(EInvalid, answerField(i, "comment"), "comment is longer than %d characters", MaxComment)
		}
		if utf8.RuneCountInString(a.Reason) > MaxReason {
			return nil, Errorf(EInvalid, answerField(i, "reason"), "reason is longer than %d characters", MaxReason)
		}
		rows = append(rows, store.Answer{RoundID: cur.ID, PanelistID: e.Panelist.ID, ItemID: a.Item, Rating: a.Rating,
			Unable: a.Unable, Placement: a.Placement, Comment: a.Comment, Reason: a.Reason})
	}
	err = s.st.InAnswerTx(ctx, func(tx *store.AnswerTx) error {
		if err := s.stillOpen(tx, e, cur); err != nil {
			return err
		}
		return tx.UpsertAnswers(rows)
	})
	if err != nil {
		return nil, err
	}
	return cur, nil
}

// stillOpen checks, in the writer, that the expert may still answer round cur. The round was
// open and the expert in it when Expert read them; if nothing but experts' answers and
// submissions has been written since (the store's Meta is unchanged), that still holds.
// Otherwise, e.g. a close racing this unit, it reads them again.
func (s *Service) stillOpen(tx *store.AnswerTx, e *Expert, cur *Round) error {
	if e.read && tx.Meta() == e.meta {
		if !cur.Open() {
			return closedRound(cur.Number)
		}
		return nil
	}
	_, err := s.openRoundFor(tx, e, cur.Number)
	return err
}

// answerField names a field of the i-th answer of a save, for errors.
func answerField(i int, name string) string { return "answers[" + strconv.Itoa(i) + "]." + name }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Submit marks the expert's round submitted. They may still change answers until it closes.
func (s *Service) Submit(ctx context.Context, e *Expert) (time.Time, error) {
	if !e.Panelist.Consented {
		return time.Time{}, Errorf(EForbidden, "", "please give your consent on the welcome page before answering")
	}
	cur, err := s.expertRound(ctx, e)
	if err != nil {
		return time.Time{}, err
	}
	if cur == nil {
		return time.Time{}, Errorf(EConflict, "", "no round is open")
	}
	err = s.st.InAnswerTx(ctx, func(tx *store.AnswerTx) error {
		if err := s.stillOpen(tx, e, cur); err != nil {
			return err
		}
		if err := tx.Submit(cur.ID, e.Panelist.ID); err != nil {
			return err
		}
		return tx.Audit(e.Actor().String(), "round.submit", e.Study.ID, fmt.Sprintf(`{"round":%d}`, cur.Number))
	})
	if err != nil {
		return time.Time{}, err
	}
	sub, err := s.st.SubmittedAt(ctx, cur.ID, e.Panelist.ID)
	return store.ParseTime(sub), err
}

// Suggestion is an item proposed by an expert.
type Suggestion struct {
	ID         int64     `json:"id"`
	Round      int       `json:"round"`
	PanelistID int64     `json:"panelist_id,omitempty"`
	Label      string    `json:"label"`
	Rationale  string    `json:"rationale"`
	CreatedAt  time.Time `json:"created_at"`
	Status     string    `json:"status"`
	ItemID     string    `json:"item_id,omitempty"`
	Note       string    `json:"note,omitempty"`
}

// Suggest stores an expert's suggestion of a missing item (in round 1).
func (s *Service) Suggest(ctx context.Context, e *Expert, label, rationale string) (Suggestion, error) {
	label, rationale = strings.TrimSpace(label), strings.TrimSpace(rationale)
	switch {
	case label == "":
		return Suggestion{}, Errorf(EInvalid, "label", "name the parameter you suggest")
	case utf8.RuneCountInString(label) > 300:
		return Suggestion{}, Errorf(EInvalid, "label", "the name is longer than 300 characters")
	case utf8.RuneCountInString(rationale) > MaxComment:
		return Suggestion{}, Errorf(EInvalid, "rationale", "the reason is longer than %d characters", MaxComment)
	case !utf8.ValidString(label) || !utf8.ValidString(rationale):
		return Suggestion{}, Errorf(EInvalid, "label", "text is not valid UTF-8")
	}
	cur, err := s.expertRound(ctx, e)
	if err != nil {
		return Suggestion{}, err
	}
	if cur == nil || cur.Number != 1 {
		return Suggestion{}, Errorf(EConflict, "", "suggestions are taken in round 1")
	}
	var id int64
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.openRoundFor(tx, e, cur.Number)
		if err != nil {
			return err
		}
		id, err = tx.AddSuggestion(store.Suggestion{StudyID: e.Study.ID, RoundID: r.ID, PanelistID: e.Panelist.ID, Label: label, Rationale: rationale})
		if err != nil {
			return err
		}
		return tx.Audit(e.Actor().String(), "suggestion.add", e.Study.ID, fmt.Sprintf(`{"suggestion":%d}`, id))
	})
	if err != nil {
		return Suggestion{}, err
	}
	return Suggestion{ID: id, Round: cur.Number, Label: label, Rationale: rationale, CreatedAt: s.now().UTC(), Status: "new"}, nil
}

// MySuggestions lists what the expert has suggested.
func (s *Service) MySuggestions(ctx context.Context, e *Expert) ([]Suggestion, error) {
	rows, err := s.st.PanelistSuggestions(ctx, e.Panelist.ID)
	if err != nil {
		return nil, err
	}
	out := make([]Suggestion, len(rows))
	for i, r := range rows {
		out[i] = Suggestion{ID: r.ID, Label: r.Label, Rationale: r.Rationale, CreatedAt: store.ParseTime(r.CreatedAt), Status: r.Status}
	}
	return out, nil
}
