package web

import (
	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/delphi"
)

// reportRoutes registers the presenters' pages (/reports/…).
func (s *Server) reportRoutes(r *gin.Engine) {}

// apiReport serves GET /api/v1/studies/{sid}/rounds/{n}/report.{json,csv,xlsx,html}.
func (s *Server) apiReport(c *gin.Context) {
	sid, n, err := studyRound(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.Param("file") != "report.json" {
		s.fail(c, delphi.Errorf(delphi.ENotFound, "", "no export %q", c.Param("file")))
		return
	}
	b, err := s.svc.SnapshotJSON(c.Request.Context(), sid, n)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(200, "application/json", b)
}
