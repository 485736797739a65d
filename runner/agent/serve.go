package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"eci-virtual/agent/internal/api"
	"eci-virtual/agent/internal/auth"
	"eci-virtual/agent/internal/files"
	"eci-virtual/agent/internal/mainproc"
	"eci-virtual/agent/internal/proc"
	"eci-virtual/agent/internal/reaper"
	"eci-virtual/agent/internal/steps"
)

// forwarded are the signals passed on to the main process, as an init would (tini forwards these too). Without a
// main process, SIGTERM and SIGINT shut the agent down and the others are ignored.
var forwarded = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1,
	syscall.SIGUSR2}

// runServe is the container entrypoint: serve the API on the socket (and on TCP with --listen), run the main process
// if there is one, and exit with its exit code (0 after SIGTERM when there is none).
func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	socket := fs.String("socket", "", "unix socket to serve on (its directory is created; a stale socket is replaced)")
	tcp := fs.String("listen", "", "also serve on this TCP address, host:port (a workload pod's agents, driven over the pod network)")
	var filesRoots stringList
	fs.Var(&filesRoots, "files-root", "directory /v1/files may read and write beneath (repeatable; default "+defaultFilesRoot+"); the state dir's parent is always one")
	maxFiles := fs.Int64("max-files-bytes", files.DefaultMaxBytes, "largest tar body of PUT /v1/files, largest tree of GET")
	tokenFile := fs.String("token-file", "", "the pod's token, created by `eci-agent install`")
	stateDir := fs.String("state-dir", "", "directory for step logs and results (on the shared emptyDir)")
	name := fs.String("name", "", "container name for log lines (default: the socket's file name without .sock)")
	hold := fs.Bool("hold", false, "wait for POST /v1/main before starting argv (the default without argv)")
	maxSteps := fs.Int("max-steps", 16, "steps that may run at once")
	maxBody := fs.Int64("max-body", 1<<20, "largest request body in bytes")
	grace := fs.Duration("shutdown-grace", 3*time.Second, "on shutdown, time between SIGTERM and SIGKILL of running steps")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*socket == "" && *tcp == "") || *tokenFile == "" || *stateDir == "" {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	argv := fs.Args()
	if *name == "" && *socket != "" {
		*name = strings.TrimSuffix(filepath.Base(*socket), ".sock")
	} else if *name == "" {
		*name = "agent"
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("container", *name)

	token, err := auth.ReadFile(*tokenFile)
	if err != nil {
		log.Error("cannot read the token", "path", *tokenFile, "err", err)
		return 1
	}
	base := proc.NewBase(os.Environ())
	// Signals first: a SIGCHLD or SIGTERM arriving before the handlers exist would be lost (PID 1 has no defaults).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	r := reaper.New(log)
	r.Start()

	// The parents of the state dir and the socket are shared by the agents of the pod (sharedDirMode); the state
	// dir itself is this agent's (steps' files are read through the API).
	shared := []string{filepath.Dir(*stateDir)}
	if *socket != "" {
		shared = append(shared, filepath.Dir(*socket))
	}
	for _, dir := range shared {
		if err := mkdirShared(dir); err != nil {
			log.Error("cannot create a shared directory", "dir", dir, "err", err)
			return 1
		}
	}
	manager, err := steps.NewManager(*stateDir, base, *maxSteps, r, log)
	if err != nil {
		log.Error("cannot create the state directory", "dir", *stateDir, "err", err)
		return 1
	}
	main := mainproc.New(argv, base, r, log)
	var listeners []net.Listener
	if *socket != "" {
		ln, err := listen(*socket)
		if err != nil {
			log.Error("cannot listen", "socket", *socket, "err", err)
			return 1
		}
		listeners = append(listeners, ln)
	}
	if *tcp != "" {
		ln, err := net.Listen("tcp", *tcp)
		if err != nil {
			log.Error("cannot listen", "address", *tcp, "err", err)
			for _, l := range listeners {
				l.Close()
			}
			return 1
		}
		listeners = append(listeners, ln)
	}
	fileService, err := filesService(filesRoots, *stateDir, *maxFiles)
	if err != nil {
		log.Error("bad --files-root", "err", err)
		return 2
	}
	handler := (&api.Server{Steps: manager, Main: main, Token: token, MaxBody: *maxBody, Files: fileService,
		Log: log}).Handler()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       5 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, len(listeners))
	addresses := []string{}
	for _, ln := range listeners {
		addresses = append(addresses, ln.Addr().Network()+":"+ln.Addr().String())
		go func() { served <- srv.Serve(ln) }()
	}
	log.Info("serving", "on", addresses, "stateDir", *stateDir, "filesRoots", fileService.Roots,
		"hold", *hold || len(argv) == 0, "pid", os.Getpid())

	if !*hold && len(argv) > 0 {
		// Not held: the image's entrypoint runs at once, with the container's own environment.
		if _, _, err := main.Start(proc.Command{Argv: argv, Env: environ()}); err != nil {
			log.Error("cannot start the main process", "err", err)
			code := 1
			var startErr *proc.StartError
			if errors.As(err, &startErr) {
				code = startErr.ExitCode
			}
			return shutdown(log, srv, manager, *socket, *grace, code)
		}
	}
	for {
		select {
		case sig := <-sigs:
			if main.Signal(sig.(syscall.Signal)) {
				log.Info("forwarded a signal to the main process", "signal", proc.SignalName(sig.(syscall.Signal)))
				continue
			}
			if sig == syscall.SIGTERM || sig == syscall.SIGINT {
				log.Info("stopping", "signal", proc.SignalName(sig.(syscall.Signal)))
				return shutdown(log, srv, manager, *socket, *grace, 0)
			}
		case exit := <-main.Exited():
			return shutdown(log, srv, manager, *socket, *grace, exit.ExitCode)
		case err := <-served:
			log.Error("the server stopped", "err", err)
			return shutdown(log, srv, manager, *socket, *grace, 1)
		}
	}
}

// shutdown stops running steps (SIGTERM, SIGKILL after grace), lets followers receive the end of their output,
// then closes the server and removes the socket.
func shutdown(log *slog.Logger, srv *http.Server, m *steps.Manager, socket string, grace time.Duration, code int) int {
	m.Shutdown(grace)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	if socket != "" {
		_ = os.Remove(socket)
	}
	log.Info("stopped", "exitCode", code)
	return code
}

// defaultFilesRoot is the job containers' view of the runner's work folder (the workspace emptyDir).
const defaultFilesRoot = "/__w"

// filesService allows /v1/files beneath the given roots (or defaultFilesRoot) and the state dir's parent.
func filesService(roots []string, stateDir string, max int64) (*files.Service, error) {
	if len(roots) == 0 {
		roots = []string{defaultFilesRoot}
	}
	abs, err := filepath.Abs(stateDir)
	if err != nil {
		return nil, err
	}
	roots = append(roots, filepath.Dir(abs))
	s := &files.Service{MaxBytes: max}
	for _, r := range roots {
		if !filepath.IsAbs(r) {
			return nil, fmt.Errorf("%s is not an absolute path", r)
		}
		s.Roots = append(s.Roots, filepath.Clean(r))
	}
	return s, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// SocketMode lets every user of the pod connect: the containers of one pod run as whatever users their images
// name (the runner as a non-root user, a job image as root or as its own user), and a pod has no group they are
// all sure to share. Reaching the socket at all needs the pod's emptyDir; driving the agent needs the token.
const SocketMode = 0o666

// sharedDirMode is that of the directories the agent creates for sockets and state: writable by every user of
// the pod, sticky like /tmp (1777) so that no agent can remove or replace another one's socket. Go spells the
// sticky bit os.ModeSticky; 0o1000 in a FileMode would be dropped.
const sharedDirMode = os.ModeSticky | 0o777

// listen creates the socket's directory (see sharedDirMode), replaces a stale socket, and refuses to take over one
// that another agent still serves.
func listen(path string) (net.Listener, error) {
	if err := mkdirShared(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if st, err := os.Lstat(path); err == nil {
		if st.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("another process serves %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// Any user of the pod may connect; the token decides what they may do.
	if err := os.Chmod(path, SocketMode); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// mkdirShared creates dir and its missing parents with sharedDirMode (set explicitly: the umask would narrow it);
// directories that exist already are left as they are.
func mkdirShared(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirShared(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, sharedDirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return os.Chmod(dir, sharedDirMode)
}

// environ is the agent's own environment as a map, for a main process started from the command line.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	return env
}
