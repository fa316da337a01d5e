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

// appendRating appends an item's scale: the points by band, then "unable to score".
func (v *sectionPage) appendRating(b []byte, it *itemView) []byte {
	b = append(b, "<div class=\"scale\">\n"...)
	for _, band := range v.Bands {
		b = append(b, `<div class="band band-`...)
		b = htmlesc.Append(b, band.ID)
		b = append(b, "\">\n<span class=\"band-label\" aria-hidden=\"true\">"...)
		b = htmlesc.Append(b, band.Label)
		b = append(b, ` <span class="range">`...)
		b = strconv.AppendInt(b, int64(band.From), 10)
		b = append(b, "–"...)
		b = strconv.AppendInt(b, int64(band.To), 10)
		b = append(b, "</span></span>\n<div class=\"points\">\n"...)
		for _, pt := range band.Points {
			b = append(b, `<label class="pt"><input type="radio" name="rating:`...)
			b = htmlesc.Append(b, it.ID)
			b = append(b, `" value="`...)
			b = strconv.AppendInt(b, int64(pt.Value), 10)
			b = append(b, `" data-band="`...)
			b = htmlesc.Append(b, pt.Band)
			b = append(b, '"')
			if it.Rating != nil && *it.Rating == pt.Value {
				b = append(b, " checked"...)
			}
			if !v.Editable {
				b = append(b, " disabled"...)
			}
			b = append(b, "><span>"...)
			b = strconv.AppendInt(b, int64(pt.Value), 10)
			b = append(b, `<span class="sr"> – `...)
			b = htmlesc.Append(b, band.Label)
			b = append(b, "</span></span></label>\n"...)
		}
		b = append(b, "</div>\n</div>\n"...)
	}
	b = append(b, "</div>\n<label class=\"unable\"><input type=\"radio\" name=\"rating:"...)
	b = htmlesc.Append(b, it.ID)
	b = append(b, `" value="unable"`...)
	if it.Unable {
		b = append(b, " checked"...)
	}
	if !v.Editable {
		b = append(b, " disabled"...)
	}
	b = append(b, "> "...)
	b = htmlesc.Append(b, v.Unable)
	return append(b, "</label>\n"...)
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
