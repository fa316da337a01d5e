package templates

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"

	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
)

// ReportsIndexPage lists the studies and their closed rounds' reports.
type ReportsIndexPage struct {
	Page
	Studies []ReportStudy
}

// ReportStudy is one study of the reports index.
type ReportStudy struct {
	ID       int64
	Title    string
	State    string
	Rounds   []ReportRound
	Closed   int
	LastOpen int // number of the open round, 0 if none
}

// ReportRound is a closed round of the reports index.
type ReportRound struct {
	Number int
	Closed string
}

// ReportSummaryPage is a round summary in one view: screen, print or slides.
type ReportSummaryPage struct {
	Page
	View    string
	StudyID int64
	Round   int
	Title   string
	Rounds  []int // closed rounds of the study
	Exports []ReportLink
	// Body is the summary's markup: the Summary component, or its bytes kept from before.
	Body templ.Component
}

// ReportLink is one download of a round.
type ReportLink struct {
	Href, Label, Hint string
}

// ReportOutcomePage is the study's outcome after its last closed round, grouped: the core
// set, each expansion module by its label, the undecided (and pending) items, the excluded.
type ReportOutcomePage struct {
	Page
	StudyID  int64
	Title    string
	Round    int
	Finished bool
	Groups   []OutcomeGroup
	Counts   map[string]int
	// Rule is the frozen tier rule in words with its SHA-256; Consensus the consensus rule of
	// the last closed round with its hash.
	Rule, RuleHash           string
	Consensus, ConsensusHash string
	Modules                  map[string]string // module id → label
	CSV, JSON, REDCap, ODM   string
	// CanDecide: the viewer may record committee decisions (admins and the study's
	// facilitators); undecided items then link to the console's decision form.
	CanDecide bool
}

// OutcomeGroup is one group of the outcome page.
type OutcomeGroup struct {
	Kind, Label string
	Rows        []report.OutcomeRow
}

func (v *ReportOutcomePage) module(id string) string {
	if l := v.Modules[id]; l != "" {
		return l
	}
	if id == "unassigned" {
		return "module to assign"
	}
	return id
}

// tierText is a tier with its module's label.
func (v *ReportOutcomePage) tierText(tier, module string) string {
	if tier == "expansion" && module != "" {
		return "expansion: " + v.module(module)
	}
	return tier
}

func decisionText(v *ReportOutcomePage, d outcome.Decision) string {
	s := "Committee"
	if d.Basis == outcome.BasisMeetingVote {
		s = "Meeting vote"
		if d.Meeting != nil && d.Meeting.Meeting != "" {
			s += " (" + d.Meeting.Meeting + ")"
		}
	}
	s += ", " + v.Date(d.At) + ": " + v.tierText(d.Tier, d.Module)
	if d.Reason != "" {
		s += " — " + d.Reason
	}
	return s
}

func roundURL(sid int64, n int, query string) templ.SafeURL {
	return templ.SafeURL(fmt.Sprintf("/reports/studies/%d/rounds/%d%s", sid, n, query))
}

func exportURL(sid int64, n int, file string) templ.SafeURL {
	return templ.SafeURL(fmt.Sprintf("/api/v1/studies/%d/rounds/%d/%s", sid, n, file))
}

// itemHist is an item's histogram as reports draw it; ticks are the scale's points, rendered
// once for the summary (nil: rendered with the chart).
func itemHist(s *report.Summary, iv *report.ItemView, ticks []byte) *Hist {
	h := &Hist{Class: "hist", Points: make([]HistPoint, len(iv.Hist)), Ticks: ticks}
	total := 0
	for i, n := range iv.Hist {
		h.Points[i] = HistPoint{Value: i + 1, N: n}
		if i < len(s.Points) {
			p := s.Points[i]
			h.Points[i] = HistPoint{Value: p.Value, N: n, Band: p.Band, Index: p.BandIndex}
		}
		total += n
	}
	desc := HistDesc(h.Points)
	h.Label = "Ratings of " + iv.Label + " — " + desc
	h.Title = iv.Label + ": " + strconv.Itoa(total) + " ratings (" + desc + ")"
	return h
}

// listSep is what follows item i of n in a sentence: "; " between, "." at the end.
func listSep(i, n int) string {
	if i == n-1 {
		return "."
	}
	return "; "
}

func itemAnchor(id string) templ.SafeURL { return templ.URL("#item-" + id) }

func groupTitle(g report.GroupCell) string {
	return g.Label + ": " + g.ClassLabel + ", median " + g.Median
}

func rowClass(on bool, class string) string {
	if on {
		return class
	}
	return ""
}

func groupCellClass(g report.GroupCell) string {
	if g.Differs {
		return "g " + g.Class + " differs"
	}
	return "g " + g.Class
}

func slideLabel(ch report.SlideChunk) string {
	if ch.Part != "" {
		return ch.Label + " (" + ch.Part + ")"
	}
	return ch.Label
}

// reportCSS is the stylesheets the standalone report inlines: it is a file opened from disk,
// without the service's static files.
func reportCSS() (string, error) {
	var css strings.Builder
	for _, name := range []string{"static/app.css", "static/report.css"} {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			return "", fmt.Errorf("templates: %w", err)
		}
		css.Write(b)
		css.WriteByte('\n')
	}
	return css.String(), nil
}

// Participant flow geometry, in SVG user units.
const (
	flowBoxW  = 250
	flowBoxH  = 46
	flowSideX = 330
	flowSideW = 220
	flowStep  = 170
	flowCX    = 10 + flowBoxW/2
)

func flowLabel(rounds []report.RoundFlow) string {
	desc := make([]string, 0, len(rounds))
	for _, r := range rounds {
		desc = append(desc, fmt.Sprintf("round %d: %d invited, %d submitted, %d did not submit", r.Round, r.Invited, r.Submitted, r.NotSubmitted))
	}
	return "Participant flow: " + strings.Join(desc, "; ")
}

// flowNote says what happened between a round and the next one.
func flowNote(next report.RoundFlow) string {
	switch {
	case next.NotReinvited > 0:
		return fmt.Sprintf("not invited again: %d", next.NotReinvited)
	case next.NewInvite > 0:
		return fmt.Sprintf("newly invited: %d", next.NewInvite)
	}
	return "all submitters invited again"
}

// WriteReport writes the summary as one self-contained HTML file (report.html), laid out as
// the print view.
func WriteReport(ctx context.Context, w io.Writer, s *report.Summary) error {
	css, err := reportCSS()
	if err != nil {
		return err
	}
	if err := ReportDocument(s.ForView("print"), css).Render(ctx, w); err != nil {
		return fmt.Errorf("templates: report of round %d: %w", s.Round, err)
	}
	return nil
}

// Summary is the body of a round summary: one markup for screen, print, slides and the
// standalone file. Sections marked "slide" become slides, "no-slides" parts show on screen
// and paper only, "only-slides" parts only as slides (and only the slides view has them: see
// report.Summary.ForView). The items' rows and cards, most of it, are rendered first on
// every core (renderItems), then written in place.
func Summary(s *report.Summary) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		if s.Deck != nil { // the deck shows a few items: nothing to render ahead
			ticks, err := scaleTicks(ctx, s)
			if err != nil {
				return err
			}
			return deck(s, &itemMarkup{s: s, ticks: ticks}).Render(ctx, w)
		}
		r, err := renderItems(ctx, s)
		if err != nil {
			return err
		}
		return summary(s, r).Render(ctx, w)
	})
}

// itemMarkup is the summary's items' markup, by item and kind: 'r' the results row, 'g' the
// row of the table by group, 'c' the card of an item to discuss.
type itemMarkup struct {
	s     *report.Summary
	m     map[itemPart][]byte
	ticks []byte // the scale's points under every chart
}

type itemPart struct {
	iv   *report.ItemView
	kind byte
}

// renderItems renders every item's rows, and the cards of the items to discuss, sharing the
// items among the cores: a summary of 300 items is 600 rows with their charts.
func renderItems(ctx context.Context, s *report.Summary) (*itemMarkup, error) {
	// every chart of the summary has the same scale: its points are rendered once
	ticks, err := scaleTicks(ctx, s)
	if err != nil {
		return nil, err
	}
	contested := make(map[*report.ItemView]bool, len(s.Contested))
	for _, iv := range s.Contested {
		contested[iv] = true
	}
	type span struct {
		part       itemPart
		buf        int // the worker's
		start, end int
	}
	workers := max(1, min(runtime.GOMAXPROCS(0), len(s.Items)/32))
	bufs := make([]bytes.Buffer, workers)
	spans := make([][]span, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			b := &bufs[w]
			b.Grow(3 << 10 * (len(s.Items)/workers + 1))
			for k := w; k < len(s.Items); k += workers {
				iv := s.Items[k]
				parts := []byte{'r', 'g'}
				if contested[iv] {
					parts = append(parts, 'c')
				}
				for _, kind := range parts {
					start := b.Len()
					var c templ.Component
					switch kind {
					case 'r':
						c = resultRow(s, iv, ticks)
					case 'g':
						c = groupsRow(iv)
					default:
						c = card(s, iv, ticks)
					}
					if err := c.Render(ctx, b); err != nil {
						errs[w] = err
						return
					}
					spans[w] = append(spans[w], span{itemPart{iv, kind}, w, start, b.Len()})
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	r := &itemMarkup{s: s, m: make(map[itemPart][]byte, 2*len(s.Items)+len(s.Contested)), ticks: ticks}
	for w := range spans {
		b := bufs[w].Bytes()
		for _, sp := range spans[w] {
			r.m[sp.part] = b[sp.start:sp.end]
		}
	}
	return r, nil
}

// write writes an item's markup of kind, rendering it if it was not (an item not in the list).
func (r *itemMarkup) write(iv *report.ItemView, kind byte) templ.Component {
	if b, ok := r.m[itemPart{iv, kind}]; ok {
		return Bytes(b)
	}
	switch kind {
	case 'r':
		return resultRow(r.s, iv, r.ticks)
	case 'g':
		return groupsRow(iv)
	}
	return card(r.s, iv, r.ticks)
}

// scaleTicks renders the scale's points under a chart, the same for every chart of s.
func scaleTicks(ctx context.Context, s *report.Summary) ([]byte, error) {
	pts := make([]HistPoint, len(s.Points))
	for i, p := range s.Points {
		pts[i] = HistPoint{Value: p.Value}
	}
	var tb bytes.Buffer
	if err := histTicks(&Hist{Points: pts}).Render(ctx, &tb); err != nil {
		return nil, err
	}
	return tb.Bytes(), nil
}

// deckPlaceGroup is a stakeholder group's placement answers on a deck's item slide, or nil
// when the group is not broken out.
func deckPlaceGroup(p *report.PlaceView, label string) *report.PlaceGroup {
	for i := range p.Groups {
		if p.Groups[i].Label == label {
			return &p.Groups[i]
		}
	}
	return nil
}
