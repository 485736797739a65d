package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"eci-virtual/agent/internal/files"
)

// putFiles extracts the tar body into ?dir= (PUT /v1/files).
func (s *Server) putFiles(w http.ResponseWriter, r *http.Request) {
	dir := r.URL.Query().Get("dir")
	started := time.Now()
	if r.ContentLength > s.Files.MaxBytes && s.Files.MaxBytes > 0 {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, "InvalidInput",
			"the archive is over "+strconv.FormatInt(s.Files.MaxBytes, 10)+" bytes")
		return
	}
	res, err := s.Files.Extract(dir, r.Body)
	if err != nil {
		if errors.Is(err, files.ErrTooLarge) {
			// The rest of the body is not read: the connection cannot be reused.
			w.Header().Set("Connection", "close")
		}
		s.filesError(w, "extracting files", dir, err)
		return
	}
	s.Log.Info("files extracted", "dir", dir, "files", res.Files, "bytes", res.Bytes,
		"ms", time.Since(started).Milliseconds())
	writeJSON(w, http.StatusOK, res)
}

// getFiles answers a tar of ?dir='s contents (GET /v1/files).
func (s *Server) getFiles(w http.ResponseWriter, r *http.Request) {
	dir := r.URL.Query().Get("dir")
	started := time.Now()
	a, err := s.Files.OpenArchive(dir)
	if err != nil {
		s.filesError(w, "archiving files", dir, err)
		return
	}
	defer a.Close()
	w.Header().Set("Content-Type", "application/x-tar")
	w.WriteHeader(http.StatusOK)
	n, err := a.WriteTo(w)
	if err != nil {
		// The status is sent: the only way left to say "failed" is to cut the body, which the client sees as a drop.
		s.Log.Error("archiving files failed midway", "dir", dir, "sent", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	s.Log.Info("files archived", "dir", dir, "files", a.Files(), "bytes", a.Bytes, "sent", n,
		"ms", time.Since(started).Milliseconds())
}

func (s *Server) filesError(w http.ResponseWriter, what, dir string, err error) {
	switch {
	case errors.Is(err, files.ErrInvalid):
		writeError(w, http.StatusBadRequest, "InvalidInput", err.Error())
	case errors.Is(err, files.ErrForbidden):
		s.Log.Warn(what+" refused", "dir", dir, "err", err)
		writeError(w, http.StatusForbidden, "Forbidden", err.Error())
	case errors.Is(err, files.ErrNotFound):
		writeError(w, http.StatusNotFound, "NotFound", err.Error())
	case errors.Is(err, files.ErrTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "InvalidInput", err.Error())
	default:
		s.internal(w, what+" in "+dir, err)
	}
}
