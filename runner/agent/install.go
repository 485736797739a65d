package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"eci-virtual/agent/internal/auth"
)

// runInstall is the init container's job: copy this binary to <dir>/eci-agent and create <dir>/token once per pod.
func runInstall(args []string) int {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("cmd", "install")
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	dir := args[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Error("cannot create the install directory", "dir", dir, "err", err)
		return 1
	}
	bin := filepath.Join(dir, "eci-agent")
	if err := copySelf(bin); err != nil {
		log.Error("cannot copy the agent", "to", bin, "err", err)
		return 1
	}
	tokenPath := filepath.Join(dir, "token")
	created, err := auth.CreateFile(tokenPath)
	if err != nil {
		log.Error("cannot create the token", "path", tokenPath, "err", err)
		return 1
	}
	log.Info("installed", "binary", bin, "token", tokenPath, "tokenCreated", created)
	return 0
}

// copySelf copies the running executable to dst through a temporary file and a rename, so a container starting
// from dst never sees a partial binary.
func copySelf(dst string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".eci-agent-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
