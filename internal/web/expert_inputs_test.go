package web

import (
	"bytes"
	"html/template"
	"testing"
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

// sectionItemsTemplate is the markup ItemsHTML builds, as the section template wrote it before.
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

// TestSectionItemsMatchTemplate compares ItemsHTML with the template it replaced, over every
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
		got := string(v.ItemsHTML())
		if got != want.String() {
			t.Errorf("editable %v:\n got %s\nwant %s", editable, got, want.String())
		}
		// rendering in place: the items land where the template calls for them
		var out bytes.Buffer
		v.out = &out
		inPlace := template.Must(template.New("p").Parse(`<form>{{.ItemsHTML}}</form>{{.Unable}}`))
		if err := inPlace.Execute(&out, v); err != nil {
			t.Fatal(err)
		}
		v.out = nil
		if want := "<form>" + got + "</form>Unable"; out.String() != want {
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
