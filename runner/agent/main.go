// Command eci-agent is the in-pod step agent of eci-virtual: the entrypoint of every container of a job pod (the job
// container, `services:` containers and `docker://` step containers).
//
// An init container copies the binary and a per-pod token onto the pod's shared emptyDir:
//
//	eci-agent install /__eci/agent
//
// and every container then runs it as its entrypoint, serving HTTP on a unix socket on the same emptyDir:
//
//	/__eci/agent/eci-agent serve --socket /__w/_eci/agents/job.sock --token-file /__eci/agent/token \
//	    --state-dir /__w/_eci/agents/job [--hold] [-- argv...]
//
// The runner container drives steps through that socket (runner/src/step-transport/agent/). The binary is static
// (CGO_ENABLED=0) and needs nothing from the image it runs in: no shell, no libc, no Node.js.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

const usage = `usage:
  eci-agent install <dir>
  eci-agent serve (--socket <path> | --listen <host:port>)... --token-file <path> --state-dir <dir>
      [--name <container>] [--hold] [--files-root <dir>]... [--max-files-bytes N] [-- argv...]
  eci-agent probe
  eci-agent version
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "install":
		os.Exit(runInstall(os.Args[2:]))
	case "serve":
		os.Exit(runServe(os.Args[2:]))
	case "probe":
		os.Exit(runProbe(os.Args[2:]))
	case "version":
		fmt.Println(version())
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
}

// version names the Go release and, when the build recorded it, the module version.
func version() string {
	v := "devel"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		v = info.Main.Version
	}
	return fmt.Sprintf("eci-agent %s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
