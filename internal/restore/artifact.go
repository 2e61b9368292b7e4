package restore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"gravedancer/internal/codec"
	"gravedancer/internal/seal"
)

// readBufSize batches the decompressor's reads from the file.
const readBufSize = 256 << 10

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// artifactReader is the decompressed stream; Close releases the decoder and
// closes the file.
type artifactReader struct {
	io.Reader
	zr   io.Closer
	file *os.File
}

func (r *artifactReader) Close() error {
	err := r.zr.Close()
	if ferr := r.file.Close(); err == nil {
		err = ferr
	}
	return err
}

// Decrypt opens sealed artifacts.
type Decrypt struct {
	Identities *seal.Identities
	// RawSHA256 is the manifest's sha256 of the plaintext dump. The
	// decrypted stream is hashed as it is read, and its end is reported
	// as an artifact error instead of EOF when the hash differs: an
	// artifact sealed by anyone holding the public keys would otherwise
	// pass for the backup. "" skips the check.
	RawSHA256 string
}

// openArtifact opens the artifact and its decompressor, decrypting it
// first when dec is set. The file's magic number is checked first, so a
// mislabelled or uncompressed file is reported as what it is rather than as
// a decoder's "invalid header", and before any client has been started.
//
// A sealed artifact is read through age's reader, which returns plaintext
// only after authenticating its 64 KiB chunk: a modified byte stops the
// load at its chunk, before any statement from that chunk is parsed.
// Identities that open none of the artifact's recipients give an error
// wrapping seal.ErrNoIdentity (not a *LoadError: the artifact is not at
// fault), before anything is sent.
func openArtifact(path, compression string, dec *Decrypt) (io.ReadCloser, error) {
	if compression != codec.Gzip && compression != codec.Zstd {
		return nil, fmt.Errorf("restore: compression %q is not one of gzip, zstd", compression)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	bad := func(err error) error {
		f.Close()
		return &LoadError{ExitCode: -1, Err: fmt.Errorf("artifact %s: %w", path, err), artifact: true}
	}
	var src io.Reader = bufio.NewReaderSize(f, readBufSize)
	if dec != nil {
		head, err := readHead(f, len(seal.Magic))
		if err != nil {
			return nil, bad(err)
		}
		if !seal.IsSealed(head) {
			return nil, bad(fmt.Errorf("its manifest says it is sealed with age, but the file %s", describe(head)))
		}
		plain, err := seal.Decrypt(src, dec.Identities)
		if errors.Is(err, seal.ErrNoIdentity) {
			f.Close()
			return nil, fmt.Errorf("restore %s: %w", path, err)
		}
		if err != nil {
			return nil, bad(err)
		}
		br := bufio.NewReaderSize(plain, readBufSize)
		head, _ = br.Peek(len(zstdMagic))
		if err := matchMagic(head, compression); err != nil {
			return nil, bad(fmt.Errorf("decrypted: %w", err))
		}
		src = br
	} else if err := checkMagic(f, compression); err != nil {
		return nil, bad(err)
	}
	zr, err := codec.NewReader(src, compression)
	if err != nil {
		return nil, bad(err)
	}
	out := &artifactReader{Reader: zr, zr: zr, file: f}
	if dec != nil && dec.RawSHA256 != "" {
		out.Reader = &hashCheck{r: zr, h: sha256.New(), want: dec.RawSHA256, path: path}
	}
	return out, nil
}

// hashCheck hashes what passes and, at the end, turns EOF into an
// artifact error when the hash is not the one wanted.
type hashCheck struct {
	r    io.Reader
	h    hash.Hash
	want string
	path string
}

func (c *hashCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want {
			return n, &LoadError{ExitCode: -1, artifact: true,
				Err: fmt.Errorf("artifact %s: the decrypted dump's sha256 is %s, its manifest says %s", c.path, got, c.want)}
		}
	}
	return n, err
}

// readHead reads up to n bytes from the start of f and rewinds it.
func readHead(f *os.File, n int) ([]byte, error) {
	head := make([]byte, n)
	k, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("read: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewind: %w", err)
	}
	return head[:k], nil
}

// checkMagic reads the first bytes of f, compares them with the magic number
// of compression, and rewinds f.
func checkMagic(f *os.File, compression string) error {
	head, err := readHead(f, len(seal.Magic))
	if err != nil {
		return err
	}
	return matchMagic(head, compression)
}

func matchMagic(head []byte, compression string) error {
	want := gzipMagic
	if compression == codec.Zstd {
		want = zstdMagic
	}
	if bytes.HasPrefix(head, want) {
		return nil
	}
	return fmt.Errorf("not %s data: the file %s", compression, describe(head))
}

// describe says what a file that failed the magic check looks like.
func describe(head []byte) string {
	switch {
	case len(head) == 0:
		return "is empty"
	case bytes.HasPrefix(head, gzipMagic):
		return "is gzip-compressed"
	case bytes.HasPrefix(head, zstdMagic):
		return "is zstd-compressed"
	case seal.IsSealed(head):
		return "is sealed with age (its manifest does not say so)"
	case bytes.HasPrefix(head, []byte("--")), bytes.HasPrefix(head, []byte("/*")):
		return "looks like uncompressed SQL"
	}
	return fmt.Sprintf("starts with bytes % x", head[:min(len(head), 4)])
}
