// Package reaper does the PID 1 duty of collecting every child's exit status, and hands each status to whoever
// started that child.
//
// The agent is the entrypoint of its container, so orphans (a step's background processes whose parent exited) are
// re-parented to it; unreaped they would stay zombies until the pod ends. The agent also marks itself a child
// subreaper, so it collects its descendants the same way when it is NOT PID 1 (a runtime-injected init, local tests).
//
// Because one loop waits for any child (wait4(-1)), no other code may wait for a child: processes must be started
// through Spawn, which registers the pid before the loop can look it up, so no exit status is ever lost or stolen.
//
//	r := reaper.New(log)
//	r.Start()
//	pid, exit, err := r.Spawn(func() (int, error) { return syscall.ForkExec(path, argv, attr) })
//	status := <-exit
package reaper

import (
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from <linux/prctl.h>.
const prSetChildSubreaper = 36

// Reaper collects exit statuses. Its methods may be called concurrently.
type Reaper struct {
	log *slog.Logger

	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	reaped  chan struct{} // closed (and replaced) after every pass that collected a child
}

// New returns an idle reaper; Start begins collecting.
func New(log *slog.Logger) *Reaper {
	return &Reaper{log: log, waiting: map[int]chan syscall.WaitStatus{}, reaped: make(chan struct{})}
}

// Start makes the agent a child subreaper and starts the loop that reaps on every SIGCHLD. Call it once, before
// the first Spawn.
func (r *Reaper) Start() {
	if os.Getpid() != 1 {
		if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
			r.log.Warn("cannot become a child subreaper; orphans of steps go to the real init", "err", errno.Error())
		}
	}
	sigchld := make(chan os.Signal, 1)
	signal.Notify(sigchld, syscall.SIGCHLD)
	go func() {
		for {
			// One buffered signal is enough: a pass reaps until nothing is left, and a child that exits after the
			// last wait4 raises a SIGCHLD that starts the next pass.
			r.reapAll()
			<-sigchld
		}
	}()
}

// Spawn runs fork (which starts one process and returns its pid) and returns a channel that receives that
// process's exit status exactly once.
func (r *Reaper) Spawn(fork func() (int, error)) (int, <-chan syscall.WaitStatus, error) {
	exit := make(chan syscall.WaitStatus, 1)
	// Held across the fork: the loop cannot look a pid up before it is registered.
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fork()
	if err != nil {
		return 0, nil, err
	}
	r.waiting[pid] = exit
	return pid, exit, nil
}

// Reaped returns a channel closed the next time any child is collected (for code waiting for processes it did not
// start, such as the rest of a cancelled step's process group, to disappear).
func (r *Reaper) Reaped() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reaped
}

func (r *Reaper) reapAll() {
	collected := false
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 {
			break // no child has exited (0) or there are no children (ECHILD)
		}
		collected = true
		r.mu.Lock()
		exit, ok := r.waiting[pid]
		delete(r.waiting, pid)
		r.mu.Unlock()
		if ok {
			exit <- status
		} else {
			r.log.Debug("reaped an orphan", "pid", pid)
		}
	}
	if collected {
		r.mu.Lock()
		close(r.reaped)
		r.reaped = make(chan struct{})
		r.mu.Unlock()
	}
}
