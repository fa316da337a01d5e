package web

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
)

// respondJSON is the expert's view of their current round (GET /api/v1/respond). The handler
// writes it as respondOut.
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
	ContactName string      `json:"contact_name,omitempty"`
}

// respondItem is an item of the questionnaire with its feedback from round 2 on.
type respondItem struct {
	delphi.RoundItem
	Feedback *feedbackJSON `json:"feedback,omitempty"`
}

// feedbackJSON is an item's feedback: the expert's own previous answer and the panel's results.
type feedbackJSON struct {
	FromRound int            `json:"from_round"`
	Own       *delphi.Answer `json:"own"`
	panelJSON
}

// panelJSON is the panel's part of an item's feedback, the same for every expert of the round
// reading in one language.
type panelJSON struct {
	NRated       int                    `json:"n_rated"`
	NUnable      int                    `json:"n_unable"`
	Hist         []int                  `json:"hist"`
	Bands        []delphi.BandFeedback  `json:"bands"`
	Median       *float64               `json:"median"`
	Class        string                 `json:"class"`
	Groups       []delphi.GroupFeedback `json:"groups"`
	HiddenGroups int                    `json:"hidden_groups"`
	Comments     []string               `json:"comments"`
	// Placement is the split of the panel's placement answers; absent without any.
	Placement []delphi.PlacementFeedback `json:"placement,omitempty"`
}

// apiJSONOptions make go-json-experiment/json write the questionnaire as encoding/json wrote it:
// nil slices and maps as null, map keys sorted, omitempty as encoding/json reads it, and <, >,
// & and U+2028/2029 escaped (no API answer carries markup, TestHostileTextInert).
func apiJSONOptions() json.Options {
	return json.JoinOptions(json.FormatNilSliceAsNull(true), json.FormatNilMapAsNull(true), json.Deterministic(true),
		jsonv1.OmitEmptyWithLegacySemantics(true), jsontext.EscapeForHTML(true), jsontext.EscapeForJS(true))
}

// respondOutOptions write respondOut, a document of values encoded apart with apiJSONOptions:
// the library checks each value as it writes it, and the checks those values passed when they
// were encoded are left out (escapes, UTF-8, duplicate names: the library wrote them from Go
// structs). Escaping in particular would read every string with a non-ASCII letter or an escape
// in it once more.
func respondOutOptions() json.Options {
	return json.JoinOptions(apiJSONOptions(), jsontext.EscapeForHTML(false), jsontext.EscapeForJS(false),
		jsontext.PreserveRawStrings(true), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
}

// respondOut is respondJSON as the handler writes it (TestRespondDocument holds the two to the
// byte): the items from sharedItems, and every other value that holds a string encoded apart
// (escaped), as respondOutOptions require.
type respondOut struct {
	Study       escaped[respondStudy]       `json:"study"`
	Round       escaped[*roundJSON]         `json:"round"`
	Editable    bool                        `json:"editable"`
	Consented   bool                        `json:"consented"`
	SubmittedAt *time.Time                  `json:"submitted_at"`
	Items       itemsSlot                   `json:"items"`
	Answers     escaped[[]delphi.Answer]    `json:"answers"`
	Scale       escaped[survey.Scale]       `json:"scale"`
	Placement   *escaped[*survey.Placement] `json:"placement,omitempty"`
}

// escaped is a value that MarshalJSONTo encodes with apiJSONOptions, whatever the options of
// the document around it.
type escaped[T any] struct{ v T }

// MarshalJSONTo writes e.v encoded with apiJSONOptions.
func (e escaped[T]) MarshalJSONTo(enc *jsontext.Encoder) error {
	b, err := json.Marshal(e.v, apiJSONOptions())
	if err != nil {
		return err
	}
	return enc.WriteValue(b)
}

func (s *Server) apiRespond(c *gin.Context) {
	e, _ := expertFrom(c)
	q, err := s.svc.Questionnaire(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	buf, _ := s.respondBufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			s.respondBufs.Put(buf)
		}
	}()
	out, err := s.respondOf(e, q)
	if err == nil {
		err = out.write(buf)
	}
	if err != nil {
		s.fail(c, fmt.Errorf("questionnaire: %w", err))
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", buf.Bytes())
}

// write writes the document into buf: the library encodes it with an empty items array, whose
// place it notes, and the items, each encoded once for the round and language (sharedItem),
// go in that place with the expert's own answers encoded between their halves. Nothing of
// the items is checked again on every request (jsontext re-reads every value it is given).
func (out *respondOut) write(buf *bytes.Buffer) error {
	if err := json.MarshalWrite(buf, out, respondOutOptions()); err != nil {
		return err
	}
	at := int(out.Items.at)
	doc := buf.Bytes()
	if at <= 0 || at >= len(doc) || doc[at-1] != '[' || doc[at] != ']' {
		return fmt.Errorf("the items' place in the document is lost (at %d)", at)
	}
	rest := bytes.Clone(doc[at:])
	buf.Truncate(at)
	b := buf.AvailableBuffer()
	for i, it := range out.Items.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.shared.head...)
		if it.shared.tail != nil {
			own, err := json.Marshal(it.own, apiJSONOptions())
			if err != nil {
				return fmt.Errorf("own answer to item %s: %w", it.shared.id, err)
			}
			b = append(append(b, own...), it.shared.tail...)
		}
	}
	buf.Write(b)
	buf.Write(rest)
	return nil
}

// itemsSlot is the items of respondOut: the library writes an empty array and notes where its
// elements go (respondOut.write puts them there).
type itemsSlot struct {
	items []itemOut
	at    int64
}

// MarshalJSONTo writes [] and notes the offset of ].
func (sl *itemsSlot) MarshalJSONTo(enc *jsontext.Encoder) error {
	if err := enc.WriteToken(jsontext.BeginArray); err != nil {
		return err
	}
	sl.at = enc.OutputOffset()
	return enc.WriteToken(jsontext.EndArray)
}

// respondOf is the expert's questionnaire as written, its items from sharedItems.
func (s *Server) respondOf(e *delphi.Expert, q *delphi.Questionnaire) (*respondOut, error) {
	out := &respondOut{Study: escaped[respondStudy]{respondStudy{ID: e.Study.ID, Title: e.Study.Title, Description: e.Study.Def.Description, Contact: e.Study.Contact, ContactName: e.Study.ContactName}},
		Editable: q.Editable, Consented: q.Consented, SubmittedAt: timePtr(q.SubmittedAt),
		Answers: escaped[[]delphi.Answer]{[]delphi.Answer{}}, Scale: escaped[survey.Scale]{e.Study.Def.Scale}}
	if p := e.Study.Def.Placement; p != nil {
		out.Placement = &escaped[*survey.Placement]{p}
	}
	if q.Round == nil {
		return out, nil
	}
	r := toRoundJSON(*q.Round)
	out.Round.v = &r
	key := itemsKey{round: q.Round.ID, prev: q.PrevRound, lang: e.Panelist.Language}
	var shared []sharedItem
	if v, ok := s.respondItems.Get(key); ok {
		shared = v
	} else {
		var err error
		if shared, err = sharedItems(q); err != nil {
			return nil, err
		}
		s.respondItems.Put(key, shared)
	}
	out.Items.items = make([]itemOut, len(shared))
	for i := range shared {
		it := &shared[i]
		out.Items.items[i].shared = it
		if f := q.Feedback[it.id]; f != nil {
			out.Items.items[i].own = f.Own
		}
		if a, ok := q.Answers[it.id]; ok {
			out.Answers.v = append(out.Answers.v, a)
		}
	}
	return out, nil
}

// itemsKey names a round's items with the panel's feedback from the round before, in one
// language: all of it comes from what never changes once the round is open.
type itemsKey struct {
	round int64
	prev  int
	lang  string
}

// sharedItem is an item of the questionnaire as every expert of the round reading in one
// language gets it, encoded once by the library: with feedback, the object's bytes before and
// after the expert's own previous answer ({item…, "feedback": {"from_round": n, "own": | ,
// panel…}}); without, the whole object in head and tail nil.
type sharedItem struct {
	id         string
	head, tail []byte
}

// itemOut is an item of respondOut: the shared encoding, with the expert's own previous answer
// where feedbackJSON has it (TestRespondDocument holds the two to the byte).
type itemOut struct {
	shared *sharedItem
	own    *delphi.Answer
}

// sharedItems encodes the questionnaire's items and the panel's part of their feedback.
func sharedItems(q *delphi.Questionnaire) ([]sharedItem, error) {
	out := make([]sharedItem, len(q.Items))
	for i, it := range q.Items {
		var panel any
		if f := q.Feedback[it.ID]; f != nil {
			panel = panelJSON{NRated: f.NRated, NUnable: f.NUnable, Hist: f.Hist, Bands: f.Bands,
				Median: f.Median, Class: f.Class, Groups: f.Groups, HiddenGroups: f.HiddenGroups, Comments: f.Comments,
				Placement: f.Placement}
		}
		sh, err := encodeShared(it.ID, it, panel, q.PrevRound)
		if err != nil {
			return nil, fmt.Errorf("item %s: %w", it.ID, err)
		}
		out[i] = sh
	}
	return out, nil
}

// encodeShared encodes an item (a struct) and, when panel is not nil, its feedback object with
// a null where the expert's own answer goes, and cuts the bytes there.
func encodeShared(id string, item, panel any, fromRound int) (sharedItem, error) {
	var b bytes.Buffer
	enc := jsontext.NewEncoder(&b, apiJSONOptions())
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return sharedItem{}, err
	}
	if err := writeMembersOf(enc, item); err != nil {
		return sharedItem{}, err
	}
	var cut int64
	if panel != nil {
		for _, t := range []jsontext.Token{jsontext.String("feedback"), jsontext.BeginObject,
			jsontext.String("from_round"), jsontext.Int(int64(fromRound)), jsontext.String("own"), jsontext.Null} {
			if err := enc.WriteToken(t); err != nil {
				return sharedItem{}, err
			}
		}
		cut = enc.OutputOffset()
		if err := writeMembersOf(enc, panel); err != nil {
			return sharedItem{}, err
		}
		if err := enc.WriteToken(jsontext.EndObject); err != nil {
			return sharedItem{}, err
		}
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return sharedItem{}, err
	}
	all := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if panel == nil {
		return sharedItem{id: id, head: all}, nil
	}
	if !bytes.HasSuffix(all[:cut], []byte("null")) {
		return sharedItem{}, fmt.Errorf("the own answer's place is lost (at %d)", cut)
	}
	return sharedItem{id: id, head: all[: cut-4 : cut-4], tail: all[cut:]}, nil
}

// writeMembersOf encodes v, a struct, and writes its members into the object enc is writing.
func writeMembersOf(enc *jsontext.Encoder, v any) error {
	b, err := json.Marshal(v, apiJSONOptions())
	if err != nil {
		return err
	}
	dec := jsontext.NewDecoder(bytes.NewReader(b))
	if _, err := dec.ReadToken(); err != nil { // {
		return err
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return err
		}
		if err := enc.WriteToken(name); err != nil {
			return err
		}
		val, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if err := enc.WriteValue(val); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) apiConsent(c *gin.Context) {
	e, _ := expertFrom(c)
	if err := s.svc.Consent(c.Request.Context(), e, s.consentVersion(e.Panelist.Language)); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, consentJSON{Consented: true})
}

// consentJSON answers POST /respond/consent.
type consentJSON struct {
	Consented bool `json:"consented"`
}

// answersInput is the body of PUT /respond/answers.
type answersInput struct {
	Answers []delphi.Answer `json:"answers"`
}

// savedJSON answers PUT /respond/answers: how many answers were saved, in which round.
type savedJSON struct {
	Round int `json:"round"`
	Saved int `json:"saved"`
}

// submittedJSON answers POST /respond/submit.
type submittedJSON struct {
	SubmittedAt time.Time `json:"submitted_at"`
}

// suggestionInput is the body of POST /respond/suggestions.
type suggestionInput struct {
	Label     string `json:"label"`
	Rationale string `json:"rationale"`
}

// withdrawalInput is the body of POST /respond/withdraw: keep (default) or remove_open.
type withdrawalInput struct {
	Answers string `json:"answers"`
}

// withdrawnJSON answers POST /respond/withdraw.
type withdrawnJSON struct {
	Answers   string `json:"answers"`
	Withdrawn bool   `json:"withdrawn"`
}

func (s *Server) apiSaveAnswers(c *gin.Context) {
	e, _ := expertFrom(c)
	var in answersInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.SaveAnswers(c.Request.Context(), e, in.Answers)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, savedJSON{Saved: len(in.Answers), Round: r.Number})
}

func (s *Server) apiSubmit(c *gin.Context) {
	e, _ := expertFrom(c)
	at, err := s.svc.Submit(c.Request.Context(), e)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, submittedJSON{SubmittedAt: at})
}

func (s *Server) apiSuggest(c *gin.Context) {
	e, _ := expertFrom(c)
	var in suggestionInput
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
	var in withdrawalInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.svc.WithdrawSelf(c.Request.Context(), e, in.Answers); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, withdrawnJSON{Withdrawn: true, Answers: cmp.Or(in.Answers, delphi.KeepAnswers)})
}

// sharedSize is about the bytes a round's shared items hold, for the cache's bound.
func sharedSize(items []sharedItem) int {
	n := 0
	for i := range items {
		n += len(items[i].id) + len(items[i].head) + len(items[i].tail)
	}
	return n
}
