package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/survey"
	"github.com/cart-cd/delphi/templates"
)

// The next-round editor. Round 1 asks every item of the definition of the whole panel; later
// rounds start from the proposal (items without consensus go on, accepted suggestions are added)
// and the facilitator keeps, drops, rewords, merges and adds items. The whole draft lives in the
// form: merging or adding re-renders the editor with the change applied, and "Open round" sends
// the item set to OpenRound. Nothing is stored before the round opens.

// maxDraftRows bounds the rows read from one editor form.
const maxDraftRows = 2000

// nextView is the page that opens the next round.
type nextView struct {
	templates.NextPage
	Rows     []draftRow // the page's rows, with what the server knows of each
	proposal *delphi.Proposal
}

// draftRow is one item of the draft. Known items (in the definition or the previous round) keep
// their section; their wording is compared with Orig to tell a rewording.
type draftRow struct {
	templates.DraftRow
	origLabel survey.Text
	origDesc  survey.Text
}

type newItemForm = templates.NewItemForm

// knownItem is an item as last asked (or as defined), with its class in the previous round.
type knownItem struct {
	Section     string
	Label, Desc survey.Text
	Class       string
}

// draftBase is what the editor needs to know about the study: the items as they stand, their
// classes in the previous round, and the section labels.
type draftBase struct {
	st       *delphi.Study
	prev     *delphi.Round
	known    map[string]knownItem
	order    []string // previous round's items in order
	sections map[string]string
}

func (s *Server) draftBase(c *gin.Context, st *delphi.Study) (*draftBase, error) {
	b := &draftBase{st: st, known: map[string]knownItem{}, sections: map[string]string{}}
	for _, sec := range st.Def.Sections {
		b.sections[sec.ID] = sec.Label.In("en")
		for _, it := range sec.Items {
			b.known[it.ID] = knownItem{Section: sec.ID, Label: it.Label, Desc: it.Description}
		}
	}
	if len(st.Rounds) == 0 {
		return b, nil
	}
	b.prev = &st.Rounds[len(st.Rounds)-1]
	if b.prev.Open() {
		return nil, delphi.Errorf(delphi.EConflict, "", "round %d is still open: close it before opening round %d", b.prev.Number, b.prev.Number+1)
	}
	items, err := s.svc.Items(c.Request.Context(), st, b.prev)
	if err != nil {
		return nil, err
	}
	snap, err := s.svc.Snapshot(c.Request.Context(), st.ID, b.prev.Number)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		b.known[it.ID] = knownItem{Section: it.SectionID, Label: it.Label, Desc: it.Description, Class: string(snap.ClassOf(it.ID))}
		b.order = append(b.order, it.ID)
	}
	return b, nil
}

// fill completes a row from what the server knows of its id (never trusting the form for it).
func (b *draftBase) fill(r *draftRow) {
	if k, ok := b.known[r.ID]; ok {
		r.Known, r.Section, r.Class = true, k.Section, k.Class
		r.origLabel, r.origDesc = k.Label, k.Desc
		r.Reworded = norm(r.Label) != norm(k.Label.In("en")) || norm(r.Description) != norm(k.Desc.In("en"))
	}
	r.SectionLabel = b.sections[r.Section]
}

// norm makes texts comparable after a round trip through a form (browsers send CRLF).
func norm(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

func (s *Server) consoleNewRound(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	b, err := s.draftBase(c, st)
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.nextPage(c, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	if v.proposal != nil {
		v.Rows = proposalRows(b, v.proposal)
	}
	s.renderNext(c, http.StatusOK, v)
}

// proposalRows turns the proposal into draft rows: the proposed items kept, then the items that
// reached consensus, dropped (the facilitator may keep them after all).
func proposalRows(b *draftBase, p *delphi.Proposal) []draftRow {
	var rows []draftRow
	in := map[string]bool{}
	added := map[string]bool{}
	for _, sp := range p.Items {
		in[sp.ID] = true
		r := draftRow{DraftRow: templates.DraftRow{ID: sp.ID, Keep: true, DerivedFrom: sp.DerivedFrom, Section: sp.Section,
			Label: sp.Label.In("en"), Description: sp.Description.In("en")}}
		if k, ok := b.known[sp.ID]; ok && sp.Label == nil {
			r.Label, r.Description = k.Label.In("en"), k.Desc.In("en")
		}
		if _, ok := b.known[sp.ID]; !ok {
			added[sp.ID] = true
			r.Note = "accepted suggestion"
		}
		rows = append(rows, r)
	}
	for _, id := range b.order {
		if in[id] {
			continue
		}
		k := b.known[id]
		rows = append(rows, draftRow{DraftRow: templates.DraftRow{ID: id, Keep: false, Label: k.Label.In("en"), Description: k.Desc.In("en")}})
	}
	for i := range rows {
		b.fill(&rows[i])
		if added[rows[i].ID] {
			rows[i].Note = "accepted suggestion"
		}
	}
	return rows
}

// nextPage builds the editor page's fixed parts.
func (s *Server) nextPage(c *gin.Context, b *draftBase) (*nextView, error) {
	st := b.st
	v := &nextView{NextPage: templates.NextPage{StudyTabs: templates.StudyTabs{Tab: "next", Study: st}, Number: len(st.Rounds) + 1,
		First: b.prev == nil, Invite: "submitted", DefItems: len(st.Def.Items())}}
	v.Page = s.consolePage(c, fmt.Sprintf("Open round %d", v.Number), "studies")
	if st.State != "active" {
		return nil, delphi.Errorf(delphi.EConflict, "", "study %d is finished", st.ID)
	}
	for _, sec := range st.Def.Sections {
		v.Sections = append(v.Sections, groupOption{ID: sec.ID, Label: sec.Label.In("en")})
	}
	ctx := c.Request.Context()
	panel, err := s.svc.Panel(ctx, st.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range panel {
		if !p.Withdrawn {
			v.ActivePanel++
		}
	}
	if v.First && st.Contact == "" {
		v.Blocked = append(v.Blocked, "the study has no contact for experts: set it on the study's overview page")
	}
	if v.ActivePanel == 0 {
		v.Blocked = append(v.Blocked, "the panel is empty: add panelists first")
	}
	if v.First && v.DefItems == 0 {
		v.Blocked = append(v.Blocked, "the survey definition has no items")
	}
	if b.prev != nil {
		v.FromRound = b.prev.Number
		p, err := s.svc.ProposeNextRound(ctx, st.ID)
		if err != nil {
			return nil, err
		}
		v.proposal = p
		v.Submitted = len(p.Panelists)
		sugs, err := s.svc.Suggestions(ctx, st.ID)
		if err != nil {
			return nil, err
		}
		for _, sg := range sugs {
			if sg.Status == "new" {
				v.Pending++
			}
		}
	}
	return v, nil
}

func (s *Server) renderNext(c *gin.Context, status int, v *nextView) {
	v.Kept, v.Leaving = 0, 0
	for i := range v.Rows {
		v.Rows[i].Index = i
		if v.Rows[i].Keep {
			v.Kept++
		} else {
			v.Leaving++
		}
	}
	v.NextPage.Rows = make([]templates.DraftRow, len(v.Rows))
	for i, r := range v.Rows {
		v.NextPage.Rows[i] = r.DraftRow
	}
	s.renderPage(c, status, templates.ConsoleNext(&v.NextPage), 0)
}

// readDraft reads the editor's rows back from the form.
func readDraft(c *gin.Context, b *draftBase) []draftRow {
	n, _ := strconv.Atoi(c.PostForm("rows"))
	if n < 0 || n > maxDraftRows {
		n = 0
	}
	var rows []draftRow
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		id := strings.TrimSpace(c.PostForm("id." + k))
		if id == "" {
			continue
		}
		r := draftRow{DraftRow: templates.DraftRow{ID: id, Keep: c.PostForm("keep."+k) != "", Section: c.PostForm("section." + k),
			Label: norm(c.PostForm("label." + k)), Description: norm(c.PostForm("desc." + k)),
			Note: c.PostForm("note." + k), Reason: strings.TrimSpace(c.PostForm("reason." + k))}}
		if d := strings.TrimSpace(c.PostForm("derived." + k)); d != "" {
			r.DerivedFrom = strings.Split(d, ",")
		}
		b.fill(&r)
		rows = append(rows, r)
	}
	return rows
}

func newItem(c *gin.Context, prefix string) newItemForm {
	return newItemForm{ID: strings.TrimSpace(c.PostForm(prefix + "_id")), Section: c.PostForm(prefix + "_section"),
		Label: norm(c.PostForm(prefix + "_label")), Description: norm(c.PostForm(prefix + "_desc"))}
}

// consoleOpenRound opens the next round, or applies a merge or an addition to the draft.
func (s *Server) consoleOpenRound(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	b, err := s.draftBase(c, st)
	if err == nil && st.State != "active" {
		err = delphi.Errorf(delphi.EConflict, "", "study %d is finished", st.ID)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.nextPage(c, b)
	if err != nil {
		s.fail(c, err)
		return
	}
	v.Deadline = c.PostForm("deadline")
	if c.PostForm("invite") == "all" {
		v.Invite = "all"
	}
	if !v.First {
		v.Rows = readDraft(c, b)
		v.Merge, v.Add = newItem(c, "merge"), newItem(c, "add")
	}
	fail := func(err error) {
		status, msg := s.formError(c, err)
		if status == http.StatusInternalServerError {
			s.fail(c, err)
			return
		}
		v.Error = msg
		s.renderNext(c, status, v)
	}
	switch c.PostForm("action") {
	case "merge":
		if err := mergeRows(v, c.PostFormArray("merge"), b); err != nil {
			fail(err)
			return
		}
		v.Flash = "Merged into " + v.Rows[len(v.Rows)-1].ID + ". Review the draft, then open the round."
		v.Merge = newItemForm{}
		s.renderNext(c, http.StatusOK, v)
		return
	case "add":
		if err := addRow(v, b); err != nil {
			fail(err)
			return
		}
		v.Flash = "Added " + v.Rows[len(v.Rows)-1].ID + ". Review the draft, then open the round."
		v.Add = newItemForm{}
		s.renderNext(c, http.StatusOK, v)
		return
	case "open":
	default: // "update", or Enter pressed in a field: show the draft again, never open by accident
		if !v.First {
			v.Flash = "Draft updated; nothing is stored until you open the round."
		}
		s.renderNext(c, http.StatusOK, v)
		return
	}
	in := delphi.OpenRoundInput{}
	if in.Deadline, err = parseDeadline(v.Deadline, st.Zone); err != nil {
		fail(err)
		return
	}
	var kept []draftRow
	if !v.First {
		for _, r := range v.Rows {
			if r.Keep {
				kept = append(kept, r)
				in.Items = append(in.Items, specOf(r))
			} else if r.Known && r.Reason != "" && len(r.DerivedFrom) == 0 {
				if in.Dropped == nil {
					in.Dropped = map[string]string{}
				}
				in.Dropped[r.ID] = r.Reason
			}
		}
		if len(in.Items) == 0 {
			fail(delphi.Errorf(delphi.EInvalid, "items", "keep or add at least one item, or finish the study instead"))
			return
		}
	}
	if v.Invite == "all" {
		panel, err := s.svc.Panel(c.Request.Context(), st.ID)
		if err != nil {
			fail(err)
			return
		}
		for _, p := range panel {
			if !p.Withdrawn {
				in.Panelists = append(in.Panelists, p.ID)
			}
		}
	}
	r, err := s.svc.OpenRound(c.Request.Context(), actorFrom(c), st.ID, in)
	if err != nil {
		fail(itemError(err, kept))
		return
	}
	items := v.DefItems
	if !v.First {
		items = len(in.Items)
	}
	s.done(c, roundURL(st.ID, r.Number), fmt.Sprintf("Round %d is open with %d items. The consensus rule is frozen (hash %.12s…). Now send the invitations.",
		r.Number, items, r.RuleHash))
}

var itemFieldRe = regexp.MustCompile(`^items\[(\d+)\]\.?(.*)$`)

// itemError names the item behind a domain error about items[k].
func itemError(err error, kept []draftRow) error {
	var de *delphi.Error
	if !errors.As(err, &de) {
		return err
	}
	m := itemFieldRe.FindStringSubmatch(de.Field)
	if m == nil {
		return err
	}
	k, _ := strconv.Atoi(m[1])
	if k >= len(kept) {
		return err
	}
	return &delphi.Error{Code: de.Code, Field: de.Field, Message: fmt.Sprintf("item %s: %s", kept[k].ID, de.Message)}
}

// specOf turns a kept row into the item spec for OpenRound. A known item not reworded goes by its
// id (the domain carries its wording, including an earlier rewording); a reworded one sends its
// full texts, the other languages kept; a new one sends section and label. Links to what an item
// came from go along either way.
func specOf(r draftRow) delphi.ItemSpec {
	sp := delphi.ItemSpec{ID: r.ID, DerivedFrom: r.DerivedFrom, Reason: r.Reason}
	switch {
	case r.Known && !r.Reworded:
	case r.Known:
		sp.Label = withEnglish(r.origLabel, r.Label)
		sp.Description = withEnglish(r.origDesc, r.Description)
	default:
		sp.Section = r.Section
		sp.Label = survey.Text{"en": r.Label}
		if r.Description != "" {
			sp.Description = survey.Text{"en": r.Description}
		}
	}
	return sp
}

func withEnglish(t survey.Text, en string) survey.Text {
	out := survey.Text{}
	for k, v := range t {
		out[k] = v
	}
	if en == "" {
		delete(out, "en")
		return out
	}
	out["en"] = en
	return out
}

var draftIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// checkNewItem checks a new item's id, section and label against the draft.
func checkNewItem(f newItemForm, v *nextView, b *draftBase, field string) error {
	if !draftIDRe.MatchString(f.ID) {
		return delphi.Errorf(delphi.EInvalid, field+"_id", "give the new item an id of lower-case letters, digits, _ and - (got %q)", f.ID)
	}
	for _, r := range v.Rows {
		if r.ID == f.ID {
			return delphi.Errorf(delphi.EInvalid, field+"_id", "item %q is already in the draft", f.ID)
		}
	}
	if _, ok := b.known[f.ID]; ok {
		return delphi.Errorf(delphi.EInvalid, field+"_id", "item %q already exists in the survey: choose a new id", f.ID)
	}
	if _, ok := b.sections[f.Section]; !ok {
		return delphi.Errorf(delphi.EInvalid, field+"_section", "choose the section of the new item")
	}
	if f.Label == "" {
		return delphi.Errorf(delphi.EInvalid, field+"_label", "give the new item a label")
	}
	return nil
}

// mergeRows replaces the picked items with one new item derived from them.
func mergeRows(v *nextView, picked []string, b *draftBase) error {
	if len(picked) < 2 {
		return delphi.Errorf(delphi.EInvalid, "merge", "tick at least two items to merge")
	}
	if v.Merge.Section == "" {
		for _, r := range v.Rows {
			if r.ID == picked[0] {
				v.Merge.Section = r.Section
			}
		}
	}
	if err := checkNewItem(v.Merge, v, b, "merge"); err != nil {
		return err
	}
	pick := map[string]bool{}
	for _, id := range picked {
		pick[id] = true
	}
	var from []string
	for i := range v.Rows {
		if pick[v.Rows[i].ID] {
			v.Rows[i].Keep = false
			v.Rows[i].Note = "merged into " + v.Merge.ID
			from = append(from, v.Rows[i].ID)
		}
	}
	if len(from) < 2 {
		return delphi.Errorf(delphi.EInvalid, "merge", "tick at least two items of the draft to merge")
	}
	r := draftRow{DraftRow: templates.DraftRow{ID: v.Merge.ID, Section: v.Merge.Section, Label: v.Merge.Label, Description: v.Merge.Description,
		DerivedFrom: from, Keep: true, Note: "merged from " + strings.Join(from, ", ")}}
	b.fill(&r)
	v.Rows = append(v.Rows, r)
	return nil
}

// addRow adds a new item to the draft.
func addRow(v *nextView, b *draftBase) error {
	if err := checkNewItem(v.Add, v, b, "add"); err != nil {
		return err
	}
	r := draftRow{DraftRow: templates.DraftRow{ID: v.Add.ID, Section: v.Add.Section, Label: v.Add.Label, Description: v.Add.Description,
		Keep: true, Note: "new item"}}
	b.fill(&r)
	v.Rows = append(v.Rows, r)
	return nil
}

// suggestionsView lists the panel's suggestions for triage.

func (s *Server) consoleSuggestions(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	s.renderSuggestions(c, http.StatusOK, st, "")
}

func (s *Server) renderSuggestions(c *gin.Context, status int, st *delphi.Study, errMsg string) {
	sugs, err := s.svc.Suggestions(c.Request.Context(), st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.SuggestionsPage{Page: s.consolePage(c, "Suggestions", "studies"), StudyTabs: templates.StudyTabs{Tab: "suggestions", Study: st}, Suggestions: sugs,
		Active: st.State == "active"}
	v.Error = errMsg
	for _, sec := range st.Def.Sections {
		v.Sections = append(v.Sections, groupOption{ID: sec.ID, Label: sec.Label.In("en")})
	}
	seen := map[string]bool{}
	for _, it := range st.Def.Items() {
		seen[it.ID] = true
		v.ItemIDs = append(v.ItemIDs, it.ID)
	}
	for i := range st.Rounds {
		items, err := s.svc.Items(c.Request.Context(), st, &st.Rounds[i])
		if err != nil {
			s.fail(c, err)
			return
		}
		for _, it := range items {
			if !seen[it.ID] {
				seen[it.ID] = true
				v.ItemIDs = append(v.ItemIDs, it.ID)
			}
		}
	}
	for _, sg := range sugs {
		if sg.Status == "new" {
			v.Pending++
		}
	}
	s.renderPage(c, status, templates.ConsoleSuggestions(v), 0)
}

func (s *Server) consoleTriage(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	id, err := pathInt(c, "id")
	if err != nil {
		s.fail(c, err)
		return
	}
	t := delphi.Triage{Decision: c.PostForm("decision"), ItemID: c.PostForm("item_id"), Section: c.PostForm("section"), Note: c.PostForm("note")}
	if err := s.svc.TriageSuggestion(c.Request.Context(), actorFrom(c), st.ID, id, t); err != nil {
		status, msg := s.formError(c, err)
		if status == http.StatusInternalServerError {
			s.fail(c, err)
			return
		}
		s.renderSuggestions(c, status, st, fmt.Sprintf("Suggestion %d: %s", id, msg))
		return
	}
	msg := map[string]string{"accept": "accepted as new item " + t.ItemID + " (proposed for the next round)",
		"merge": "merged into " + t.ItemID, "reject": "rejected"}[t.Decision]
	s.done(c, fmt.Sprintf("/console/studies/%d/suggestions", st.ID), fmt.Sprintf("Suggestion %d %s.", id, msg))
}
