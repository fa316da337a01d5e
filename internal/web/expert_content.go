package web

import (
	"html/template"
	"strconv"

	"github.com/cart-cd/delphi/internal/htmlesc"
)

// A section page is the page experts load most, often all at once after a reminder. Around
// its items (expert_inputs.go) the template still made some hundred calls through reflection
// (the section's head, progress, buttons, the list of sections), a fifth of the page's cost,
// so its content is built here too. The markup is the template's byte for byte:
// TestSectionContentMatchesTemplate compares it with the content template it replaced and with
// the expert_progress, expert_sections and expert_contact partials, which the other expert
// pages still use.

// appendPage is the whole section page: the layout with the expert's head and header around
// the content (templates/layout.html, partials/expert_chrome.html, pages/expert/section.html;
// TestSectionPageMatchesTemplate compares them).
func (v *sectionPage) appendPage(b []byte) []byte {
	b = append(b, "<!doctype html>\n<html lang=\""...)
	b = htmlesc.Append(b, v.Lang)
	b = append(b, "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"...)
	b = htmlesc.Append(b, v.Title)
	b = append(b, " · delphi</title>\n<link rel=\"stylesheet\" href=\"/static/app.css\">\n<meta name=\"csrf-token\" content=\""...)
	b = htmlesc.Append(b, v.CSRF)
	b = append(b, "\">\n<link rel=\"stylesheet\" href=\"/static/expert.css\">\n<script src=\"/static/expert.js\"></script>\n</head>\n<body class=\"\">\n<a class=\"skip\" href=\"#main\">"...)
	b = htmlesc.Append(b, v.T("layout.skip"))
	b = append(b, "</a>\n<header class=\"topbar expert-top\">\n<span class=\"brand\">"...)
	b = htmlesc.Append(b, v.StudyTitle)
	b = append(b, "</span>\n"...)
	if v.Round != 0 {
		b = append(b, `<span class="round-tag">`...)
		b = htmlesc.Append(b, v.T("round.n", v.Round))
		b = append(b, "</span>"...)
	}
	b = append(b, "\n</header>\n<main id=\"main\" tabindex=\"-1\">\n"...)
	if v.Flash != "" {
		b = append(b, `<p class="flash" role="status">`...)
		b = htmlesc.Append(b, v.Flash)
		b = append(b, "</p>"...)
	}
	b = append(b, '\n')
	if v.Error != "" {
		b = append(b, `<p class="error-box" role="alert">`...)
		b = htmlesc.Append(b, v.Error)
		b = append(b, "</p>"...)
	}
	b = append(b, '\n')
	b = v.appendContent(b)
	b = append(b, "\n</main>\n<footer class=\"site-footer\"><small>delphi "...)
	b = htmlesc.Append(b, v.Version)
	return append(b, "</small></footer>\n<script src=\"/static/app.js\" defer></script>\n</body>\n</html>"...)
}

// ContentHTML is the section page's content: its head, the form with the items, the list of
// sections and the contact.
func (v *sectionPage) ContentHTML() template.HTML {
	if v.out != nil { // in place, as ItemsHTML
		v.out.Write(v.appendContent(v.out.AvailableBuffer()))
		return ""
	}
	return template.HTML(v.appendContent(nil))
}

func (v *sectionPage) appendContent(b []byte) []byte {
	b = append(b, "\n<div class=\"section-head\">\n<p class=\"muted\"><a href=\"/respond\">"...)
	b = htmlesc.Append(b, v.T("nav.overview"))
	b = append(b, "</a> · "...)
	b = htmlesc.Append(b, v.T("section.of", v.Index, len(v.Sections)))
	b = append(b, "</p>\n<h1>"...)
	b = htmlesc.Append(b, v.Label)
	b = append(b, "</h1>\n"...)
	if v.Description != "" {
		b = append(b, "<p>"...)
		b = htmlesc.Append(b, v.Description)
		b = append(b, "</p>"...)
	}
	b = append(b, '\n')
	b = v.appendProgress(b)
	b = append(b, '\n')
	if !v.Editable {
		b = append(b, `<p class="notice">`...)
		b = htmlesc.Append(b, v.T("section.readonly"))
		b = append(b, "</p>"...)
	}
	b = append(b, '\n')
	if v.FromRound != 0 {
		b = append(b, `<p class="muted">`...)
		b = htmlesc.Append(b, v.T("section.feedbackintro", v.FromRound))
		b = append(b, "</p>"...)
	}
	b = append(b, "\n</div>\n<form method=\"post\" action=\"/respond/section/"...)
	b = htmlesc.AppendURL(b, v.ID)
	b = append(b, `" class="questionnaire" data-section="`...)
	b = htmlesc.Append(b, v.ID)
	b = append(b, '"')
	if v.Editable {
		b = append(b, ` data-autosave="`...)
		b = htmlesc.Append(b, v.StoreKey)
		b = append(b, '"')
	}
	b = append(b, " novalidate>\n<input type=\"hidden\" name=\"csrf\" value=\""...)
	b = htmlesc.Append(b, v.CSRF)
	b = append(b, "\">\n"...)
	for i := range v.Items {
		b = v.appendItem(b, &v.Items[i])
	}
	b = append(b, '\n')
	if v.Editable {
		b = append(b, "<div class=\"actions\">\n<button type=\"submit\" name=\"go\" value=\"next\">"...)
		if v.Next != "" {
			b = htmlesc.Append(b, v.T("section.savenext"))
		} else {
			b = htmlesc.Append(b, v.T("section.savereview"))
		}
		b = append(b, "</button>\n"...)
		if v.Prev != "" {
			b = append(b, `<button type="submit" name="go" value="prev" class="secondary">`...)
			b = htmlesc.Append(b, v.T("section.saveprev"))
			b = append(b, "</button>"...)
		}
		b = append(b, "\n<button type=\"submit\" name=\"go\" value=\"stay\" class=\"secondary\">"...)
		b = htmlesc.Append(b, v.T("section.save"))
		b = append(b, "</button>\n</div>"...)
	} else {
		b = append(b, "<div class=\"actions\">\n"...)
		if v.Prev != "" {
			b = append(b, `<a class="button secondary" href="/respond/section/`...)
			b = htmlesc.AppendURL(b, v.Prev)
			b = append(b, `">`...)
			b = htmlesc.Append(b, v.T("section.prev"))
			b = append(b, "</a>"...)
		}
		b = append(b, '\n')
		if v.Next != "" {
			b = append(b, `<a class="button" href="/respond/section/`...)
			b = htmlesc.AppendURL(b, v.Next)
			b = append(b, `">`...)
			b = htmlesc.Append(b, v.T("section.next"))
			b = append(b, "</a>"...)
		}
		b = append(b, "\n</div>"...)
	}
	b = append(b, "\n</form>\n"...)
	if v.Editable {
		b = append(b, `<p id="save-status" class="save-status" role="status" aria-live="polite"`...)
		for _, a := range [...]struct{ attr, key string }{{"saved", "save.saved"}, {"saving", "save.saving"},
			{"offline", "save.offline"}, {"error", "save.error"}, {"pending", "save.pending"}} {
			b = append(b, " data-"...)
			b = append(b, a.attr...)
			b = append(b, `="`...)
			b = htmlesc.Append(b, v.T(a.key))
			b = append(b, '"')
		}
		b = append(b, "></p>"...)
	}
	b = append(b, '\n')
	b = v.appendSections(b)
	b = append(b, '\n')
	b = v.appendContact(b)
	return append(b, '\n')
}

// appendProgress is the expert_progress partial.
func (e *expertBase) appendProgress(b []byte) []byte {
	if e.Total == 0 {
		return b
	}
	b = append(b, `<div class="progress" data-answered="`...)
	b = strconv.AppendInt(b, int64(e.Answered), 10)
	b = append(b, `" data-total="`...)
	b = strconv.AppendInt(b, int64(e.Total), 10)
	b = append(b, "\">\n<progress id=\"progress-bar\" max=\""...)
	b = strconv.AppendInt(b, int64(e.Total), 10)
	b = append(b, `" value="`...)
	b = strconv.AppendInt(b, int64(e.Answered), 10)
	b = append(b, "\" aria-labelledby=\"progress-text\"></progress>\n<span id=\"progress-text\" data-template=\""...)
	b = htmlesc.Append(b, e.ProgressTemplate())
	b = append(b, `">`...)
	b = htmlesc.Append(b, e.ProgressText())
	return append(b, "</span>\n</div>"...)
}

// appendSections is the expert_sections partial.
func (e *expertBase) appendSections(b []byte) []byte {
	b = append(b, "<nav class=\"sections\" aria-labelledby=\"sections-title\">\n<h2 id=\"sections-title\">"...)
	b = htmlesc.Append(b, e.T("nav.sections"))
	b = append(b, "</h2>\n<ol>\n"...)
	for _, s := range e.Sections {
		b = append(b, `<li><a href="/respond/section/`...)
		b = htmlesc.AppendURL(b, s.ID)
		b = append(b, '"')
		if s.Current {
			b = append(b, ` aria-current="page"`...)
		}
		b = append(b, '>')
		b = htmlesc.Append(b, s.Label)
		b = append(b, "</a>\n<span class=\"count"...)
		if s.Answered == s.Total {
			b = append(b, " done"...)
		}
		b = append(b, `" data-section-count="`...)
		b = htmlesc.Append(b, s.ID)
		b = append(b, `">`...)
		b = strconv.AppendInt(b, int64(s.Answered), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(s.Total), 10)
		b = append(b, "</span></li>\n"...)
	}
	b = append(b, "</ol>\n<p><a href=\"/respond/review\">"...)
	b = htmlesc.Append(b, e.T("nav.review"))
	b = append(b, "</a>"...)
	if e.CanSuggest {
		b = append(b, ` · <a href="/respond/suggest">`...)
		b = htmlesc.Append(b, e.T("nav.suggest"))
		b = append(b, "</a>"...)
	}
	return append(b, "</p>\n</nav>"...)
}

// appendContact is the expert_contact partial.
func (e *expertBase) appendContact(b []byte) []byte {
	if e.Contact == "" {
		return b
	}
	b = append(b, `<p class="muted contact">`...)
	b = htmlesc.Append(b, e.T("contact.questions"))
	b = append(b, ` <a href="mailto:`...)
	b = htmlesc.AppendURL(b, e.Contact)
	b = append(b, `">`...)
	b = htmlesc.Append(b, e.Contact)
	return append(b, "</a></p>"...)
}
