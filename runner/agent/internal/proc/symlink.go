package proc

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// MakeSymlink makes l.Path a symlink to l.Target: parent directories are created (0755), an existing symlink is
// replaced atomically (a new link under a temporary name, renamed over the old one, so a concurrent step never
// sees the path missing), an empty directory is replaced; a file or a non-empty directory is left alone and
// reported, since removing what an image ships is not ours to do.
func MakeSymlink(l Symlink) error {
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o755); err != nil {
		return err
	}
	st, err := os.Lstat(l.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case st.Mode()&os.ModeSymlink != 0:
		if cur, err := os.Readlink(l.Path); err == nil && cur == l.Target {
			return nil
		}
	case st.IsDir():
		if err := os.Remove(l.Path); err != nil {
			return fmt.Errorf("%s is a directory that is not empty", l.Path)
		}
	default:
		return fmt.Errorf("%s exists and is not a symlink", l.Path)
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return err
	}
	tmp := l.Path + ".eci-link-" + hex.EncodeToString(suffix[:])
	if err := os.Symlink(l.Target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, l.Path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
