package proc

import (
	"os"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
)

func TestEnvironIsTheGivenEnvPlusPath(t *testing.T) {
	c := Command{Argv: []string{"x"}, Env: map[string]string{"B": "2", "A": "1 1"}, PrependPath: []string{"/p1", "/p2"}}
	base := NewBase([]string{"PATH=/usr/bin:/bin", "IMAGE=1", "A=from image"})
	got := c.Environ(base)
	want := []string{"A=1 1", "B=2", "PATH=/p1:/p2:/usr/bin:/bin"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Environ = %q, want %q", got, want)
	}
	c.Env["PATH"] = "/only"
	if p := c.Path(base); p != "/p1:/p2:/only" {
		t.Fatalf("the env's own PATH must replace the base: %q", p)
	}
}

func TestInheritEnvPutsTheCommandsEnvOnTopOfTheContainers(t *testing.T) {
	base := NewBase([]string{"PATH=/usr/bin", "IMAGE=1", "A=from image"})
	c := Command{Argv: []string{"x"}, Env: map[string]string{"A": "step"}, PrependPath: []string{"/p"}, InheritEnv: true}
	want := []string{"A=step", "IMAGE=1", "PATH=/p:/usr/bin"}
	if got := c.Environ(base); !reflect.DeepEqual(got, want) {
		t.Fatalf("Environ = %q, want %q", got, want)
	}
	if NewBase(nil).Path() != DefaultPath {
		t.Fatal("a container without PATH gets the runtime's default")
	}
}

func TestMakeSymlinkCreatesParentsAndReplacesLinksButNotFiles(t *testing.T) {
	d := t.TempDir()
	link := Symlink{Path: filepath.Join(d, "github", "workspace"), Target: "/__w/r/r"}
	for i := 0; i < 2; i++ { // the second time it is already there
		if err := MakeSymlink(link); err != nil {
			t.Fatal(err)
		}
	}
	link.Target = "/__w/other"
	if err := MakeSymlink(link); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(link.Path); got != "/__w/other" {
		t.Fatalf("link points to %q", got)
	}
	empty := Symlink{Path: filepath.Join(d, "empty"), Target: "/x"}
	_ = os.Mkdir(empty.Path, 0o755)
	if err := MakeSymlink(empty); err != nil {
		t.Fatalf("an empty directory is replaced: %v", err)
	}
	file := Symlink{Path: filepath.Join(d, "file"), Target: "/x"}
	_ = os.WriteFile(file.Path, []byte("keep"), 0o644)
	if err := MakeSymlink(file); err == nil {
		t.Fatal("a regular file must not be replaced")
	}
	if b, _ := os.ReadFile(file.Path); string(b) != "keep" {
		t.Fatal("the file was touched")
	}
	entries, _ := os.ReadDir(filepath.Join(d, "github"))
	if len(entries) != 1 {
		t.Fatalf("temporary links left behind: %v", entries)
	}
}

func TestHashDiffersWithEnv(t *testing.T) {
	a := Command{Argv: []string{"x"}, Env: map[string]string{"K": "1"}}
	b := Command{Argv: []string{"x"}, Env: map[string]string{"K": "2"}}
	if a.Hash() == b.Hash() || a.Hash() != a.Hash() {
		t.Fatal("equal commands must hash equal and different ones differently")
	}
}

func TestValidateRejectsWhatExecveCannotTake(t *testing.T) {
	for _, c := range []Command{
		{},
		{Argv: []string{""}},
		{Argv: []string{"a\x00b"}},
		{Argv: []string{"x"}, Env: map[string]string{"A=B": "1"}},
		{Argv: []string{"x"}, PrependPath: []string{"a:b"}},
		{Argv: []string{"x"}, Symlinks: []Symlink{{Path: "relative", Target: "/x"}}},
		{Argv: []string{"x"}, Symlinks: []Symlink{{Path: "/a/../b", Target: "/x"}}},
		{Argv: []string{"x"}, Symlinks: []Symlink{{Path: "/a", Target: ""}}},
	} {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) accepted it", c)
		}
	}
}

func TestLookPathFirstEntryWinsAndReportsWhy(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	for _, d := range []string{d1, d2} {
		if err := os.WriteFile(filepath.Join(d, "tool"), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(d1, "plain"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := LookPath("tool", d2+":"+d1, ""); err != nil || p != filepath.Join(d2, "tool") {
		t.Fatalf("LookPath = %q, %v", p, err)
	}
	if _, err := LookPath("missing", d1, ""); err != ErrNotFound {
		t.Fatalf("missing: %v", err)
	}
	if _, err := LookPath("plain", d1, ""); err != ErrNotExecutable {
		t.Fatalf("not executable: %v", err)
	}
	if p, err := LookPath("tool", "", d1); err != nil || p != "./tool" {
		t.Fatalf("an empty PATH entry is the working directory: %q, %v", p, err)
	}
}

func TestExitOfSignalledProcess(t *testing.T) {
	// WaitStatus encodes a signal death as the signal number in the low 7 bits.
	if got := ExitOf(syscall.WaitStatus(int(syscall.SIGTERM))); got != (Exit{ExitCode: 143, Signal: "SIGTERM"}) {
		t.Fatalf("ExitOf = %+v", got)
	}
	if got := ExitOf(syscall.WaitStatus(3 << 8)); got != (Exit{ExitCode: 3}) {
		t.Fatalf("ExitOf = %+v", got)
	}
}
