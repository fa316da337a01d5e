// Package web is delphi's HTTP surface: server-rendered pages for experts (/r, /respond),
// facilitators (/console) and presenters (/reports), and the JSON API under /api/v1. Handlers
// parse and validate input, call the domain (internal/delphi) and render; no SQL and no
// statistics live here.
package web

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/cache"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/i18n"
)

// Deps is everything the web layer needs, passed in by main.
type Deps struct {
	Service   *delphi.Service
	Signer    *auth.Signer
	Templates fs.FS // holds static/, the assets served under /static (templates.FS, or os.DirFS in dev mode)
	Log       *slog.Logger
	BaseURL   string // public URL, for links in emails ("http://localhost:8080")
	Version   string
	Now       func() time.Time
	// SecureCookies marks cookies Secure; true when BaseURL is https.
	SecureCookies bool
	// SessionTTL is how long a staff login lasts (default 12 h).
	SessionTTL time.Duration
	// Mailer sends email when SMTP is configured; nil keeps messages in the outbox.
	Mailer Mailer
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose X-Forwarded-For is
	// believed (DELPHI_TRUSTED_PROXIES); none by default.
	TrustedProxies []string
}

// Mailer sends one email.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// Server holds the handlers' dependencies.
type Server struct {
	Deps
	svc      *delphi.Service
	engine   *gin.Engine
	static   gin.HandlerFunc // serves static/ (plain and content-hashed names)
	throttle *auth.Throttle  // failed sign-ins per account and address
	maxBody  int64
	catalog  *i18n.Catalog
	openapi  []byte // the OpenAPI document, built once from the route table
	hub      *hub   // the meetings' live streams

	respondBufs sync.Pool // *bytes.Buffer: questionnaires are tens of KB with the panel's comments
	pageBufs    sync.Pool // *bytes.Buffer: rendered pages (render)

	// The caches of what experts read, each bounded (an evicted entry is built again on its
	// next use). None is ever invalidated: each is built from a round's items, which never
	// change once it opens, or from the previous round's snapshot, which never changes.

	// itemsKey → a round's items with the panel's feedback, encoded: at most 32 MB of JSON.
	respondItems *cache.Cache[itemsKey, []sharedItem]
	// round id → []roundSection: 256 rounds answered at once.
	sections *cache.Cache[int64, []roundSection]
	// scaleKey → roundScale, a round's rating scale and its items' markup kept as rendered
	// bytes, per language and editability: 256.
	scales *cache.Cache[scaleKey, roundScale]
	// panelKey → the panel's part of one item's feedback, rendered (a few KB): at most 16 MB.
	feedbackPanels *cache.Cache[panelKey, []byte]

	// exports: built export files of closed rounds, shared and bounded (exports.go).
	exports *exports
}

// maxThrottled bounds the sign-in throttle's table (about 150 bytes a key).
const maxThrottled = 50_000

// New builds the server (an error here stops start-up).
func New(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SessionTTL == 0 {
		d.SessionTTL = 12 * time.Hour
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.BaseURL = strings.TrimRight(d.BaseURL, "/")
	for _, p := range d.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("web: trusted proxy %q is neither an address nor a CIDR", p)
		}
	}
	s := &Server{Deps: d, svc: d.Service, hub: newHub(), throttle: auth.NewThrottle(d.Now, maxThrottled), maxBody: 1 << 20, exports: newExports(),
		respondItems:   cache.NewWeighted[itemsKey, []sharedItem](32<<20, sharedSize),
		sections:       cache.New[int64, []roundSection](256),
		scales:         cache.New[scaleKey, roundScale](256),
		feedbackPanels: cache.NewWeighted[panelKey, []byte](16<<20, func(b []byte) int { return len(b) }),
	}
	cat, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.catalog = cat
	if s.static, err = s.staticFiles(); err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	s.engine = s.routes()
	if s.openapi, err = s.buildOpenAPI(); err != nil {
		return nil, fmt.Errorf("web: openapi: %w", err)
	}
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }
