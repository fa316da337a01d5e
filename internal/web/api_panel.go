package web

// The API's panel routes: import, preview, edit, withdraw.

import (
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

func (s *Server) apiPanel(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.svc.Panel(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ps == nil {
		ps = []delphi.Panelist{}
	}
	c.JSON(http.StatusOK, ps)
}

// readPanel reads panelists from JSON (an array) or text/csv.
func (s *Server) readPanel(c *gin.Context) (delphi.ImportPreview, error) {
	ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch ct {
	case "text/csv":
		b, err := io.ReadAll(c.Request.Body)
		if err != nil {
			return delphi.ImportPreview{}, jsonError(err)
		}
		return delphi.ParsePanelCSV(b)
	case "application/json":
		var rows []delphi.PanelistInput
		if err := decodeJSON(c, &rows); err != nil {
			return delphi.ImportPreview{}, err
		}
		return delphi.ImportPreview{Rows: rows}, nil
	}
	return delphi.ImportPreview{}, &delphi.Error{Code: "unsupported", Message: "send panelists as application/json (an array) or text/csv"}
}

func (s *Server) apiAddPanelists(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := s.readPanel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	ps, err := s.svc.ImportPanel(c.Request.Context(), actorFrom(c), sid, pv)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, ps)
}

func (s *Server) apiPreviewPanel(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err := s.readPanel(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	pv, err = s.svc.PreviewPanel(c.Request.Context(), sid, pv)
	if err != nil {
		s.fail(c, err)
		return
	}
	if pv.Problems == nil {
		pv.Problems = []delphi.RowProblem{}
	}
	c.JSON(http.StatusOK, pv)
}

func (s *Server) apiUpdatePanelist(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pid, err := pathInt(c, "pid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.PanelistInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	p, err := s.svc.UpdatePanelist(c.Request.Context(), actorFrom(c), sid, pid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) apiWithdrawPanelist(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	pid, err := pathInt(c, "pid")
	if err != nil {
		s.fail(c, err)
		return
	}
	// ?answers=remove_open deletes their answers in rounds still open; by default they stay
	if err := s.svc.WithdrawPanelist(c.Request.Context(), actorFrom(c), sid, pid, c.Query("answers")); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
