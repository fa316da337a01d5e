package templates

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/cart-cd/delphi/internal/report"
)

// Hostile text in every field of every component's view model: each must come out as text,
// never as an element, an attribute or a script URL. The output is parsed as a browser would
// (golang.org/x/net/html) and the tree is searched for what the text tried to inject.

const (
	// hostile breaks out of text, of quoted and unquoted attributes, and of a textarea.
	hostile = `<script>alert(1)</script>"'><img src=x onerror=alert(2)></textarea><svg onload=alert(3)>` +
		"`<iframe src=javascript:alert(4)> &amp; {{.}} ${x}"
	// hostileURL is for the fields that end up in href or action.
	hostileURL = `javascript:alert(5)//"'><img src=x onerror=alert(6)>`
)

// fill sets every exported field reachable from v: strings to hostile text (URL-like fields
// to a javascript: URL), numbers to 2, booleans to on, and gives empty slices and nil
// pointers two elements and a value, down to a few levels.
func fill(v reflect.Value, name string, on bool, depth int) {
	if depth > 6 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(name, "URL") || strings.Contains(name, "Href") || name == "CSV" || name == "Contact" {
			v.SetString(hostileURL)
		} else {
			v.SetString(hostile)
		}
	case reflect.Int, reflect.Int64:
		v.SetInt(2)
	case reflect.Bool:
		v.SetBool(on)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), name, on, depth+1)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 { // rendered markup: set by the caller
			return
		}
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		}
		for i := range v.Len() {
			fill(v.Index(i), name, on, depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), f.Name, on, depth+1)
			}
		}
	}
}

func filled[T any](on bool) *T {
	v := new(T)
	fill(reflect.ValueOf(v).Elem(), "", on, 0)
	return v
}

// hostileT is a catalogue whose every text is hostile too (the catalogues are ours, but a
// translation is text like any other).
func hostileT(lang, key string, args ...any) string { return hostile + key }

func page(on bool) Page {
	p := *filled[Page](on)
	p.Translate = hostileT
	return p
}

// render renders c and checks its markup (see problems).
func render(t *testing.T, name string, c templ.Component, allowStyle bool) {
	t.Helper()
	var b bytes.Buffer
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := b.String()
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("%s: the hostile text does not show escaped", name)
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, pr := range problems(doc, allowStyle) {
		t.Errorf("%s: %s", name, pr)
	}
}

// problems walks the parsed page for what hostile text injects: an element, an event
// handler, an inline style (the CSP forbids it), a script URL, a script not from /static/.
func problems(n *html.Node, allowStyle bool) []string {
	var out []string
	if n.Type == html.ElementNode {
		// the one image of ours: a meeting's QR code, a PNG built from bytes (PresenterPage.QR)
		ours := n.Data == "img" && attr(n, "class") == "qr" && strings.HasPrefix(attr(n, "src"), "data:image/png;base64,")
		switch n.Data {
		case "img", "iframe", "object", "embed", "base", "frame":
			if ours {
				break
			}
			out = append(out, fmt.Sprintf("injected <%s> in <%s>", n.Data, n.Parent.Data))
		case "script":
			if src := attr(n, "src"); !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
				out = append(out, fmt.Sprintf("a script that is not ours: src %q", src))
			}
		case "style":
			if !allowStyle {
				out = append(out, "a <style> element")
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			val := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(key, "on"):
				out = append(out, fmt.Sprintf("event handler %s=%q on <%s>", a.Key, a.Val, n.Data))
			case key == "style":
				out = append(out, fmt.Sprintf("inline style on <%s>", n.Data))
			case key == "href" || key == "src" || key == "action" || key == "formaction" || key == "xlink:href":
				if ours && key == "src" {
					break
				}
				if strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "data:") || strings.HasPrefix(val, "vbscript:") {
					out = append(out, fmt.Sprintf("%s=%q on <%s>", a.Key, a.Val, n.Data))
				}
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, problems(c, allowStyle)...)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestComponentsEscapeHostileText(t *testing.T) {
	for _, on := range []bool{true, false} {
		p := page(on)
		expert := func() Expert { e := *filled[Expert](on); e.Page = p; return e }

		errPage := filled[ErrorPage](on)
		errPage.Page = p
		link := filled[LinkPage](on)
		link.Page = p
		home := filled[HomePage](on)
		home.Expert = expert()
		review := filled[ReviewPage](on)
		review.Expert = expert()
		suggest := filled[SuggestPage](on)
		suggest.Expert = expert()
		data := filled[DataPage](on)
		data.Expert = expert()
		withdrawn := filled[WithdrawnPage](on)
		withdrawn.Page = p
		withdrawn.Answers = "keep"

		panel := filled[FeedbackPanel](on)
		panel.Page = &p
		var pb bytes.Buffer
		if err := PanelFeedback(panel).Render(context.Background(), &pb); err != nil {
			t.Fatal(err)
		}
		section := filled[SectionPage](on)
		section.Expert = expert()
		section.Parts = nil
		for i := range section.Items {
			section.Items[i].Feedback.Panel = pb.Bytes()
		}
		kept := *section // the items' markup kept for the round (Parts)
		kept.Parts = NewParts()
		hist := filled[Hist](on)

		sum := filled[report.Summary](on)
		index := filled[ReportsIndexPage](on)
		index.Page = p
		outcome := filled[ReportOutcomePage](on)
		outcome.Page = p
		outcome.Counts = map[string]int{"core": 1}
		summary := filled[ReportSummaryPage](on)
		summary.Page = p
		plain := *sum // the summary as screen and print show it; sum has its deck (slides)
		plain.Deck = nil
		summary.Body = Summary(&plain)

		list := filled[MeetingListPage](on)
		list.Page = p
		join := filled[JoinPage](on)
		join.Page = p
		vote := filled[VotePage](on)
		vote.Page = p
		var meetingCases []templ.Component
		for _, state := range []string{"waiting", "open", "closed", hostile} {
			pres := filled[PresenterPage](on)
			pres.Page = p
			pres.QR = []byte{0x89, 'P', 'N', 'G'}
			pres.Item.State = state
			meetingCases = append(meetingCases, Presenter(pres))
		}
		for _, ended := range []bool{true, false} {
			v := *vote
			v.Ended = ended
			meetingCases = append(meetingCases, Vote(&v))
			ed := filled[MeetingEditPage](on)
			ed.Page, ed.Ended = p, ended
			meetingCases = append(meetingCases, MeetingEdit(ed))
			people := filled[MeetingAttendeesPage](on)
			people.Page, people.Ended = p, ended
			meetingCases = append(meetingCases, MeetingAttendees(people))
		}
		rec := filled[MeetingRecordPage](on)
		rec.Page = p
		meetingCases = append(meetingCases, MeetingRecord(rec))
		rec2 := *rec
		rec2.Items = []RecordItem{{ID: hostile, Label: hostile, Question: hostile, State: "open"}, {ID: hostile, State: "waiting"}}
		meetingCases = append(meetingCases, MeetingRecord(&rec2))
		for i, c := range meetingCases {
			render(t, fmt.Sprintf("meeting page %d", i), c, false)
		}
		for _, tc := range []struct {
			name       string
			c          templ.Component
			allowStyle bool
		}{
			{"meeting list", MeetingList(list), false},
			{"join", Join(join), false},
			{"error", Error(errPage), false},
			{"link", Link(link), false},
			{"home", Home(home), false},
			{"review", Review(review), false},
			{"suggest", Suggest(suggest), false},
			{"data", Data(data), false},
			{"withdrawn", Withdrawn(withdrawn), false},
			{"feedback", PanelFeedback(panel), false},
			{"section", Section(section), false},
			{"section, kept parts", Section(&kept), false},
			{"histogram", Histogram(hist), false},
			{"reports index", ReportsIndex(index), false},
			{"outcome", ReportOutcome(outcome), false},
			{"summary page", ReportSummary(summary), false},
			{"summary", Summary(&plain), false},
			{"summary, deck", Summary(sum), false},
			// the standalone file carries its stylesheet inline: it is opened from disk
			{"report.html", ReportDocument(&plain, "body{}"), true},
		} {
			render(t, tc.name, tc.c, tc.allowStyle)
		}
		// the home page's other states: no round, consent, an open round
		for _, st := range []struct {
			round               int
			editable, consented bool
		}{{0, true, false}, {1, true, false}, {1, true, true}} {
			h := *home
			h.Round, h.Editable, h.Consented = st.round, st.editable, st.consented
			render(t, "home", Home(&h), false)
		}
	}
}

// The checks above find what hostile text injects, when it is not escaped.
func TestCheckFindsInjection(t *testing.T) {
	for _, bad := range []string{
		`<p><img src=x onerror=alert(1)></p>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<div style="color:red">x</div>`,
		`<script>alert(1)</script>`,
		`<textarea></textarea><svg onload=alert(3)>`,
	} {
		doc, err := html.Parse(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if len(problems(doc, false)) == 0 {
			t.Errorf("problems let %s through", bad)
		}
	}
}

// A section page written from kept parts (Parts) is the page rendered whole, whatever each
// item checks, for every item id and text, hostile ones included.
func TestPartsAreThePage(t *testing.T) {
	for _, editable := range []bool{true, false} {
		v := filled[SectionPage](true)
		v.Page = page(true)
		v.Parts = nil
		v.Editable = editable
		if !editable { // a text of the page holding a mark: the cut fails its check, items render whole
			v.Text.Rate = "Rate\x01me"
		}
		v.Scale = &Scale{Unable: "Unable <to> score", Bands: []ScaleBand{
			{ID: "low", Label: "Not important", From: 1, To: 3, Points: []int{1, 2, 3}},
			{ID: "high", Label: `"Critical"`, From: 4, To: 5, Points: []int{4, 5}}}}
		v.Placement = &Placement{Question: "Where?", Options: []Option{{Value: "core", Label: "Core"}, {Value: "expansion", Label: "Module <x>"}}}
		ratings := []int{0, 1, 3, 5, 9}
		v.Items = nil
		for i, id := range []string{"crs_grade", "a-b", hostile, "x"} {
			for j, r := range ratings {
				it := Item{ID: id, Description: fmt.Sprint(i), Tier: "core", Changed: i%2 == 0} // the same head per id, as in a round
				switch {
				case r == 0:
					it.Unable = j%2 == 1
				default:
					it.Rating = &ratings[j]
				}
				it.Comment, it.Reason = fmt.Sprint(hostile, j), fmt.Sprint(j, hostile)
				if i == 0 { // the first of their shapes, without texts: later items of the shapes have some
					it.Comment, it.Reason = "", ""
				}
				it.Answered, it.Label = j%2 == 1, fmt.Sprint(hostile, i) // the same label per id
				if j == 2 {
					it.Error = hostile
				}
				if i%2 == 1 {
					it.Feedback = &Feedback{ShowOwn: j != 1, Own: fmt.Sprint(j, hostile), OwnBand: "low\x01",
						OwnComment: hostile[:j*3], Panel: []byte("<p>panel</p>")}
				}
				it.AskReason, it.ReasonOpen = j%3 != 0, j%2 == 0
				if j < len(v.Placement.Options) {
					it.Placement = v.Placement.Options[j].Value
				}
				v.Items = append(v.Items, it)
			}
		}
		var whole, kept bytes.Buffer
		if err := Section(v).Render(context.Background(), &whole); err != nil {
			t.Fatal(err)
		}
		k := *v
		k.Parts = NewParts()
		for range 2 { // rendering the parts, then writing them
			kept.Reset()
			if err := Section(&k).Render(context.Background(), &kept); err != nil {
				t.Fatal(err)
			}
			if kept.String() != whole.String() {
				t.Fatalf("editable %v: kept parts give\n%s\nthe page\n%s", editable, kept.String(), whole.String())
			}
		}
		cut, failed := 0, 0
		for _, c := range k.Parts.cuts {
			if c == nil {
				failed++
			} else {
				cut++
			}
		}
		// a mark in a text of the page (not editable, above) leaves every shape to be rendered whole
		if editable && (failed > 0 || cut == 0) || !editable && cut > 0 {
			t.Errorf("editable %v: %d shapes kept, %d rendered whole", editable, cut, failed)
		}
	}
}

// The console's components, every field hostile.
func TestConsoleEscaping(t *testing.T) {
	for _, on := range []bool{true, false} {
		p := page(on)
		login := filled[LoginPage](on)
		login.Page = p
		pw := filled[PasswordPage](on)
		pw.Page = p
		acc := filled[AccountPage](on)
		acc.Page = p
		sl := filled[StaffListPage](on)
		sl.Page = p
		sm := filled[StaffMemberPage](on)
		sm.Page = p
		mem := filled[MembersPage](on)
		mem.Page = p
		sts := filled[StudiesPage](on)
		sts.Page = p
		st := filled[StudyPage](on)
		st.Page = p
		au := filled[AuditPage](on)
		au.Page = p
		pan := filled[PanelPage](on)
		pan.Page = p
		pre := filled[PreviewPage](on)
		pre.Page = p
		pl := filled[PanelistPage](on)
		pl.Page = p
		rd := filled[RoundPage](on)
		rd.Page = p
		ob := filled[OutboxPage](on)
		ob.Page = p
		sg := filled[SuggestionsPage](on)
		sg.Page = p
		nx := filled[NextPage](on)
		nx.Page = p
		dc := filled[DecisionsPage](on)
		dc.Page = p
		dc2 := filled[DecisionsPage](on) // a refused form for an item not listed as undecided
		dc2.Page = p
		dc2.Form.Item, dc2.Form.Tier = "other "+hostile, "expansion"
		for name, c := range map[string]templ.Component{
			"login": ConsoleLogin(login), "logout": ConsoleLogout(&p), "password": ConsolePassword(pw),
			"account": ConsoleAccount(acc), "staff": ConsoleStaff(sl), "staff member": ConsoleStaffMember(sm),
			"members": ConsoleMembers(mem), "studies": ConsoleStudies(sts), "study": ConsoleStudy(st),
			"audit": ConsoleAudit(au), "panel": ConsolePanel(pan), "preview": ConsolePreview(pre),
			"panelist": ConsolePanelist(pl), "round": ConsoleRound(rd), "outbox": ConsoleOutbox(ob),
			"suggestions": ConsoleSuggestions(sg), "next": ConsoleNext(nx),
			"decisions": ConsoleDecisions(dc), "decisions, other item": ConsoleDecisions(dc2),
		} {
			render(t, fmt.Sprintf("console %s (%v)", name, on), c, false)
		}
	}
}

// The hostile-text test reaches the new parts of the summary and the outcome page.
func TestHostileReachesNewParts(t *testing.T) {
	sum := filled[report.Summary](true)
	if sum.Deck == nil || len(sum.Deck.Ranked) == 0 || len(sum.Deck.Appendix) == 0 {
		t.Fatal("the filled summary has no deck")
	}
	plain := *sum
	plain.Deck = nil
	var b bytes.Buffer
	for _, s := range []*report.Summary{&plain, sum} {
		if err := Summary(s).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
	}
	out := filled[ReportOutcomePage](true)
	out.Page = page(true)
	if err := ReportOutcome(out).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`class="compact placement-table"`, `class="compact change-log"`, `class="compact suggestions"`,
		`Item flow: round`, `class="place-group"`, `class="compact outcome"`, `class="decisions"`,
		`class="traffic"`, `class="slide deck-item"`, `class="deck-history"`, `class="deck-appendix"`} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("filled pages lack %s: the hostile-text test does not reach it", want)
		}
	}
}
