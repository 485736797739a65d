package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// writeTimeout bounds one write to a follower; a client that stops reading is dropped (it resumes by offset).
const writeTimeout = 30 * time.Second

// output streams the step's log from ?offset=N: what is there, then live output as the step writes it (woken in
// memory, no polling), and ends the response once the step has exited and every byte was sent. The body is raw
// bytes; byte k of the body is byte N+k of the log, so a client that counts what it received resumes exactly.
// The end of the body says nothing about the result: a client reads that from GET /v1/steps/{id}.
func (s *Server) output(w http.ResponseWriter, r *http.Request) {
	step, err := s.Steps.Get(r.PathValue("id"))
	if err != nil {
		s.stepError(w, "following a step", err)
		return
	}
	offset := int64(0)
	if q := r.URL.Query().Get("offset"); q != "" {
		if offset, err = strconv.ParseInt(q, 10, 64); err != nil || offset < 0 {
			writeError(w, http.StatusBadRequest, "InvalidInput", "offset must be a byte count")
			return
		}
	}
	size, exited, changed := step.Watch()
	if offset > size {
		writeError(w, http.StatusRequestedRangeNotSatisfiable, "InvalidInput",
			fmt.Sprintf("offset %d is past the %d bytes of the log", offset, size))
		return
	}
	f, err := step.OpenLog()
	if err != nil {
		s.internal(w, "opening a step log", err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	buf := make([]byte, 64<<10)
	flushed := false
	for {
		sent := false
		for offset < size {
			n, err := f.ReadAt(buf[:min(int64(len(buf)), size-offset)], offset)
			if n > 0 {
				_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				offset += int64(n)
				sent = true
			}
			if err != nil && n == 0 {
				s.Log.Error("reading a step log failed", "step", step.Status().ID, "err", err)
				return // the client sees a cut stream and resumes; the log itself is intact
			}
		}
		if exited {
			return
		}
		if sent || !flushed {
			// Flush what was sent (or, before the first byte, the headers) before waiting for more.
			if rc.Flush() != nil {
				return
			}
			flushed = true
		}
		select {
		case <-changed:
		case <-r.Context().Done():
			return
		}
		size, exited, changed = step.Watch()
	}
}
