package delphi

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/store"
)

// mailTexts are the invitation and reminder emails per language (English is the fallback).
// Plain text: nothing in them is interpreted as HTML by mail clients.
var mailTexts = map[string]map[string][2]string{
	"invitation": {
		"en": {"Invitation: {{.Study}} – round {{.Round}}", "Dear {{.Name}},\n\nYou are invited to round {{.Round}} of the Delphi study \"{{.Study}}\".\n\nYour personal link (do not share it):\n{{.URL}}\n{{if .Deadline}}\nPlease answer by {{.Deadline}}.\n{{end}}\nYour answers are saved as you go; you can come back with the same link until the round closes.\n\nQuestions: {{.Contact}}\n"},
		"de": {"Einladung: {{.Study}} – Runde {{.Round}}", "Guten Tag {{.Name}},\n\nSie sind zu Runde {{.Round}} der Delphi-Studie \"{{.Study}}\" eingeladen.\n\nIhr persönlicher Link (bitte nicht weitergeben):\n{{.URL}}\n{{if .Deadline}}\nBitte antworten Sie bis {{.Deadline}}.\n{{end}}\nIhre Antworten werden laufend gespeichert; mit demselben Link können Sie bis zum Ende der Runde zurückkehren.\n\nFragen: {{.Contact}}\n"},
		"fr": {"Invitation : {{.Study}} – tour {{.Round}}", "Bonjour {{.Name}},\n\nVous êtes invité(e) au tour {{.Round}} de l'étude Delphi « {{.Study}} ».\n\nVotre lien personnel (ne le partagez pas) :\n{{.URL}}\n{{if .Deadline}}\nMerci de répondre avant le {{.Deadline}}.\n{{end}}\nVos réponses sont enregistrées au fur et à mesure ; vous pouvez revenir avec le même lien jusqu'à la clôture du tour.\n\nQuestions : {{.Contact}}\n"},
	},
	"reminder": {
		"en": {"Reminder: {{.Study}} – round {{.Round}}", "Dear {{.Name}},\n\nThis is a reminder that round {{.Round}} of \"{{.Study}}\" is open and we have not yet received your answers.\n\nYour personal link:\n{{.URL}}\n{{if .Deadline}}\nThe round closes on {{.Deadline}}.\n{{end}}\nQuestions: {{.Contact}}\n"},
		"de": {"Erinnerung: {{.Study}} – Runde {{.Round}}", "Guten Tag {{.Name}},\n\nRunde {{.Round}} von \"{{.Study}}\" ist geöffnet und Ihre Antworten fehlen uns noch.\n\nIhr persönlicher Link:\n{{.URL}}\n{{if .Deadline}}\nDie Runde endet am {{.Deadline}}.\n{{end}}\nFragen: {{.Contact}}\n"},
		"fr": {"Rappel : {{.Study}} – tour {{.Round}}", "Bonjour {{.Name}},\n\nLe tour {{.Round}} de « {{.Study}} » est ouvert et nous n'avons pas encore reçu vos réponses.\n\nVotre lien personnel :\n{{.URL}}\n{{if .Deadline}}\nLe tour se termine le {{.Deadline}}.\n{{end}}\nQuestions : {{.Contact}}\n"},
	},
}

type mailData struct {
	Name, Study, URL, Deadline, Contact string
	Round                               int
}

// deadlineText is a deadline as emails write it: in the study's zone and the reader's language,
// naming the zone ("4. Dezember 2026, 18:00 CET (Europe/Berlin)"); "" for none.
func deadlineText(t time.Time, zone *time.Location, lang string) string {
	d := i18n.Dates{Zone: zone, Lang: lang}
	s := d.DateTime(t)
	if s != "" && d.ZoneName() != "UTC" {
		s += " (" + d.ZoneName() + ")"
	}
	return s
}

func renderMail(kind, lang string, d mailData) (subject, body string, err error) {
	texts := mailTexts[kind]
	t, ok := texts[lang]
	if !ok {
		t = texts["en"]
	}
	var out [2]string
	for i, src := range t {
		tpl, err := template.New(kind).Parse(src)
		if err != nil {
			return "", "", err
		}
		var b bytes.Buffer
		if err := tpl.Execute(&b, d); err != nil {
			return "", "", err
		}
		out[i] = b.String()
	}
	return strings.ReplaceAll(out[0], "\n", " "), out[1], nil
}

// QueueMail puts an invitation or reminder email for each link into the outbox.
func (s *Service) QueueMail(ctx context.Context, a Actor, studyID int64, n int, kind string, links []Link) (int, error) {
	if err := a.mustRun(); err != nil {
		return 0, err
	}
	if _, ok := mailTexts[kind]; !ok {
		return 0, Errorf(EInvalid, "kind", "unknown message kind %q", kind)
	}
	st, err := s.Study(ctx, studyID)
	if err != nil {
		return 0, err
	}
	r := st.Round(n)
	if r == nil {
		return 0, Errorf(ENotFound, "", "study %d has no round %d", studyID, n)
	}
	contact := st.Contact
	switch {
	case contact == "":
		contact = "the study team"
	case st.ContactName != "":
		contact = st.ContactName + " <" + contact + ">"
	}
	panel, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return 0, err
	}
	lang := map[int64]string{}
	for _, p := range panel {
		lang[p.ID] = p.Language
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		for _, l := range links {
			subj, body, err := renderMail(kind, lang[l.PanelistID], mailData{Name: l.Name, Study: st.Title, URL: l.URL,
				Deadline: deadlineText(r.Deadline, st.Zone, lang[l.PanelistID]), Contact: contact, Round: n})
			if err != nil {
				return fmt.Errorf("render %s: %w", kind, err)
			}
			if _, err := tx.QueueMessage(store.Message{StudyID: studyID, PanelistID: l.PanelistID, RoundID: r.ID, Kind: kind,
				To: l.Email, Subject: subj, Body: body}); err != nil {
				return err
			}
		}
		return tx.Audit(a.String(), "mail.queue", studyID, fmt.Sprintf(`{"round":%d,"kind":%q,"count":%d}`, n, kind, len(links)))
	})
	return len(links), err
}

// ReminderLinks returns the links for a reminder: the invited panelists who have not submitted
// round n, each with the link they already have (see LiveLinks).
func (s *Service) ReminderLinks(ctx context.Context, a Actor, studyID int64, n int, baseURL string) ([]Link, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	pr, err := s.Progress(ctx, studyID, n)
	if err != nil {
		return nil, err
	}
	if pr.State != "open" {
		return nil, Errorf(EConflict, "", "round %d is %s: reminders are for an open round", n, pr.State)
	}
	if pr.Links.Issued == 0 {
		return nil, Errorf(EConflict, "", "no link to round %d has been issued yet: send the links first (a reminder repeats the link a panelist has)", n)
	}
	ids := make([]int64, len(pr.NotYet))
	for i, p := range pr.NotYet {
		ids[i] = p.PanelistID
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.LiveLinks(ctx, a, studyID, n, ids, baseURL)
}

// LiveLinks returns the links of round n's invited panelists (only those in only, when given)
// without revoking any: a panelist with a live link gets that same link (the token is signed
// again from the stored invitation, so it is byte for byte the one they have); one without gets
// a new one. Sending invitations or a CSV of links twice must not stop links already sent.
func (s *Service) LiveLinks(ctx context.Context, a Actor, studyID int64, n int, only []int64, baseURL string) ([]Link, error) {
	if err := a.mustRun(); err != nil {
		return nil, err
	}
	r, err := s.st.Round(ctx, studyID, n)
	if err != nil {
		return nil, notFound(err, "study %d has no round %d", studyID, n)
	}
	if r.State != "open" {
		return nil, Errorf(EConflict, "", "round %d is %s: links are for an open round", n, r.State)
	}
	invited, err := s.st.RoundPanelists(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	ids := invited
	if len(only) > 0 {
		in := map[int64]bool{}
		for _, id := range invited {
			in[id] = true
		}
		for i, id := range only {
			if !in[id] {
				return nil, Errorf(EInvalid, fmt.Sprintf("panelists[%d]", i), "panelist %d is not invited to round %d", id, n)
			}
		}
		ids = only
	}
	invs, err := s.st.Invitations(ctx, studyID)
	if err != nil {
		return nil, err
	}
	live := map[int64]store.Invitation{}
	now := s.now()
	for _, inv := range invs {
		if inv.RevokedAt == "" && store.ParseTime(inv.ExpiresAt).After(now) {
			live[inv.PanelistID] = inv
		}
	}
	panel, err := s.st.Panelists(ctx, studyID)
	if err != nil {
		return nil, err
	}
	byID := panelByID(panel)
	var links, fresh []Link
	var need []int64
	for _, id := range ids {
		p := byID[id]
		if p.WithdrawnAt != "" {
			continue
		}
		inv, ok := live[id]
		if !ok {
			need = append(need, id)
			continue
		}
		exp := store.ParseTime(inv.ExpiresAt)
		tok, err := s.signer.SignInvite(auth.Invite{ID: inv.ID, StudyID: studyID, PanelistID: id, Expires: exp,
			IssuedAt: store.ParseTime(inv.IssuedAt).Truncate(time.Second)})
		if err != nil {
			return nil, err
		}
		links = append(links, Link{InvitationID: inv.ID, PanelistID: id, Pseudonym: p.Pseudonym, Name: p.Name,
			Email: p.Email, Token: tok, URL: strings.TrimRight(baseURL, "/") + "/r/" + tok, ExpiresAt: exp})
	}
	if len(need) > 0 {
		if fresh, err = s.IssueInvitations(ctx, a, studyID, n, need, baseURL); err != nil {
			return nil, err
		}
	}
	return append(links, fresh...), nil
}

// Outbox lists a study's queued and sent messages.
func (s *Service) Outbox(ctx context.Context, studyID int64) ([]store.Message, error) {
	return s.st.Outbox(ctx, studyID)
}

// Sender delivers one email.
type Sender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// DeliverMail sends up to limit queued messages through snd and records each outcome.
func (s *Service) DeliverMail(ctx context.Context, snd Sender, limit int) (sent int, err error) {
	msgs, err := s.st.UnsentMessages(ctx, limit)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		serr := snd.Send(ctx, m.To, m.Subject, m.Body)
		if serr != nil && ctx.Err() != nil {
			// stopped from here (shutdown), not refused by the relay: the message stays queued
			// with its attempts as they were
			return sent, fmt.Errorf("deliver message %d: %w", m.ID, ctx.Err())
		}
		errText := ""
		if serr != nil {
			errText = serr.Error()
			s.log.Warn("send mail", "message", m.ID, "err", serr)
		}
		if err := s.st.InTx(ctx, func(tx *store.Tx) error { return tx.MarkMessage(m.ID, serr == nil, errText) }); err != nil {
			return sent, err
		}
		if serr == nil {
			sent++
		}
	}
	return sent, nil
}

// AuditLog returns a study's audit entries (admins only).
func (s *Service) AuditLog(ctx context.Context, a Actor, studyID int64) ([]store.AuditEntry, error) {
	if a.Role != RoleAdmin {
		return nil, Errorf(EForbidden, "", "only admins may read the audit log")
	}
	out, err := s.st.AuditLog(ctx, studyID)
	if out == nil {
		out = []store.AuditEntry{}
	}
	return out, err
}
