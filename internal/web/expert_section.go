package web

// A section of the questionnaire: the page, its items and feedback, and saving it without JavaScript.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/templates"
)

// sectionPage is one section of the questionnaire.
type sectionPage = templates.SectionPage

func (s *Server) expertSection(c *gin.Context) {
	e, q, b, ok := s.expertState(c)
	if !ok {
		return
	}
	if q.Round != nil && q.Editable && !q.Consented {
		c.Redirect(http.StatusSeeOther, "/respond")
		return
	}
	s.flash(c, &b)
	v, ok := s.buildSection(c, e, q, b, c.Param("id"), nil)
	if !ok {
		return
	}
	s.renderSection(c, http.StatusOK, v)
}

// renderSection renders a section page into a buffer of about its size.
func (s *Server) renderSection(c *gin.Context, status int, v *sectionPage) {
	s.renderPage(c, status, templates.Section(v), 16<<10+12<<10*len(v.Items))
}

// buildSection builds a section page; posted answers (after a refused save) replace saved ones.
func (s *Server) buildSection(c *gin.Context, e *delphi.Expert, q *delphi.Questionnaire, b expertBase, id string,
	posted map[string]delphi.Answer) (*sectionPage, bool) {
	def := e.Study.Def
	secs := s.roundSections(def, q)
	idx := -1
	for i, sec := range secs {
		if sec.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "this round has no section %q", id))
		return nil, false
	}
	sec := secs[idx]
	for i := range b.Sections {
		b.Sections[i].Current = b.Sections[i].ID == id
	}
	v := &sectionPage{Expert: b, ID: sec.ID, Label: sec.Label.In(b.Lang), LabelLang: otherLang(sec.Label, b.Lang),
		Description: sec.Description.In(b.Lang), DescLang: otherLang(sec.Description, b.Lang),
		Index: idx + 1, FromRound: q.PrevRound, MaxComment: delphi.MaxComment, MaxReason: delphi.MaxReason}
	v.Title = v.Label + " · " + b.StudyTitle
	v.Text = templates.SectionTexts{Rate: v.T("item.rate"), Comment: v.T("item.comment"), Reason: v.T("item.reason", q.PrevRound),
		Changed: v.T("item.changed"), Unit: v.T("item.unit"), Values: v.T("item.values"), Derived: v.T("item.derived"),
		DerivedYes: v.T("item.derived.yes"), Tier: v.T("item.tier"), FeedbackTitle: v.T("feedback.title", q.PrevRound),
		FeedbackOwn: v.T("feedback.own", q.PrevRound), OwnComment: v.T("feedback.owncomment"), AnswerNone: v.T("answer.none"),
		Clear: v.T("item.clear")}
	if idx > 0 {
		v.Prev = secs[idx-1].ID
	}
	if idx+1 < len(secs) {
		v.Next = secs[idx+1].ID
	}
	v.Scale, v.Parts = s.scale(def, q, b.Lang, b.Editable)
	if pl := def.Placement; pl != nil {
		pv := &templates.Placement{Question: pl.Label.In(b.Lang)}
		if pv.Question == "" {
			pv.Question = v.T("placement.question")
		}
		for _, o := range pl.Options {
			pv.Options = append(pv.Options, templates.Option{Value: o, Label: v.T("placement." + o)})
		}
		v.Placement = pv
	}
	var fc feedbackContext
	if q.Round != nil {
		fc = feedbackContext{round: q.Round.ID, from: q.PrevRound, lang: e.Panelist.Language, scale: v.Scale}
	}
	v.Items = make([]templates.Item, 0, len(sec.Items))
	for _, it := range sec.Items {
		a, ok := posted[it.ID]
		if !ok {
			a = q.Answers[it.ID]
		}
		iv, err := s.itemView(&v.Page, def, it, a, q.Feedback[it.ID], fc)
		if err != nil {
			s.fail(c, err)
			return nil, false
		}
		v.Items = append(v.Items, iv)
	}
	return v, true
}

// scaleKey names a round's rating scale in one language, editable or not.
type scaleKey struct {
	round    int64
	lang     string
	editable bool
}

// roundScale is a round's rating scale in one language and the items' markup kept with it.
type roundScale struct {
	scale *templates.Scale
	parts *templates.Parts
}

// scale returns the rating scale as the section page shows it and the items' markup kept for
// the round, language and editability: a round's items and definition never change once it
// is open. Without a round (nothing to ask) nothing is kept.
func (s *Server) scale(def *survey.Definition, q *delphi.Questionnaire, lang string, editable bool) (*templates.Scale, *templates.Parts) {
	var k scaleKey
	if q.Round != nil {
		k = scaleKey{q.Round.ID, lang, editable}
		if rs, ok := s.scales.Get(k); ok {
			return rs.scale, rs.parts
		}
	}
	sc := &templates.Scale{Unable: def.Scale.Unable.In(lang)}
	for _, band := range def.Scale.Bands {
		sb := templates.ScaleBand{ID: band.ID, Label: band.Label.In(lang), From: band.From, To: band.To}
		for p := band.From; p <= band.To; p++ {
			sb.Points = append(sb.Points, p)
		}
		sc.Bands = append(sc.Bands, sb)
	}
	if q.Round == nil {
		return sc, nil
	}
	rs, _ := s.scales.LoadOrStore(k, roundScale{sc, templates.NewParts()})
	return rs.scale, rs.parts
}

func (s *Server) itemView(p *templates.Page, def *survey.Definition, it delphi.RoundItem, a delphi.Answer, f *delphi.ItemFeedback,
	fc feedbackContext) (templates.Item, error) {
	iv := templates.Item{ID: it.ID, Label: it.Label.In(p.Lang), LabelLang: otherLang(it.Label, p.Lang),
		Description: it.Description.In(p.Lang), DescLang: otherLang(it.Description, p.Lang), Unit: it.Unit,
		Derived: it.Derived, Changed: it.Changed,
		Rating: a.Rating, Unable: a.Unable, Placement: a.Placement, Comment: a.Comment, Reason: a.Reason,
		Answered: a.Answered()}
	for _, code := range it.Categories {
		label, in := it.CategoryLabel(code, p.Lang)
		if in == p.Lang {
			in = ""
		}
		sep := ""
		if len(iv.Values) > 0 {
			sep = ", "
		}
		iv.Values = append(iv.Values, templates.Value{Sep: sep, Label: label, Lang: in})
	}
	switch it.ProposedTier {
	case "core":
		iv.Tier = p.T("tier.core")
	case "expansion":
		mod := it.Module
		for _, m := range def.Modules {
			if m.ID == it.Module {
				mod = m.Label.In(p.Lang)
			}
		}
		if mod == "" {
			iv.Tier = p.T("tier.expansion")
		} else {
			iv.Tier = p.T("tier.module", mod)
		}
	}
	if f == nil {
		return iv, nil
	}
	fv := &templates.Feedback{ShowOwn: len(def.Feedback.Show) == 0 || def.Feedback.Shows("own")}
	own := 0 // the expert's own rating, marked in the panel's chart
	if f.Own != nil && fv.ShowOwn {
		fv.Own = answerText(p, def, *f.Own)
		fv.OwnComment = f.Own.Comment
		if f.Own.Rating != nil {
			own = *f.Own.Rating
			if i := def.Scale.BandOf(*f.Own.Rating); i >= 0 {
				fv.OwnBand = def.Scale.Bands[i].ID
				iv.AskReason = true
				if a.Rating != nil {
					if j := def.Scale.BandOf(*a.Rating); j >= 0 && j != i {
						iv.ReasonOpen = true
					}
				}
			}
		}
	}
	if a.Reason != "" {
		iv.AskReason, iv.ReasonOpen = true, true
	}
	panel, err := s.feedbackPanel(p, def, it.ID, f, fc, own)
	if err != nil {
		return iv, err
	}
	fv.Panel = panel
	iv.Feedback = fv
	return iv, nil
}

// otherLang is the language t shows in lang when that is not lang (it has no translation), for
// the lang attribute of its element; "" when it is lang or t is empty.
func otherLang(t survey.Text, lang string) string {
	if in := t.Lang(lang); in != lang && t.In(lang) != "" {
		return in
	}
	return ""
}

// feedbackContext is what the feedback of a section's items shares: the round it is shown in,
// the one it comes from, the expert's language (the panel's feedback is built in it) and the
// scale as the page shows it.
type feedbackContext struct {
	round int64
	from  int
	lang  string
	scale *templates.Scale
}

// panelKey names the panel's part of one item's feedback in one round, for one language of
// the expert and of the page, with the reader's own rating marked in the chart (own, 0: none).
type panelKey struct {
	round            int64
	item             string
	lang, expertLang string
	own              int
}

// feedbackPanel returns the panel's part of an item's feedback (distribution, median, class,
// groups, comments) as markup. It comes from the previous round's snapshot, so it is the same
// for every expert reading this round in one language who gave the same rating (own, 0 for
// none): rendered once by the PanelFeedback component (escaped there), then kept as bytes.
func (s *Server) feedbackPanel(p *templates.Page, def *survey.Definition, item string, f *delphi.ItemFeedback, fc feedbackContext,
	own int) ([]byte, error) {
	key := panelKey{round: fc.round, item: item, lang: p.Lang, expertLang: fc.lang, own: own}
	if b, ok := s.feedbackPanels.Get(key); ok {
		return b, nil
	}
	fv := panelFeedbackView(p, def, f)
	fv.Item, fv.FromRound = item, fc.from
	if own != 0 {
		fv.Hist.Own, fv.Hist.OwnLabel = own, p.T("feedback.yours")
	}
	if fc.scale != nil {
		fv.ScaleBands = fc.scale.Bands
	}
	var buf bytes.Buffer
	if err := templates.PanelFeedback(fv).Render(context.Background(), &buf); err != nil {
		return nil, fmt.Errorf("web: feedback of %s: %w", item, err)
	}
	b := buf.Bytes()
	s.feedbackPanels.Put(key, b)
	return b, nil
}

// panelFeedbackView is the panel's part of an item's feedback as the component shows it.
func panelFeedbackView(p *templates.Page, def *survey.Definition, f *delphi.ItemFeedback) *templates.FeedbackPanel {
	fv := &templates.FeedbackPanel{Page: p, NRated: f.NRated, NUnable: f.NUnable, Median: fptrText(f.Median), Class: f.Class,
		Comments: f.Comments, HiddenGroups: f.HiddenGroups, MinGroup: def.Feedback.MinGroupSize}
	shows := func(part string) bool { return len(def.Feedback.Show) == 0 || def.Feedback.Shows(part) }
	fv.ShowDist, fv.ShowMedian = shows("distribution"), shows("median")
	if fv.MinGroup < 1 {
		fv.MinGroup = 5
	}
	if f.Class != "" {
		fv.ClassLabel = p.T("class." + f.Class)
	}
	fv.Hist = templates.Hist{Class: "hist-chart", Points: make([]templates.HistPoint, len(f.Hist))}
	for i, n := range f.Hist {
		pt := templates.HistPoint{Value: def.Scale.Min + i, N: n, Index: def.Scale.BandOf(def.Scale.Min + i)}
		if pt.Index >= 0 {
			pt.Band = def.Scale.Bands[pt.Index].ID
		}
		fv.Hist.Points[i] = pt
	}
	// The chart's numbers are in the table beside it (PanelFeedback): the chart itself is hidden
	// from screen readers rather than read twice.
	fv.Bands = bandStats(p, def, f.Bands)
	for _, pl := range f.Placement {
		fv.NPlaced += pl.N
	}
	for _, pl := range f.Placement {
		pct := strconv.FormatFloat(pl.Pct, 'f', 0, 64)
		fv.Placement = append(fv.Placement, templates.PlacementStat{Label: p.T("placement." + pl.Option), Value: pct,
			Pct: pct + "% (" + strconv.Itoa(pl.N) + ")"})
	}
	for _, g := range f.Groups {
		label := g.ID
		for _, dg := range def.Groups {
			if dg.ID == g.ID {
				label = dg.Label.In(p.Lang)
			}
		}
		fv.Groups = append(fv.Groups, templates.GroupStat{Label: label, N: g.NRated, Median: fptrText(g.Median), Bands: bandStats(p, def, g.Bands)})
	}
	return fv
}

func bandStats(p *templates.Page, def *survey.Definition, bs []delphi.BandFeedback) []templates.BandStat {
	out := make([]templates.BandStat, 0, len(bs))
	for i, bf := range bs {
		label := bf.Label
		if i < len(def.Scale.Bands) {
			label = def.Scale.Bands[i].Label.In(p.Lang)
		}
		out = append(out, templates.BandStat{ID: bf.ID, Label: label, From: bf.From, To: bf.To, N: bf.N, Pct: fmt.Sprintf("%.0f%%", bf.Pct)})
	}
	return out
}

func fptrText(f *float64) string {
	if f == nil {
		return "–"
	}
	return formatNum(*f)
}

// Form field names of a section: rating:<item>, placement:<item>, comment:<item>, reason:<item>,
// one hidden item=<item> per item on the page, and clear=<item> from the button that clears
// an item's rating (the page is saved with that item's rating removed).
var fieldRe = regexp.MustCompile(`^(rating|placement|comment|reason):([a-z0-9][a-z0-9_-]{0,63})$`)

// parseSection reads a posted section into answers, in page order. Every field must belong to an
// item listed on the form, and appear once; anything else is a forged form and is refused whole.
func parseSection(form url.Values, scale survey.Scale) ([]delphi.Answer, error) {
	ids := form["item"]
	listed := make(map[string]bool, len(ids))
	for _, id := range ids {
		if listed[id] {
			return nil, malformed("item %q is listed twice", id)
		}
		listed[id] = true
	}
	for k, vs := range form {
		switch k {
		case "csrf", "item", "go":
			continue
		case "clear":
			if len(vs) != 1 || !listed[vs[0]] {
				return nil, malformed("clear names no item of the form")
			}
			continue
		}
		m := fieldRe.FindStringSubmatch(k)
		if m == nil || !listed[m[2]] {
			return nil, malformed("unexpected form field %q", k)
		}
		if len(vs) != 1 {
			return nil, malformed("form field %q appears %d times", k, len(vs))
		}
	}
	// From here on the form is well-formed: a bad value comes back with the answers, so that the
	// page can show the expert's input again.
	out := make([]delphi.Answer, 0, len(ids))
	var bad error
	for i, id := range ids {
		a := delphi.Answer{Item: id, Placement: form.Get("placement:" + id), Comment: form.Get("comment:" + id),
			Reason: form.Get("reason:" + id)}
		r := form.Get("rating:" + id)
		if form.Get("clear") == id {
			r = ""
		}
		switch r {
		case "":
		case "unable":
			a.Unable = true
		default:
			n, err := strconv.Atoi(r)
			if err != nil && bad == nil {
				bad = delphi.Errorf(delphi.EInvalid, fmt.Sprintf("answers[%d].rating", i),
					"the rating must be a whole number from %d to %d", scale.Min, scale.Max)
			}
			if err == nil {
				a.Rating = &n
			}
		}
		out = append(out, a)
	}
	return out, bad
}

func (s *Server) expertSaveSection(c *gin.Context) {
	e, q, b, ok := s.expertState(c)
	if !ok {
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			err = malformed("the form could not be read")
		}
		s.fail(c, err)
		return
	}
	id := c.Param("id")
	posted, err := parseSection(c.Request.PostForm, e.Study.Def.Scale)
	if err != nil {
		s.sectionError(c, e, q, b, id, posted, err)
		return
	}
	// Skip items left empty that have nothing saved: an empty answer is not an answer.
	save := make([]delphi.Answer, 0, len(posted))
	for _, a := range posted {
		_, had := q.Answers[a.Item]
		if had || a.Answered() || a.Placement != "" || strings.TrimSpace(a.Comment) != "" || strings.TrimSpace(a.Reason) != "" {
			save = append(save, a)
		}
	}
	if len(save) > 0 {
		if _, err := s.svc.SaveAnswers(c.Request.Context(), e, save); err != nil {
			s.sectionError(c, e, q, b, id, save, err)
			return
		}
	}
	next := "/respond/section/" + url.PathEscape(id) + "?m=saved"
	if cl := c.PostForm("clear"); cl != "" {
		next += "#item-" + url.PathEscape(cl)
	}
	switch c.PostForm("go") {
	case "next":
		secs := s.roundSections(e.Study.Def, q)
		for i, sec := range secs {
			if sec.ID == id && i+1 < len(secs) {
				next = "/respond/section/" + url.PathEscape(secs[i+1].ID) + "?m=saved"
			} else if sec.ID == id {
				next = "/respond/review?m=saved"
			}
		}
	case "prev":
		secs := s.roundSections(e.Study.Def, q)
		for i, sec := range secs {
			if sec.ID == id && i > 0 {
				next = "/respond/section/" + url.PathEscape(secs[i-1].ID) + "?m=saved"
			}
		}
	case "review":
		next = "/respond/review?m=saved"
	}
	c.Redirect(http.StatusSeeOther, next)
}

// fieldIndexRe finds the answer index in a domain error's field ("answers[3].rating").
var fieldIndexRe = regexp.MustCompile(`^answers\[(\d+)\]\.(\w+)$`)

// sectionError re-renders the section with the expert's input and says what was wrong; nothing
// was saved. Forged forms and errors that are not about one answer go to the error page.
func (s *Server) sectionError(c *gin.Context, e *delphi.Expert, q *delphi.Questionnaire, b expertBase, id string,
	posted []delphi.Answer, err error) {
	status, ae := s.classify(c, err)
	m := fieldIndexRe.FindStringSubmatch(ae.Field)
	if status >= 500 || m == nil || posted == nil {
		s.fail(c, err)
		return
	}
	i, _ := strconv.Atoi(m[1])
	if i >= len(posted) {
		s.fail(c, err)
		return
	}
	in := make(map[string]delphi.Answer, len(posted))
	for _, a := range posted {
		in[a.Item] = a
	}
	v, ok := s.buildSection(c, e, q, b, id, in)
	if !ok {
		return
	}
	item := posted[i].Item
	msg := ae.Message
	switch m[2] {
	case "rating":
		msg = v.T("error.rating", e.Study.Def.Scale.Min, e.Study.Def.Scale.Max)
	case "comment":
		msg = v.T("error.comment", delphi.MaxComment)
	case "reason":
		msg = v.T("error.reason", delphi.MaxReason)
	case "placement":
		msg = v.T("error.placement")
	case "item":
		msg = v.T("error.item", item)
	}
	for j := range v.Items {
		if v.Items[j].ID == item {
			v.Items[j].Error = msg
		}
	}
	v.Error = v.T("error.notsaved") + " " + msg
	s.renderSection(c, status, v)
}
