// Package codec is the one place that knows the artifact compressions, so
// the writer in the dump stage and every reader (check, restore, verify)
// agree on names and levels.
package codec

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Names of the supported compressions.
const (
	Gzip = "gzip"
	Zstd = "zstd"
)

// DefaultLevel is used when the configured level is 0.
func DefaultLevel(algo string) int {
	if algo == Zstd {
		return 3
	}
	return 6
}

// NewWriter compresses into w. level 0 means DefaultLevel.
func NewWriter(w io.Writer, algo string, level int) (io.WriteCloser, error) {
	if level == 0 {
		level = DefaultLevel(algo)
	}
	switch algo {
	case Gzip:
		return gzip.NewWriterLevel(w, level)
	case Zstd:
		// zstd's 1-22 scale folds onto the encoder's four speeds as the CLI's
		// levels roughly correspond.
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)))
	}
	return nil, fmt.Errorf("unknown compression %q", algo)
}

// NewReader decompresses r. Close releases decoder resources; it does not
// close r.
func NewReader(r io.Reader, algo string) (io.ReadCloser, error) {
	switch algo {
	case Gzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		// A concatenated second member would be data appended to a backup;
		// refuse it instead of silently restoring more than was dumped.
		zr.Multistream(false)
		return zr, nil
	case Zstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unknown compression %q", algo)
}
