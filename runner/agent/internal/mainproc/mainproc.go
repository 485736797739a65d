// Package mainproc runs the container's main process: a service's own entrypoint and command, started either at
// once (argv on the agent's command line) or, in hold mode, when the runner sends its evaluated env — secrets
// included — so that nothing secret is ever in the pod spec. The agent exits with the main process's exit code, so
// the pod shows the container terminated as the service did. The env is never logged.
package mainproc

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"eci-virtual/agent/internal/proc"
	"eci-virtual/agent/internal/reaper"
)

var (
	// ErrConflict: a main process is already running with a different request.
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the request cannot be run.
	ErrInvalid = errors.New("invalid input")
)

// Status is the wire form of the main process (POST /v1/main).
type Status struct {
	State    string `json:"state"` // "running" or "exited"
	Pid      int    `json:"pid,omitempty"`
	ExitCode *int   `json:"exitCode,omitempty"`
}

// Main is the container's main process, started at most once. Methods may be called concurrently.
type Main struct {
	defaultArgv []string
	base        proc.Base
	reaper      *reaper.Reaper
	log         *slog.Logger

	mu   sync.Mutex
	hash *[32]byte
	pid  int
	exit *proc.Exit
	done chan proc.Exit
}

// New prepares a main process. defaultArgv (the argv after `--`) runs when a request gives none.
func New(defaultArgv []string, base proc.Base, r *reaper.Reaper, log *slog.Logger) *Main {
	return &Main{defaultArgv: defaultArgv, base: base, reaper: r, log: log, done: make(chan proc.Exit, 1)}
}

// Start starts the main process with the agent's stdin, stdout and stderr (so `kubectl logs` shows the service).
// An identical retry reports the running process; any other second request is ErrConflict.
func (m *Main) Start(c proc.Command) (Status, bool, error) {
	if len(c.Argv) == 0 {
		c.Argv = m.defaultArgv
	}
	if err := c.Validate(); err != nil {
		return Status{}, false, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	hash := c.Hash()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hash != nil {
		if *m.hash != hash {
			return Status{}, false, fmt.Errorf("%w: the main process was already started with a different request", ErrConflict)
		}
		return m.statusLocked(), false, nil
	}
	started, err := proc.Start(m.reaper, &c, m.base, [3]*os.File{os.Stdin, os.Stdout, os.Stderr})
	var startErr *proc.StartError
	if errors.As(err, &startErr) {
		return Status{}, false, fmt.Errorf("%w: %w", ErrInvalid, startErr)
	}
	if err != nil {
		return Status{}, false, err
	}
	m.hash, m.pid = &hash, started.Pid
	m.log.Info("main process started", "pid", started.Pid, "program", filepath.Base(c.Argv[0]), "args", len(c.Argv)-1)
	go func() {
		exit := proc.ExitOf(<-started.Exit)
		m.mu.Lock()
		m.exit = &exit
		m.mu.Unlock()
		m.log.Info("main process exited", "exitCode", exit.ExitCode, "signal", exit.Signal)
		m.done <- exit
	}()
	return m.statusLocked(), true, nil
}

// Exited receives the main process's exit once.
func (m *Main) Exited() <-chan proc.Exit { return m.done }

// Signal forwards sig to the main process; it reports false when none is running.
func (m *Main) Signal(sig syscall.Signal) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pid == 0 || m.exit != nil {
		return false
	}
	_ = syscall.Kill(m.pid, sig)
	return true
}

func (m *Main) statusLocked() Status {
	if m.exit != nil {
		code := m.exit.ExitCode
		return Status{State: "exited", ExitCode: &code}
	}
	return Status{State: "running", Pid: m.pid}
}
