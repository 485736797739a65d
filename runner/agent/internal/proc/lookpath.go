package proc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

var (
	// ErrNotFound: no file of that name on PATH (a shell's exit code 127).
	ErrNotFound = errors.New("not found")
	// ErrNotExecutable: found, but not executable by the agent's user (a shell's exit code 126).
	ErrNotExecutable = errors.New("permission denied")
)

// LookPath resolves name as execve will see it: a name with a slash is used as given (relative to dir); otherwise
// the first executable regular file of that name in the PATH entries. Relative and empty entries (the current
// directory) are taken relative to dir, as a shell in dir would.
func LookPath(name, path, dir string) (string, error) {
	if strings.Contains(name, "/") {
		return name, executable(inDir(name, dir))
	}
	denied := false
	for _, entry := range strings.Split(path, ":") {
		if entry == "" {
			entry = "."
		}
		candidate := filepath.Join(entry, name)
		switch err := executable(inDir(candidate, dir)); {
		case err == nil:
			if !filepath.IsAbs(candidate) {
				// ForkExec changes to dir before execve, so a relative result stays right; make it explicit.
				candidate = "./" + candidate
			}
			return candidate, nil
		case errors.Is(err, ErrNotExecutable):
			denied = true
		}
	}
	if denied {
		return "", ErrNotExecutable
	}
	return "", ErrNotFound
}

func inDir(p, dir string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func executable(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return ErrNotFound
	}
	if st.IsDir() || st.Mode()&0o111 == 0 || syscall.Access(p, 1 /* X_OK */) != nil {
		return ErrNotExecutable
	}
	return nil
}
