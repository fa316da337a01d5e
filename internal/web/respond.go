package web

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

// respondJSON is the expert's view of their current round (GET /api/v1/respond).
type respondJSON struct {
	Study       respondStudy      `json:"study"`
	Round       *roundJSON        `json:"round"`
	Editable    bool              `json:"editable"`
	Consented   bool              `json:"consented"`
	SubmittedAt *time.Time        `json:"submitted_at"`
	Items       []respondItem     `json:"items"`
	Answers     []delphi.Answer   `json:"answers"`
	Scale       survey.Scale      `json:"scale"`
	Placement   *survey.Placement `json:"placement,omitempty"`
}

type respondStudy struct {
	ID          int64       `json:"id"`
	Title       string      `json:"title"`
	Description survey.Text `json:"description,omitempty"`
	Contact     string      `json:"contact,omitempty"`
}

type respondItem struct {
	delphi.RoundItem
	Feedback *feedbackJSON `json:"feedback,omitempty"`
}

type feedbackJSON struct {
	FromRound    int                    `json:"from_round"`
	Own          *delphi.Answer         `json:"own"`
	NRated       int                    `json:"n_rated"`
	NUnable      int                    `json:"n_unable"`
	Hist         []int                  `json:"hist"`
	Bands        []delphi.BandFeedback  `json:"bands"`
	Median       *float64               `json:"median"`
	Class        string                 `json:"class"`
	Groups       []delphi.GroupFeedback `json:"groups"`
	HiddenGroups int                    `json:"hidden_groups"`
	Comments     []string               `json:"comments"`
}

func (s *Server) apiRespond(c *gin.Context) {
	e, _ := expertFrom(c)
	q, err := s.svc.Questionnaire(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	buf, _ := s.respondBufs.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer func() {
		if cap(*buf) <= maxPooledPage {
			s.respondBufs.Put(buf)
		}
	}()
	body, err := s.respondBody((*buf)[:0], e, q)
	if err != nil {
		s.fail(c, err)
		return
	}
	*buf = body
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}

// respondBody encodes respondJSON. The items with the panel's feedback are most of it and the
// same for every expert of a round reading in one language, so they are encoded once (see
// roundItemsJSON); only each expert's own previous answers are spliced in.
func (s *Server) respondBody(b []byte, e *delphi.Expert, q *delphi.Questionnaire) ([]byte, error) {
	head := respondHead{Study: respondStudy{ID: e.Study.ID, Title: e.Study.Title, Description: e.Study.Def.Description, Contact: e.Study.Contact},
		Editable: q.Editable, Consented: q.Consented, SubmittedAt: timePtr(q.SubmittedAt)}
	tail := respondTail{Answers: []delphi.Answer{}, Scale: e.Study.Def.Scale, Placement: e.Study.Def.Placement}
	var items *roundItemsJSON
	if q.Round != nil {
		r := toRoundJSON(*q.Round)
		head.Round = &r
		key := itemsKey{round: q.Round.ID, prev: q.PrevRound, lang: e.Panelist.Language}
		var ok bool
		if items, ok = s.respondItems.Get(key); !ok {
			var err error
			if items, err = encodeRoundItems(q); err != nil {
				return nil, err
			}
			s.respondItems.Put(key, items)
		}
	}
	hb, err := json.Marshal(head)
	if err != nil {
		return nil, err
	}
	for _, it := range q.Items {
		if a, ok := q.Answers[it.ID]; ok {
			tail.Answers = append(tail.Answers, a)
		}
	}
	tb, err := json.Marshal(tail)
	if err != nil {
		return nil, err
	}
	n := len(hb) + len(tb) + 64*len(q.Items)
	if items != nil {
		n += items.size
	}
	b = slices.Grow(b, n)
	b = append(b, hb[:len(hb)-1]...) // without its }
	b = append(b, `,"items":[`...)
	for i, it := range q.Items {
		if i > 0 {
			b = append(b, ',')
		}
		part := items.parts[i]
		b = append(b, part.before...)
		if part.after == nil {
			continue
		}
		if f := q.Feedback[it.ID]; f != nil && f.Own != nil {
			own, err := json.Marshal(f.Own)
			if err != nil {
				return nil, err
			}
			b = append(b, own...)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, part.after...)
	}
	b = append(b, "],"...)
	return append(b, tb[1:]...), nil // without its {
}

// respondHead and respondTail are respondJSON's fields before and after the items, in order.
type respondHead struct {
	Study       respondStudy `json:"study"`
	Round       *roundJSON   `json:"round"`
	Editable    bool         `json:"editable"`
	Consented   bool         `json:"consented"`
	SubmittedAt *time.Time   `json:"submitted_at"`
}

type respondTail struct {
	Answers   []delphi.Answer   `json:"answers"`
	Scale     survey.Scale      `json:"scale"`
	Placement *survey.Placement `json:"placement,omitempty"`
}

// itemsKey names a round's items with the panel's feedback from the round before, in one
// language: all of it comes from what never changes once the round is open.
type itemsKey struct {
	round int64
	prev  int
	lang  string
}

// roundItemsJSON is a round's items encoded as respondItem, each cut where the expert's own
// previous answer goes ("own" in the feedback).
type roundItemsJSON struct {
	parts []itemJSON
	size  int // bytes in all parts
}

type itemJSON struct {
	before, after []byte // after is nil for an item without feedback (before is all of it)
}

// encodeRoundItems encodes the questionnaire's items with their feedback, "own" left out.
func encodeRoundItems(q *delphi.Questionnaire) (*roundItemsJSON, error) {
	out := &roundItemsJSON{parts: make([]itemJSON, len(q.Items))}
	for i, it := range q.Items {
		ri := respondItem{RoundItem: it}
		f := q.Feedback[it.ID]
		if f != nil {
			ri.Feedback = &feedbackJSON{FromRound: q.PrevRound, NRated: f.NRated, NUnable: f.NUnable, Hist: f.Hist,
				Bands: f.Bands, Median: f.Median, Class: f.Class, Groups: f.Groups, HiddenGroups: f.HiddenGroups, Comments: f.Comments}
		}
		b, err := json.Marshal(ri)
		if err != nil {
			return nil, err
		}
		if f == nil {
			out.parts[i] = itemJSON{before: b}
			continue
		}
		// "feedback" is respondItem's last field and "own" follows feedbackJSON's first, a
		// number: the first "own":null after it is the field, not text (text has its quotes
		// escaped).
		fb := bytes.LastIndex(b, []byte(`"feedback":{"from_round":`))
		own := bytes.Index(b[max(fb, 0):], []byte(`,"own":null`))
		if fb < 0 || own < 0 {
			return nil, fmt.Errorf("web: encoding item %s: no place for the own answer", it.ID)
		}
		cut := fb + own + len(`,"own":`)
		out.parts[i] = itemJSON{before: b[:cut], after: b[cut+len("null"):]}
	}
	for _, p := range out.parts {
		out.size += len(p.before) + len(p.after)
	}
	return out, nil
}

func (s *Server) apiConsent(c *gin.Context) {
	e, _ := expertFrom(c)
	if err := s.svc.Consent(c.Request.Context(), e, s.consentVersion(e.Panelist.Language)); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"consented": true})
}

func (s *Server) apiSaveAnswers(c *gin.Context) {
	e, _ := expertFrom(c)
	var in struct {
		Answers []delphi.Answer `json:"answers"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.SaveAnswers(c.Request.Context(), e, in.Answers)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"saved": len(in.Answers), "round": r.Number})
}

func (s *Server) apiSubmit(c *gin.Context) {
	e, _ := expertFrom(c)
	at, err := s.svc.Submit(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"submitted_at": at})
}

func (s *Server) apiSuggest(c *gin.Context) {
	e, _ := expertFrom(c)
	var in struct {
		Label     string `json:"label"`
		Rationale string `json:"rationale"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	sg, err := s.svc.Suggest(c.Request.Context(), e, in.Label, in.Rationale)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, sg)
}

// consentVersion names the consent text shown in lang: the language and a hash of the text, so
// that a record says exactly which words were agreed to, and a changed text is a new version.
func (s *Server) consentVersion(lang string) string {
	h := sha256.Sum256([]byte(s.catalog.T(lang, "consent.text") + "\x00" + s.catalog.T(lang, "consent.agree")))
	return lang + "-" + hex.EncodeToString(h[:6])
}

// apiMyData is the expert's download of everything stored about them (JSON, as a file).
func (s *Server) apiMyData(c *gin.Context) {
	e, _ := expertFrom(c)
	out, err := s.svc.ExpertData(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="my-data-`+e.Panelist.Pseudonym+`.json"`)
	c.Header("Cache-Control", "private, no-store")
	c.JSON(http.StatusOK, out)
}

// apiWithdrawSelf is the expert leaving the study: their link stops working; their answers in
// rounds still open stay (keep) or go (remove_open), as they choose.
func (s *Server) apiWithdrawSelf(c *gin.Context) {
	e, _ := expertFrom(c)
	var in struct {
		Answers string `json:"answers"`
	}
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.WithdrawSelf(c.Request.Context(), e, in.Answers); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"withdrawn": true, "answers": cmp.Or(in.Answers, delphi.KeepAnswers)})
}
