package files

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Archive is a tree listed and sized, ready to be written as tar (GET /v1/files): listing first lets an oversized
// tree be refused before the answer's status is sent.
type Archive struct {
	root    *os.Root
	entries []archived
	// Bytes is the sum of the regular files' sizes when listed.
	Bytes int64
	max   int64
}

type archived struct {
	name string
	info fs.FileInfo
}

// OpenArchive lists dir's contents (directories, regular files, symbolic links, never following a link; sockets,
// fifos and devices are left out) and fails with ErrTooLarge when their files add up to more than the limit,
// ErrNotFound when dir does not exist.
func (s *Service) OpenArchive(dir string) (*Archive, error) {
	root, err := s.openDir(dir, false)
	if err != nil {
		return nil, err
	}
	a := &Archive{root: root, max: s.max()}
	err = fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		t := d.Type()
		if !t.IsDir() && !t.IsRegular() && t&fs.ModeSymlink == 0 {
			return nil
		}
		info, err := root.Lstat(name)
		if err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			a.Bytes += info.Size()
			if a.Bytes > a.max {
				return fmt.Errorf("%w: %s holds over %d bytes", ErrTooLarge, dir, a.max)
			}
		}
		a.entries = append(a.entries, archived{name: name, info: info})
		return nil
	})
	if err != nil {
		root.Close()
		return nil, confined(err, dir)
	}
	return a, nil
}

// Files is the number of entries that are not directories.
func (a *Archive) Files() int {
	n := 0
	for _, e := range a.entries {
		if !e.info.IsDir() {
			n++
		}
	}
	return n
}

// WriteTo writes the tar stream (USTAR where it fits, PAX or GNU extensions for long names; times to the second).
// A file that shrank since it was listed fails the stream (a cut body, never a wrong file); one that grew is
// sent at its listed size.
func (a *Archive) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	tw := tar.NewWriter(cw)
	for _, e := range a.entries {
		if err := a.write(tw, e); err != nil {
			return cw.n, err
		}
	}
	err := tw.Close()
	return cw.n, err
}

func (a *Archive) write(tw *tar.Writer, e archived) error {
	link := ""
	if e.info.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = a.root.Readlink(e.name); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(e.info, link)
	if err != nil {
		return err
	}
	hdr.Name = e.name
	if e.info.IsDir() {
		hdr.Name = strings.TrimSuffix(e.name, "/") + "/"
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !e.info.Mode().IsRegular() {
		return nil
	}
	f, err := a.root.Open(e.name)
	if err != nil {
		return confined(err, e.name)
	}
	defer f.Close()
	if _, err := io.CopyN(tw, f, hdr.Size); err != nil {
		return fmt.Errorf("%s changed while it was sent: %w", e.name, err)
	}
	return nil
}

// Close releases the directory.
func (a *Archive) Close() error { return a.root.Close() }

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
