// Package steps runs the steps of one container: each in its own process group, its stdout and stderr (one pipe,
// in write order) appended to a durable log on the shared emptyDir, its exit code written to a result file only
// after the log is complete and synced. Followers read the log by byte offset and are woken in memory as output
// arrives, so a reconnecting client never loses or repeats a byte, and a dropped connection never changes a result.
//
// Layout, under <state-dir>/steps/<id>/: log, result (see Result), late.log.
//
// Background processes a step leaves behind keep running after it finishes (a later step may use the server an
// earlier one started, as on GitHub's own runners); only cancel kills the step's whole process group, and a
// cancelled step is reported exited only once no process of its group is left.
package steps

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"time"

	"eci-virtual/agent/internal/proc"
	"eci-virtual/agent/internal/reaper"
)

// Errors the API maps to HTTP statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInvalid  = errors.New("invalid input")
	ErrTooMany  = errors.New("too many running steps")
	ErrClosing  = errors.New("the agent is shutting down")
)

// idPattern keeps ids usable as one path element.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// groupGoneWait bounds how long a cancelled step waits, after SIGKILL, for its process group to disappear.
const groupGoneWait = 5 * time.Second

// Request starts a step (POST /v1/steps).
type Request struct {
	ID string `json:"id"`
	proc.Command
}

// Manager owns the steps of this agent. Methods may be called concurrently.
type Manager struct {
	root   string // <state-dir>/steps
	base   proc.Base
	max    int
	reaper *reaper.Reaper
	log    *slog.Logger

	mu      sync.Mutex
	steps   map[string]*Step
	running int
	closing bool
}

// NewManager keeps step directories under stateDir/steps. base is the container's own environment (the PATH of
// steps whose env has none, the env of steps that inherit it); maxRunning bounds the steps running at once.
func NewManager(stateDir string, base proc.Base, maxRunning int, r *reaper.Reaper, log *slog.Logger) (*Manager, error) {
	root := filepath.Join(stateDir, "steps")
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, err
	}
	return &Manager{root: root, base: base, max: maxRunning, reaper: r, log: log, steps: map[string]*Step{}}, nil
}

// Start starts a step; it reports false (and the existing step) for a retry identical to an earlier request, and
// ErrConflict for a different request with the same id. A command that cannot start (not found, no such working
// directory) still makes a step: its log says why and its exit code is what a shell would give.
func (m *Manager) Start(req *Request) (Status, bool, error) {
	if !idPattern.MatchString(req.ID) {
		return Status{}, false, fmt.Errorf("%w: id must match %s", ErrInvalid, idPattern)
	}
	if err := req.Validate(); err != nil {
		return Status{}, false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	hash := req.Hash()
	m.mu.Lock()
	if s, ok := m.steps[req.ID]; ok {
		m.mu.Unlock()
		if s.hash != hash {
			return Status{}, false, fmt.Errorf("%w: step %s exists with a different request", ErrConflict, req.ID)
		}
		return s.Status(), false, nil
	}
	if m.closing {
		m.mu.Unlock()
		return Status{}, false, ErrClosing
	}
	if m.running >= m.max {
		m.mu.Unlock()
		return Status{}, false, fmt.Errorf("%w (at most %d)", ErrTooMany, m.max)
	}
	dir := filepath.Join(m.root, req.ID)
	if err := os.Mkdir(dir, 0o750); err != nil {
		m.mu.Unlock()
		if errors.Is(err, os.ErrExist) {
			return Status{}, false, fmt.Errorf("%w: step %s was run by an earlier agent in this container", ErrConflict, req.ID)
		}
		return Status{}, false, err
	}
	s := newStep(req.ID, dir, hash, m.log)
	m.steps[req.ID] = s
	m.running++
	// Held until the process exists, so a concurrent status or cancel sees its pid.
	s.mu.Lock()
	m.mu.Unlock()
	err := m.launch(s, &req.Command)
	s.mu.Unlock()
	if err != nil {
		m.mu.Lock()
		delete(m.steps, req.ID)
		m.running--
		m.mu.Unlock()
		_ = os.RemoveAll(dir)
		return Status{}, false, err
	}
	return s.Status(), true, nil
}

// launch starts the step's process; s.mu is held. Errors are the agent's own failures (the step never existed).
func (m *Manager) launch(s *Step, c *proc.Command) error {
	logFile, err := os.OpenFile(filepath.Join(s.dir, LogFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	s.logFile = logFile
	r, w, err := os.Pipe()
	if err != nil {
		logFile.Close()
		return err
	}
	stdin, err := emptyInput()
	if err != nil {
		logFile.Close()
		r.Close()
		w.Close()
		return err
	}
	started, err := proc.Start(m.reaper, c, m.base, [3]*os.File{stdin, w, w})
	stdin.Close()
	w.Close() // the step holds the only write ends now: EOF means it and its children closed them
	var startErr *proc.StartError
	if errors.As(err, &startErr) {
		r.Close()
		m.log.Info("step could not start", "step", s.id, "exitCode", startErr.ExitCode)
		go m.finish(s, func() proc.Exit {
			s.write([]byte(startErr.Message + "\n"))
			return proc.Exit{ExitCode: startErr.ExitCode}
		})
		return nil
	}
	if err != nil {
		logFile.Close()
		r.Close()
		return err
	}
	s.pid, s.pgid = started.Pid, started.Pid
	m.log.Info("step started", "step", s.id, "pid", started.Pid, "program", filepath.Base(c.Argv[0]), "args", len(c.Argv)-1)
	go s.pump(r)
	go m.finish(s, func() proc.Exit {
		exit := proc.ExitOf(<-started.Exit)
		// Everything the process wrote before it exited is in the pipe now: stop waiting for EOF (children may
		// hold the pipe open for hours) and take what is there.
		_ = r.SetReadDeadline(time.Now())
		<-s.drained
		s.mu.Lock()
		cancelled := s.cancelled
		s.mu.Unlock()
		if cancelled {
			m.awaitGroupGone(s)
		}
		return exit
	})
	return nil
}

// finish waits for the step's end (ended), then syncs the log, writes the result and tells the followers.
func (m *Manager) finish(s *Step, ended func() proc.Exit) {
	started := time.Now()
	exit := ended()
	s.mu.Lock()
	if err := s.logFile.Sync(); err != nil {
		s.log.Error("syncing the step log failed", "step", s.id, "err", err)
	}
	s.logFile.Close()
	s.logFile = nil
	if s.killTimer != nil {
		s.killTimer.Stop()
	}
	r := Result{ExitCode: exit.ExitCode, Signal: exit.Signal, Cancelled: s.cancelled, Bytes: s.bytes}
	if err := writeResult(s.dir, r); err != nil {
		// The in-memory result still answers the API; only a reader of the files misses it.
		s.log.Error("writing the step result file failed", "step", s.id, "err", err)
	}
	s.result = &r
	s.pid = 0
	s.notifyLocked()
	close(s.done)
	s.mu.Unlock()
	m.mu.Lock()
	m.running--
	m.mu.Unlock()
	attrs := []any{"step", s.id, "exitCode", r.ExitCode, "bytes", r.Bytes, "durationMs", time.Since(started).Milliseconds()}
	if r.Signal != "" {
		attrs = append(attrs, "signal", r.Signal)
	}
	if r.Cancelled {
		attrs = append(attrs, "cancelled", true)
	}
	m.log.Info("step exited", attrs...)
}

// Get finds a step of this agent, or a finished one of an earlier agent in this container.
func (m *Manager) Get(id string) (*Step, error) {
	m.mu.Lock()
	s, ok := m.steps[id]
	m.mu.Unlock()
	if ok {
		return s, nil
	}
	if idPattern.MatchString(id) {
		dir := filepath.Join(m.root, id)
		if r, err := readResult(dir); err == nil {
			return finishedStep(id, dir, r), nil
		}
	}
	return nil, fmt.Errorf("%w: no step %s", ErrNotFound, id)
}

// Cancel sends SIGTERM to the step's process group and SIGKILL after grace. It returns at once; the step reports
// exited (with the signal in its result) once its process has exited and no process of its group is left.
func (m *Manager) Cancel(id string, grace time.Duration) (Status, error) {
	s, err := m.Get(id)
	if err != nil {
		return Status{}, err
	}
	s.mu.Lock()
	if s.result != nil || s.cancelled {
		s.mu.Unlock()
		return s.Status(), nil
	}
	s.cancelled = true
	pgid := s.pid
	s.killAt = time.Now().Add(grace)
	if pgid > 0 {
		s.killTimer = time.AfterFunc(grace, func() { m.killGroup(s, pgid, syscall.SIGKILL) })
	}
	s.mu.Unlock()
	m.log.Info("step cancelled", "step", id, "graceSeconds", grace.Seconds())
	if pgid > 0 {
		m.killGroup(s, pgid, syscall.SIGTERM)
	}
	return s.Status(), nil
}

// killGroup signals every process of the step's group. A group id is a pid, and the kernel does not reuse a pid
// while its group has members; once the group is empty the id could come back as a NEW step's group, so the
// signal is not sent when a running step of ours has that pid.
func (m *Manager) killGroup(s *Step, pgid int, sig syscall.Signal) {
	m.mu.Lock()
	for _, other := range m.steps {
		if other != s && other.Status().Pid == pgid {
			m.mu.Unlock()
			return
		}
	}
	m.mu.Unlock()
	if err := syscall.Kill(-pgid, sig); err != nil && err != syscall.ESRCH {
		m.log.Warn("signalling a step's process group failed", "step", s.id, "signal", proc.SignalName(sig), "err", err)
	}
}

// awaitGroupGone returns once no process of the cancelled step's group is left, or groupGoneWait after the
// SIGKILL at the latest. The reaper wakes it as processes are collected; a slow tick covers members reaped by
// another member rather than by the agent.
func (m *Manager) awaitGroupGone(s *Step) {
	s.mu.Lock()
	pgid, deadline := s.pid, time.After(time.Until(s.killAt)+groupGoneWait)
	s.mu.Unlock()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		reaped := m.reaper.Reaped()
		if err := syscall.Kill(-pgid, 0); err == syscall.ESRCH {
			return
		}
		select {
		case <-reaped:
		case <-tick.C:
		case <-deadline:
			m.log.Warn("processes of a cancelled step outlived SIGKILL", "step", s.id)
			return
		}
	}
}

// emptyInput is the steps' stdin: /dev/null, or where an image lacks it, a pipe that is already at EOF.
func emptyInput() (*os.File, error) {
	if f, err := os.Open(os.DevNull); err == nil {
		return f, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	w.Close()
	return r, nil
}

// Shutdown cancels every running step with grace and waits for them, at most grace plus groupGoneWait, and stops
// what finished steps left running the same way (SIGTERM, SIGKILL after grace). New steps are refused from now on.
// As PID 1 the kernel would kill those leftovers anyway when the agent exits; elsewhere (tests, a runtime's own
// init) this is what keeps them from outliving the agent.
func (m *Manager) Shutdown(grace time.Duration) {
	m.mu.Lock()
	m.closing = true
	all := make([]*Step, 0, len(m.steps))
	for _, s := range m.steps {
		all = append(all, s)
	}
	m.mu.Unlock()
	var leftovers []int
	for _, s := range all {
		s.mu.Lock()
		finished, pgid := s.result != nil, s.pgid
		s.mu.Unlock()
		if !finished {
			_, _ = m.Cancel(s.id, grace)
		} else if pgid > 0 && syscall.Kill(-pgid, 0) == nil {
			leftovers = append(leftovers, pgid)
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for alive := leftovers; len(alive) > 0; {
		reaped := m.reaper.Reaped()
		alive = slices.DeleteFunc(alive, func(pgid int) bool { return syscall.Kill(-pgid, 0) == syscall.ESRCH })
		if len(alive) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, pgid := range alive {
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
			m.log.Warn("killed processes finished steps left running", "groups", len(alive))
			break
		}
		select {
		case <-reaped:
		case <-tick.C:
		}
	}
	timeout := time.After(time.Until(deadline) + groupGoneWait)
	for _, s := range all {
		select {
		case <-s.Done():
		case <-timeout:
			return
		}
	}
}
