package web

import "github.com/gin-gonic/gin"

// expertRoutes registers the expert pages (/r/{token}, /respond/…).
func (s *Server) expertRoutes(r *gin.Engine) {}
