// Package files moves directory trees in and out of the agent's container as tar streams: the runner's hooks keep
// the runner's work folder (its `_temp`, `_actions`, `_tool`, …) consistent between the runner's pod and a workload
// pod whose containers they drive over the pod network (runner/src/hooks/workspace-sync.ts).
//
//	PUT /v1/files?dir=<abs>   tar body  → extracted into dir (created 0755)   {"files":N,"bytes":M}
//	GET /v1/files?dir=<abs>             → a tar of dir's contents
//
// Confinement: dir must lie under one of the configured roots (else ErrForbidden), and every operation goes through
// an os.Root opened on it, so no entry — by its name (`..`, absolute), by a symbolic link in the tree (an earlier
// entry of the same archive included) or by a link swapped in concurrently — can read or write outside dir. Entry
// names with a `..` element or a leading `/` are refused outright (ErrInvalid). Symbolic links themselves may point
// anywhere (a tree may hold links to the container's own files); they are stored as links and never followed out.
//
// Bounds: a request body over the limit is ErrTooLarge, and so is a tree whose regular files add up to more.
package files

import (
	"archive/tar"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Errors the API maps to HTTP statuses.
var (
	ErrInvalid   = errors.New("invalid input")
	ErrForbidden = errors.New("forbidden")
	ErrNotFound  = errors.New("not found")
	ErrTooLarge  = errors.New("too large")
)

// DefaultMaxBytes bounds one request: the tar body of a PUT, the regular files of a GET.
const DefaultMaxBytes int64 = 2 << 30

// keptModeBits are the mode bits carried from a tar header to the extracted file (ownership is not: files belong
// to the agent's user, as with GNU tar run by a non-root user).
const keptModeBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Service extracts and archives trees under its roots.
type Service struct {
	// Roots are absolute, clean directories; a request's dir must be one of them or lie beneath one.
	Roots []string
	// MaxBytes bounds one request (DefaultMaxBytes when 0).
	MaxBytes int64
}

// Result answers a PUT: the non-directory entries written (files and links) and the bytes of file content.
type Result struct {
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

func (s *Service) max() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

// locate splits dir into the allowed root that holds it (the longest) and its path relative to that root.
func (s *Service) locate(dir string) (root, rel string, err error) {
	if dir == "" {
		return "", "", fmt.Errorf("%w: dir is missing", ErrInvalid)
	}
	if !filepath.IsAbs(dir) || strings.ContainsRune(dir, 0) {
		return "", "", fmt.Errorf("%w: dir %q is not an absolute path", ErrInvalid, dir)
	}
	clean := filepath.Clean(dir)
	for _, r := range s.Roots {
		if (clean == r || strings.HasPrefix(clean, strings.TrimSuffix(r, "/")+"/")) && len(r) > len(root) {
			root = r
		}
	}
	if root == "" {
		return "", "", fmt.Errorf("%w: %s is not under an allowed root (%s)", ErrForbidden, clean,
			strings.Join(s.Roots, ", "))
	}
	rel, err = filepath.Rel(root, clean)
	return root, rel, err
}

// openDir opens dir through its allowed root, so that symbolic links on the way cannot lead out of that root;
// create makes dir (and the root) when missing.
func (s *Service) openDir(dir string, create bool) (*os.Root, error) {
	rootPath, rel, err := s.locate(dir)
	if err != nil {
		return nil, err
	}
	if create {
		if err := os.MkdirAll(rootPath, 0o755); err != nil {
			return nil, err
		}
	}
	root, err := os.OpenRoot(rootPath)
	if err != nil {
		return nil, notFound(err, dir)
	}
	defer root.Close()
	if create && rel != "." {
		if err := root.MkdirAll(rel, 0o755); err != nil {
			return nil, confined(err, dir)
		}
	}
	r, err := root.OpenRoot(rel)
	if err != nil {
		return nil, notFound(confined(err, dir), dir)
	}
	return r, nil
}

func notFound(err error, dir string) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrNotFound, dir)
	}
	if errors.Is(err, ErrForbidden) {
		return err
	}
	if errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %s is not a directory", ErrInvalid, dir)
	}
	return err
}

// confined turns os.Root's "path escapes from parent" into ErrForbidden.
func confined(err error, what string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.Contains(pe.Err.Error(), "escapes") {
		return fmt.Errorf("%w: %s leads outside the directory (%v)", ErrForbidden, what, pe.Err)
	}
	var le *os.LinkError
	if errors.As(err, &le) && strings.Contains(le.Err.Error(), "escapes") {
		return fmt.Errorf("%w: %s leads outside the directory (%v)", ErrForbidden, what, le.Err)
	}
	return err
}

// entryName checks a tar entry's name and returns it cleaned, relative to the extraction directory; "." is the
// directory itself.
func entryName(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: an entry has no name", ErrInvalid)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: entry %q is absolute", ErrInvalid, name)
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", fmt.Errorf("%w: entry %q climbs out with ..", ErrInvalid, name)
		}
	}
	return path.Clean(name), nil
}

// limitReader reads at most n bytes and fails with ErrTooLarge when the source holds more.
type limitReader struct {
	r    io.Reader
	left int64
	max  int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var probe [1]byte
		n, err := l.r.Read(probe[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: the archive is over %d bytes", ErrTooLarge, l.max)
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

type dirTimes struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

// Extract writes the tar stream body into dir, creating dir (0755) and missing parents. Regular files are written
// to a temporary name and renamed into place, so a file is never seen half written and an existing symbolic link
// at its name is replaced, not written through; an existing entry of another kind is removed first. Modes and
// modification times are kept (directories' once all their entries are in; symbolic links' times are not).
// Extraction is not atomic: a failure leaves the entries before it in place.
func (s *Service) Extract(dir string, body io.Reader) (Result, error) {
	var res Result
	root, err := s.openDir(dir, true)
	if err != nil {
		return res, err
	}
	defer root.Close()
	x := extractor{root: root}
	tr := tar.NewReader(&limitReader{r: body, left: s.max(), max: s.max()})
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			return res, readError(err)
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return res, err
		}
		if name == "." {
			continue // the directory itself: its mode and times are the caller's, not the archive's
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = x.dir(name, hdr)
		case tar.TypeReg, '\x00', tar.TypeGNUSparse:
			var n int64
			n, err = x.file(name, hdr, tr)
			res.Bytes += n
			res.Files++
		case tar.TypeSymlink:
			err = x.symlink(name, hdr.Linkname)
			res.Files++
		case tar.TypeLink:
			err = x.hardlink(name, hdr.Linkname)
			res.Files++
		case tar.TypeXGlobalHeader:
			continue
		default:
			err = fmt.Errorf("%w: entry %q has type %q (only files, directories and links are accepted)",
				ErrInvalid, hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			return res, confined(err, hdr.Name)
		}
	}
	// Innermost first, so that setting a parent's time is not undone by touching a child.
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if fi, err := root.Lstat(d.name); err != nil || !fi.IsDir() {
			continue
		}
		if err := root.Chmod(d.name, d.mode); err != nil {
			return res, confined(err, d.name)
		}
		if err := root.Chtimes(d.name, d.mtime, d.mtime); err != nil {
			return res, confined(err, d.name)
		}
	}
	return res, nil
}

func readError(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%w: reading the tar stream: %v", ErrInvalid, err)
}

type extractor struct {
	root *os.Root
	dirs []dirTimes
}

// clear removes what stands at name unless it is a directory and keepDir is set; it makes name's parent.
func (x *extractor) clear(name string, keepDir bool) error {
	if parent := path.Dir(name); parent != "." {
		if err := x.root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	fi, err := x.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir() && keepDir:
		return nil
	case fi.IsDir():
		return x.root.RemoveAll(name)
	default:
		return x.root.Remove(name)
	}
}

func (x *extractor) dir(name string, hdr *tar.Header) error {
	if err := x.clear(name, true); err != nil {
		return err
	}
	// Writable by the agent until the end (a 0555 directory in the archive must still receive its entries).
	if err := x.root.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	x.dirs = append(x.dirs, dirTimes{name: name, mode: hdr.FileInfo().Mode() & keptModeBits, mtime: hdr.ModTime})
	return nil
}

func (x *extractor) file(name string, hdr *tar.Header, content io.Reader) (int64, error) {
	if err := x.clear(name, false); err != nil {
		return 0, err
	}
	tmp := path.Join(path.Dir(name), ".eci-files-"+randomSuffix())
	f, err := x.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	src := &sourceReader{r: content}
	n, err := io.Copy(f, src)
	if src.err != nil {
		err = readError(src.err) // the archive, not the disk, failed
	}
	if err == nil {
		err = f.Chmod(hdr.FileInfo().Mode() & keptModeBits)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		atime := hdr.AccessTime
		if atime.IsZero() {
			atime = hdr.ModTime
		}
		err = x.root.Chtimes(tmp, atime, hdr.ModTime)
	}
	if err == nil {
		err = x.root.Rename(tmp, name)
	}
	if err != nil {
		_ = x.root.Remove(tmp)
	}
	return n, err
}

// sourceReader remembers a read error, to tell a bad or oversized archive from a failing disk.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func (x *extractor) symlink(name, target string) error {
	if target == "" {
		return fmt.Errorf("%w: symbolic link %q has no target", ErrInvalid, name)
	}
	if err := x.clear(name, false); err != nil {
		return err
	}
	return x.root.Symlink(target, name)
}

func (x *extractor) hardlink(name, target string) error {
	old, err := entryName(target)
	if err != nil {
		return err
	}
	if err := x.clear(name, false); err != nil {
		return err
	}
	return x.root.Link(old, name)
}

func randomSuffix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
