package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cart-cd/delphi/internal/auth"
	"github.com/cart-cd/delphi/internal/delphi"
	"github.com/cart-cd/delphi/internal/mail"
	"github.com/cart-cd/delphi/internal/store"
	"github.com/cart-cd/delphi/internal/web"
	"github.com/cart-cd/delphi/surveys"
	"github.com/cart-cd/delphi/templates"
)

// config is every setting of `delphi serve`, from flags with DELPHI_* environment defaults.
type config struct {
	Addr          string
	DB            string
	BaseURL       string
	AdminEmail    string
	AdminPassword string
	Survey        string // study created on first start ("" for none)
	Dev           bool   // serve static assets from ./templates/static on disk
	SMTP          mail.SMTP
	LogJSON       bool
	Proxies       string // comma-separated trusted reverse proxies
	Pprof         string // address of the Go profiling endpoints ("" for none)
}

func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", env("DELPHI_ADDR", ":8080"), "listen address (DELPHI_ADDR)")
	fs.StringVar(&c.DB, "db", env("DELPHI_DB", "./data/delphi.db"), "SQLite database file (DELPHI_DB)")
	fs.StringVar(&c.BaseURL, "base-url", env("DELPHI_BASE_URL", ""), "public URL for links in emails (DELPHI_BASE_URL; default from -addr)")
	fs.StringVar(&c.AdminEmail, "admin-email", env("DELPHI_ADMIN_EMAIL", "admin@localhost"), "first admin's email (DELPHI_ADMIN_EMAIL)")
	fs.StringVar(&c.Survey, "first-survey", env("DELPHI_FIRST_SURVEY", "cart-cd"), "survey of the study created on first start (DELPHI_FIRST_SURVEY; \"none\" for none)")
	fs.StringVar(&c.Proxies, "trusted-proxies", env("DELPHI_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed (DELPHI_TRUSTED_PROXIES)")
	fs.StringVar(&c.Pprof, "pprof", env("DELPHI_PPROF", ""), "serve Go's profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060; keep it off public interfaces (DELPHI_PPROF)")
	fs.BoolVar(&c.Dev, "dev", false, "serve the static assets (CSS, JS) from ./templates/static on disk, so edits show on reload; pages are compiled templ components: make generate and restart")
	fs.BoolVar(&c.LogJSON, "log-json", env("DELPHI_LOG_FORMAT", "") == "json", "log as JSON (DELPHI_LOG_FORMAT=json)")
	c.AdminPassword = getenv("DELPHI_ADMIN_PASSWORD") // never a flag: flags show in ps
	c.SMTP = mail.SMTP{Host: getenv("DELPHI_SMTP_HOST"), Port: env("DELPHI_SMTP_PORT", "587"), User: getenv("DELPHI_SMTP_USER"),
		Password: getenv("DELPHI_SMTP_PASSWORD"), From: env("DELPHI_SMTP_FROM", "delphi@localhost")}
	if err := fs.Parse(args); err != nil {
		return c, usageError{err.Error()}
	}
	if c.Survey == "none" {
		c.Survey = ""
	}
	if c.BaseURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return c, usageError{fmt.Sprintf("-addr %q: %v", c.Addr, err)}
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	return c, nil
}

func newLogger(w io.Writer, json bool) *slog.Logger {
	if json {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig("migrate", args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, c.DB, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Migrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema at %s (%d migrations)\n", c.DB, v[len(v)-1], len(v))
	return nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(stderr, c.LogJSON)
	if getenv("GOGC") == "" {
		// The heap stays small (tens of MB) while a burst of experts allocates fast: collecting
		// at twice the default growth halves the collector's share of the CPU (BENCHMARKS.md).
		// GOGC in the environment wins.
		debug.SetGCPercent(200)
	}
	st, err := store.Open(ctx, c.DB, time.Now)
	if err != nil {
		return err
	}
	defer st.Close()
	key, created, err := auth.LoadOrCreateKey(strings.TrimSuffix(c.DB, filepath.Ext(c.DB)) + ".key")
	if err != nil {
		return err
	}
	if created {
		log.Info("created signing key", "path", strings.TrimSuffix(c.DB, filepath.Ext(c.DB))+".key")
	}
	signer, err := auth.New(key, time.Now)
	if err != nil {
		return err
	}
	delphi.Version = version
	svc := delphi.New(st, surveys.FS, signer, time.Now, log)
	pw, err := svc.Bootstrap(ctx, c.AdminEmail, c.AdminPassword, c.Survey)
	if err != nil {
		return err
	}
	// Every study's definition is parsed now, at start, rather than by whichever
	// request first needs it; one that no longer parses is reported at start.
	if err := svc.LoadStudies(ctx); err != nil {
		log.Error("load studies", "err", err)
	}
	var tpl = templates.FS
	deps := web.Deps{Service: svc, Signer: signer, Templates: tpl, Log: log, BaseURL: c.BaseURL, Version: version,
		SecureCookies: strings.HasPrefix(c.BaseURL, "https://")}
	for _, p := range strings.Split(c.Proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			deps.TrustedProxies = append(deps.TrustedProxies, p)
		}
	}
	if c.Dev {
		deps.Templates = os.DirFS("templates")
	}
	if c.SMTP.Host != "" {
		deps.Mailer = c.SMTP
	}
	srv, err := web.New(deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	hs.RegisterOnShutdown(srv.CloseStreams) // live meeting streams would hold Shutdown up
	fmt.Fprintf(stdout, "delphi %s listening on %s (database %s)\n", version, ln.Addr(), c.DB)
	fmt.Fprintf(stdout, "  console:  %s/console\n", c.BaseURL)
	if pw != "" {
		fmt.Fprintf(stdout, "  sign in as %s with password %s  (shown once; set DELPHI_ADMIN_PASSWORD to choose it)\n", c.AdminEmail, pw)
	}

	if c.Pprof != "" {
		pl, err := net.Listen("tcp", c.Pprof)
		if err != nil {
			return fmt.Errorf("listen on %s (-pprof): %w", c.Pprof, err)
		}
		defer pl.Close()
		fmt.Fprintf(stdout, "  profiles: http://%s/debug/pprof/\n", pl.Addr())
		go http.Serve(pl, profiles())
	}

	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	go background(bg, svc, deps.Mailer, log)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// profiles is net/http/pprof's handlers on their own mux, so that they never reach the public
// listener.
func profiles() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// background closes rounds at their deadline, delivers queued mail and erases personal data
// past its retention, until ctx ends.
func background(ctx context.Context, svc *delphi.Service, mailer web.Mailer, log *slog.Logger) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		if n, err := svc.CloseDueRounds(ctx); err != nil {
			log.Error("close rounds at deadline", "err", err)
		} else if n > 0 {
			log.Info("closed rounds at deadline", "count", n)
		}
		if mailer != nil {
			if _, err := svc.DeliverMail(ctx, mailer, 100); err != nil {
				log.Error("deliver mail", "err", err)
			}
		}
		if n, err := svc.EraseDue(ctx); err != nil {
			log.Error("erase personal data after retention", "err", err)
		} else if n > 0 {
			log.Info("erased personal data of studies past their retention", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
