package web

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
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/templates"
)

// expertRoutes registers the expert pages (/r/{token}, /respond/…). The link sets the expert
// cookie and redirects to /respond, so the token never stays in history or a Referer. Every page
// re-checks the link (expertAuth), so a revoked link stops working at once. Without JavaScript
// each section is a form that posts and redirects; expert.js adds autosave through the API.
func (s *Server) expertRoutes(r *gin.Engine) {
	r.GET("/r/:token", s.openLink)
	g := r.Group("/respond", s.expertPageAuth)
	g.GET("", s.expertHome)
	g.POST("/consent", s.expertConsent)
	g.GET("/section/:id", s.expertSection)
	g.POST("/section/:id", s.expertSaveSection)
	g.GET("/review", s.expertReview)
	g.POST("/submit", s.expertSubmit)
	g.GET("/suggest", s.expertSuggestions)
	g.POST("/suggest", s.expertSuggest)
}

// openLink checks an invite link, sets the expert cookie and redirects to a clean URL.
func (s *Server) openLink(c *gin.Context) {
	tok := c.Param("token")
	e, err := s.svc.Expert(c.Request.Context(), tok)
	if err != nil {
		s.linkRefused(c, tok, err)
		return
	}
	// A session cookie: the link from the email opens a new one; the token in it is re-checked
	// on every request.
	s.setCookie(c, expertCookie, tok, 0, "/")
	s.Log.Info("invite link opened", "study", e.Study.ID, "panelist", e.Panelist.ID, "invitation", e.InvitationID,
		"request_id", requestID(c))
	c.Redirect(http.StatusSeeOther, "/respond")
}

// expertPageAuth identifies the expert from the cookie, like expertAuth, but answers a missing
// or refused link with the expert's own page (what happened, whom to contact) and clears a
// cookie that no longer works. Posts must carry the CSRF token.
func (s *Server) expertPageAuth(c *gin.Context) {
	tok, err := c.Cookie(expertCookie)
	if err != nil || tok == "" {
		s.linkRefused(c, "", errNoLink)
		c.Abort()
		return
	}
	e, err := s.svc.Expert(c.Request.Context(), tok)
	if err != nil {
		s.setCookie(c, expertCookie, "", -1, "/")
		s.linkRefused(c, tok, err)
		c.Abort()
		return
	}
	c.Set(fmt.Sprint(keyExpert), e)
	if !safeMethod(c.Request.Method) && !s.csrfOK(c, expertCSRFKey(e)) {
		s.fail(c, delphi.Errorf(delphi.EForbidden, "csrf", "the form has expired or did not come from this site; reload the page and try again"))
		return
	}
	c.Next()
}

// errNoLink: a questionnaire page opened without the link (no cookie, or another browser).
var errNoLink = delphi.Errorf(delphi.EUnauthorized, "", "open the personal link from your invitation email to take part")

func (s *Server) linkRefused(c *gin.Context, tok string, err error) {
	status, _ := s.classify(c, err) // logs internal errors
	kind := "error"
	switch {
	case errors.Is(err, delphi.ErrLinkExpired):
		kind = "expired"
	case errors.Is(err, delphi.ErrLinkRevoked):
		kind = "revoked"
	case errors.Is(err, delphi.ErrWithdrawn):
		kind = "withdrawn"
	case errors.Is(err, delphi.ErrLinkInvalid):
		kind = "invalid"
	case errors.Is(err, errNoLink):
		kind = "nolink"
	}
	contact, lang := "", ""
	if kind != "invalid" && kind != "error" && tok != "" {
		contact, lang = s.svc.LinkHelp(c.Request.Context(), tok)
	}
	s.Log.Warn("invite link refused", "reason", kind, "status", status, "request_id", requestID(c))
	v := &templates.LinkPage{Page: s.tpage(templates.Page{Lang: s.pageLang(lang)}), Kind: kind, Status: status, Contact: contact}
	v.Title = v.T("link." + kind + ".title")
	s.renderPage(c, status, templates.Link(v), 0)
}

// pageLang returns lang when the catalogue has it, else English.
func (s *Server) pageLang(lang string) string {
	for _, l := range s.catalog.Languages() {
		if l == lang {
			return lang
		}
	}
	return "en"
}

// expertBase is what every questionnaire page shows around its content.
type expertBase = templates.Expert

// expertState loads the questionnaire and builds the common part of every page.
func (s *Server) expertState(c *gin.Context) (*delphi.Expert, *delphi.Questionnaire, expertBase, bool) {
	e, _ := expertFrom(c)
	q, err := s.svc.Questionnaire(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return nil, nil, expertBase{}, false
	}
	def := e.Study.Def
	b := expertBase{Page: s.tpage(templates.Page{Lang: s.langFor(e), CSRF: s.Signer.CSRF(expertCSRFKey(e))}),
		Contact: e.Study.Contact, Editable: q.Editable, Consented: q.Consented, SubmittedAt: dateText(q.SubmittedAt),
		Total: len(q.Items), Answered: q.Answered()}
	b.StudyTitle = def.Title.In(b.Lang)
	if b.StudyTitle == "" {
		b.StudyTitle = e.Study.Title
	}
	if q.Round != nil {
		b.Round = q.Round.Number
		b.Deadline = dateText(q.Round.Deadline)
		b.ClosedAt = dateText(q.Round.ClosedAt)
		b.StoreKey = fmt.Sprintf("delphi:%d:%d:%d", e.Study.ID, q.Round.Number, e.Panelist.ID)
		b.CanSuggest = q.Round.Number == 1 && q.Editable
	}
	for _, sec := range s.roundSections(def, q) {
		n := templates.SectionNav{ID: sec.ID, Label: sec.Label.In(b.Lang), Total: len(sec.Items)}
		for _, it := range sec.Items {
			if q.Answers[it.ID].Answered() {
				n.Answered++
			}
		}
		b.Sections = append(b.Sections, n)
	}
	b.Title = b.StudyTitle
	return e, q, b, true
}

// langFor is the expert's language when the definition or the catalogue has it, else English.
func (s *Server) langFor(e *delphi.Expert) string {
	l := e.Panelist.Language
	if l == "" {
		return "en"
	}
	for _, x := range e.Study.Def.Languages {
		if x == l {
			return l
		}
	}
	return s.pageLang(l)
}

// roundSection is a section of the round with its items, in the definition's order.
type roundSection struct {
	ID          string
	Label       survey.Text
	Description survey.Text
	Items       []delphi.RoundItem
}

func sectionsOf(def *survey.Definition, items []delphi.RoundItem) []roundSection {
	n := map[string]int{}
	for _, it := range items {
		n[it.SectionID]++
	}
	by := make(map[string][]delphi.RoundItem, len(n))
	for _, it := range items {
		if by[it.SectionID] == nil {
			by[it.SectionID] = make([]delphi.RoundItem, 0, n[it.SectionID])
		}
		by[it.SectionID] = append(by[it.SectionID], it)
	}
	var out []roundSection
	for _, sec := range def.Sections {
		if len(by[sec.ID]) > 0 {
			out = append(out, roundSection{ID: sec.ID, Label: sec.Label, Description: sec.Description, Items: by[sec.ID]})
			delete(by, sec.ID)
		}
	}
	for _, it := range items { // items of a section the definition lacks (should not happen): keep them askable
		if rest := by[it.SectionID]; len(rest) > 0 {
			out = append(out, roundSection{ID: it.SectionID, Label: survey.Text{"en": it.SectionID}, Items: rest})
			delete(by, it.SectionID)
		}
	}
	return out
}

// roundSections is sectionsOf for the questionnaire's round, kept per round: a round's items
// never change once it is open, and every expert page lists its sections. The result is
// shared: callers must not change it.
func (s *Server) roundSections(def *survey.Definition, q *delphi.Questionnaire) []roundSection {
	if q.Round == nil || len(q.Items) == 0 { // a round being written has no items yet
		return sectionsOf(def, q.Items)
	}
	if secs, ok := s.sections.Get(q.Round.ID); ok {
		return secs
	}
	secs := sectionsOf(def, q.Items)
	s.sections.Put(q.Round.ID, secs)
	return secs
}

// flashes maps the ?m= of a redirect to a catalogue key: no user text travels in the URL.
var flashes = map[string]string{
	"saved":     "flash.saved",
	"consented": "flash.consented",
	"submitted": "flash.submitted",
	"suggested": "flash.suggested",
}

func (s *Server) flash(c *gin.Context, b *expertBase) {
	if k, ok := flashes[c.Query("m")]; ok {
		b.Flash = b.T(k)
	}
}

func (s *Server) expertHome(c *gin.Context) {
	e, q, b, ok := s.expertState(c)
	if !ok {
		return
	}
	s.flash(c, &b)
	v := &templates.HomePage{Expert: b, Description: e.Study.Def.Description.In(b.Lang)}
	if len(b.Sections) > 0 {
		v.First = b.Sections[0].ID
		for _, sec := range b.Sections {
			if sec.Answered < sec.Total {
				v.First = sec.ID
				break
			}
		}
	}
	if q.Round != nil && !q.Editable {
		def := e.Study.Def
		for _, sec := range s.roundSections(def, q) {
			cs := templates.ClosedSection{Label: sec.Label.In(b.Lang)}
			for _, it := range sec.Items {
				a := q.Answers[it.ID]
				ci := templates.ClosedItem{Label: it.Label.In(b.Lang), Answer: answerText(&v.Page, def, a), Comment: a.Comment}
				if a.Placement != "" {
					ci.Placement = v.T("placement." + a.Placement)
				}
				cs.Items = append(cs.Items, ci)
			}
			v.Closed = append(v.Closed, cs)
		}
	}
	s.renderPage(c, http.StatusOK, templates.Home(v), 0)
}

// answerText says an answer in words: "7 – Critical", "Unable to score" or "no answer".
func answerText(p *templates.Page, def *survey.Definition, a delphi.Answer) string {
	switch {
	case a.Unable:
		return def.Scale.Unable.In(p.Lang)
	case a.Rating != nil:
		if i := def.Scale.BandOf(*a.Rating); i >= 0 {
			return fmt.Sprintf("%d – %s", *a.Rating, def.Scale.Bands[i].Label.In(p.Lang))
		}
		return strconv.Itoa(*a.Rating)
	}
	return p.T("answer.none")
}

func (s *Server) expertConsent(c *gin.Context) {
	e, _ := expertFrom(c)
	if c.PostForm("agree") != "yes" {
		_, _, b, ok := s.expertState(c)
		if !ok {
			return
		}
		v := &templates.HomePage{Expert: b, Description: e.Study.Def.Description.In(b.Lang)}
		v.Error = v.T("error.consent")
		s.renderPage(c, http.StatusUnprocessableEntity, templates.Home(v), 0)
		return
	}
	if err := s.svc.Consent(c.Request.Context(), e, s.consentVersion(e.Panelist.Language)); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/respond?m=consented")
}

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
	v := &sectionPage{Expert: b, ID: sec.ID, Label: sec.Label.In(b.Lang), Description: sec.Description.In(b.Lang),
		Index: idx + 1, FromRound: q.PrevRound, MaxComment: delphi.MaxComment, MaxReason: delphi.MaxReason}
	v.Title = v.Label + " · " + b.StudyTitle
	v.Text = templates.SectionTexts{Rate: v.T("item.rate"), Comment: v.T("item.comment"), Reason: v.T("item.reason", q.PrevRound),
		Changed: v.T("item.changed"), Unit: v.T("item.unit"), Values: v.T("item.values"), Derived: v.T("item.derived"),
		DerivedYes: v.T("item.derived.yes"), Tier: v.T("item.tier"), FeedbackTitle: v.T("feedback.title", q.PrevRound),
		FeedbackOwn: v.T("feedback.own", q.PrevRound), OwnComment: v.T("feedback.owncomment"), AnswerNone: v.T("answer.none")}
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
	iv := templates.Item{ID: it.ID, Label: it.Label.In(p.Lang), Description: it.Description.In(p.Lang), Unit: it.Unit,
		Values: strings.Join(it.Categories, ", "), Derived: it.Derived, Changed: it.Changed,
		Rating: a.Rating, Unable: a.Unable, Placement: a.Placement, Comment: a.Comment, Reason: a.Reason,
		Answered: a.Answered()}
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
	if f.Own != nil && fv.ShowOwn {
		fv.Own = answerText(p, def, *f.Own)
		fv.OwnComment = f.Own.Comment
		if f.Own.Rating != nil {
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
	panel, err := s.feedbackPanel(p, def, it.ID, f, fc)
	if err != nil {
		return iv, err
	}
	fv.Panel = panel
	iv.Feedback = fv
	return iv, nil
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
// the expert and of the page.
type panelKey struct {
	round            int64
	item             string
	lang, expertLang string
}

// feedbackPanel returns the panel's part of an item's feedback (distribution, median, class,
// groups, comments) as markup. It comes from the previous round's snapshot, so it is the same
// for every expert reading this round in one language: rendered once by the PanelFeedback
// component (escaped there), then kept as bytes.
func (s *Server) feedbackPanel(p *templates.Page, def *survey.Definition, item string, f *delphi.ItemFeedback, fc feedbackContext) ([]byte, error) {
	key := panelKey{round: fc.round, item: item, lang: p.Lang, expertLang: fc.lang}
	if b, ok := s.feedbackPanels.Get(key); ok {
		return b, nil
	}
	fv := panelFeedbackView(p, def, f)
	fv.FromRound = fc.from
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
	fv.Hist.Label = p.T("feedback.chart", templates.HistDesc(fv.Hist.Points))
	fv.Bands = bandStats(p, def, f.Bands)
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

// dateText is a date and time as the expert pages show it, "" for none.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

// Form field names of a section: rating:<item>, placement:<item>, comment:<item>, reason:<item>,
// and one hidden item=<item> per item on the page.
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
		switch r := form.Get("rating:" + id); r {
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

func (s *Server) expertReview(c *gin.Context) {
	e, q, b, ok := s.expertState(c)
	if !ok {
		return
	}
	if q.Round == nil || (q.Editable && !q.Consented) {
		c.Redirect(http.StatusSeeOther, "/respond")
		return
	}
	s.flash(c, &b)
	v := &templates.ReviewPage{Expert: b}
	v.Title = v.T("review.title") + " · " + b.StudyTitle
	for _, sec := range s.roundSections(e.Study.Def, q) {
		rs := templates.ReviewSection{ID: sec.ID, Label: sec.Label.In(b.Lang)}
		for _, it := range sec.Items {
			if !q.Answers[it.ID].Answered() {
				rs.Items = append(rs.Items, templates.Option{Value: it.ID, Label: it.Label.In(b.Lang)})
			}
		}
		if len(rs.Items) > 0 {
			v.Unanswered = append(v.Unanswered, rs)
			v.Missing += len(rs.Items)
		}
	}
	s.renderPage(c, http.StatusOK, templates.Review(v), 0)
}

func (s *Server) expertSubmit(c *gin.Context) {
	e, _ := expertFrom(c)
	if _, err := s.svc.Submit(c.Request.Context(), e); err != nil {
		s.fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/respond/review?m=submitted")
}

func (s *Server) expertSuggestions(c *gin.Context) {
	s.renderSuggest(c, http.StatusOK, "", "", nil)
}

func (s *Server) renderSuggest(c *gin.Context, status int, label, rationale string, fail error) {
	e, _, b, ok := s.expertState(c)
	if !ok {
		return
	}
	s.flash(c, &b)
	mine, err := s.svc.MySuggestions(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.SuggestPage{Expert: b, Label: label, Rationale: rationale, MaxLabel: 300, MaxReason: delphi.MaxComment}
	for _, sg := range mine {
		v.Mine = append(v.Mine, templates.Suggestion{Label: sg.Label, Rationale: sg.Rationale, Status: sg.Status})
	}
	v.Title = v.T("suggest.title") + " · " + b.StudyTitle
	if fail != nil {
		_, ae := s.classify(c, fail)
		v.Error = v.T("error.notsaved") + " " + ae.Message
		v.FieldError = ae.Field
	}
	s.renderPage(c, status, templates.Suggest(v), 0)
}

func (s *Server) expertSuggest(c *gin.Context) {
	e, _ := expertFrom(c)
	label, rationale := c.PostForm("label"), c.PostForm("rationale")
	if _, err := s.svc.Suggest(c.Request.Context(), e, label, rationale); err != nil {
		status, _ := s.classify(c, err)
		if status >= 500 {
			s.fail(c, err)
			return
		}
		s.renderSuggest(c, status, label, rationale, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/respond/suggest?m=suggested")
}
