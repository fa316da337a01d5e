package delphi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/store"
)

// Link is an issued invite link.
type Link struct {
	InvitationID string    `json:"invitation_id"`
	PanelistID   int64     `json:"panelist_id"`
	Pseudonym    string    `json:"pseudonym"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Token        string    `json:"token"`
	URL          string    `json:"url"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// IssueInvitations issues a fresh link for every panelist invited to round n (or only those in
// only, when given). Re-issuing revokes a panelist's older links. baseURL prefixes "/r/{token}".
func (s *Service) IssueInvitations(ctx context.Context, a Actor, studyID int64, n int, only []int64, baseURL string) ([]Link, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	var links []Link
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := s.activeStudy(tx, studyID); err != nil {
			return err
		}
		r, err := tx.Round(studyID, n)
		if err != nil {
			return notFound(err, "study %d has no round %d", studyID, n)
		}
		if r.State != "open" {
			return Errorf(EConflict, "", "round %d is %s: links are issued for an open round", n, r.State)
		}
		ids, err := tx.RoundPanelists(r.ID)
		if err != nil {
			return err
		}
		if len(only) > 0 {
			in := map[int64]bool{}
			for _, id := range ids {
				in[id] = true
			}
			for i, id := range only {
				if !in[id] {
					return Errorf(EInvalid, fmt.Sprintf("panelists[%d]", i), "panelist %d is not invited to round %d", id, n)
				}
			}
			ids = only
		}
		expires := s.now().Add(s.InviteTTL).Truncate(time.Second)
		if d := store.ParseTime(r.Deadline); !d.IsZero() && d.Add(90*24*time.Hour).Before(expires) {
			// links outlive the deadline so that experts can read their answers after close
			expires = d.Add(90 * 24 * time.Hour).Truncate(time.Second)
		}
		for _, id := range ids {
			p, err := tx.Panelist(id)
			if err != nil {
				return err
			}
			if p.WithdrawnAt != "" {
				continue
			}
			inv := auth.Invite{ID: auth.NewID(), StudyID: studyID, PanelistID: id, Expires: expires}
			tok, err := s.signer.SignInvite(inv)
			if err != nil {
				return fmt.Errorf("sign invite: %w", err)
			}
			if err := tx.IssueInvitation(store.Invitation{ID: inv.ID, StudyID: studyID, PanelistID: id,
				ExpiresAt: store.FormatTime(expires)}, a.StaffID); err != nil {
				return err
			}
			links = append(links, Link{InvitationID: inv.ID, PanelistID: id, Pseudonym: p.Pseudonym, Name: p.Name,
				Email: p.Email, Token: tok, URL: strings.TrimRight(baseURL, "/") + "/r/" + tok, ExpiresAt: expires})
		}
		return tx.Audit(a.String(), "invitations.issue", studyID, fmt.Sprintf(`{"round":%d,"count":%d}`, n, len(links)))
	})
	return links, err
}

// RevokeInvitation makes one link stop working at once.
func (s *Service) RevokeInvitation(ctx context.Context, a Actor, id string) error {
	if err := a.mustRun(); err != nil {
		return err
	}
	// the route names no study: check the invitation's, as routes with one are checked
	if inv, err := s.st.Invitation(ctx, id); err == nil {
		b, err := s.StudyAccess(ctx, a, inv.StudyID)
		if err != nil {
			return Errorf(ENotFound, "", "invitation %q does not exist", id)
		}
		if err := b.mustRun(); err != nil {
			return err
		}
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		inv, err := tx.Invitation(id)
		if err != nil {
			return notFound(err, "invitation %q does not exist", id)
		}
		n, err := tx.RevokeInvitation(id)
		if err != nil {
			return err
		}
		if n == 0 {
			return Errorf(EConflict, "", "invitation %q is already revoked", id)
		}
		return tx.Audit(a.String(), "invitation.revoke", inv.StudyID, fmt.Sprintf(`{"invitation":%q,"panelist":%d}`, id, inv.PanelistID))
	})
}

// Expert is a panelist identified by a valid invite link.
type Expert struct {
	Study        *Study
	Panelist     Panelist
	InvitationID string

	// what Expert read besides, at store Meta meta (when read is set): the latest round the
	// expert is invited to (nil for none)
	read  bool
	meta  uint64
	round *Round
}

// Actor returns the expert as an actor.
func (e *Expert) Actor() Actor { return Actor{PanelistID: e.Panelist.ID} }

// Link errors, each with a message the expert can act on. Expert returns exactly these values,
// so pages can tell them apart with errors.Is.
var (
	ErrLinkInvalid = Errorf(EUnauthorized, "", "this link is not valid: it may have been copied incompletely")
	ErrLinkExpired = Errorf(EGone, "", "this link has expired")
	ErrLinkRevoked = Errorf(EGone, "", "this link has been replaced or withdrawn; use the newest link you received")
	ErrWithdrawn   = Errorf(EGone, "", "you are no longer on this study's panel")
)

// Expert checks an invite token: signature and algorithm, expiry, that it was neither revoked nor
// replaced, and that the panelist is still on the panel. Every request checks again, so revoking
// a link takes effect at once.
func (s *Service) Expert(ctx context.Context, token string) (*Expert, error) {
	claims, err := s.signer.ParseInvite(token)
	switch {
	case errors.Is(err, auth.ErrExpired):
		return nil, ErrLinkExpired
	case err != nil:
		return nil, ErrLinkInvalid
	}
	// Every request of every expert comes here: what it reads is kept while the store's Meta
	// holds (answer saves do not move it; revoking, withdrawing, closing a round do).
	meta := s.st.Meta()
	if c, ok := s.experts.Get(claims.ID); ok && c.meta == meta && c.Study.ID == claims.StudyID && c.Panelist.ID == claims.PanelistID {
		return c.clone(), nil
	}
	inv, err := s.st.Invitation(ctx, claims.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrLinkInvalid // signed by us but unknown: a database restored from before it was issued
	}
	if err != nil {
		return nil, err
	}
	if inv.StudyID != claims.StudyID || inv.PanelistID != claims.PanelistID {
		return nil, ErrLinkInvalid
	}
	p, err := s.st.Panelist(ctx, claims.PanelistID)
	if err != nil {
		return nil, ErrLinkInvalid
	}
	if p.WithdrawnAt != "" { // before revocation: withdrawing also revokes the links
		return nil, ErrWithdrawn
	}
	if inv.RevokedAt != "" {
		return nil, ErrLinkRevoked
	}
	st, err := s.Study(ctx, claims.StudyID)
	if err != nil {
		return nil, err
	}
	e := &Expert{Study: st, Panelist: toPanelist(p), InvitationID: inv.ID}
	var opened string
	if e.round, opened, err = s.latestRoundOf(ctx, e); err != nil {
		return nil, err
	}
	openRound := e.round != nil && e.round.State == "open" && opened == ""
	if inv.OpenedAt == "" || openRound {
		// the first use of the link, of the round: for the round page. An answer unit, so Meta
		// and the caches read against it hold, and the expert cached below knows it is done.
		err := s.st.InAnswerTx(ctx, func(tx *store.AnswerTx) error {
			if openRound {
				if err := tx.OpenRound(e.round.ID, e.Panelist.ID); err != nil {
					return err
				}
			}
			return tx.OpenInvitation(inv.ID)
		})
		if err != nil {
			return nil, fmt.Errorf("record the link's first use: %w", err)
		}
	}
	e.read, e.meta = true, meta
	s.experts.Put(claims.ID, e.clone())
	return e, nil
}

// clone copies an expert, study and rounds included, so that callers may change their copy
// (Consent marks its panelist consented).
func (e *Expert) clone() *Expert {
	c := *e
	c.Study = e.Study.clone()
	if e.round != nil {
		for i := range c.Study.Rounds {
			if c.Study.Rounds[i].ID == e.round.ID {
				c.round = &c.Study.Rounds[i]
			}
		}
	}
	return &c
}

// LinkHelp says, for a refused link that this server signed (expired, revoked, replaced, or of a
// withdrawn panelist), whom the expert should contact and in which language to say so. A forged
// or mangled token gets nothing: its claims cannot be trusted.
func (s *Service) LinkHelp(ctx context.Context, token string) (contact, contactName, lang string) {
	claims, err := s.signer.ParseInvite(token)
	if err != nil && !errors.Is(err, auth.ErrExpired) {
		return "", "", ""
	}
	inv, err := s.st.Invitation(ctx, claims.ID)
	if err != nil || inv.StudyID != claims.StudyID || inv.PanelistID != claims.PanelistID {
		return "", "", ""
	}
	if p, err := s.st.Panelist(ctx, claims.PanelistID); err == nil {
		lang = p.Language
	}
	if st, err := s.Study(ctx, claims.StudyID); err == nil {
		contact, contactName = st.Contact, st.ContactName
	}
	return contact, contactName, lang
}
