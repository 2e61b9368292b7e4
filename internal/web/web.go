// Package web serves gravedancer's status page and its JSON API: region
// health at a glance, run reports, the dead-letter queue with a replay
// button, and per-region history with a small chart. Pages are rendered on
// the server from embedded templates; the only write is a DLQ replay,
// guarded by Auth and by cross-origin protection.
package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options shape the server.
type Options struct {
	// StaleAfter colours a region's age: green below half of it, amber
	// below it, red at or past it (GD_STALE_AFTER).
	StaleAfter time.Duration
	Auth       Auth
	// History is how many runs a region page shows (default 30).
	History int
	Logger  *slog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Server is the status page and API over a Backend.
type Server struct {
	b       Backend
	opts    Options
	log     *slog.Logger
	tokens  formTokens
	pages   map[string]*template.Template
	handler http.Handler
}

// New is the status page for the process's configuration and connection,
// for app.ServeOptions.Web.
func New(cfg *config.Config, conn *app.Conn, log *slog.Logger) http.Handler {
	return NewServer(NewBackend(cfg, conn.JS), OptionsFrom(cfg, log))
}

// OptionsFrom maps configuration to Options.
func OptionsFrom(cfg *config.Config, log *slog.Logger) Options {
	return Options{StaleAfter: cfg.StaleAfter, Logger: log,
		Auth: Auth{Token: cfg.WebToken.Reveal(), User: cfg.WebUser, Password: cfg.WebPassword.Reveal()}}
}

// NewServer builds the handler. It panics if the embedded templates do not
// parse, which the package's tests catch.
func NewServer(b Backend, opts Options) *Server {
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 26 * time.Hour
	}
	if opts.History <= 0 {
		opts.History = 30
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{b: b, opts: opts, log: opts.Logger, tokens: newFormTokens(), pages: parsePages()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.overview)
	mux.HandleFunc("GET /runs", s.runs)
	mux.HandleFunc("GET /runs/{id}", s.run)
	mux.HandleFunc("GET /dlq", s.dlq)
	mux.HandleFunc("POST /dlq/{seq}/replay", s.replayForm)
	mux.HandleFunc("GET /regions/{name}", s.region)
	mux.HandleFunc("GET /api/status", s.apiStatus)
	mux.HandleFunc("GET /api/regions", s.apiRegions)
	mux.HandleFunc("GET /api/runs", s.apiRuns)
	mux.HandleFunc("GET /api/runs/{id}", s.apiRun)
	mux.HandleFunc("GET /api/dlq", s.apiDLQ)
	mux.HandleFunc("POST /api/dlq/{seq}/replay", s.apiReplay)
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("cross-origin write refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"), "remote", r.RemoteAddr)
		s.fail(w, r, http.StatusForbidden, "cross-origin request refused: replay only from this page's own origin")
	}))
	s.handler = securityHeaders(cop.Handler(mux))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// securityHeaders forbid framing, inline script and content sniffing.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

func parsePages() map[string]*template.Template {
	pages := map[string]*template.Template{}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimPrefix(n, "templates/")
		if base == "layout.html" {
			continue
		}
		pages[strings.TrimSuffix(base, ".html")] = template.Must(
			template.New(base).Funcs(funcs).ParseFS(assets, "templates/layout.html", n))
	}
	return pages
}

// render writes a page; a template error after the first byte can only be
// logged.
func (s *Server) render(w http.ResponseWriter, code int, page string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if err := s.pages[page].ExecuteTemplate(w, "layout", data); err != nil {
		s.log.Error("render page", "page", page, "err", err)
	}
}

// fail answers an error in the form the request expects: JSON under /api,
// a page elsewhere.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if code >= 500 {
		s.log.Error("web request failed", "path", r.URL.Path, "code", code, "err", msg)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	s.render(w, code, "message", messagePage{Title: fmt.Sprintf("%d %s", code, http.StatusText(code)), Message: msg})
}

type messagePage struct{ Title, Message string }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
