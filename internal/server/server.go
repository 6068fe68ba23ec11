// Package server composes palabre's HTTP side — the REST API, the web
// console and the health check — behind the middlewares every
// response goes through (security headers, panic recovery, request log),
// and runs it with timeouts and a graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/api"
	"palabre/internal/console"
	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// DefaultAddr is where palabre listens unless told otherwise: the loopback
// interface, so that nothing is exposed until an operator decides to.
const DefaultAddr = "127.0.0.1:8080"

// Config tunes the server. Zero fields take the defaults given.
type Config struct {
	Addr            string        // host:port to listen on; DefaultAddr. Port 0 picks a free port.
	ReadTimeout     time.Duration // to read a whole request, headers and body; 15s
	WriteTimeout    time.Duration // to write a whole response; 30s
	IdleTimeout     time.Duration // a keep-alive connection waits this long for its next request; 2m
	ShutdownTimeout time.Duration // in-flight requests get this long to finish on shutdown; 10s
	MaxSectors      int           // unrelated sectors a CM may work in before their profile warns; model.DefaultMaxSectors
	Live            api.Live      // the live event stream and presence; none when zero
	Sources         api.Sources   // the live sources' settings and scheduler; none when nil
	Mail            bool          // the server sends e-mail (monthly reports)
	// BackgroundRouting: the server's routing job routes what arrives
	// (api.Config.BackgroundRouting).
	BackgroundRouting bool
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	def(&c.ReadTimeout, 15*time.Second)
	def(&c.WriteTimeout, 30*time.Second)
	def(&c.IdleTimeout, 2*time.Minute)
	def(&c.ShutdownTimeout, 10*time.Second)
	if c.MaxSectors <= 0 {
		c.MaxSectors = model.DefaultMaxSectors
	}
	return c
}

// Server is palabre's HTTP server. Make one with New, then call Listen and
// Serve once.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	handler http.Handler

	mu   sync.Mutex
	addr net.Addr // where it listens, once known
}

// New prepares a server for the store's data, analysed with an. It does
// not listen yet.
func New(cfg Config, st *store.Store, an *analysis.Registry, logger *slog.Logger) *Server {
	s := &Server{cfg: cfg.withDefaults(), logger: logger}
	s.handler = logRequests(logger, secureHeaders(recoverPanics(logger, s.routes(st, an))))
	return s
}

// routes is the whole route table of the server; the API brings its own.
func (s *Server) routes(st *store.Store, an *analysis.Registry) http.Handler {
	authn := api.NewAuthenticator(st, s.logger)
	p := newPages(st, s.logger)
	mux := http.NewServeMux()
	apiHandler := api.New(api.Config{MaxSectors: s.cfg.MaxSectors, Live: s.cfg.Live, Sources: s.cfg.Sources, Mail: s.cfg.Mail,
		BackgroundRouting: s.cfg.BackgroundRouting}, st, an, authn, s.logger)
	mux.Handle("/api/v1/", apiHandler)
	mux.HandleFunc("GET /healthz", p.healthz)
	console.New(console.Config{Store: st, Authn: authn, API: apiHandler, Analysis: an, Logger: s.logger}).Register(mux)
	return httpx.ProblemFallback(mux)
}

// Listen opens the configured address. URL tells where it ended up, which
// matters when the configured port is 0.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	s.setAddr(ln.Addr())
	return ln, nil
}

// URL is the base URL the server answers on, such as
// "http://127.0.0.1:8080", or "" before Listen or Serve.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == nil {
		return ""
	}
	return "http://" + s.addr.String()
}

func (s *Server) setAddr(a net.Addr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = a
}

// Serve answers requests on ln until ctx is cancelled, then shuts down:
// ln is closed at once, so new connections are refused, and requests in
// flight get ShutdownTimeout to finish. It returns nil after a clean
// shutdown, and an error when serving failed or requests had to be cut.
// ln is closed when Serve returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.setAddr(ln.Addr())
	hs := &http.Server{
		Handler:      s.handler,
		ReadTimeout:  s.cfg.ReadTimeout,
		WriteTimeout: s.cfg.WriteTimeout,
		IdleTimeout:  s.cfg.IdleTimeout,
		ErrorLog:     slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	s.logger.Info("serving", slog.String("url", s.URL()))

	select {
	case err := <-served: // http.Server.Serve only returns on failure here
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", slog.Duration("timeout", s.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		hs.Close()
		err = fmt.Errorf("shutdown: requests still running after %s were cut: %w", s.cfg.ShutdownTimeout, err)
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve on %s: %w", ln.Addr(), serr))
	}
	return err
}
