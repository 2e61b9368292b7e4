package restore

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"

	"gravedancer/internal/codec"
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
	io.ReadCloser
	file *os.File
}

func (r *artifactReader) Close() error {
	err := r.ReadCloser.Close()
	if ferr := r.file.Close(); err == nil {
		err = ferr
	}
	return err
}

// openArtifact opens the artifact and its decompressor. The file's magic
// number is checked first, so a mislabelled or uncompressed file is reported
// as what it is rather than as a decoder's "invalid header", and before any
// client has been started.
func openArtifact(path, compression string) (io.ReadCloser, error) {
	if compression != codec.Gzip && compression != codec.Zstd {
		return nil, fmt.Errorf("restore: compression %q is not one of gzip, zstd", compression)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := checkMagic(f, compression); err != nil {
		f.Close()
		return nil, &LoadError{ExitCode: -1, Err: fmt.Errorf("artifact %s: %w", path, err), artifact: true}
	}
	zr, err := codec.NewReader(bufio.NewReaderSize(f, readBufSize), compression)
	if err != nil {
		f.Close()
		return nil, &LoadError{ExitCode: -1, Err: fmt.Errorf("artifact %s: %w", path, err), artifact: true}
	}
	return &artifactReader{ReadCloser: zr, file: f}, nil
}

// checkMagic reads the first bytes of f, compares them with the magic number
// of compression, and rewinds f.
func checkMagic(f *os.File, compression string) error {
	head := make([]byte, 4)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return fmt.Errorf("read: %w", err)
	}
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind: %w", err)
	}
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
	case bytes.HasPrefix(head, []byte("--")), bytes.HasPrefix(head, []byte("/*")):
		return "looks like uncompressed SQL"
	}
	return fmt.Sprintf("starts with bytes % x", head)
}
