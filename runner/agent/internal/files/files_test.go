package files

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type entry struct {
	name, body, link string
	typ              byte
	mode             int64
}

func tarOf(t *testing.T, entries ...entry) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mtime := time.Unix(1_700_000_000, 0)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: mode, Size: int64(len(e.body)), Linkname: e.link,
			ModTime: mtime}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// setup returns a service rooted at <tmp>/w and the path of an "outside" directory next to it.
func setup(t *testing.T) (*Service, string, string) {
	t.Helper()
	tmp := t.TempDir()
	root := filepath.Join(tmp, "w")
	outside := filepath.Join(tmp, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &Service{Roots: []string{root}}, root, outside
}

func TestRoundTripKeepsContentModesTimesAndLinks(t *testing.T) {
	s, root, _ := setup(t)
	src := filepath.Join(root, "src")
	res, err := s.Extract(src, tarOf(t,
		entry{name: "bin/", typ: tar.TypeDir, mode: 0o750},
		entry{name: "bin/run.sh", body: "#!/bin/sh\necho hi\n", mode: 0o755},
		entry{name: "deep/er/file.txt", body: "implicit parents"},
		entry{name: "link", typ: tar.TypeSymlink, link: "bin/run.sh"},
		entry{name: "abs-link", typ: tar.TypeSymlink, link: "/etc/passwd"},
		entry{name: "hard", typ: tar.TypeLink, link: "deep/er/file.txt"},
		entry{name: "./dot/x", body: "dot-slash prefix"},
	))
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 6 || res.Bytes != int64(len("#!/bin/sh\necho hi\n")+len("implicit parents")+len("dot-slash prefix")) {
		t.Fatalf("result %+v", res)
	}
	st, err := os.Stat(filepath.Join(src, "bin/run.sh"))
	if err != nil || st.Mode().Perm() != 0o755 || !st.ModTime().Equal(time.Unix(1_700_000_000, 0)) {
		t.Fatalf("run.sh: %v %v %v", err, st.Mode(), st.ModTime())
	}
	if st, _ := os.Stat(filepath.Join(src, "bin")); st.Mode().Perm() != 0o750 || !st.ModTime().Equal(time.Unix(1_700_000_000, 0)) {
		t.Fatalf("bin: %v %v", st.Mode(), st.ModTime())
	}
	if l, _ := os.Readlink(filepath.Join(src, "abs-link")); l != "/etc/passwd" {
		t.Fatalf("abs-link -> %q", l)
	}

	// Archive it and extract the archive elsewhere: the same tree comes back.
	a, err := s.OpenArchive(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := a.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	a.Close()
	dst := filepath.Join(root, "dst")
	if _, err := s.Extract(dst, &buf); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bin/run.sh", "deep/er/file.txt", "hard", "dot/x"} {
		want, _ := os.ReadFile(filepath.Join(src, name))
		got, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %q %v, want %q", name, got, err, want)
		}
		ws, _ := os.Stat(filepath.Join(src, name))
		gs, _ := os.Stat(filepath.Join(dst, name))
		if ws.Mode() != gs.Mode() || !ws.ModTime().Equal(gs.ModTime()) {
			t.Fatalf("%s: mode %v/%v mtime %v/%v", name, gs.Mode(), ws.Mode(), gs.ModTime(), ws.ModTime())
		}
	}
	if l, _ := os.Readlink(filepath.Join(dst, "link")); l != "bin/run.sh" {
		t.Fatalf("link -> %q", l)
	}
}

func TestExtractReplacesFilesAndLinksWithoutWritingThroughThem(t *testing.T) {
	s, root, outside := setup(t)
	target := filepath.Join(outside, "victim")
	os.WriteFile(target, []byte("untouched"), 0o644)
	dir := filepath.Join(root, "d")
	os.MkdirAll(dir, 0o755)
	os.Symlink(target, filepath.Join(dir, "f")) // a link already in the tree, pointing out
	os.WriteFile(filepath.Join(dir, "g"), []byte("old"), 0o600)
	if _, err := s.Extract(dir, tarOf(t, entry{name: "f", body: "new"}, entry{name: "g", body: "newer"})); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(target); string(b) != "untouched" {
		t.Fatalf("wrote through the link: %q", b)
	}
	if fi, _ := os.Lstat(filepath.Join(dir, "f")); !fi.Mode().IsRegular() {
		t.Fatalf("f is %v", fi.Mode())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "g")); string(b) != "newer" {
		t.Fatalf("g = %q", b)
	}
}

func TestTraversalIsRefused(t *testing.T) {
	s, root, outside := setup(t)
	for _, name := range []string{"../outside/x", "a/../../outside/x", "/etc/x", "a/../b"} {
		_, err := s.Extract(filepath.Join(root, "d"), tarOf(t, entry{name: name, body: "x"}))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// A hard link naming a file outside.
	_, err := s.Extract(filepath.Join(root, "d"), tarOf(t, entry{name: "h", typ: tar.TypeLink, link: "../outside/x"}))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("hard link: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("something was written outside: %v", entries)
	}
}

func TestSymlinkEscapeIsRefused(t *testing.T) {
	s, root, outside := setup(t)
	dir := filepath.Join(root, "d")
	cases := map[string]*bytes.Buffer{
		// the archive plants a link, then writes through it
		"relative": tarOf(t, entry{name: "esc", typ: tar.TypeSymlink, link: "../../outside"}, entry{name: "esc/x", body: "x"}),
		"absolute": tarOf(t, entry{name: "esc2", typ: tar.TypeSymlink, link: outside}, entry{name: "esc2/x", body: "x"}),
		"dir":      tarOf(t, entry{name: "esc3", typ: tar.TypeSymlink, link: outside}, entry{name: "esc3/sub/", typ: tar.TypeDir}),
		"hardlink": tarOf(t, entry{name: "esc4", typ: tar.TypeSymlink, link: outside}, entry{name: "h", typ: tar.TypeLink, link: "esc4/secret"}),
	}
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
	for name, archive := range cases {
		if _, err := s.Extract(dir, archive); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", name, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("something was written outside: %v", entries)
	}
	// A link inside the tree that stays inside is followed.
	if _, err := s.Extract(dir, tarOf(t, entry{name: "real/", typ: tar.TypeDir},
		entry{name: "alias", typ: tar.TypeSymlink, link: "real"}, entry{name: "alias/x", body: "in"})); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "real/x")); string(b) != "in" {
		t.Fatalf("real/x = %q", b)
	}
	// The request's dir itself may not lead out through a link either.
	os.Symlink(outside, filepath.Join(root, "out"))
	if _, err := s.Extract(filepath.Join(root, "out", "d"), tarOf(t, entry{name: "x", body: "x"})); !errors.Is(err, ErrForbidden) {
		t.Errorf("dir through a link: %v", err)
	}
	if _, err := s.OpenArchive(filepath.Join(root, "out")); !errors.Is(err, ErrForbidden) {
		t.Errorf("archive through a link: %v", err)
	}
}

func TestDirMustBeUnderARoot(t *testing.T) {
	s, root, outside := setup(t)
	for _, dir := range []string{outside, root + "x", filepath.Join(root, "..", "outside"), "/"} {
		if _, err := s.Extract(dir, tarOf(t)); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", dir, err)
		}
		if _, err := s.OpenArchive(dir); !errors.Is(err, ErrForbidden) {
			t.Errorf("archive %s: %v, want ErrForbidden", dir, err)
		}
	}
	for _, dir := range []string{"", "w/relative"} {
		if _, err := s.Extract(dir, tarOf(t)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", dir, err)
		}
	}
	if _, err := s.OpenArchive(filepath.Join(root, "missing")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
}

func TestSizeLimit(t *testing.T) {
	s, root, _ := setup(t)
	s.MaxBytes = 4096
	big := strings.Repeat("x", 8192)
	_, err := s.Extract(filepath.Join(root, "d"), tarOf(t, entry{name: "big", body: big}))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("extract: %v, want ErrTooLarge", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "d", "big")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a cut file was left: %v", err)
	}
	leftovers, _ := os.ReadDir(filepath.Join(root, "d"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	// Just under the limit passes (a tar of one small file is 2 KiB + the end blocks).
	if _, err := s.Extract(filepath.Join(root, "d"), tarOf(t, entry{name: "small", body: "x"})); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "d", "big"), []byte(big), 0o644)
	if _, err := s.OpenArchive(filepath.Join(root, "d")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("archive: %v, want ErrTooLarge", err)
	}
}

func TestUnsupportedEntriesAndGarbage(t *testing.T) {
	s, root, _ := setup(t)
	if _, err := s.Extract(filepath.Join(root, "d"), tarOf(t, entry{name: "fifo", typ: tar.TypeFifo})); !errors.Is(err, ErrInvalid) {
		t.Errorf("fifo: %v", err)
	}
	if _, err := s.Extract(filepath.Join(root, "d"), strings.NewReader(strings.Repeat("garbage!", 100))); !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage: %v", err)
	}
	// An empty body is an empty archive.
	if res, err := s.Extract(filepath.Join(root, "e"), io.LimitReader(nil, 0)); err != nil || res.Files != 0 {
		t.Errorf("empty: %+v %v", res, err)
	}
}
