package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/seal"
	"gravedancer/internal/sqldump"
)

// VerifyError names the first thing about an artifact that is wrong.
type VerifyError struct {
	Path   string
	Reason string
}

func (e *VerifyError) Error() string { return e.Path + ": " + e.Reason }
func (e *VerifyError) Unwrap() error { return ErrCorrupt }

func corrupt(path, format string, args ...any) error {
	return &VerifyError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// headWindow and tailWindow bound what is kept of the decompressed dump to
// find the control lines without holding the dump.
const (
	headWindow = 8 << 10
	tailWindow = 4 << 10
)

// Verify re-reads the stored artifact in one pass: the stored bytes hash to
// the manifest's sha256, they decompress cleanly to the end, the dump inside
// has the manifest's size and sha256, and its header and "Dump completed"
// footer are present. A *VerifyError says what failed; other errors are I/O.
//
// A sealed artifact (m.Encryption set) is checked as far as no key allows:
// its hash and size, and an age header with one stanza per recipient. Use
// VerifyWith and identities to check the dump inside too.
func Verify(path string, m *job.Manifest) error { return VerifyWith(path, m, nil) }

// VerifyWith is Verify that decrypts a sealed artifact with ids and then
// checks everything Verify checks of a plaintext one. Identities that match
// none of its recipients give an error wrapping seal.ErrNoIdentity, which
// is the reader's fault, not the artifact's: it is no *VerifyError.
func VerifyWith(path string, m *job.Manifest, ids *seal.Identities) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return corrupt(path, "artifact is missing")
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", path, err)
	}
	defer f.Close()
	fileHash := sha256.New()
	stored := &countWriter{}
	src := io.TeeReader(bufio.NewReaderSize(f, 256<<10), io.MultiWriter(fileHash, stored))
	drain := func() error {
		if _, err := io.Copy(io.Discard, src); err != nil {
			return fmt.Errorf("verify %s: %w", path, err)
		}
		return nil
	}
	sum := func() checked {
		return checked{stored: stored.n, fileSHA: hex.EncodeToString(fileHash.Sum(nil))}
	}

	plain := io.Reader(src)
	if m.Sealed() {
		if ids == nil {
			return verifySealedHeader(path, m, src, drain, sum)
		}
		r, derr := seal.Decrypt(src, ids)
		if derr != nil {
			if err := drain(); err != nil {
				return err
			}
			if err := compareStored(path, m, sum()); err != nil {
				return err
			}
			if errors.Is(derr, seal.ErrNoIdentity) {
				return fmt.Errorf("verify %s: %w", path, derr)
			}
			return corrupt(path, "matches its manifest's sha256 but does not decrypt: %v", derr)
		}
		plain = r
	}

	raw, rawSHA, w, zerr := decompress(plain, m.Compression)
	// Read what the decoder left so the stored hash covers every byte: bytes
	// after the stream would be appended data.
	if err := drain(); err != nil {
		return err
	}
	c := sum()
	c.raw, c.rawSHA, c.head, c.tail = raw, rawSHA, w.head, w.tail
	// A changed file explains any decoding error, so say that first.
	if err := compareStored(path, m, c); err != nil {
		return err
	}
	if zerr != nil {
		what := "decompress as " + m.Compression
		if m.Sealed() {
			what = "decrypt and decompress as " + m.Compression
		}
		return corrupt(path, "matches its manifest's sha256 but does not %s after %d bytes: %v", what, raw, zerr)
	}
	return compareDump(path, m, c)
}

// verifySealedHeader checks what can be checked of a sealed artifact
// without a key: an age header with a stanza for every recipient, and
// the stored bytes' size and hash.
func verifySealedHeader(path string, m *job.Manifest, src io.Reader, drain func() error, sum func() checked) error {
	stanzas, herr := seal.CheckHeader(src)
	if err := drain(); err != nil {
		return err
	}
	if err := compareStored(path, m, sum()); err != nil {
		return err
	}
	switch want := len(m.Encryption.Recipients); {
	case herr != nil:
		return corrupt(path, "matches its manifest's sha256 but its age header does not parse: %v", herr)
	case stanzas != want:
		return corrupt(path, "its age header is sealed to %d recipients, the manifest names %d", stanzas, want)
	}
	return nil
}

func decompress(src io.Reader, algo string) (int64, string, *window, error) {
	w := &window{}
	zr, err := codec.NewReader(src, algo)
	if err != nil {
		return 0, "", w, err
	}
	defer zr.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(h, w), zr)
	return n, hex.EncodeToString(h.Sum(nil)), w, err
}

type checked struct {
	stored, raw     int64
	fileSHA, rawSHA string
	head, tail      []byte
}

func compareStored(path string, m *job.Manifest, c checked) error {
	switch {
	case c.stored != m.Bytes:
		return corrupt(path, "stored size %d bytes, manifest says %d", c.stored, m.Bytes)
	case c.fileSHA != m.SHA256:
		return corrupt(path, "sha256 %s, manifest says %s", c.fileSHA, m.SHA256)
	}
	return nil
}

func compareDump(path string, m *job.Manifest, c checked) error {
	switch {
	case c.raw != m.RawBytes:
		return corrupt(path, "decompressed size %d bytes, manifest says %d", c.raw, m.RawBytes)
	case c.rawSHA != m.RawSHA256:
		return corrupt(path, "decompressed sha256 %s, manifest says %s", c.rawSHA, m.RawSHA256)
	}
	if _, ok := sqldump.ParseHeader(c.head); !ok {
		return corrupt(path, "no '-- MariaDB dump' or '-- MySQL dump' header in the first %d bytes", headWindow)
	}
	if _, ok := sqldump.ParseFooter(c.tail); !ok {
		return corrupt(path, "no '-- Dump completed' line at the end: the dump is truncated")
	}
	return nil
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// window keeps the first headWindow and last tailWindow bytes written.
type window struct {
	head, tail []byte
}

func (w *window) Write(p []byte) (int, error) {
	if room := headWindow - len(w.head); room > 0 {
		w.head = append(w.head, p[:min(room, len(p))]...)
	}
	if len(p) >= tailWindow {
		w.tail = append(w.tail[:0], p[len(p)-tailWindow:]...)
	} else {
		w.tail = append(w.tail, p...)
		if over := len(w.tail) - tailWindow; over > 0 {
			w.tail = append(w.tail[:0], w.tail[over:]...)
		}
	}
	return len(p), nil
}
