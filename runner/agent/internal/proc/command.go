// Package proc describes a command to run (argv, env, working directory, PATH additions, symlinks to create first)
// and turns it into a process: argv[0] looked up on the command's own PATH, env as given (on top of the
// container's own when asked), no shell anywhere.
package proc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
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
	// Env is the process's environment, plus PATH (see Environ). Nothing of the agent's is inherited unless
	// InheritEnv is set.
	Env map[string]string `json:"env"`
	// InheritEnv starts the environment from the container's own (Base.Env: the image's ENV and the pod spec's env,
	// as the agent received them), with Env on top — what `docker exec -e` gives. The runner's step env is meant
	// to be added to the job container's, not to replace it.
	InheritEnv bool `json:"inheritEnv,omitempty"`
	// WorkingDir must exist; empty means the agent's own working directory.
	WorkingDir string `json:"workingDir,omitempty"`
	// PrependPath entries go in front of PATH in the order given: the first entry wins.
	PrependPath []string `json:"prependPath,omitempty"`
	// Symlinks are created, in order, before the process starts (and before WorkingDir is checked, so it may be
	// one of them): parent directories are made, an existing symlink or empty directory at Path is replaced.
	// This is how a runner's bind mounts (`_work/repo/repo` → /github/workspace) become links onto the shared
	// workspace in images that have no shell to run `ln`.
	Symlinks []Symlink `json:"symlinks,omitempty"`
}

// Symlink asks for Path to be a symbolic link to Target.
type Symlink struct {
	Path   string `json:"path"`
	Target string `json:"target"`
}

// Base is what the container itself gives every command: its own environment and, from it, its PATH.
type Base struct {
	Env map[string]string
}

// NewBase reads an environment in os.Environ form; a missing or empty PATH becomes DefaultPath.
func NewBase(environ []string) Base {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	if env["PATH"] == "" {
		env["PATH"] = DefaultPath
	}
	return Base{Env: env}
}

// Path is the container's own PATH.
func (b Base) Path() string { return b.Env["PATH"] }

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
	for i, l := range c.Symlinks {
		if !filepath.IsAbs(l.Path) || filepath.Clean(l.Path) != l.Path || l.Path == "/" || strings.IndexByte(l.Path, 0) >= 0 {
			return fmt.Errorf("symlinks[%d].path must be a clean absolute path other than /", i)
		}
		if l.Target == "" || strings.IndexByte(l.Target, 0) >= 0 {
			return fmt.Errorf("symlinks[%d].target is empty or contains a NUL byte", i)
		}
	}
	return nil
}

// Path is the command's PATH: PrependPath in order, then Env's PATH, or the container's own (the image's) when
// Env has none.
func (c *Command) Path(b Base) string {
	base, ok := c.Env["PATH"]
	if !ok {
		base = b.Path()
	}
	parts := append([]string{}, c.PrependPath...)
	if base != "" {
		parts = append(parts, base)
	}
	return strings.Join(parts, ":")
}

// Environ is the process environment, sorted by name: Env (on top of the container's own with InheritEnv), with
// PATH replaced by Path(b).
func (c *Command) Environ(b Base) []string {
	merged := c.Env
	if c.InheritEnv {
		merged = make(map[string]string, len(b.Env)+len(c.Env))
		for k, v := range b.Env {
			merged[k] = v
		}
		for k, v := range c.Env {
			merged[k] = v
		}
	}
	env := make([]string, 0, len(merged)+1)
	for k, v := range merged {
		if k != "PATH" {
			env = append(env, k+"="+v)
		}
	}
	sort.Strings(env)
	if p := c.Path(b); p != "" {
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
