package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// shortDir is a temporary directory with a path short enough for a unix socket (t.TempDir() can exceed 107 bytes).
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "dial")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// result runs dial in the background and returns its error on the channel.
func runBridge(o dialOptions, in io.Reader, out io.Writer) <-chan error {
	done := make(chan error, 1)
	go func() { done <- dial(o, in, out) }()
	return done
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("dial did not return")
		return nil
	}
}

// readHello reads the greeting line and checks it.
func readHello(t *testing.T, r *bufio.Reader) DialHello {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the greeting: %v", err)
	}
	var h DialHello
	if err := json.Unmarshal([]byte(line), &h); err != nil || h.Proto != DialProto {
		t.Fatalf("greeting %q is not a dial greeting (%v)", line, err)
	}
	return h
}

// Two keep-alive HTTP requests, one after the other, over one bridge: what `eci-virtual run` does for every step of
// a job over one exec. The server sees one connection for both.
func TestDialCarriesSequentialKeepAliveRequests(t *testing.T) {
	dir := shortDir(t)
	socket := filepath.Join(dir, "agent.sock")
	tokenFile := filepath.Join(dir, "token")
	token := strings.Repeat("ab", 32)
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o444); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	conns := 0
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s %s auth=%s", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		},
	}
	go srv.Serve(ln)
	defer srv.Close()

	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := runBridge(dialOptions{socket: socket, tokenFile: tokenFile, wait: time.Second, drain: time.Second}, inR, outW)
	out := bufio.NewReader(outR)
	if h := readHello(t, out); h.Token != token {
		t.Fatalf("greeting token %q, want the token file's", h.Token)
	}
	for i, path := range []string{"/v1/steps", "/v1/steps/a"} {
		req, _ := http.NewRequest("GET", "http://agent"+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		if err := req.Write(inW); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(out, req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(res.Body)
		if want := "GET " + path + " auth=Bearer " + token; string(body) != want {
			t.Fatalf("request %d answered %q, want %q", i, body, want)
		}
	}
	inW.Close() // the client leaves: the server sees EOF, closes, and dial ends
	if err := waitDone(t, done); err != nil {
		t.Fatalf("dial: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Fatalf("the agent saw %d connections, want 1", conns)
	}
}

// When stdin ends, the agent still gets to finish its answer (half-close), and dial ends when the agent closes.
func TestDialHalfClosesAndDeliversTheLastBytes(t *testing.T) {
	dir := shortDir(t)
	socket := filepath.Join(dir, "a.sock")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		got, _ := io.ReadAll(c) // until the bridge half-closes
		time.Sleep(50 * time.Millisecond)
		fmt.Fprintf(c, "got %q, bye", got)
	}()
	var out strings.Builder
	done := runBridge(dialOptions{socket: socket, wait: time.Second, drain: 2 * time.Second}, strings.NewReader("hello"), &out)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("dial: %v", err)
	}
	r := bufio.NewReader(strings.NewReader(out.String()))
	if h := readHello(t, r); h.Token != "" {
		t.Fatalf("no --token-file, yet the greeting carries a token")
	}
	if rest, _ := io.ReadAll(r); string(rest) != `got "hello", bye` {
		t.Fatalf("after the greeting: %q", rest)
	}
}

// An agent that never answers after stdin ended does not keep dial alive past the drain time.
func TestDialGivesUpAfterTheDrainTime(t *testing.T) {
	dir := shortDir(t)
	socket := filepath.Join(dir, "a.sock")
	ln, err := net.Listen("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			time.Sleep(5 * time.Second)
		}
	}()
	started := time.Now()
	done := runBridge(dialOptions{socket: socket, wait: time.Second, drain: 100 * time.Millisecond}, strings.NewReader(""), io.Discard)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("dial: %v", err)
	}
	if d := time.Since(started); d > 2*time.Second {
		t.Fatalf("dial took %v, want about the drain time", d)
	}
}

// The agent may not serve yet when the pod is reported running: dial waits for the socket.
func TestDialWaitsForTheSocket(t *testing.T) {
	dir := shortDir(t)
	socket := filepath.Join(dir, "late.sock")
	go func() {
		time.Sleep(150 * time.Millisecond)
		ln, err := net.Listen("unix", socket)
		if err != nil {
			return
		}
		defer ln.Close()
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("ready"))
			c.Close()
		}
	}()
	var out strings.Builder
	done := runBridge(dialOptions{socket: socket, wait: 3 * time.Second, drain: time.Second}, strings.NewReader(""), &out)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("dial: %v", err)
	}
	if !strings.HasSuffix(out.String(), "\nready") {
		t.Fatalf("output %q, want the greeting then the agent's bytes", out.String())
	}
}

// No agent: an error after the wait, and nothing on stdout (no greeting), so the client knows the bridge never came up.
func TestDialFailsWithoutAnAgent(t *testing.T) {
	dir := shortDir(t)
	var out strings.Builder
	started := time.Now()
	err := dial(dialOptions{socket: filepath.Join(dir, "none.sock"), wait: 200 * time.Millisecond}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "connecting to the agent") {
		t.Fatalf("err = %v, want a connect error", err)
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %q without a connection", out.String())
	}
	if d := time.Since(started); d < 150*time.Millisecond || d > 2*time.Second {
		t.Fatalf("gave up after %v, want about the wait", d)
	}
	// An unreadable token file fails before connecting.
	err = dial(dialOptions{socket: filepath.Join(dir, "none.sock"), tokenFile: filepath.Join(dir, "missing")}, strings.NewReader(""), &out)
	if err == nil || !strings.Contains(err.Error(), "token") {
		t.Fatalf("err = %v, want a token error", err)
	}
}
