package steps

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// lateLimit caps LateFile; later output of leftover processes is read and dropped.
const lateLimit = 1 << 20

// State is "running" until the step's process has exited and its output is complete, then "exited".
type State string

const (
	Running State = "running"
	Exited  State = "exited"
)

// Status is the wire form of a step (GET /v1/steps/{id}).
type Status struct {
	ID        string `json:"id"`
	State     State  `json:"state"`
	ExitCode  *int   `json:"exitCode,omitempty"`
	Signal    string `json:"signal,omitempty"`
	Cancelled bool   `json:"cancelled,omitempty"`
	// Bytes written to the log so far (the final size once exited).
	Bytes int64 `json:"bytes"`
	// Pid is the step's process (and process group) id while it runs.
	Pid int `json:"pid,omitempty"`
	// Dir is the step's directory as the agent's container sees it.
	Dir string `json:"dir"`
}

// Step is one step: its process group, its log and its followers. Methods may be called concurrently.
type Step struct {
	id   string
	dir  string
	hash [32]byte
	log  *slog.Logger

	mu        sync.Mutex
	logFile   *os.File // the writer; nil once finished
	bytes     int64
	changed   chan struct{} // closed (and replaced) whenever bytes or the state change
	pid       int           // while running
	pgid      int           // the step's process group, kept after it finished (its leftovers stay in it)
	cancelled bool
	killTimer *time.Timer
	killAt    time.Time // when the SIGKILL of a cancelled step is due
	result    *Result   // set once exited
	done      chan struct{}
	drained   chan bool // the pump's report that everything written before the exit is in the log (true: EOF)
}

func newStep(id, dir string, hash [32]byte, log *slog.Logger) *Step {
	return &Step{id: id, dir: dir, hash: hash, log: log, changed: make(chan struct{}), done: make(chan struct{}),
		drained: make(chan bool, 1)}
}

// finishedStep is a step known only from the files of an earlier agent.
func finishedStep(id, dir string, r Result) *Step {
	s := newStep(id, dir, [32]byte{}, nil)
	s.bytes = r.Bytes
	s.result = &r
	close(s.done)
	return s
}

// Status reports the step.
func (s *Step) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{ID: s.id, State: Running, Bytes: s.bytes, Dir: s.dir, Cancelled: s.cancelled}
	if s.result != nil {
		code := s.result.ExitCode
		st.State, st.ExitCode, st.Signal, st.Cancelled = Exited, &code, s.result.Signal, s.result.Cancelled
	} else {
		st.Pid = s.pid
	}
	return st
}

// Watch returns, consistently, the log size, whether the step has exited (then the size is final), and a channel
// closed on the next change. A follower loops: send bytes up to size; stop if exited; wait for changed.
func (s *Step) Watch() (int64, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes, s.result != nil, s.changed
}

// OpenLog opens the log for reading by offset.
func (s *Step) OpenLog() (*os.File, error) { return os.Open(filepath.Join(s.dir, LogFile)) }

// Done is closed once the step has exited and its result is written.
func (s *Step) Done() <-chan struct{} { return s.done }

// notifyLocked wakes every follower; s.mu must be held.
func (s *Step) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// write appends output to the log. Followers learn the new size only after the bytes are in the file.
func (s *Step) write(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.logFile.Write(p)
	s.bytes += int64(n)
	if err != nil {
		s.log.Error("writing the step log failed; output is lost", "step", s.id, "lost", len(p)-n, "err", err)
	}
	if n > 0 {
		s.notifyLocked()
	}
}

// pump copies the step's output pipe into the log until the pipe's write ends are all closed or the waiter, having
// reaped the step's process, interrupts it (a read deadline). It then takes what the pipe still holds — everything
// the process wrote before it exited — reports that on drained, and passes the pipe to drainLate.
func (s *Step) pump(r *os.File) {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
		}
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			s.drained <- true // EOF: nobody holds the pipe any more
			r.Close()
			return
		}
		eof := s.drainNow(r, buf)
		s.drained <- eof
		if !eof {
			s.drainLate(r, buf)
		}
		r.Close()
		return
	}
}

// drainNow reads what is in the pipe right now, without waiting for more.
func (s *Step) drainNow(r *os.File, buf []byte) bool {
	eof := false
	_ = r.SetReadDeadline(time.Time{})
	rc, err := r.SyscallConn()
	if err != nil {
		return true
	}
	_ = rc.Read(func(fd uintptr) bool {
		for {
			n, err := syscall.Read(int(fd), buf)
			switch {
			case n > 0:
				s.write(buf[:n])
			case err == syscall.EINTR:
			case err == syscall.EAGAIN:
				return true // empty for now: leftover processes may write more, but that is after the step
			default:
				eof = true // 0 bytes: EOF; or a read error
				return true
			}
		}
	})
	return eof
}

// drainLate keeps reading for processes the step left behind (a server started with `&`) until they close the
// pipe, so their writes never fail with EPIPE; the first lateLimit bytes go to LateFile.
func (s *Step) drainLate(r *os.File, buf []byte) {
	var late io.Writer = io.Discard
	f, err := os.OpenFile(filepath.Join(s.dir, LateFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err == nil {
		defer f.Close()
		late = f
	}
	kept := 0
	for {
		n, err := r.Read(buf)
		if n > 0 && kept < lateLimit {
			m := min(n, lateLimit-kept)
			_, _ = late.Write(buf[:m])
			kept += m
		}
		if err != nil {
			return
		}
	}
}
