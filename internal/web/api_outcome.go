package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/outcome"
	"github.com/cart-cd/delphi/internal/report"
)

// apiDecide serves POST /api/v1/studies/{sid}/decisions: a committee decision.
func (s *Server) apiDecide(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	var in delphi.DecisionInput
	if err := decodeJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.svc.Decide(c.Request.Context(), actorFrom(c), sid, in)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, d)
}

// apiDecisions serves GET /api/v1/studies/{sid}/decisions.
func (s *Server) apiDecisions(c *gin.Context) {
	sid, err := pathInt(c, "sid")
	if err != nil {
		s.fail(c, err)
		return
	}
	ds, err := s.svc.Decisions(c.Request.Context(), sid)
	if err != nil {
		s.fail(c, err)
		return
	}
	if ds == nil {
		ds = []outcome.Decision{}
	}
	c.JSON(http.StatusOK, ds)
}

// apiOutcome serves the outcome document and the agreed data set: outcome.json,
// outcome/redcap.csv and outcome/odm.xml. Each download is audited like a round's exports.
func (s *Server) apiOutcome(file string) gin.HandlerFunc {
	return func(c *gin.Context) {
		sid, err := pathInt(c, "sid")
		if err != nil {
			s.fail(c, err)
			return
		}
		ctx := c.Request.Context()
		so, err := s.svc.Outcome(ctx, sid)
		if err != nil {
			s.fail(c, err)
			return
		}
		var (
			body  bytes.Buffer
			ctype string
		)
		now := s.svc.Now()
		switch file {
		case "outcome.json":
			enc := json.NewEncoder(&body)
			enc.SetIndent("", " ")
			err = enc.Encode(report.NewOutcomeDoc(so, now))
			ctype = "application/json"
		case "redcap.csv":
			err = report.REDCapCSV(&body, report.NewDictionary(so))
			ctype = "text/csv; charset=utf-8"
		case "odm.xml":
			err = report.ODM(&body, report.NewDictionary(so), now)
			ctype = "application/xml; charset=utf-8"
		}
		if err != nil {
			s.fail(c, err)
			return
		}
		if err := s.svc.AuditExport(ctx, actorFrom(c), sid, 0, "outcome/"+file); err != nil {
			s.fail(c, err)
			return
		}
		name := strings.TrimSuffix(exportName(so.Study.SurveyID, sid, 0, ""), "-round0") + "-" + strings.ReplaceAll(file, "/", "-")
		if file != "outcome.json" {
			name = strings.TrimSuffix(exportName(so.Study.SurveyID, sid, 0, ""), "-round0") + "-outcome-" + file
		}
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
		c.Header("Cache-Control", "private, no-cache")
		s.writeBody(c, ctype, body.Bytes())
	}
}
