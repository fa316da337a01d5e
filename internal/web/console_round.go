package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/templates"
)

// roundView is one round: the frozen rule, live progress (counts only, never ratings of an
// open round), invitations, reminders and closing; a closed round shows its summary.
type progressRow = templates.ProgressRow

// consoleRoundParam reads :sid and :n and loads the study and round.
func (s *Server) consoleRoundParam(c *gin.Context) (*delphi.Study, *delphi.Round, bool) {
	st, ok := s.studyParam(c)
	if !ok {
		return nil, nil, false
	}
	_, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return nil, nil, false
	}
	r := st.Round(n)
	if r == nil {
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "study %d has no round %d", st.ID, n))
		return nil, nil, false
	}
	return st, r, true
}

func (s *Server) consoleRound(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	s.renderRound(c, http.StatusOK, st, r, "")
}

func (s *Server) renderRound(c *gin.Context, status int, st *delphi.Study, r *delphi.Round, errMsg string) {
	ctx := c.Request.Context()
	pr, err := s.svc.Progress(ctx, st.ID, r.Number)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.RoundPage{Page: s.consolePage(c, fmt.Sprintf("Round %d", r.Number), "studies"),
		StudyTabs: templates.StudyTabs{Tab: fmt.Sprintf("round%d", r.Number), Study: st}, Round: r,
		RuleText: ruleText(r.Rule, st.Def.Scale), Items: pr.Items, SMTP: s.Mailer != nil,
		ActiveStudy: st.State == "active", NextRound: r.Number + 1, HasNextRound: st.Round(r.Number+1) != nil}
	v.Error = errMsg
	if !r.Deadline.IsZero() {
		v.Deadline = r.Deadline.In(st.Zone).Format(deadlineLayout)
	}
	groupLabel := map[string]string{}
	for _, g := range st.Def.Groups {
		groupLabel[g.ID] = g.Label.In("en")
	}
	for _, g := range pr.Groups {
		label := groupLabel[g.Key]
		if label == "" {
			label = g.Key
		}
		v.Groups = append(v.Groups, progressRow{Label: label, ProgressCounts: g.ProgressCounts})
	}
	for _, cn := range pr.Countries {
		v.Countries = append(v.Countries, progressRow{Label: cn.Key, ProgressCounts: cn.ProgressCounts})
	}
	v.Total = progressRow{Label: "All invited", ProgressCounts: pr.Counts}
	v.Links = pr.Links
	show := c.Query("show")
	for _, f := range panelistFilters {
		pf := templates.PanelistFilter{Key: f.key, Label: f.label, Current: f.key == show || show == "" && f.key == "all"}
		for _, ps := range pr.Panelists {
			if f.key == "all" || !ps.Withdrawn && f.match(ps) {
				pf.N++
				if pf.Current {
					if l := groupLabel[ps.Group]; l != "" {
						ps.Group = l // a copy: the progress is shared
					}
					v.Panelists = append(v.Panelists, ps)
				}
			}
		}
		if pf.Current {
			v.FilterLabel = f.label
		}
		v.Filters = append(v.Filters, pf)
	}
	if v.FilterLabel == "" {
		s.fail(c, delphi.Errorf(delphi.EInvalid, "show", "show=%q is not a filter of the panelists (all, no_link, not_sent, failed, not_opened, not_submitted, submitted)", show))
		return
	}
	for _, p := range pr.NotYet {
		p.LastSaved = v.Dates().DateTime(delphi.StoredTime(p.LastSaved))
		v.NotYet = append(v.NotYet, p)
	}
	msgs, err := s.svc.Outbox(ctx, st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, m := range msgs {
		switch {
		case m.SentAt != "":
			v.Outbox.Sent++
		case m.Error != "":
			v.Outbox.Failed++
		default:
			v.Outbox.Queued++
		}
	}
	if r.State == "closed" {
		snap, err := s.svc.Snapshot(ctx, st.ID, r.Number)
		if err != nil {
			s.fail(c, err)
			return
		}
		sum := &templates.RoundSummary{Invited: snap.Participation.Invited, Submitted: snap.Participation.Submitted,
			ClosedAt: v.Dates().DateTime(snap.ClosedAt), KendallW: "–"}
		for _, it := range snap.Items {
			switch snap.ClassOf(it.ID) {
			case "consensus_in":
				sum.In++
			case "consensus_out":
				sum.Out++
			case "no_consensus":
				sum.None++
			default:
				sum.Unrated++
			}
		}
		if ok, why := report.KendallStatus(snap); ok {
			sum.KendallW = formatNum(snap.Result.Kendall.Corrected.W)
		} else {
			sum.KendallWhy = "Not shown: " + strings.TrimPrefix(why, "not computed: ") + "."
		}
		v.Summary = sum
	}
	s.renderPage(c, status, templates.ConsoleRound(v), 0)
}

// panelistFilters are the round page's choices of which panelists to list (withdrawn panelists
// only under "all").
var panelistFilters = []struct {
	key, label string
	match      func(delphi.PanelistStatus) bool
}{
	{"all", "All", nil},
	{"no_link", "No link", func(p delphi.PanelistStatus) bool { return p.LinkIssued == nil }},
	{"not_sent", "Not emailed", func(p delphi.PanelistStatus) bool { return p.Mail == "none" }},
	{"failed", "Email failed", func(p delphi.PanelistStatus) bool { return p.Mail == "failed" }},
	{"not_opened", "Not opened", func(p delphi.PanelistStatus) bool { return p.Opened == nil }},
	{"not_submitted", "Not submitted", func(p delphi.PanelistStatus) bool { return p.Submitted == nil }},
	{"submitted", "Submitted", func(p delphi.PanelistStatus) bool { return p.Submitted != nil }},
}

// deadlineLayout is a datetime-local input's value.
const deadlineLayout = "2006-01-02T15:04"

// parseDeadline reads a deadline from a form: a datetime-local value or a date, in the study's
// zone (a time with an offset is read as it says).
func parseDeadline(v string, zone *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{deadlineLayout, "2006-01-02T15:04:05", time.RFC3339, "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, zone); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(23*time.Hour + 59*time.Minute) // the end of that day
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, delphi.Errorf(delphi.EInvalid, "deadline", "%q is not a date and time (YYYY-MM-DD HH:MM, %s)", v, zone)
}

func (s *Server) consoleCloseRound(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	snap, err := s.svc.CloseRound(c.Request.Context(), actorFrom(c), st.ID, r.Number)
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	s.done(c, roundURL(st.ID, r.Number), fmt.Sprintf("Round %d is closed: %d of %d invited panelists submitted. The results are computed and stored.",
		r.Number, snap.Participation.Submitted, snap.Participation.Invited))
}

// roundError shows a refused action on the round page, with the domain's message and status.
func (s *Server) roundError(c *gin.Context, st *delphi.Study, r *delphi.Round, err error) {
	status, msg := s.formError(c, err)
	if status == http.StatusInternalServerError {
		s.fail(c, err)
		return
	}
	// reload: the refused action changed nothing, but the page should show the current state
	fresh, ferr := s.svc.Study(c.Request.Context(), st.ID)
	if ferr == nil && fresh.Round(r.Number) != nil {
		st, r = fresh, fresh.Round(r.Number)
	}
	s.renderRound(c, status, st, r, msg)
}

func roundURL(sid int64, n int) string { return fmt.Sprintf("/console/studies/%d/rounds/%d", sid, n) }

func (s *Server) consoleDeadline(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	d, err := parseDeadline(c.PostForm("deadline"), st.Zone)
	dates := i18n.Dates{Zone: st.Zone}
	if err == nil && !d.IsZero() && !d.After(s.Now()) {
		err = delphi.Errorf(delphi.EInvalid, "deadline", "the deadline %s is in the past", dates.DateTime(d))
	}
	if err == nil {
		err = s.svc.SetDeadline(c.Request.Context(), actorFrom(c), st.ID, r.Number, d)
	}
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	msg := "The deadline is removed: the round stays open until you close it."
	if !d.IsZero() {
		msg = "The round now closes at " + dates.DateTime(d) + "."
	}
	s.done(c, roundURL(st.ID, r.Number), msg)
}

// formIDs reads repeated id fields (e.g. panelist=3&panelist=7).
func formIDs(c *gin.Context, name string) ([]int64, error) {
	var out []int64
	for _, v := range c.PostFormArray(name) {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, delphi.Errorf(delphi.EInvalid, name, "%q is not a panelist id", v)
		}
		out = append(out, id)
	}
	return out, nil
}

// consoleSendInvitations emails each invited panelist (or the ones named) their link: the link
// they already have while it is valid, a new one otherwise. Sent through SMTP when configured,
// otherwise listed in the outbox.
func (s *Server) consoleSendInvitations(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	err := s.needMail(r)
	var only []int64
	if err == nil {
		only, err = formIDs(c, "panelist")
	}
	var links []delphi.Link
	if err == nil {
		links, err = s.svc.LiveLinks(c.Request.Context(), actorFrom(c), st.ID, r.Number, only, s.BaseURL)
	}
	if err == nil {
		err = s.queueInvitations(c, st.ID, r.Number, links, "invitation")
	}
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	s.done(c, roundURL(st.ID, r.Number), s.catalog.T("en", "console.invitations.queued", len(links))+" "+mailSent)
}

// consoleReissue issues new links, revoking the panelists' current ones: an explicit act, with
// the form's confirmation (a lost or leaked link, a mistyped email).
func (s *Server) consoleReissue(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	if c.PostForm("confirm") != "yes" {
		s.roundError(c, st, r, delphi.Errorf(delphi.EInvalid, "confirm", "tick the box to confirm: every link sent so far stops working at once"))
		return
	}
	only, err := formIDs(c, "panelist")
	var links []delphi.Link
	if err == nil {
		links, err = s.svc.IssueInvitations(c.Request.Context(), actorFrom(c), st.ID, r.Number, only, s.BaseURL)
	}
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	s.done(c, roundURL(st.ID, r.Number), s.catalog.T("en", "console.links.issued", len(links)))
}

// needMail refuses the console's email actions outside an open round, and when SMTP is not
// configured: the messages would only wait in the outbox, which the round page offers the CSV
// for instead.
func (s *Server) needMail(r *delphi.Round) error {
	if r.State != "open" {
		return delphi.Errorf(delphi.EConflict, "", "round %d is %s: links are for an open round", r.Number, r.State)
	}
	if s.Mailer == nil {
		return delphi.Errorf(delphi.EConflict, "", "email is not configured (set DELPHI_SMTP_HOST and restart delphi): download the links as a CSV and send them by other means")
	}
	return nil
}

// mailSent is what the page says after queueing email.
const mailSent = "They are sent by SMTP within a minute; the outbox records each send."

func (s *Server) consoleReminders(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	err := s.needMail(r)
	var links []delphi.Link
	if err == nil {
		links, err = s.svc.ReminderLinks(c.Request.Context(), actorFrom(c), st.ID, r.Number, s.BaseURL)
	}
	if err == nil && len(links) == 0 {
		err = delphi.Errorf(delphi.EConflict, "", "everybody invited to round %d has submitted: nobody to remind", r.Number)
	}
	if err == nil {
		err = s.queueInvitations(c, st.ID, r.Number, links, "reminder")
	}
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	s.done(c, roundURL(st.ID, r.Number), s.catalog.T("en", "console.reminders.queued", len(links))+" "+mailSent)
}

// consoleLinksCSV returns the invited panelists' links as a CSV download: each panelist's
// current link while it is valid (signed again from the stored invitation), a new one otherwise.
func (s *Server) consoleLinksCSV(c *gin.Context) {
	st, r, ok := s.consoleRoundParam(c)
	if !ok {
		return
	}
	only, err := formIDs(c, "panelist")
	var links []delphi.Link
	if err == nil {
		links, err = s.svc.LiveLinks(c.Request.Context(), actorFrom(c), st.ID, r.Number, only, s.BaseURL)
	}
	if err != nil {
		s.roundError(c, st, r, err)
		return
	}
	lang := map[int64]string{}
	group := map[int64]string{}
	if panel, err := s.svc.Panel(c.Request.Context(), st.ID); err == nil {
		for _, p := range panel {
			lang[p.ID], group[p.ID] = p.Language, p.Group
		}
	}
	var b bytes.Buffer
	b.WriteString("\xef\xbb\xbf") // BOM: spreadsheet programs then read UTF-8 names correctly
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"pseudonym", "name", "email", "group", "language", "link", "expires_at"})
	for _, l := range links {
		_ = w.Write(safeCells(l.Pseudonym, l.Name, l.Email, group[l.PanelistID], lang[l.PanelistID], l.URL,
			l.ExpiresAt.UTC().Format(time.RFC3339)))
	}
	w.Flush()
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="study-%d-round-%d-links.csv"`, st.ID, r.Number))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// safeCells neutralises spreadsheet formulas: a cell starting with = + - @ tab or CR gets a
// leading apostrophe, so that a name such as "=HYPERLINK(…)" stays text.
func safeCells(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}

// outboxView lists queued and sent messages of a study.

func (s *Server) consoleOutbox(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	msgs, err := s.svc.Outbox(c.Request.Context(), st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.OutboxPage{Page: s.consolePage(c, "Outbox", "studies"), StudyTabs: templates.StudyTabs{Tab: "outbox", Study: st}, SMTP: s.Mailer != nil}
	for i := len(msgs) - 1; i >= 0; i-- { // newest first
		m := msgs[i]
		v.Messages = append(v.Messages, templates.OutboxRow{ID: m.ID, Kind: m.Kind, To: m.To, Subject: m.Subject, Body: m.Body,
			CreatedAt: v.DateTime(delphi.StoredTime(m.CreatedAt)), SentAt: v.Dates().DateTime(delphi.StoredTime(m.SentAt)), SendError: m.Error})
	}
	s.renderPage(c, http.StatusOK, templates.ConsoleOutbox(v), 0)
}
