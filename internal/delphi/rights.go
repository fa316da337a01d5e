package delphi

import (
	"context"
	"time"

	"github.com/cart-cd/delphi/internal/store"
)

// ExpertData is everything stored about an expert, as they download it (GDPR art. 15, 20):
// who they are on the panel, their consent, their links, their answers in every round and their
// suggestions. Nothing of any other panelist.
type ExpertData struct {
	Study       string            `json:"study"`
	ExportedAt  time.Time         `json:"exported_at"`
	Panelist    ExpertDataPerson  `json:"panelist"`
	Invitations []ExpertDataLink  `json:"invitations"`
	Rounds      []ExpertDataRound `json:"rounds"`
	Suggestions []ExpertDataIdea  `json:"suggestions"`
}

// ExpertDataPerson is the panel's record of the expert.
type ExpertDataPerson struct {
	Pseudonym      string     `json:"pseudonym"`
	Name           string     `json:"name"`
	Email          string     `json:"email"`
	Group          string     `json:"group"`
	Country        string     `json:"country"`
	Language       string     `json:"language"`
	AddedAt        time.Time  `json:"added_at"`
	ConsentAt      *time.Time `json:"consent_at"`
	ConsentVersion string     `json:"consent_version,omitempty"`
	WithdrawnAt    *time.Time `json:"withdrawn_at,omitempty"`
	Withdrawal     string     `json:"withdrawal,omitempty"`
}

// ExpertDataLink is one invitation link (its id, never its token).
type ExpertDataLink struct {
	ID        string     `json:"id"`
	IssuedAt  time.Time  `json:"issued_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ExpertDataRound is the expert's answers in one round.
type ExpertDataRound struct {
	Round       int        `json:"round"`
	State       string     `json:"state"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	Answers     []Answer   `json:"answers"`
}

// ExpertDataIdea is a suggestion the expert made, with what became of it.
type ExpertDataIdea struct {
	Label     string    `json:"label"`
	Rationale string    `json:"rationale"`
	CreatedAt time.Time `json:"created_at"`
	Status    string    `json:"status"`
	Note      string    `json:"note,omitempty"`
}

func timep(s string) *time.Time {
	if s == "" {
		return nil
	}
	t := store.ParseTime(s)
	return &t
}

// ExpertData gathers everything stored about the expert. The download is audited.
func (s *Service) ExpertData(ctx context.Context, e *Expert) (ExpertData, error) {
	p, err := s.st.Panelist(ctx, e.Panelist.ID)
	if err != nil {
		return ExpertData{}, err
	}
	out := ExpertData{Study: e.Study.Title, ExportedAt: s.now().UTC().Truncate(time.Second),
		Panelist: ExpertDataPerson{Pseudonym: p.Pseudonym, Name: p.Name, Email: p.Email, Group: p.Group, Country: p.Country,
			Language: p.Language, AddedAt: store.ParseTime(p.CreatedAt), ConsentAt: timep(p.ConsentAt), ConsentVersion: p.ConsentVersion,
			WithdrawnAt: timep(p.WithdrawnAt), Withdrawal: p.Withdrawal},
		Invitations: []ExpertDataLink{}, Rounds: []ExpertDataRound{}, Suggestions: []ExpertDataIdea{}}
	invs, err := s.st.PanelistInvitations(ctx, p.ID)
	if err != nil {
		return ExpertData{}, err
	}
	for _, inv := range invs {
		out.Invitations = append(out.Invitations, ExpertDataLink{ID: inv.ID, IssuedAt: store.ParseTime(inv.IssuedAt),
			ExpiresAt: store.ParseTime(inv.ExpiresAt), RevokedAt: timep(inv.RevokedAt)})
	}
	rounds, err := s.st.Rounds(ctx, e.Study.ID)
	if err != nil {
		return ExpertData{}, err
	}
	for _, r := range rounds {
		as, err := s.st.Answers(ctx, r.ID, p.ID)
		if err != nil {
			return ExpertData{}, err
		}
		sub, err := s.st.SubmittedAt(ctx, r.ID, p.ID)
		if err != nil {
			return ExpertData{}, err
		}
		if len(as) == 0 && sub == "" {
			continue
		}
		er := ExpertDataRound{Round: r.Number, State: r.State, SubmittedAt: timep(sub), Answers: make([]Answer, len(as))}
		for i, a := range as {
			er.Answers[i] = toAnswer(a)
		}
		out.Rounds = append(out.Rounds, er)
	}
	ideas, err := s.st.PanelistSuggestions(ctx, p.ID)
	if err != nil {
		return ExpertData{}, err
	}
	for _, sg := range ideas {
		out.Suggestions = append(out.Suggestions, ExpertDataIdea{Label: sg.Label, Rationale: sg.Rationale,
			CreatedAt: store.ParseTime(sg.CreatedAt), Status: sg.Status, Note: sg.Note})
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(e.Actor().String(), "panelist.data_export", e.Study.ID, "")
	})
	return out, err
}
