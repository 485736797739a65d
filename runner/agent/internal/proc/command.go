// Package proc describes a command to run (argv, env, working directory, PATH additions) and turns it into a
// process: argv[0] looked up on the command's own PATH, env exactly as given, no shell anywhere.
package proc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// DefaultPath is the PATH used when neither the command nor the agent's own environment has one (the value
// container runtimes give images without an ENV PATH).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Command is what the runner asks an agent to run. The JSON names are the wire format.
type Command struct {
	// Argv is passed to execve as given: no shell, no re-quoting. Argv[0] is looked up on the command's PATH
	// unless it contains a slash.
	Argv []string `json:"argv"`
	// Env is the process's whole environment, plus PATH (see Environ). Nothing of the agent's is inherited.
	Env map[string]string `json:"env"`
	// WorkingDir must exist; empty means the agent's own working directory.
	WorkingDir string `json:"workingDir,omitempty"`
	// PrependPath entries go in front of PATH in the order given: the first entry wins.
	PrependPath []string `json:"prependPath,omitempty"`
}

// Validate reports what execve could not take.
func (c *Command) Validate() error {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return fmt.Errorf("argv must have a non-empty first element")
	}
	for i, a := range c.Argv {
		if strings.IndexByte(a, 0) >= 0 {
			return fmt.Errorf("argv[%d] contains a NUL byte", i)
		}
	}
	for k, v := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("env name %q is empty or contains '=' or NUL", k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("env %s: the value contains a NUL byte", k)
		}
	}
	for i, p := range c.PrependPath {
		if p == "" || strings.ContainsAny(p, ":\x00") {
			return fmt.Errorf("prependPath[%d] is empty or contains ':' or NUL", i)
		}
	}
	if strings.IndexByte(c.WorkingDir, 0) >= 0 {
		return fmt.Errorf("workingDir contains a NUL byte")
	}
	return nil
}

// Path is the command's PATH: PrependPath in order, then Env's PATH, or basePath (the agent's own PATH, i.e. the
// image's) when Env has none.
func (c *Command) Path(basePath string) string {
	base, ok := c.Env["PATH"]
	if !ok {
		base = basePath
	}
	parts := append([]string{}, c.PrependPath...)
	if base != "" {
		parts = append(parts, base)
	}
	return strings.Join(parts, ":")
}

// Environ is the process environment: Env sorted by name, with PATH replaced by Path(basePath).
func (c *Command) Environ(basePath string) []string {
	env := make([]string, 0, len(c.Env)+1)
	for k, v := range c.Env {
		if k != "PATH" {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	if p := c.Path(basePath); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

// Hash identifies the request, so a retried identical request can be told from a different one reusing an id.
// Only the digest is kept: env values (secrets) are never stored.
func (c *Command) Hash() [32]byte {
	// encoding/json writes map keys sorted, so equal commands encode to equal bytes.
	b, _ := json.Marshal(c)
	return sha256.Sum256(b)
}
