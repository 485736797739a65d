// Command env-echo is a test service for a "distroless" image: a static binary alone in a scratch image (no shell,
// no libc). It answers every TCP connection with its own environment, one KEY=VALUE per line in sorted order, then
// closes it — so a step can check which env the service really started with. It prints nothing of its env itself.
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
)

func main() {
	port := flag.Int("port", 7070, "TCP port to listen on (all addresses)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "env-echo:", err)
		os.Exit(1)
	}
	fmt.Printf("env-echo listening on %d\n", *port)
	for {
		c, err := ln.Accept()
		if err != nil {
			continue
		}
		env := os.Environ()
		sort.Strings(env)
		_, _ = c.Write([]byte(strings.Join(env, "\n") + "\n"))
		_ = c.Close()
	}
}
