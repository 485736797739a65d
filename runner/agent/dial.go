package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"eci-virtual/agent/internal/auth"
)

// DialProto names the bridge's one-line greeting; a client that sees anything else is not talking to `dial`.
const DialProto = "eci-agent-dial/1"

// DialHello is the first line `dial` writes to stdout, once it is connected to the agent and before any byte of the
// agent's: it tells the client the bridge is up (an older agent without `dial` prints usage on stderr instead) and,
// with --token-file, hands it the pod's token. The exec that runs `dial` is already an authenticated channel into
// the container, whose processes can read the token file anyway; the client needs the token for its requests and
// has no other way to read it without a second exec.
type DialHello struct {
	Proto string `json:"proto"`
	Token string `json:"token,omitempty"`
}

type dialOptions struct {
	socket    string
	tokenFile string
	// wait is how long to retry connecting while the socket is missing or refuses (the agent is still starting).
	wait time.Duration
	// drain is how long the agent may still answer after stdin ended before the bridge closes the connection.
	drain time.Duration
}

// runDial is `eci-agent dial`: a stdio bridge to the agent's unix socket, for a client outside the pod whose only
// way in is one exec (`eci-virtual run`: one exec per job, carrying every step as HTTP/1.1 keep-alive requests).
func runDial(args []string) int {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	o := dialOptions{}
	fs.StringVar(&o.socket, "socket", "", "the agent's unix socket")
	fs.StringVar(&o.tokenFile, "token-file", "", "the pod's token, handed to the client in the greeting line")
	fs.DurationVar(&o.wait, "wait", 10*time.Second, "retry connecting this long while the agent is not serving yet")
	fs.DurationVar(&o.drain, "drain", 5*time.Second, "after stdin ends, how long the agent's answer may still take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.socket == "" || fs.NArg() != 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("cmd", "dial")
	if err := dial(o, os.Stdin, os.Stdout); err != nil {
		log.Error("dial failed", "socket", o.socket, "err", err)
		return 1
	}
	return 0
}

// dial connects to the agent, writes the greeting, then copies in → agent and agent → out until the agent closes
// the connection or out cannot be written (the client is gone). When in ends first, the write side of the
// connection is closed (the agent sees the client leave) and the agent's last bytes still reach out, for at most
// o.drain. Bytes are copied as they arrive, unbuffered: a streamed step output is not held back.
func dial(o dialOptions, in io.Reader, out io.Writer) error {
	hello := DialHello{Proto: DialProto}
	if o.tokenFile != "" {
		token, err := auth.ReadFile(o.tokenFile)
		if err != nil {
			return fmt.Errorf("reading the token: %w", err)
		}
		hello.Token = token
	}
	conn, err := connectAgent(o.socket, o.wait)
	if err != nil {
		return err
	}
	defer conn.Close()
	line, _ := json.Marshal(hello)
	if _, err := out.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("writing the greeting: %w", err)
	}

	inDone := make(chan struct{})
	go func() {
		defer close(inDone)
		_, _ = io.Copy(conn, in)
		_ = conn.CloseWrite()
	}()
	outDone := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, conn)
		outDone <- err
	}()
	select {
	case err := <-outDone:
		return ignoreClosed(err)
	case <-inDone:
	}
	timer := time.NewTimer(o.drain)
	defer timer.Stop()
	select {
	case err := <-outDone:
		return ignoreClosed(err)
	case <-timer.C:
		return nil // the deferred Close ends the copy
	}
}

// connectAgent dials the socket, retrying for up to wait while it does not exist yet or refuses connections.
func connectAgent(socket string, wait time.Duration) (*net.UnixConn, error) {
	deadline := time.Now().Add(wait)
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 200*time.Millisecond) {
		conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: socket, Net: "unix"})
		if err == nil {
			return conn, nil
		}
		retry := errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
		if !retry || time.Now().Add(delay).After(deadline) {
			return nil, fmt.Errorf("connecting to the agent: %w", err)
		}
		time.Sleep(delay)
	}
}

// ignoreClosed treats the agent closing the connection, or the client leaving (EPIPE on out), as a normal end.
func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNRESET) {
		return nil
	}
	return err
}
