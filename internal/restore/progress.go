package restore

import "io"

// Progress is how far a load has got.
type Progress struct {
	Bytes      int64 // decompressed dump bytes read so far
	Statements int64 // statements executed (sent) so far
	Rows       int64 // rows of INSERTs the server accepted so far
}

// progressEvery is how many decompressed bytes pass between two reports.
const progressEvery = 256 << 10

// countingReader counts the bytes read through it. Only the loading
// goroutine reads it, and only that goroutine reads n.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// progressTicker calls LoadOptions.Progress from the loading goroutine:
// after a statement once another progressEvery bytes have been read, and
// once at the end. The nil *progressTicker (no Progress) does nothing.
type progressTicker struct {
	fn   func(Progress)
	in   *countingReader
	next int64 // Bytes at which the next report is due
}

func newProgressTicker(fn func(Progress), in *countingReader) *progressTicker {
	if fn == nil {
		return nil
	}
	return &progressTicker{fn: fn, in: in, next: progressEvery}
}

// tick reports when due, or always when final; rows is read only then, so
// the pool's counter is not touched after every statement.
func (p *progressTicker) tick(final bool, statements int64, rows func() int64) {
	if p == nil || !final && p.in.n < p.next {
		return
	}
	p.next = p.in.n + progressEvery
	p.fn(Progress{Bytes: p.in.n, Statements: statements, Rows: rows()})
}
