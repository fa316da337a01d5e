package web

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/report"
	"github.com/cart-cd/delphi/templates"
)

// panelView is a study's panel: the list, the form to add one panelist, and the CSV import.
type groupOption = templates.Choice

func groupOptions(st *delphi.Study) []groupOption {
	out := make([]groupOption, len(st.Def.Groups))
	for i, g := range st.Def.Groups {
		out[i] = groupOption{ID: g.ID, Label: g.Label.In("en")}
	}
	return out
}

func (s *Server) consolePanel(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	s.renderPanel(c, http.StatusOK, st, delphi.PanelistInput{Language: "en"}, "", "", nil)
}

func (s *Server) renderPanel(c *gin.Context, status int, st *delphi.Study, add delphi.PanelistInput, csvText, errMsg string, problems []string) {
	panel, err := s.svc.Panel(c.Request.Context(), st.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	v := &templates.PanelPage{Page: s.consolePage(c, "Panel", "studies"), StudyTabs: templates.StudyTabs{Tab: "panel", Study: st}, Panel: panel,
		Groups: groupOptions(st), Add: add, CSV: csvText, Problems: problems, CanChange: st.State == "active"}
	v.Error = errMsg
	for _, p := range panel {
		if !p.Withdrawn {
			v.Active++
		}
	}
	s.renderPage(c, status, templates.ConsolePanel(v), 0)
}

func panelistForm(c *gin.Context) delphi.PanelistInput {
	return delphi.PanelistInput{Name: c.PostForm("name"), Email: c.PostForm("email"), Group: c.PostForm("group"),
		Country: c.PostForm("country"), Language: c.PostForm("language")}
}

// consoleAddPanelist adds one panelist from the form.
func (s *Server) consoleAddPanelist(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	in := panelistForm(c)
	ps, err := s.svc.AddPanelists(c.Request.Context(), actorFrom(c), st.ID, []delphi.PanelistInput{in})
	if err != nil {
		var ie *delphi.ImportError
		if errors.As(err, &ie) {
			var msgs []string
			for _, p := range ie.Problems {
				msgs = append(msgs, p.Field+": "+p.Message)
			}
			s.renderPanel(c, http.StatusUnprocessableEntity, st, in, "", "The panelist was not added.", msgs)
			return
		}
		status, msg := s.formError(c, err)
		s.renderPanel(c, status, st, in, "", msg, nil)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/panel", st.ID), fmt.Sprintf("%s added as %s.", ps[0].Name, ps[0].Pseudonym))
}

// previewView shows every row of a CSV import with its problems before anything is written.

// csvInput reads the CSV from an uploaded file, or else from the pasted text.
func csvInput(c *gin.Context) (string, error) {
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return "", err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		return string(b), err
	}
	return c.PostForm("csv"), nil
}

// consolePreviewPanel checks a CSV against the study and shows the result; nothing is written.
func (s *Server) consolePreviewPanel(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	text, err := csvInput(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := delphi.ParsePanelCSV([]byte(text))
	if err == nil {
		pv, err = s.svc.PreviewPanel(c.Request.Context(), st.ID, pv)
	}
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderPanel(c, status, st, delphi.PanelistInput{Language: "en"}, text, "The file cannot be read: "+errText(err, msg), nil)
		return
	}
	status := http.StatusOK
	if len(pv.Problems) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.renderPreview(c, status, st, text, pv, "")
}

// errText prefers the domain error's full text (with its line) over the bare message.
func errText(err error, msg string) string {
	var de *delphi.Error
	if errors.As(err, &de) && de.Line > 0 {
		return de.Error()
	}
	return msg
}

func (s *Server) renderPreview(c *gin.Context, status int, st *delphi.Study, text string, pv delphi.ImportPreview, errMsg string) {
	v := &templates.PreviewPage{Page: s.consolePage(c, "Import preview", "studies"), StudyTabs: templates.StudyTabs{Tab: "panel", Study: st},
		CSV: text, Problems: len(pv.Problems)}
	v.Error = errMsg
	for i, r := range pv.Rows {
		row := templates.PreviewRow{Input: r, Group: r.Group}
		for _, g := range st.Def.Groups {
			if g.ID == r.Group {
				row.Group = g.Label.In("en")
			}
		}
		if i < len(pv.Lines) {
			row.Line = pv.Lines[i]
		}
		v.Rows = append(v.Rows, row)
	}
	for _, p := range pv.Problems {
		if p.Row >= 1 && p.Row <= len(v.Rows) {
			v.Rows[p.Row-1].Problems = append(v.Rows[p.Row-1].Problems, p.Field+": "+p.Message)
		} else {
			v.Other = append(v.Other, p.String())
		}
	}
	s.renderPage(c, status, templates.ConsolePreview(v), 0)
}

// consoleImportPanel imports the previewed CSV, all or nothing; on any problem it shows the
// preview again and writes nothing.
func (s *Server) consoleImportPanel(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	text, err := csvInput(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := delphi.ParsePanelCSV([]byte(text))
	if err != nil {
		status, msg := s.formError(c, err)
		s.renderPanel(c, status, st, delphi.PanelistInput{Language: "en"}, text, "The file cannot be read: "+errText(err, msg), nil)
		return
	}
	ps, err := s.svc.ImportPanel(c.Request.Context(), actorFrom(c), st.ID, pv)
	if err != nil {
		var ie *delphi.ImportError
		if errors.As(err, &ie) {
			pv.Problems = ie.Problems
			s.renderPreview(c, http.StatusUnprocessableEntity, st, text, pv, s.catalog.T("en", "console.import.refused", len(ie.Problems)))
			return
		}
		status, msg := s.formError(c, err)
		s.renderPanel(c, status, st, delphi.PanelistInput{Language: "en"}, text, msg, nil)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/panel", st.ID), s.catalog.T("en", "console.imported", len(ps)))
}

// panelistView is the form to edit one panelist.

func (s *Server) consolePanelist(c *gin.Context) (*delphi.Study, delphi.Panelist, bool) {
	st, ok := s.studyParam(c)
	if !ok {
		return nil, delphi.Panelist{}, false
	}
	pid, err := pathInt(c, "pid")
	if err != nil {
		s.fail(c, err)
		return nil, delphi.Panelist{}, false
	}
	panel, err := s.svc.Panel(c.Request.Context(), st.ID)
	if err != nil {
		s.fail(c, err)
		return nil, delphi.Panelist{}, false
	}
	for _, p := range panel {
		if p.ID == pid {
			return st, p, true
		}
	}
	s.fail(c, delphi.Errorf(delphi.ENotFound, "", "panelist %d is not on this study's panel", pid))
	return nil, delphi.Panelist{}, false
}

func (s *Server) consolePanelistForm(c *gin.Context) {
	st, p, ok := s.consolePanelist(c)
	if !ok {
		return
	}
	v := &templates.PanelistPage{Page: s.consolePage(c, "Edit panelist", "studies"), StudyTabs: templates.StudyTabs{Tab: "panel", Study: st},
		Panelist: p, Groups: groupOptions(st), Form: delphi.PanelistInput{Name: p.Name, Email: p.Email, Group: p.Group, Country: p.Country, Language: p.Language}}
	s.renderPage(c, http.StatusOK, templates.ConsolePanelist(v), 0)
}

func (s *Server) consoleUpdatePanelist(c *gin.Context) {
	st, p, ok := s.consolePanelist(c)
	if !ok {
		return
	}
	in := panelistForm(c)
	if _, err := s.svc.UpdatePanelist(c.Request.Context(), actorFrom(c), st.ID, p.ID, in); err != nil {
		status, msg := s.formError(c, err)
		v := &templates.PanelistPage{Page: s.consolePage(c, "Edit panelist", "studies"), StudyTabs: templates.StudyTabs{Tab: "panel", Study: st},
			Panelist: p, Groups: groupOptions(st), Form: in}
		v.Error = msg
		s.renderPage(c, status, templates.ConsolePanelist(v), 0)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/panel", st.ID), fmt.Sprintf("%s updated.", p.Pseudonym))
}

func (s *Server) consoleWithdraw(c *gin.Context) {
	st, p, ok := s.consolePanelist(c)
	if !ok {
		return
	}
	if err := s.svc.WithdrawPanelist(c.Request.Context(), actorFrom(c), st.ID, p.ID, c.PostForm("answers")); err != nil {
		s.fail(c, err)
		return
	}
	s.done(c, fmt.Sprintf("/console/studies/%d/panel", st.ID),
		fmt.Sprintf("%s (%s) is withdrawn: their links no longer work; their past answers stay.", p.Name, p.Pseudonym))
}

// panelistFields is what the panelist form partial shows.

// consolePanelTemplate is a CSV to fill in: the header the import reads and one example row
// per stakeholder group, named by its label (ids work too).
func (s *Server) consolePanelTemplate(c *gin.Context) {
	st, ok := s.studyParam(c)
	if !ok {
		return
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"name", "email", "group", "country", "language"})
	for i, g := range st.Def.Groups {
		_ = w.Write([]string{report.Cell(fmt.Sprintf("Example Person %d", i+1)), fmt.Sprintf("person%d@example.org", i+1),
			report.Cell(g.Label.In("en")), "DE", st.Def.Languages[0]})
	}
	w.Flush()
	c.Header("Content-Disposition", `attachment; filename="panel-template.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}
