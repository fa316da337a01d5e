package web

import "github.com/gin-gonic/gin"

// consoleRoutes registers the facilitator console (/console/…).
func (s *Server) consoleRoutes(r *gin.Engine) {}
