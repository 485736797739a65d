// Package auth holds the per-pod token that every request to an agent must present.
//
// `eci-agent install` creates it once per pod on its own emptyDir (32 random bytes, hex, mode 0444: see
// TokenMode); the runner container and every agent read the same file.
// A process in another pod can reach neither the socket nor the token. The token is never logged.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenBytes is the token's entropy; the file holds it hex-encoded.
const TokenBytes = 32

// TokenMode lets every user of the pod read the token and nobody write it. The containers of a job pod run as
// whatever users their images name, with no group they are sure to share; the token lives on its own emptyDir
// (never on the workspace, which jobs upload as artifacts and caches), mounted read-only, and its job is to keep
// anything that is not in the pod from driving an agent (see the agent README).
const TokenMode = 0o444

// CreateFile writes a new random token to path unless a token is already there; it reports whether it created one.
// The token appears atomically (written to a temporary file, then hard-linked into place, which fails rather than
// replaces when the file exists), so a concurrent reader never sees half a token.
func CreateFile(path string) (bool, error) {
	if _, err := os.Stat(path); err == nil {
		return false, nil
	}
	raw := make([]byte, TokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return false, fmt.Errorf("random token: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".token-*")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(hex.EncodeToString(raw) + "\n"); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Chmod(tmp.Name(), TokenMode); err != nil {
		return false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// ReadFile returns the token in path, refusing one too short to be a token made by CreateFile.
func ReadFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	token := strings.TrimSpace(string(raw))
	if len(token) < TokenBytes {
		return "", fmt.Errorf("token file %s holds %d characters, want at least %d", path, len(token), TokenBytes)
	}
	return token, nil
}

// Require wraps next so that every request except those to the paths in open must carry
// `Authorization: Bearer <token>`; others get 401 from deny. The comparison takes the same time whatever the
// presented value shares with the token.
func Require(token string, open map[string]bool, deny http.HandlerFunc, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if open[r.URL.Path] || subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		deny(w, r)
	})
}
