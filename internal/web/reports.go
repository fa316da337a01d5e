package web

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/a-h/templ"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzip"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/templates"
)

// reportRoutes registers the presenters' pages (/reports/…), open to every staff role. The
// summary of a closed round never changes, so its rendered markup is cached per round and
// shared by the screen, print and slides views.
func (s *Server) reportRoutes(r *gin.Engine) {
	rc := &reportCache{m: map[reportKey][]byte{}, pages: map[pageKey]*cachedPage{}}
	g := r.Group("/reports", s.staffAuth())
	g.GET("", s.reportsIndex)
	g.GET("/studies/:sid/rounds/:n", func(c *gin.Context) { s.reportSummary(c, rc) })
	g.GET("/studies/:sid/outcome", s.reportOutcome)
}

// reportKey names a cached summary fragment.
type reportKey struct {
	sid    int64
	n      int
	slides bool   // the slides view's fragment, which has the slide-sized tables too
	zone   string // the study's time zone, in which the summary's dates are written
	// sugg fingerprints the suggestions section and the meetings the methods text states:
	// triage and meetings go on after the round closed.
	sugg uint64
}

// pageKey names a cached whole summary page.
type pageKey struct {
	sid        int64
	n          int
	view, role string
	rounds     string // the study's closed rounds, shown in the page's round menu
	zone       string // the study's time zone (reportKey.zone)
	sugg       uint64 // the suggestions section's fingerprint (reportKey.sugg)
}

// cachedPage is a page as sent: raw and gzipped. The first reader gets it gzipped fast
// (BestSpeed, a few ms); a background pass then recompresses it with BestCompression, which
// takes some 40 ms on a 300-item page but sends a third fewer bytes to every later reader.
type cachedPage struct {
	raw  []byte
	gz   atomic.Pointer[[]byte]
	done chan struct{} // closed when built (raw and a first gz set) or failed (err set)
	err  error
}

// reportCache holds rendered summaries of closed rounds (immutable), bounded in size.
type reportCache struct {
	mu    sync.Mutex
	m     map[reportKey][]byte
	pages map[pageKey]*cachedPage
}

// page returns a whole cached page, building (and compressing) it on a miss. Readers who ask
// for a page being built wait for it rather than build it again: a room opening the summary
// at once costs one build.
func (rc *reportCache) page(ctx context.Context, k pageKey, build buildPage) (*cachedPage, error) {
	for {
		rc.mu.Lock()
		p, ok := rc.pages[k]
		if !ok {
			p = &cachedPage{done: make(chan struct{})}
			if len(rc.pages) >= reportCacheMax*4 {
				for old := range rc.pages { // drop any one: every entry can be rebuilt
					delete(rc.pages, old)
					break
				}
			}
			rc.pages[k] = p
		}
		rc.mu.Unlock()
		if !ok {
			return rc.fill(k, p, build)
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.err == nil {
			return p, nil
		}
		// the reader who built it failed (its request may have been cancelled): try ourselves
	}
}

// buildPage builds a page, and may compress it (at BestSpeed) as it goes; gz nil if not.
type buildPage func() (raw, gz []byte, err error)

// fill builds the page p of key k. Whatever happens, p ends done: readers wait for it.
func (rc *reportCache) fill(k pageKey, p *cachedPage, build buildPage) (_ *cachedPage, err error) {
	failed := func(e error) {
		p.err = e
		rc.mu.Lock()
		if rc.pages[k] == p {
			delete(rc.pages, k)
		}
		rc.mu.Unlock()
		close(p.done)
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("web: building report page: %v", v)
			failed(err)
		}
	}()
	raw, gz, err := build()
	if err != nil {
		failed(err)
		return nil, err
	}
	p.raw = raw
	if gz == nil {
		gz = gzipBytes(raw, gzip.BestSpeed, runtime.GOMAXPROCS(0))
	}
	p.gz.Store(&gz)
	close(p.done)
	go func() {
		best := gzipBytes(raw, gzip.BestCompression, 1) // in the background, on one core
		p.gz.Store(&best)
	}()
	return p, nil
}

const reportCacheMax = 64

// fragment returns the cached summary fragment of k, if there is one.
func (rc *reportCache) fragment(k reportKey) ([]byte, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	b, ok := rc.m[k]
	return b, ok
}

// keepFragment caches the summary fragment b of k.
func (rc *reportCache) keepFragment(k reportKey, b []byte) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.m) >= reportCacheMax {
		for old := range rc.m { // drop any one: every entry can be rebuilt
			delete(rc.m, old)
			break
		}
	}
	rc.m[k] = b
}

// staffPage returns the page base of a console page.
func (s *Server) staffPage(c *gin.Context, title, nav string) templates.Page {
	st, _ := staffFrom(c)
	return s.tpage(templates.Page{Title: title, Nav: nav, Staff: &templates.Staff{ID: st.ID, Email: st.Email, Role: st.Role, StudyRole: actorFrom(c).Role},
		CSRF: s.Signer.CSRF(sessionFrom(c).ID), Zone: zoneFrom(c)})
}

// reportPage returns the page base of a presenters' page.
func (s *Server) reportPage(c *gin.Context, title string) templates.Page {
	st, _ := staffFrom(c)
	return s.tpage(templates.Page{Title: title, Nav: "reports", Staff: &templates.Staff{ID: st.ID, Email: st.Email, Role: st.Role},
		CSRF: s.Signer.CSRF(sessionFrom(c).ID)})
}

// renderReport renders a presenters' page and writes it, gzipped when the client accepts it
// (reports are large and compress tenfold).
func (s *Server) renderReport(c *gin.Context, comp templ.Component) {
	var b bytes.Buffer
	if err := comp.Render(c.Request.Context(), &b); err != nil {
		s.fail(c, fmt.Errorf("web: render %s: %w", c.FullPath(), err))
		return
	}
	c.Header("Cache-Control", "no-store")
	s.writeBody(c, "text/html; charset=utf-8", b.Bytes())
}

// writeBody writes a 200 answer, gzipped when the client accepts it and it is worth it.
func (s *Server) writeBody(c *gin.Context, contentType string, body []byte) {
	c.Header("Vary", "Accept-Encoding")
	if len(body) < 1024 || !strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Data(http.StatusOK, contentType, body)
		return
	}
	c.Header("Content-Encoding", "gzip")
	c.Data(http.StatusOK, contentType, gzipBytes(body, gzip.BestSpeed, 1))
}

// ---- pages ----

func (s *Server) reportsIndex(c *gin.Context) {
	sts, err := s.svc.StudiesFor(c.Request.Context(), actorFrom(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.ReportsIndexPage{Page: s.reportPage(c, "Reports")}
	for _, st := range sts {
		row := templates.ReportStudy{ID: st.ID, Title: st.Title, State: st.State}
		for _, r := range st.Rounds {
			if r.State == "closed" {
				row.Rounds = append(row.Rounds, templates.ReportRound{Number: r.Number, Closed: i18n.Dates{Zone: st.Zone}.Date(r.ClosedAt)})
				row.Closed++
			} else if r.Open() {
				row.LastOpen = r.Number
			}
		}
		v.Studies = append(v.Studies, row)
	}
	s.renderReport(c, templates.ReportsIndex(v))
}

// reportExports lists the downloads of a round. small is the number of the panel's group ×
// country cells under min (the small-cell check of the raw answers), or -1 if unknown.
func reportExports(sid int64, n, small, min int) []templates.ReportLink {
	base := fmt.Sprintf("/api/v1/studies/%d/rounds/%d/", sid, n)
	answers := "raw answers, rounds 1–" + fmt.Sprint(n) + ", a new pseudonym per round"
	if small > 0 {
		answers += fmt.Sprintf(". Warning: %d group × country cell(s) of the panel have fewer than %d panelists; with the group column, such a panelist may be recognised: share this file only within the study team", small, min)
	}
	return []templates.ReportLink{
		{Href: base + "report.csv", Label: "Results CSV", Hint: "tidy: one row per item × group"},
		{Href: base + "answers.csv", Label: "Answers CSV", Hint: answers},
		{Href: base + "report.xlsx", Label: "Excel workbook", Hint: "summary, items, groups, participation, comments, outcome"},
		{Href: base + "report.json", Label: "Snapshot JSON", Hint: "the whole snapshot"},
		{Href: base + "report.html", Label: "HTML file", Hint: "this summary as one file"},
		{Href: base + "outcome.csv", Label: "Outcome CSV", Hint: "data dictionary after round " + fmt.Sprint(n)},
		{Href: base + "comments.csv", Label: "Comments CSV", Hint: "anonymised comments and reasons"},
		{Href: base + "suggestions.csv", Label: "Suggestions CSV", Hint: "suggested items up to round " + fmt.Sprint(n) + ", with their triage"},
	}
}

// roundSnapshots returns the snapshots of closed rounds 1..n of a study (round n must be closed).
func (s *Server) roundSnapshots(ctx context.Context, sid int64, n int) ([]*delphi.Snapshot, error) {
	snaps := make([]*delphi.Snapshot, 0, n)
	for k := 1; k <= n; k++ {
		snap, err := s.svc.Snapshot(ctx, sid, k)
		if err != nil {
			return nil, err
		}
		snaps = append(snaps, snap)
	}
	return snaps, nil
}

// snapshotsAsync starts reading the snapshots of rounds 1..n and returns a function that
// waits for them.
func (s *Server) snapshotsAsync(ctx context.Context, sid int64, n int) func() ([]*delphi.Snapshot, error) {
	type result struct {
		snaps []*delphi.Snapshot
		err   error
	}
	done := make(chan result, 1) // the reader may not wait: its page was built by another
	go func() {
		snaps, err := s.roundSnapshots(ctx, sid, n)
		done <- result{snaps, err}
	}()
	return sync.OnceValues(func() ([]*delphi.Snapshot, error) {
		r := <-done
		return r.snaps, r.err
	})
}

// buildSummary builds the view model of round n from the snapshots of rounds 1..n, as staff
// may see them: under the study's small-cell rule (disclose), or whole with full (an admin's
// deliberate export, marked as such).
func (s *Server) buildSummary(ctx context.Context, sid int64, n int, full bool) (*report.Summary, *delphi.Study, []*delphi.Snapshot, error) {
	st, err := s.svc.Study(ctx, sid)
	if err != nil {
		return nil, nil, nil, err
	}
	snaps, err := s.roundSnapshots(ctx, sid, n)
	if err != nil {
		return nil, nil, nil, err
	}
	snaps = disclose(st, snaps, full)
	rs, err := s.reportStudy(ctx, st)
	if err != nil {
		return nil, nil, nil, err
	}
	sum, err := report.Build(rs, snaps)
	if err != nil {
		return nil, nil, nil, err
	}
	if sum.Suggestions, err = s.suggestionViews(ctx, sid, n); err != nil {
		return nil, nil, nil, err
	}
	return sum, st, snaps, nil
}

// suggestionViews returns the suggestions made up to round n with their triage.
func (s *Server) suggestionViews(ctx context.Context, sid int64, n int) ([]report.SuggestionView, error) {
	sgs, err := s.svc.Suggestions(ctx, sid)
	if err != nil {
		return nil, err
	}
	return report.SuggestionViews(sgs, n), nil
}

// suggestionsPrint fingerprints the suggestions section of a summary.
func suggestionsPrint(vs []report.SuggestionView) uint64 {
	h := fnv.New64a()
	for _, v := range vs {
		fmt.Fprintf(h, "%d\x00%s\x00%s\x00%s\x00%s\x00", v.Round, v.Label, v.Rationale, v.Status, v.Triage)
	}
	return h.Sum64()
}

// minGroupSize is the study's feedback.min_group_size (5 by default): the one disclosure rule
// of every staff-facing output.
func minGroupSize(st *delphi.Study) int {
	if st.Def != nil && st.Def.Feedback.MinGroupSize > 0 {
		return st.Def.Feedback.MinGroupSize
	}
	return 5
}

// disclose returns the snapshots as staff-facing outputs show them: small cells withheld
// (delphi.Snapshot.Disclosed), or every cell with the file marked (full).
func disclose(st *delphi.Study, snaps []*delphi.Snapshot, full bool) []*delphi.Snapshot {
	min := minGroupSize(st)
	out := make([]*delphi.Snapshot, len(snaps))
	for i, sn := range snaps {
		if full {
			out[i] = sn.Full(min)
		} else {
			out[i] = sn.Disclosed(min)
		}
	}
	return out
}

func (s *Server) reportSummary(c *gin.Context, rc *reportCache) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	// the summary has no Page: its counted texts find the catalogue in the context
	ctx := templates.WithTranslator(c.Request.Context(), s.catalog.T)
	view := c.DefaultQuery("view", "screen")
	if view != "screen" && view != "print" && view != "slides" {
		s.fail(c, delphi.Errorf(delphi.EInvalid, "view", "view must be screen, print or slides"))
		return
	}
	sugg, err := s.suggestionViews(ctx, sid, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	// the methods text states the study's meetings, held after the round closed
	meet, err := s.svc.MeetingsPrint(ctx, sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	fk := reportKey{sid: sid, n: n, slides: view == "slides", sugg: suggestionsPrint(sugg) ^ meet}
	var deck *deckOrder
	if view == "slides" {
		// the deck's items under discussion follow the outcome's ranking, which meeting
		// decisions change after the round closed: its fingerprint is part of the key
		deck = s.deckOrder(ctx, sid, n)
		fk.sugg ^= deck.print
	}
	// The study comes first: the summary's dates are in its zone, part of the fragment's key.
	// It is cached, so only the first build after a start reads it before the snapshots.
	st, err := s.svc.Study(ctx, sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	fk.zone = st.Zone.String()
	snaps := func() ([]*delphi.Snapshot, error) { return s.roundSnapshots(ctx, sid, n) }
	if _, ok := rc.fragment(fk); !ok {
		// The summary must be built: its snapshots are read while the page's other parts are.
		snaps = s.snapshotsAsync(ctx, sid, n)
	}
	var closed []int
	for _, r := range st.Rounds {
		if r.State == "closed" {
			closed = append(closed, r.Number)
		}
	}
	staff, _ := staffFrom(c)
	// The whole page, compressed, is cached: it depends only on the round (immutable once
	// closed), the view, the reader's role (the admin sees one more menu entry) and the list of
	// closed rounds. It holds nothing of the reader (no email, no CSRF token: sign-out goes
	// through a confirmation page), so a workshop room reloading it costs a map lookup.
	key := pageKey{sid: sid, n: n, view: view, role: staff.Role, rounds: fmt.Sprint(closed), sugg: fk.sugg, zone: fk.zone}
	pg, err := rc.page(ctx, key, func() (raw, gz []byte, err error) {
		v := &templates.ReportSummaryPage{Page: s.tpage(templates.Page{Title: fmt.Sprintf("Round %d · %s", n, st.Title),
			Nav: "reports", Staff: &templates.Staff{Role: staff.Role}}),
			View: view, StudyID: sid, Round: n, Title: st.Title, Rounds: closed}
		small := -1
		if panel, err := s.svc.Panel(ctx, sid); err == nil {
			small = smallCells(panel, minGroupSize(st))
		}
		v.Exports = reportExports(sid, n, small, minGroupSize(st))
		frag, cached := rc.fragment(fk)
		size := len(frag) + 32<<10
		var sum *report.Summary
		if !cached {
			sn, err := snaps()
			if err != nil {
				return nil, nil, err
			}
			rs, err := s.reportStudy(ctx, st)
			if err != nil {
				return nil, nil, err
			}
			if sum, err = report.Build(rs, disclose(st, sn, false)); err != nil {
				return nil, nil, err
			}
			sum.Suggestions = sugg
			sum = sum.ForView(view)
			if deck != nil {
				sum = sum.WithDeck(deck.order, deck.history)
			}
			size = 96<<10 + 8<<10*len(sum.Items) // more than a summary takes: no regrowing
		}
		pw := &pageWriter{}
		pw.buf.Grow(size)
		if !cached { // the page is compressed as it is written, a part at a time on the other core
			pw.gz = newGzipAhead(gzip.BestSpeed, gzipMinPart)
		}
		var from, to int
		v.Body = templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			// The page around the summary is written through a buffer of templ's: flushed, the
			// summary's place in the page is known, and it is written straight into it.
			if f, ok := w.(interface{ Flush() error }); ok {
				if err := f.Flush(); err != nil {
					return err
				}
			}
			from = pw.buf.Len()
			defer func() { to = pw.buf.Len() }()
			if cached {
				_, err := pw.Write(frag)
				return err
			}
			return templates.Summary(sum).Render(ctx, pw)
		})
		if err := templates.ReportSummary(v).Render(ctx, pw); err != nil {
			return nil, nil, fmt.Errorf("web: report of round %d: %w", n, err)
		}
		raw = pw.buf.Bytes()
		if !cached {
			rc.keepFragment(fk, raw[from:to:to])
			gz = pw.gz.finish(raw)
		}
		return raw, gz, nil
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// no-store: the browser keeps no copy that the back button could show after sign-out
	c.Header("Cache-Control", "private, no-store")
	c.Header("Vary", "Accept-Encoding")
	if strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, "text/html; charset=utf-8", *pg.gz.Load())
		return
	}
	c.Data(http.StatusOK, "text/html; charset=utf-8", pg.raw)
}

// pageWriter holds a page being written; with gz set, each part of it is compressed as soon
// as it is written, while the rest is being written.
type pageWriter struct {
	buf bytes.Buffer
	gz  *gzipAhead
}

func (w *pageWriter) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	if w.gz != nil {
		w.gz.advance(w.buf.Bytes()) // the bytes written never change after: buf only grows
	}
	return n, err
}

func (s *Server) reportOutcome(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	ctx, sid := c.Request.Context(), st.ID
	last := lastClosed(st)
	if last == 0 {
		s.fail(c, delphi.Errorf(delphi.EConflict, "", "study %d has no closed round yet", sid))
		return
	}
	// the whole study: an open round's items, every decision, the frozen rule
	so, err := s.svc.Outcome(ctx, sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	rows := report.OutcomeRows(so.Groups, so.Snapshots)
	// every group, the empty ones too (an empty core set is news)
	var groups []templates.OutcomeGroup
	for _, g := range so.Groups {
		groups = append(groups, templates.OutcomeGroup{Kind: g.Kind, Label: g.Label.In("en"),
			Rows: report.OutcomeRows([]outcome.Group{g}, so.Snapshots)})
	}
	v := &templates.ReportOutcomePage{Page: s.reportPage(c, "Outcome · "+st.Title), StudyID: sid, Title: st.Title,
		Round: last, Finished: st.State == "finished", Groups: groups, Counts: report.OutcomeCounts(rows),
		Rule: report.OutcomeRuleText(so.Rule), RuleHash: so.RuleHash, Modules: map[string]string{}, CanDecide: canRun(c),
		CSV:    fmt.Sprintf("/api/v1/studies/%d/rounds/%d/outcome.csv", sid, last),
		JSON:   fmt.Sprintf("/api/v1/studies/%d/outcome.json", sid),
		REDCap: fmt.Sprintf("/api/v1/studies/%d/outcome/redcap.csv", sid),
		ODM:    fmt.Sprintf("/api/v1/studies/%d/outcome/odm.xml", sid)}
	if n := len(so.Snapshots); n > 0 {
		snap := so.Snapshots[n-1]
		v.Consensus, v.ConsensusHash = snap.RuleText, snap.RuleHash
	}
	if st.Def != nil {
		for _, m := range st.Def.Modules {
			v.Modules[m.ID] = m.Label.In("en")
		}
	}
	s.renderReport(c, templates.ReportOutcome(v))
}

// reportStudy is the study as reports describe it, with the number of panelists who
// recorded consent and the records of its consensus meetings (the methods text states them).
func (s *Server) reportStudy(ctx context.Context, st *delphi.Study) (report.Study, error) {
	rs := report.StudyOf(st)
	n, err := s.svc.ConsentCount(ctx, st.ID)
	if err != nil {
		return rs, err
	}
	rs.Consented = n
	rs.Meetings, err = s.svc.StudyMeetingReports(ctx, st.ID)
	return rs, err
}

// lastClosed returns the number of the study's last closed round, or 0.
func lastClosed(st *delphi.Study) int {
	n := 0
	for _, r := range st.Rounds {
		if r.State == "closed" && r.Number > n {
			n = r.Number
		}
	}
	return n
}

// ---- exports ----

var unsafeName = regexp.MustCompile(`[^a-z0-9_-]+`)

// exportName is a download's file name: cart-cd-study1-round2-answers.csv.
func exportName(surveyID string, sid int64, n int, suffix string) string {
	id := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(surveyID), "-"), "-")
	if id == "" {
		id = "delphi"
	}
	return fmt.Sprintf("%s-study%d-round%d%s", id, sid, n, suffix)
}

// apiReport serves GET /api/v1/studies/{sid}/rounds/{n}/{file}: report.json (the snapshot),
// report.csv (tidy results), report.xlsx, report.html (standalone summary), answers.csv
// (pseudonymous raw answers of rounds 1..n), outcome.csv (the data dictionary after round n)
// and comments.csv. Only closed rounds have reports (409 otherwise).
//
// Every file applies the study's small-cell rule (min_group_size, complementary suppression);
// ?disclosure=full gives an admin every cell (403 for others), audited as such and marked in
// the file. answers files carry X-Delphi-Small-Cells: the number of group × country cells of
// the panel under min_group_size (0: none), since their group column may single someone out.
//
// Each export is built once (exports): kept while it fits, shared by the requests that ask
// for it while it is built, and built at most a few at a time (503 with Retry-After beyond).
func (s *Server) apiReport(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	file := c.Param("file")
	full := false
	switch d := c.Query("disclosure"); d {
	case "", "standard":
	case "full":
		if actorFrom(c).Role != delphi.RoleAdmin {
			s.fail(c, delphi.Errorf(delphi.EForbidden, "disclosure", "only an admin may export small groups undisclosed"))
			return
		}
		full = true
	default:
		s.fail(c, delphi.Errorf(delphi.EInvalid, "disclosure", "disclosure must be standard or full"))
		return
	}
	switch file {
	case "report.json", "report.csv", "report.xlsx", "report.html", "answers.csv", "answers-linked.csv", "outcome.csv", "comments.csv", "suggestions.csv":
	default:
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "no export %q: try report.json, report.csv, report.xlsx, report.html, answers.csv, answers-linked.csv, outcome.csv, comments.csv or suggestions.csv", file))
		return
	}
	if file == "answers-linked.csv" && !actorFrom(c).CanRun() {
		// the study's pseudonyms join a panelist's rounds: for those who run the study only
		s.fail(c, delphi.Errorf(delphi.EForbidden, "", "your role (%s) may not export answers linked across rounds; answers.csv has them with a pseudonym per round", actorFrom(c).Role))
		return
	}
	if full && (file == "suggestions.csv" || file == "comments.csv" || file == "outcome.csv" || file == "answers.csv" || file == "answers-linked.csv") {
		full = false // no cell of these is withheld: the same file either way
	}
	// A closed round's results never change; suggestions are triaged later, so they are built
	// for each request (they are small).
	cacheable := file != "suggestions.csv"
	st, err := s.svc.Study(ctx, sid) // the human-readable dates are in its zone
	if err != nil {
		s.fail(c, err)
		return
	}
	key := exportKey{sid: sid, n: n, file: file, full: full, zone: st.Zone.String()}
	if file == "report.json" || file == "report.xlsx" || file == "report.html" {
		// their methods text (and the workbook's Meetings sheet) state the study's meetings
		if key.meetings, err = s.svc.MeetingsPrint(ctx, sid); err != nil {
			s.fail(c, err)
			return
		}
	}
	ex, err := s.exports.get(ctx, key, cacheable, func() (*builtExport, error) {
		return s.buildExport(ctx, sid, n, file, full)
	})
	if err != nil {
		if isBusy(err) {
			c.Header("Retry-After", "5")
		}
		s.fail(c, err)
		return
	}
	// exported data leaves the service: record who took what before handing it over
	what := file
	if full {
		what += "?disclosure=full"
	}
	if err := s.svc.AuditExport(ctx, actorFrom(c), sid, n, what); err != nil {
		s.fail(c, err)
		return
	}
	if file == "answers.csv" || file == "answers-linked.csv" {
		// the panel as it is now: its group × country cells under min_group_size
		st, err := s.svc.Study(ctx, sid)
		var panel []delphi.Panelist
		if err == nil {
			panel, err = s.svc.Panel(ctx, sid)
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Header("X-Delphi-Small-Cells", fmt.Sprint(smallCells(panel, minGroupSize(st))))
	}
	name := ex.name
	if full {
		name = strings.Replace(name, ".", "-full-disclosure.", 1)
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	c.Header("Cache-Control", "private, no-store") // exports carry answers: no copy in any cache
	c.Header("Vary", "Accept-Encoding")
	if ex.gz != nil && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		c.Data(http.StatusOK, ex.ctype, ex.gz)
		return
	}
	c.Data(http.StatusOK, ex.ctype, ex.body)
}

// smallCells counts the group × country cells of the panel (withdrawn panelists left out)
// with fewer than min panelists.
func smallCells(panel []delphi.Panelist, min int) int {
	cells := map[[2]string]int{}
	for _, p := range panel {
		if !p.Withdrawn {
			cells[[2]string{p.Group, p.Country}]++
		}
	}
	n := 0
	for _, k := range cells {
		if k < min {
			n++
		}
	}
	return n
}

// buildExport builds one export file of round n.
func (s *Server) buildExport(ctx context.Context, sid int64, n int, file string, full bool) (*builtExport, error) {
	var body bytes.Buffer
	ex := &builtExport{smallCells: -1}
	switch file {
	case "suggestions.csv":
		// the suggestions made up to round n, with their triage
		st, err := s.svc.Study(ctx, sid)
		var sgs []delphi.Suggestion
		if err == nil {
			sgs, err = s.svc.Suggestions(ctx, sid)
		}
		var upTo []delphi.Suggestion
		for _, sg := range sgs {
			if sg.Round <= n {
				upTo = append(upTo, sg)
			}
		}
		if err == nil {
			err = report.SuggestionsCSV(&body, upTo)
		}
		if err != nil {
			return nil, err
		}
		ex.ctype, ex.name = "text/csv; charset=utf-8", exportName(st.SurveyID, sid, n, "-suggestions.csv")
		ex.body = body.Bytes()
		return ex, nil
	}
	sum, st, snaps, err := s.buildSummary(ctx, sid, n, full)
	if err != nil {
		return nil, err
	}
	snap := snaps[len(snaps)-1]
	switch file {
	case "report.json":
		// the snapshot as staff may see it (small cells withheld, a "disclosure" member saying
		// what), with Kendall's status, placements, the item flow and the outcome rule
		var b []byte
		if b, err = delphi.EncodeSnapshot(snap); err == nil {
			var rs report.Study
			if rs, err = s.reportStudy(ctx, st); err == nil {
				err = report.AugmentJSON(&body, b, rs, snaps)
			}
		}
		ex.ctype, ex.name = "application/json", exportName(snap.SurveyID, sid, n, ".json")
	case "report.csv":
		err = report.CSV(&body, snaps...)
		ex.ctype, ex.name = "text/csv; charset=utf-8", exportName(snap.SurveyID, sid, n, ".csv")
	case "report.xlsx":
		var rs report.Study
		if rs, err = s.reportStudy(ctx, st); err == nil {
			err = report.XLSX(&body, rs, snaps...)
		}
		ex.ctype, ex.name = xlsxType, exportName(snap.SurveyID, sid, n, ".xlsx")
	case "report.html":
		err = templates.WriteReport(templates.WithTranslator(ctx, s.catalog.T), &body, sum)
		ex.ctype, ex.name = "text/html; charset=utf-8", exportName(snap.SurveyID, sid, n, ".html")
	case "answers.csv", "answers-linked.csv":
		linked := file == "answers-linked.csv"
		var all []delphi.RawAnswer
		for k := 1; k <= n && err == nil; k++ {
			var as []delphi.RawAnswer
			as, err = s.svc.RawAnswers(ctx, sid, k, linked)
			all = append(all, as...)
		}
		if err == nil {
			err = report.AnswersCSV(&body, all)
		}
		ex.ctype, ex.name = "text/csv; charset=utf-8", exportName(snap.SurveyID, sid, n, "-"+file)
	case "outcome.csv":
		var rs report.Study
		if rs, err = s.reportStudy(ctx, st); err == nil {
			err = report.OutcomeCSV(&body, report.Outcome(rs, snaps))
		}
		ex.ctype, ex.name = "text/csv; charset=utf-8", exportName(snap.SurveyID, sid, n, "-outcome.csv")
	case "comments.csv":
		err = report.CommentsCSV(&body, snap)
		ex.ctype, ex.name = "text/csv; charset=utf-8", exportName(snap.SurveyID, sid, n, "-comments.csv")
	}
	if err != nil {
		return nil, err
	}
	ex.body = body.Bytes()
	return ex, nil
}

// deckOrder is the slides deck's ranking: the items the outcome leaves undecided (or pending,
// while the study goes on), closest first (delphi.Service.RankOpen: the meeting's ranking), by
// round n's item ids, with each item's class per round.
type deckOrder struct {
	order   []string // nil: no outcome, the deck shows the contested items
	history map[string][]report.DeckRound
	print   uint64
}

func (s *Server) deckOrder(ctx context.Context, sid int64, n int) *deckOrder {
	d := &deckOrder{history: map[string][]report.DeckRound{}}
	so, err := s.svc.Outcome(ctx, sid)
	if err != nil {
		return d
	}
	ids := make(map[string]string, len(so.Entries)) // outcome item → round n's id
	for _, e := range so.Entries {
		var hist []report.DeckRound
		for _, h := range e.History {
			if h.Round > n {
				continue
			}
			hist = append(hist, report.DeckRound{Round: h.Round, Class: h.Importance, Label: report.ClassLabel(h.Importance)})
			if h.Round == n {
				id := e.Item
				if h.Item != "" {
					id = h.Item
				}
				ids[e.Item] = id
			}
		}
		if id, ok := ids[e.Item]; ok {
			d.history[id] = hist
		}
	}
	d.order = []string{}
	h := fnv.New64a()
	for _, c := range s.svc.RankOpen(so) {
		if id, ok := ids[c.Item]; ok {
			d.order = append(d.order, id)
			fmt.Fprintf(h, "%s\x00", id)
		}
	}
	for _, e := range so.Entries {
		for _, r := range d.history[ids[e.Item]] {
			fmt.Fprintf(h, "%d %s\x00", r.Round, r.Class)
		}
	}
	d.print = h.Sum64()
	return d
}
