// Package api is the agent's HTTP/1.1 interface on its unix socket. Every route except /v1/healthz needs the pod's
// token (package auth).
//
//	POST /v1/main                      {argv?, env, ...}                start the held main process
//	POST /v1/steps                     {id, argv, env, inheritEnv?, workingDir?, prependPath?, symlinks?}
//	                                                                   start a step (201; 200 for an identical retry)
//	GET  /v1/steps/{id}                                                {id, state, exitCode?, signal?, cancelled?, bytes, pid?, dir}
//	GET  /v1/steps/{id}/output?offset=N                                the log from byte N, live until the step exited
//	POST /v1/steps/{id}/cancel         {graceSeconds?}                 SIGTERM to the group, SIGKILL after the grace (default 5 s)
//	PUT  /v1/files?dir=<abs>           tar                             extract into dir: {"files","bytes"} (package files)
//	GET  /v1/files?dir=<abs>                                           a tar of dir's contents
//	GET  /v1/healthz                                                   {"ok":true}, no token needed
//
// Errors are {"error":{"code","message"}} with the codes of runner/src/errors.ts (NotFound, InvalidInput, Conflict,
// Throttled, Unauthorized, Forbidden, Unavailable, Internal). Request bodies are capped; nothing of a request's env is logged.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"eci-virtual/agent/internal/auth"
	"eci-virtual/agent/internal/files"
	"eci-virtual/agent/internal/mainproc"
	"eci-virtual/agent/internal/proc"
	"eci-virtual/agent/internal/steps"
)

// DefaultGrace is the time between SIGTERM and SIGKILL when a cancel names none.
const DefaultGrace = 5 * time.Second

// Server routes requests to the steps and the main process.
type Server struct {
	Steps   *steps.Manager
	Main    *mainproc.Main
	Token   string
	MaxBody int64
	Files   *files.Service
	Log     *slog.Logger
}

// Handler returns the authenticated routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("POST /v1/main", s.startMain)
	mux.HandleFunc("POST /v1/steps", s.startStep)
	mux.HandleFunc("GET /v1/steps/{id}", s.stepStatus)
	mux.HandleFunc("GET /v1/steps/{id}/output", s.output)
	mux.HandleFunc("POST /v1/steps/{id}/cancel", s.cancel)
	if s.Files != nil {
		mux.HandleFunc("PUT /v1/files", s.putFiles)
		mux.HandleFunc("GET /v1/files", s.getFiles)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	deny := func(w http.ResponseWriter, r *http.Request) {
		s.Log.Warn("request without a valid token", "method", r.Method, "path", r.URL.Path)
		writeError(w, http.StatusUnauthorized, "Unauthorized", "missing or wrong bearer token")
	}
	return auth.Require(s.Token, map[string]bool{"/v1/healthz": true}, deny, mux)
}

func (s *Server) startMain(w http.ResponseWriter, r *http.Request) {
	var c proc.Command
	if !s.decode(w, r, &c) {
		return
	}
	st, created, err := s.Main.Start(c)
	switch {
	case errors.Is(err, mainproc.ErrInvalid):
		writeError(w, http.StatusBadRequest, "InvalidInput", err.Error())
	case errors.Is(err, mainproc.ErrConflict):
		writeError(w, http.StatusConflict, "Conflict", err.Error())
	case err != nil:
		s.internal(w, "starting the main process", err)
	case created:
		writeJSON(w, http.StatusCreated, st)
	default:
		writeJSON(w, http.StatusOK, st)
	}
}

func (s *Server) startStep(w http.ResponseWriter, r *http.Request) {
	var req steps.Request
	if !s.decode(w, r, &req) {
		return
	}
	st, created, err := s.Steps.Start(&req)
	if err != nil {
		s.stepError(w, "starting a step", err)
		return
	}
	if created {
		writeJSON(w, http.StatusCreated, st)
	} else {
		writeJSON(w, http.StatusOK, st)
	}
}

func (s *Server) stepStatus(w http.ResponseWriter, r *http.Request) {
	step, err := s.Steps.Get(r.PathValue("id"))
	if err != nil {
		s.stepError(w, "reading a step", err)
		return
	}
	writeJSON(w, http.StatusOK, step.Status())
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request) {
	var body struct {
		GraceSeconds *float64 `json:"graceSeconds"`
	}
	if r.ContentLength != 0 && !s.decode(w, r, &body) {
		return
	}
	grace := DefaultGrace
	if body.GraceSeconds != nil {
		if *body.GraceSeconds < 0 || *body.GraceSeconds > 3600 {
			writeError(w, http.StatusBadRequest, "InvalidInput", "graceSeconds must be between 0 and 3600")
			return
		}
		grace = time.Duration(*body.GraceSeconds * float64(time.Second))
	}
	st, err := s.Steps.Cancel(r.PathValue("id"), grace)
	if err != nil {
		s.stepError(w, "cancelling a step", err)
		return
	}
	writeJSON(w, http.StatusAccepted, st)
}

// decode reads a JSON body of at most MaxBody bytes with no unknown fields; on failure it has answered.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "InvalidInput",
				fmt.Sprintf("request body over %d bytes", s.MaxBody))
		} else {
			writeError(w, http.StatusBadRequest, "InvalidInput", "request body: "+err.Error())
		}
		return false
	}
	return true
}

func (s *Server) stepError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, steps.ErrNotFound):
		writeError(w, http.StatusNotFound, "NotFound", err.Error())
	case errors.Is(err, steps.ErrInvalid):
		writeError(w, http.StatusBadRequest, "InvalidInput", err.Error())
	case errors.Is(err, steps.ErrConflict):
		writeError(w, http.StatusConflict, "Conflict", err.Error())
	case errors.Is(err, steps.ErrTooMany):
		writeError(w, http.StatusTooManyRequests, "Throttled", err.Error())
	case errors.Is(err, steps.ErrClosing):
		writeError(w, http.StatusServiceUnavailable, "Unavailable", err.Error())
	default:
		s.internal(w, what, err)
	}
}

func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.Log.Error(what+" failed", "err", err)
	writeError(w, http.StatusInternalServerError, "Internal", what+": "+err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"Internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]map[string]string{"error": {"code": code, "message": message}})
}
