package web

import (
	"bytes"
	"html/template"
	"strings"
	"testing"

	"github.com/cart-cd/delphi/internal/i18n"
	"github.com/cart-cd/delphi/templates"
)

// sectionInputsTemplate is the markup appendRating and appendPlacement build, as the section
// template wrote it before they did: the oracle they must match byte for byte.
const sectionInputsTemplate = `{{$it := .It}}{{with .It}}<div class="scale">
{{range $.Bands}}{{$band := .}}<div class="band band-{{.ID}}">
<span class="band-label" aria-hidden="true">{{.Label}} <span class="range">{{.From}}–{{.To}}</span></span>
<div class="points">
{{range .Points}}<label class="pt"><input type="radio" name="rating:{{$it.ID}}" value="{{.Value}}" data-band="{{.Band}}"{{if isint $it.Rating .Value}} checked{{end}}{{if not $.Editable}} disabled{{end}}><span>{{.Value}}<span class="sr"> – {{$band.Label}}</span></span></label>
{{end}}</div>
</div>
{{end}}</div>
<label class="unable"><input type="radio" name="rating:{{.ID}}" value="unable"{{if .Unable}} checked{{end}}{{if not $.Editable}} disabled{{end}}> {{$.Unable}}</label>
{{end}}|{{with .It}}{{with $.Placement}}<fieldset class="placement">
<legend>{{.Question}}</legend>
{{range .Options}}<label class="opt"><input type="radio" name="placement:{{$it.ID}}" value="{{.Value}}"{{if eq $it.Placement .Value}} checked{{end}}{{if not $.Editable}} disabled{{end}}> {{.Label}}</label>
{{end}}</fieldset>{{end}}
{{end}}`

// sectionItemsTemplate is the markup appendItem builds, as the section template wrote it before.
const sectionItemsTemplate = `{{range .Items}}{{$it := .}}
<section class="item{{if .Feedback}} has-feedback{{end}}{{if .Answered}} answered{{end}}{{if .Error}} invalid{{end}}" id="item-{{.ID}}" data-item="{{.ID}}"{{with .Feedback}} data-prev-band="{{.OwnBand}}"{{end}} aria-labelledby="h-{{.ID}}">
<input type="hidden" name="item" value="{{.ID}}">
<div class="item-main">
<h2 id="h-{{.ID}}">{{.Label}}{{if .Changed}} <span class="badge new">{{$.Text.Changed}}</span>{{end}}</h2>
{{with .Description}}<p class="desc">{{.}}</p>{{end}}
<dl class="meta">
{{with .Unit}}<div><dt>{{$.Text.Unit}}</dt><dd>{{.}}</dd></div>{{end}}
{{with .Values}}<div><dt>{{$.Text.Values}}</dt><dd>{{.}}</dd></div>{{end}}
{{if .Derived}}<div><dt>{{$.Text.Derived}}</dt><dd>{{$.Text.DerivedYes}}</dd></div>{{end}}
{{with .Tier}}<div><dt>{{$.Text.Tier}}</dt><dd>{{.}}</dd></div>{{end}}
</dl>
{{with .Error}}<p class="field-error" id="err-{{$it.ID}}">{{.}}</p>{{end}}
<fieldset class="rating"{{if .Error}} aria-describedby="err-{{.ID}}"{{end}}>
<legend>{{$.Text.Rate}} <span class="sr">{{.Label}}</span></legend>
{{rating $ $it}}</fieldset>
{{placement $ $it}}{{if .AskReason}}<div class="reason{{if not .ReasonOpen}} collapsed{{end}}">
<label for="reason-{{.ID}}">{{$.Text.Reason}}</label>
<textarea id="reason-{{.ID}}" name="reason:{{.ID}}" maxlength="{{$.MaxReason}}" rows="2"{{if not $.Editable}} disabled{{end}}>{{.Reason}}</textarea>
</div>{{end}}
<div class="comment">
<label for="comment-{{.ID}}">{{$.Text.Comment}}</label>
<textarea id="comment-{{.ID}}" name="comment:{{.ID}}" maxlength="{{$.MaxComment}}" rows="2"{{if not $.Editable}} disabled{{end}}>{{.Comment}}</textarea>
</div>
<p class="item-status" aria-live="polite"></p>
</div>
{{with .Feedback}}
<aside class="feedback" aria-labelledby="fb-{{$it.ID}}">
<h3 id="fb-{{$it.ID}}">{{$.Text.FeedbackTitle}}</h3>
{{if .ShowOwn}}<p class="own">{{$.Text.FeedbackOwn}} <strong>{{if .Own}}{{.Own}}{{else}}{{$.Text.AnswerNone}}{{end}}</strong></p>
{{with .OwnComment}}<p class="own-comment muted">{{$.Text.OwnComment}} “{{.}}”</p>{{end}}{{end}}
{{.Panel}}</aside>{{end}}
</section>
{{end}}`

// itemsHTML is a section's items, which the page's content holds (TestSectionItemsMatchTemplate
// checks them).
func itemsHTML(v *sectionPage) template.HTML {
	var b []byte
	for i := range v.Items {
		b = v.appendItem(b, &v.Items[i])
	}
	return template.HTML(b)
}

// TestSectionItemsMatchTemplate compares appendItem with the template it replaced, over every
// branch: errors, metadata, reasons, feedback with and without the expert's own answer.
func TestSectionItemsMatchTemplate(t *testing.T) {
	// the inputs as the items template once wrote them; TestSectionInputsMatchTemplate checks them
	tpl := template.Must(template.New("x").Funcs(template.FuncMap{
		"rating":    func(v *sectionPage, it itemView) template.HTML { return template.HTML(v.appendRating(nil, &it)) },
		"placement": func(v *sectionPage, it itemView) template.HTML { return template.HTML(v.appendPlacement(nil, &it)) },
	}).Parse(sectionItemsTemplate))
	hostile := `<script>alert('x')</script> & "quotes" + plus` + "\x00"
	two := 2
	bands := []bandView{{ID: "low", Label: "Low", From: 1, To: 3, Points: []pointView{{1, "", "low"}, {2, "", "low"}, {3, "", "low"}}}}
	fb := func(own, comment string, show bool) *feedbackView {
		return &feedbackView{Own: own, OwnBand: "low", OwnComment: comment, ShowOwn: show, Panel: "<figure>panel</figure>\n"}
	}
	items := []itemView{
		{ID: "plain", Label: "Plain"},
		{ID: "full", Label: hostile, Description: hostile, Unit: "days", Values: "0, 1, 2", Derived: true, Tier: hostile, Changed: true,
			Rating: &two, Placement: "core", Comment: hostile, Reason: hostile, Answered: true, AskReason: true, ReasonOpen: true,
			Feedback: fb("2 – Low", hostile, true), Error: hostile},
		{ID: "ask", Label: "Ask", AskReason: true, Feedback: fb("", "", true)},
		{ID: "hidden-own", Label: "Hidden", Feedback: fb("7", "c", false)},
		{ID: "unable", Label: "Unable", Unable: true, Feedback: fb("Unable to score", "", true)},
	}
	for _, editable := range []bool{true, false} {
		v := &sectionPage{Bands: bands, Unable: "Unable", Placement: &placementView{Question: "Where?", Options: []option{{"core", "Core"}}},
			MaxComment: 2000, MaxReason: 1000, Items: items, Text: sectionTexts{Rate: "Rate", Comment: "Comment", Reason: "Why?",
				Changed: "changed", Unit: "Unit", Values: "Values", Derived: "Derived", DerivedYes: "yes", Tier: "Tier",
				FeedbackTitle: "Round 1", FeedbackOwn: "Yours:", OwnComment: "You said", AnswerNone: hostile}}
		v.Editable = editable
		var want bytes.Buffer
		if err := tpl.Execute(&want, v); err != nil {
			t.Fatal(err)
		}
		got := string(itemsHTML(v))
		if got != want.String() {
			t.Errorf("editable %v:\n got %s\nwant %s", editable, got, want.String())
		}
		// rendering in place: the items land where the template calls for them
		var out bytes.Buffer
		v.out = &out
		inPlace := template.Must(template.New("p").Parse(`<main>{{.ContentHTML}}</main>{{.Unable}}`))
		if err := inPlace.Execute(&out, v); err != nil {
			t.Fatal(err)
		}
		v.out = nil
		if want := "<main>" + string(v.ContentHTML()) + "</main>Unable"; out.String() != want || !bytes.Contains(out.Bytes(), []byte(got)) {
			t.Errorf("in place, editable %v:\n got %s\nwant %s", editable, out.String(), want)
		}
	}
}

func TestSectionInputsMatchTemplate(t *testing.T) {
	tpl := template.Must(template.New("x").Funcs(template.FuncMap{"isint": func(p *int, v int) bool { return p != nil && *p == v }}).
		Parse(sectionInputsTemplate))
	hostile := `<script>alert('x')</script> & "quotes" + plus` + "\x00"
	bands := []bandView{
		{ID: "low", Label: "Not important", From: 1, To: 3, Points: []pointView{{1, "", "low"}, {2, "", "low"}, {3, "", "low"}}},
		{ID: "mid", Label: hostile, From: 4, To: 5, Points: []pointView{{4, "", "mid"}, {5, "", "mid"}}},
	}
	two, five := 2, 5
	pages := map[string]*sectionPage{
		"editable with placement": {Bands: bands, Unable: "Unable to score", Placement: &placementView{Question: "Where?",
			Options: []option{{"core", "Core"}, {"expansion", hostile}}}},
		"read-only without placement": {Bands: bands, Unable: hostile},
	}
	pages["editable with placement"].Editable = true
	items := []itemView{
		{ID: "crs_max_grade"},
		{ID: "a-b_c", Rating: &two, Placement: "expansion"},
		{ID: "x", Rating: &five, Placement: "core"},
		{ID: "y", Unable: true, Placement: "unknown"},
		{ID: `<i d="1">&'+` + strings.Repeat("long", 30), Rating: &five},
	}
	for name, v := range pages {
		for _, it := range items {
			var want bytes.Buffer
			if err := tpl.Execute(&want, struct {
				*sectionPage
				It itemView
			}{v, it}); err != nil {
				t.Fatal(err)
			}
			got := string(v.appendPlacement(append(v.appendRating(nil, &it), '|'), &it))
			if got != want.String() {
				t.Errorf("%s, item %s:\n got %s\nwant %s", name, it.ID, got, want.String())
			}
		}
	}
}

// sectionContentTemplate is the content of the section page as its template wrote it before
// ContentHTML: the oracle it must match, with the expert partials the other pages still use.
const sectionContentTemplate = `{{define "content"}}
<div class="section-head">
<p class="muted"><a href="/respond">{{.Base.T "nav.overview"}}</a> · {{.Base.T "section.of" .Index (len .Sections)}}</p>
<h1>{{.Label}}</h1>
{{with .Description}}<p>{{.}}</p>{{end}}
{{template "expert_progress" .}}
{{if not .Editable}}<p class="notice">{{.Base.T "section.readonly"}}</p>{{end}}
{{if .FromRound}}<p class="muted">{{.Base.T "section.feedbackintro" .FromRound}}</p>{{end}}
</div>
<form method="post" action="/respond/section/{{.ID}}" class="questionnaire" data-section="{{.ID}}"{{if .Editable}} data-autosave="{{.StoreKey}}"{{end}} novalidate>
<input type="hidden" name="csrf" value="{{.Base.CSRF}}">
{{itemsHTML .}}
{{if .Editable}}<div class="actions">
<button type="submit" name="go" value="next">{{if .Next}}{{.Base.T "section.savenext"}}{{else}}{{.Base.T "section.savereview"}}{{end}}</button>
{{if .Prev}}<button type="submit" name="go" value="prev" class="secondary">{{.Base.T "section.saveprev"}}</button>{{end}}
<button type="submit" name="go" value="stay" class="secondary">{{.Base.T "section.save"}}</button>
</div>{{else}}<div class="actions">
{{if .Prev}}<a class="button secondary" href="/respond/section/{{.Prev}}">{{.Base.T "section.prev"}}</a>{{end}}
{{if .Next}}<a class="button" href="/respond/section/{{.Next}}">{{.Base.T "section.next"}}</a>{{end}}
</div>{{end}}
</form>
{{if .Editable}}<p id="save-status" class="save-status" role="status" aria-live="polite" data-saved="{{.Base.T "save.saved"}}" data-saving="{{.Base.T "save.saving"}}" data-offline="{{.Base.T "save.offline"}}" data-error="{{.Base.T "save.error"}}" data-pending="{{.Base.T "save.pending"}}"></p>{{end}}
{{template "expert_sections" .}}
{{template "expert_contact" .}}
{{end}}
`

// TestSectionContentMatchesTemplate compares ContentHTML with the template it replaced over its
// branches (editable or not, first, middle and last section, with and without description,
// progress, feedback, contact and suggestions), hostile texts included, in every language.
func TestSectionContentMatchesTemplate(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	tpl := template.Must(template.New("content").Funcs(template.FuncMap{"itemsHTML": itemsHTML}).Parse(sectionContentTemplate))
	tpl = template.Must(tpl.ParseFS(templates.FS, "partials/expert_chrome.html"))
	hostile := `<script>alert('x')</script> & "quotes" + plus %zz` + "\x00"
	base := func(lang string) expertBase {
		return expertBase{page: page{Lang: lang, CSRF: "tok&en+1", cat: cat}, Contact: "study+office@example.org?x=<y>",
			Total: 40, Answered: 7, StoreKey: `delphi:1:2:"3"`, CanSuggest: true,
			Sections: []sectionNav{{ID: "s1", Label: hostile, Total: 20, Answered: 20}, {ID: "s 2/&+", Label: "Two", Total: 20, Answered: 7, Current: true}}}
	}
	for _, lang := range cat.Languages() {
		for _, tc := range []struct {
			name string
			edit func(v *sectionPage)
		}{
			{"editable, middle", func(v *sectionPage) { v.Editable, v.Prev, v.Next = true, "s1", "s3" }},
			{"editable, last, no feedback", func(v *sectionPage) { v.Editable, v.Prev, v.FromRound = true, "s1", 0 }},
			{"editable, first", func(v *sectionPage) { v.Editable, v.Next, v.Description = true, "s 2/&+", "" }},
			{"read-only, middle", func(v *sectionPage) { v.Prev, v.Next = "a&b", "c+d" }},
			{"read-only, alone, no progress, contact or suggestions", func(v *sectionPage) {
				v.Total, v.Contact, v.CanSuggest, v.Sections = 0, "", false, v.Sections[:1]
			}},
		} {
			v := &sectionPage{expertBase: base(lang), ID: "s 2/&+", Label: hostile, Description: hostile, Index: 2, FromRound: 1,
				Items: []itemView{{ID: "i1", Label: hostile}}, Bands: []bandView{{ID: "low", Label: "Low", From: 1, To: 1, Points: []pointView{{1, "", "low"}}}}}
			tc.edit(v)
			var want bytes.Buffer
			if err := tpl.ExecuteTemplate(&want, "content", v); err != nil {
				t.Fatal(err)
			}

			if got := string(v.ContentHTML()); got != want.String() {
				t.Errorf("%s, %s:\n got %s\nwant %s", lang, tc.name, got, want.String())
			}
		}
	}
}

// TestSectionPageMatchesTemplate compares the section page written in Go (appendPage) with
// the page its templates render (layout, expert partials, section), hostile texts included,
// with and without a round, flash and error, in every language. The section template's
// content is ContentHTML, the same Go code: TestSectionContentMatchesTemplate holds that to
// the template it replaced; this test holds the rest of the page.
func TestSectionPageMatchesTemplate(t *testing.T) {
	e := newEnv(t)
	hostile := `<script>alert('x')</script> & "quotes" + plus` + "\x00"
	for _, lang := range e.web.catalog.Languages() {
		for _, tc := range []struct {
			name string
			edit func(v *sectionPage)
		}{
			{"plain", func(v *sectionPage) {}},
			{"flash, error, no round", func(v *sectionPage) { v.Flash, v.Error, v.Round = hostile, hostile, 0 }},
			{"read-only", func(v *sectionPage) { v.Editable = false }},
		} {
			v := &sectionPage{expertBase: expertBase{page: page{Lang: lang, Title: hostile, CSRF: "tok&en+1"}, StudyTitle: hostile,
				Round: 2, Editable: true, Contact: "a@b.org", Total: 3, Answered: 1,
				Sections: []sectionNav{{ID: "s1", Label: hostile, Total: 3, Answered: 1, Current: true}}},
				ID: "s1", Label: hostile, Index: 1, FromRound: 1,
				Items: []itemView{{ID: "i1", Label: hostile}}, Bands: []bandView{{ID: "low", Label: "Low", From: 1, To: 1, Points: []pointView{{1, "", "low"}}}}}
			tc.edit(v)
			var want, got bytes.Buffer
			if err := e.web.executeTemplate(&want, "expert/section", v); err != nil {
				t.Fatal(err)
			}
			v.rating = nil
			if err := e.web.execute(&got, "expert/section", v); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s, %s:\n got %s\nwant %s", lang, tc.name, got.String(), want.String())
			}
		}
	}
}
