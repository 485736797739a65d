package proc

import (
	"strconv"
	"syscall"
)

// Exit is how a process ended, as a shell reports it: a signal-killed process has ExitCode 128+signo.
type Exit struct {
	ExitCode int
	// Signal is the name of the signal that killed the process ("SIGTERM"), empty when it exited by itself.
	Signal string
}

// ExitOf maps a wait status.
func ExitOf(ws syscall.WaitStatus) Exit {
	if ws.Signaled() {
		return Exit{ExitCode: 128 + int(ws.Signal()), Signal: SignalName(ws.Signal())}
	}
	return Exit{ExitCode: ws.ExitStatus()}
}

var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP: "SIGHUP", syscall.SIGINT: "SIGINT", syscall.SIGQUIT: "SIGQUIT", syscall.SIGILL: "SIGILL",
	syscall.SIGTRAP: "SIGTRAP", syscall.SIGABRT: "SIGABRT", syscall.SIGBUS: "SIGBUS", syscall.SIGFPE: "SIGFPE",
	syscall.SIGKILL: "SIGKILL", syscall.SIGUSR1: "SIGUSR1", syscall.SIGSEGV: "SIGSEGV", syscall.SIGUSR2: "SIGUSR2",
	syscall.SIGPIPE: "SIGPIPE", syscall.SIGALRM: "SIGALRM", syscall.SIGTERM: "SIGTERM", syscall.SIGXCPU: "SIGXCPU",
	syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGSYS: "SIGSYS",
}

// SignalName is the conventional name ("SIGTERM"); Go's Signal.String gives the description ("terminated").
func SignalName(s syscall.Signal) string {
	if n, ok := signalNames[s]; ok {
		return n
	}
	return "SIG" + strconv.Itoa(int(s))
}
