package proc

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"eci-virtual/agent/internal/reaper"
)

// Started is a running process; Exit receives its wait status once.
type Started struct {
	Pid  int
	Exit <-chan syscall.WaitStatus
}

// StartError is a command that could not be started, with the exit code a shell would give it (126 or 127, or 1
// for a missing working directory) and a one-line explanation fit for the step's log.
type StartError struct {
	ExitCode int
	Message  string
}

func (e *StartError) Error() string { return e.Message }

// Start creates c's symlinks, then runs c in a new process group (pgid = pid) with the given stdio files. Startup failures the command's
// author can fix are *StartError; anything else is the agent's own failure.
func Start(r *reaper.Reaper, c *Command, base Base, stdio [3]*os.File) (Started, error) {
	for _, l := range c.Symlinks {
		if err := MakeSymlink(l); err != nil {
			return Started{}, &StartError{1, fmt.Sprintf("eci-agent: cannot link %s to %s: %v", l.Path, l.Target, err)}
		}
	}
	if c.WorkingDir != "" {
		if st, err := os.Stat(c.WorkingDir); err != nil || !st.IsDir() {
			return Started{}, &StartError{1, fmt.Sprintf("eci-agent: working directory %s does not exist", c.WorkingDir)}
		}
	}
	name := c.Argv[0]
	path, err := LookPath(name, c.Path(base), c.WorkingDir)
	switch {
	case errors.Is(err, ErrNotFound):
		return Started{}, &StartError{127, fmt.Sprintf("eci-agent: %s: not found", name)}
	case err != nil:
		return Started{}, &StartError{126, fmt.Sprintf("eci-agent: %s: %v", name, err)}
	}
	attr := &syscall.ProcAttr{
		Dir:   c.WorkingDir,
		Env:   c.Environ(base),
		Files: []uintptr{stdio[0].Fd(), stdio[1].Fd(), stdio[2].Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	}
	pid, exit, err := r.Spawn(func() (int, error) { return syscall.ForkExec(path, c.Argv, attr) })
	if err != nil {
		code := 126
		if errors.Is(err, syscall.ENOENT) {
			code = 127 // e.g. a script whose interpreter line names a missing program
		}
		return Started{}, &StartError{code, fmt.Sprintf("eci-agent: %s: %v", name, err)}
	}
	return Started{Pid: pid, Exit: exit}, nil
}
