package web

import (
	"strconv"

	"github.com/cart-cd/delphi/internal/htmlesc"
)

// The rating and placement inputs are most of a section page's markup: ten radio buttons and
// three options per item, each with five or six fields. html/template calls an escaper
// through reflection for every field, which made a 40-item section cost milliseconds to
// render, so they are built here. The markup is the template's byte for byte
// (TestSectionInputsMatchTemplate), and every text goes through htmlesc.Append, which escapes as
// html/template does in text and quoted attribute values.

// appendRating appends an item's scale: the points by band, then "unable to score". The
// markup around the item's id is the same for every item of a round in one language: it is
// built once (ratingParts, kept by the server per round), and each item adds its id and the
// point it checks.
func (v *sectionPage) appendRating(b []byte, it *itemView) []byte {
	if v.rating == nil {
		v.rating = v.ratingParts()
	}
	var idb [64]byte
	id := htmlesc.Append(idb[:0], it.ID)
	for _, p := range v.rating {
		b = append(b, p.lead...)
		b = append(b, id...)
		b = append(b, p.mid...)
		if p.unable && it.Unable || !p.unable && it.Rating != nil && *it.Rating == p.value {
			b = append(b, " checked"...)
		}
		b = append(b, p.after...)
	}
	return b
}

// scaleKey names a round's scale markup in one language, editable or not.
type scaleKey struct {
	round    int64
	lang     string
	editable bool
}

// ratingPoint is the markup of one radio button of the scale without the item's id and its
// checked state: lead, the id, mid, " checked" if so, after.
type ratingPoint struct {
	value            int
	unable           bool // "unable to score", the last
	lead, mid, after string
}

// ratingParts builds the page's scale for appendRating.
func (v *sectionPage) ratingParts() []ratingPoint {
	var pts []ratingPoint
	disabled := ""
	if !v.Editable {
		disabled = " disabled"
	}
	lead := []byte("<div class=\"scale\">\n")
	for _, band := range v.Bands {
		lead = append(lead, `<div class="band band-`...)
		lead = htmlesc.Append(lead, band.ID)
		lead = append(lead, "\">\n<span class=\"band-label\" aria-hidden=\"true\">"...)
		lead = htmlesc.Append(lead, band.Label)
		lead = append(lead, ` <span class="range">`...)
		lead = strconv.AppendInt(lead, int64(band.From), 10)
		lead = append(lead, "–"...)
		lead = strconv.AppendInt(lead, int64(band.To), 10)
		lead = append(lead, "</span></span>\n<div class=\"points\">\n"...)
		for _, pt := range band.Points {
			lead = append(lead, `<label class="pt"><input type="radio" name="rating:`...)
			mid := append([]byte(`" value="`), strconv.Itoa(pt.Value)...)
			mid = append(mid, `" data-band="`...)
			mid = append(htmlesc.Append(mid, pt.Band), '"')
			after := append([]byte(disabled), "><span>"...)
			after = strconv.AppendInt(after, int64(pt.Value), 10)
			after = append(after, `<span class="sr"> – `...)
			after = htmlesc.Append(after, band.Label)
			after = append(after, "</span></span></label>\n"...)
			pts = append(pts, ratingPoint{value: pt.Value, lead: string(lead), mid: string(mid), after: string(after)})
			lead = lead[:0]
		}
		lead = append(lead, "</div>\n</div>\n"...)
	}
	lead = append(lead, "</div>\n<label class=\"unable\"><input type=\"radio\" name=\"rating:"...)
	after := append([]byte(disabled), "> "...)
	after = append(htmlesc.Append(after, v.Unable), "</label>\n"...)
	return append(pts, ratingPoint{unable: true, lead: string(lead), mid: `" value="unable"`, after: string(after)})
}

// appendPlacement appends an item's placement question, if the survey asks one.
func (v *sectionPage) appendPlacement(b []byte, it *itemView) []byte {
	if v.Placement == nil {
		return append(b, '\n')
	}
	b = append(b, "<fieldset class=\"placement\">\n<legend>"...)
	b = htmlesc.Append(b, v.Placement.Question)
	b = append(b, "</legend>\n"...)
	for _, o := range v.Placement.Options {
		b = append(b, `<label class="opt"><input type="radio" name="placement:`...)
		b = htmlesc.Append(b, it.ID)
		b = append(b, `" value="`...)
		b = htmlesc.Append(b, o.Value)
		b = append(b, '"')
		if it.Placement == o.Value {
			b = append(b, " checked"...)
		}
		if !v.Editable {
			b = append(b, " disabled"...)
		}
		b = append(b, "> "...)
		b = htmlesc.Append(b, o.Label)
		b = append(b, "</label>\n"...)
	}
	return append(b, "</fieldset>\n"...)
}

// appendItem appends one item of a section: its text, inputs, and the feedback of the round
// before.
func (v *sectionPage) appendItem(b []byte, it *itemView) []byte {
	b = append(b, "\n<section class=\"item"...)
	if it.Feedback != nil {
		b = append(b, " has-feedback"...)
	}
	if it.Answered {
		b = append(b, " answered"...)
	}
	if it.Error != "" {
		b = append(b, " invalid"...)
	}
	b = append(b, `" id="item-`...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, `" data-item="`...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, '"')
	if it.Feedback != nil {
		b = append(b, ` data-prev-band="`...)
		b = htmlesc.Append(b, it.Feedback.OwnBand)
		b = append(b, '"')
	}
	b = append(b, ` aria-labelledby="h-`...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, "\">\n<input type=\"hidden\" name=\"item\" value=\""...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, "\">\n<div class=\"item-main\">\n<h2 id=\"h-"...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, `">`...)
	b = htmlesc.Append(b, it.Label)
	if it.Changed {
		b = append(b, ` <span class="badge new">`...)
		b = htmlesc.Append(b, v.Text.Changed)
		b = append(b, "</span>"...)
	}
	b = append(b, "</h2>\n"...)
	if it.Description != "" {
		b = append(b, `<p class="desc">`...)
		b = htmlesc.Append(b, it.Description)
		b = append(b, "</p>"...)
	}
	b = append(b, "\n<dl class=\"meta\">\n"...)
	b = appendMeta(b, v.Text.Unit, it.Unit)
	b = append(b, '\n')
	b = appendMeta(b, v.Text.Values, it.Values)
	b = append(b, '\n')
	if it.Derived {
		b = appendMeta(b, v.Text.Derived, v.Text.DerivedYes)
	}
	b = append(b, '\n')
	b = appendMeta(b, v.Text.Tier, it.Tier)
	b = append(b, "\n</dl>\n"...)
	if it.Error != "" {
		b = append(b, `<p class="field-error" id="err-`...)
		b = htmlesc.Append(b, it.ID)
		b = append(b, `">`...)
		b = htmlesc.Append(b, it.Error)
		b = append(b, "</p>"...)
	}
	b = append(b, "\n<fieldset class=\"rating\""...)
	if it.Error != "" {
		b = append(b, ` aria-describedby="err-`...)
		b = htmlesc.Append(b, it.ID)
		b = append(b, '"')
	}
	b = append(b, ">\n<legend>"...)
	b = htmlesc.Append(b, v.Text.Rate)
	b = append(b, ` <span class="sr">`...)
	b = htmlesc.Append(b, it.Label)
	b = append(b, "</span></legend>\n"...)
	b = v.appendRating(b, it)
	b = append(b, "</fieldset>\n"...)
	b = v.appendPlacement(b, it)
	if it.AskReason {
		b = append(b, `<div class="reason`...)
		if !it.ReasonOpen {
			b = append(b, " collapsed"...)
		}
		b = append(b, "\">\n"...)
		b = v.appendTextField(b, "reason", it.ID, v.Text.Reason, v.MaxReason, it.Reason)
		b = append(b, "\n</div>"...)
	}
	b = append(b, "\n<div class=\"comment\">\n"...)
	b = v.appendTextField(b, "comment", it.ID, v.Text.Comment, v.MaxComment, it.Comment)
	b = append(b, "\n</div>\n<p class=\"item-status\" aria-live=\"polite\"></p>\n</div>\n"...)
	if f := it.Feedback; f != nil {
		b = append(b, "\n<aside class=\"feedback\" aria-labelledby=\"fb-"...)
		b = htmlesc.Append(b, it.ID)
		b = append(b, "\">\n<h3 id=\"fb-"...)
		b = htmlesc.Append(b, it.ID)
		b = append(b, `">`...)
		b = htmlesc.Append(b, v.Text.FeedbackTitle)
		b = append(b, "</h3>\n"...)
		if f.ShowOwn {
			b = append(b, `<p class="own">`...)
			b = htmlesc.Append(b, v.Text.FeedbackOwn)
			b = append(b, " <strong>"...)
			if f.Own != "" {
				b = htmlesc.Append(b, f.Own)
			} else {
				b = htmlesc.Append(b, v.Text.AnswerNone)
			}
			b = append(b, "</strong></p>\n"...)
			if f.OwnComment != "" {
				b = append(b, `<p class="own-comment muted">`...)
				b = htmlesc.Append(b, v.Text.OwnComment)
				b = append(b, " “"...)
				b = htmlesc.Append(b, f.OwnComment)
				b = append(b, "”</p>"...)
			}
		}
		b = append(b, '\n')
		b = append(b, f.Panel...)
		b = append(b, "</aside>"...)
	}
	return append(b, "\n</section>\n"...)
}

// appendMeta appends one term of an item's metadata list, if it has a value.
func appendMeta(b []byte, term, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, "<div><dt>"...)
	b = htmlesc.Append(b, term)
	b = append(b, "</dt><dd>"...)
	b = htmlesc.Append(b, value)
	return append(b, "</dd></div>"...)
}

// appendTextField appends an item's comment or reason field with its label.
func (v *sectionPage) appendTextField(b []byte, kind, id, label string, max int, text string) []byte {
	b = append(b, `<label for="`...)
	b = append(b, kind...)
	b = append(b, '-')
	b = htmlesc.Append(b, id)
	b = append(b, `">`...)
	b = htmlesc.Append(b, label)
	b = append(b, "</label>\n<textarea id=\""...)
	b = append(b, kind...)
	b = append(b, '-')
	b = htmlesc.Append(b, id)
	b = append(b, `" name="`...)
	b = append(b, kind...)
	b = append(b, ':')
	b = htmlesc.Append(b, id)
	b = append(b, `" maxlength="`...)
	b = strconv.AppendInt(b, int64(max), 10)
	b = append(b, `" rows="2"`...)
	if !v.Editable {
		b = append(b, " disabled"...)
	}
	b = append(b, '>')
	b = htmlesc.Append(b, text)
	return append(b, "</textarea>"...)
}
