package web

import (
	"fmt"
	"net/http"
	"strconv"

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
	g.GET("/data", s.expertData)
	g.GET("/my-data", s.apiMyData) // the same download as the API's, with the cookie
	g.POST("/withdraw", s.expertWithdraw)
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
	kind := linkKind(err)
	contact, contactName, lang := "", "", ""
	if kind != "invalid" && kind != "error" && tok != "" {
		contact, contactName, lang = s.svc.LinkHelp(c.Request.Context(), tok)
	}
	s.Log.Warn("invite link refused", "reason", kind, "status", status, "request_id", requestID(c))
	v := &templates.LinkPage{Page: s.tpage(templates.Page{Lang: s.pageLang(lang)}), Kind: kind, Status: status, Contact: contact, ContactName: contactName}
	if kind == "error" && status >= http.StatusInternalServerError { // our fault: nothing saved is lost
		v.Kind, v.Body = "server", v.T("link.server.body", requestID(c))
	}
	v.Title = v.T("link." + v.Kind + ".title")
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
	b := expertBase{Page: s.tpage(templates.Page{Lang: s.langFor(e), CSRF: s.Signer.CSRF(expertCSRFKey(e)), Zone: e.Study.Zone}),
		Contact: e.Study.Contact, ContactName: e.Study.ContactName, Editable: q.Editable, Consented: q.Consented,
		Total: len(q.Items), Answered: q.Answered()}
	dates := b.Dates()
	b.SubmittedAt = dates.DateTime(q.SubmittedAt)
	if q.Consented && !e.Panelist.ConsentAt.IsZero() {
		b.ConsentAt, b.ConsentVer = dates.DateTime(e.Panelist.ConsentAt), e.Panelist.ConsentVersion
	}
	b.StudyTitle = def.Title.In(b.Lang)
	if b.StudyTitle == "" {
		b.StudyTitle = e.Study.Title
	}
	if q.Round != nil {
		b.Round = q.Round.Number
		b.Deadline = dates.DateTime(q.Round.Deadline)
		b.ClosedAt = dates.DateTime(q.Round.ClosedAt)
		b.StoreKey = fmt.Sprintf("delphi:%d:%d:%d", e.Study.ID, q.Round.Number, e.Panelist.ID)
		b.CanSuggest = q.Round.Number == 1 && q.Editable
	}
	for _, sec := range s.roundSections(def, q) {
		n := templates.SectionNav{ID: sec.ID, Label: sec.Label.In(b.Lang), Lang: otherLang(sec.Label, b.Lang), Total: len(sec.Items)}
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
	v := &templates.HomePage{Expert: b, Description: e.Study.Def.Description.In(b.Lang), OpenRound: openRoundNotIn(e, q)}
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
			cs := templates.ClosedSection{Label: sec.Label.In(b.Lang), Lang: otherLang(sec.Label, b.Lang)}
			for _, it := range sec.Items {
				a := q.Answers[it.ID]
				ci := templates.ClosedItem{Label: it.Label.In(b.Lang), Lang: otherLang(it.Label, b.Lang), Answer: answerText(&v.Page, def, a), Comment: a.Comment}
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

// openRoundNotIn is the number of a round open now that the expert is not invited to (later
// than their own), 0 when there is none: they must not be told to wait for it.
func openRoundNotIn(e *delphi.Expert, q *delphi.Questionnaire) int {
	for _, r := range e.Study.Rounds {
		if r.Open() && (q.Round == nil || r.Number > q.Round.Number) {
			return r.Number
		}
	}
	return 0
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
