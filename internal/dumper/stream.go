package dumper

import (
	"bufio"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

	"gravedancer/internal/codec"
	"gravedancer/internal/seal"
	"gravedancer/internal/sqldump"
)

const (
	// chunkSize is how much of the tool's stdout is read before the chunk is
	// handed on; large chunks keep per-chunk overhead (channel sends, hash
	// calls) negligible next to the bytes.
	chunkSize = 256 << 10
	// chunksInFlight bounds memory (chunksInFlight × chunkSize) and lets the
	// reader run a few chunks ahead of the slowest consumer.
	chunksInFlight = 8
	// outBufSize batches the compressor's small writes into large file writes.
	outBufSize = 256 << 10
)

// streamConfig says how process treats the stream.
type streamConfig struct {
	Compression string // gzip | zstd
	Level       int    // effective level, never 0
	// Seal, when set, encrypts the compressed stream to these recipients
	// before it is written.
	Seal *seal.Recipients
	// OnRead, if set, is called from the reading loop after each chunk with
	// the raw byte total so far.
	OnRead func(total int64)
}

// streamResult is what one pass over a dump learned.
type streamResult struct {
	RawBytes  int64
	RawSHA256 string
	MD5       string
	Bytes     int64            // stored: compressed, and sealed when Seal was set
	SHA256    string           // of the stored bytes
	Summary   *sqldump.Summary // nil if the dump could not be parsed
}

// chunk is one read of the raw stream, shared read-only by every consumer;
// refs counts the consumers that still need it before it can be reused.
type chunk struct {
	buf  []byte
	n    int
	refs atomic.Int32
}

func (c *chunk) data() []byte { return c.buf[:c.n] }

// process makes the single pass over a dump: it reads r to EOF and fans each
// chunk out to three consumers running in parallel — raw hashes, the sqldump
// lexer, and compression into w — so the slowest of them (compression) sets
// the pace rather than their sum. Memory stays bounded whatever the dump size.
// On the first consumer failure reading stops and the error is returned;
// the result then holds what was seen so far.
func process(r io.Reader, w io.Writer, cfg streamConfig) (*streamResult, error) {
	p := newPass(w, cfg)
	readErr := p.read(r, cfg.OnRead)
	p.finish()
	res := p.result()
	if err := p.fail.get(); err != nil {
		return res, err
	}
	if readErr != nil {
		return res, fmt.Errorf("read dump output: %w", readErr)
	}
	return res, nil
}

// pass is the state of one process call.
type pass struct {
	free      chan *chunk
	consumers []chan *chunk
	wg        sync.WaitGroup
	fail      failure
	raw       int64

	rawSHA, rawMD5 hash.Hash
	out            *hashCounter
	summary        *sqldump.Summary
}

func newPass(w io.Writer, cfg streamConfig) *pass {
	p := &pass{
		free:   make(chan *chunk, chunksInFlight),
		rawSHA: sha256.New(),
		rawMD5: md5.New(),
		out:    &hashCounter{h: sha256.New(), w: w},
	}
	for range chunksInFlight {
		p.free <- &chunk{buf: make([]byte, chunkSize)}
	}
	p.start(p.hashRaw)
	p.start(p.count)
	p.start(func(in <-chan *chunk) { p.compress(in, cfg) })
	return p
}

// start runs one consumer in its own goroutine with its own queue.
func (p *pass) start(run func(in <-chan *chunk)) {
	in := make(chan *chunk, chunksInFlight)
	p.consumers = append(p.consumers, in)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		run(in)
	}()
}

func (p *pass) release(c *chunk) {
	if c.refs.Add(-1) == 0 {
		p.free <- c
	}
}

// read fills chunks from r until EOF, a read error, or a consumer failure.
func (p *pass) read(r io.Reader, onRead func(int64)) error {
	for !p.fail.failed() {
		c := <-p.free
		n, err := io.ReadFull(r, c.buf)
		if n > 0 {
			c.n = n
			c.refs.Store(int32(len(p.consumers)))
			for _, in := range p.consumers {
				in <- c
			}
			p.raw += int64(n)
			if onRead != nil {
				onRead(p.raw)
			}
		} else {
			p.free <- c
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}

// finish tells the consumers the stream has ended and waits for them.
func (p *pass) finish() {
	for _, in := range p.consumers {
		close(in)
	}
	p.wg.Wait()
}

func (p *pass) result() *streamResult {
	return &streamResult{
		RawBytes:  p.raw,
		RawSHA256: hex.EncodeToString(p.rawSHA.Sum(nil)),
		MD5:       hex.EncodeToString(p.rawMD5.Sum(nil)),
		Bytes:     p.out.n,
		SHA256:    hex.EncodeToString(p.out.h.Sum(nil)),
		Summary:   p.summary,
	}
}

func (p *pass) hashRaw(in <-chan *chunk) {
	w := io.MultiWriter(p.rawSHA, p.rawMD5)
	for c := range in {
		_, _ = w.Write(c.data()) // hashes never fail
		p.release(c)
	}
}

// count runs the lexer over the chunks as they pass. If the lexer stops
// early, the rest of the queue is drained so the reader never blocks on it.
func (p *pass) count(in <-chan *chunk) {
	cr := &chunkReader{in: in, release: p.release}
	s, err := sqldump.Count(cr)
	cr.drain()
	if err != nil {
		p.fail.set(fmt.Errorf("parse dump: %w", err))
		return
	}
	p.summary = s
}

// compress writes the chunks through the compressor (and the age
// encryptor, when sealing) into the output. After a write error it keeps
// releasing chunks until the reader notices the failure.
func (p *pass) compress(in <-chan *chunk, cfg streamConfig) {
	bw := bufio.NewWriterSize(p.out, outBufSize)
	var sink io.Writer = bw
	var ew io.WriteCloser
	var err error
	if cfg.Seal != nil {
		// Compress, then encrypt: ciphertext does not compress.
		if ew, err = seal.Encrypt(bw, cfg.Seal); err != nil {
			p.fail.set(fmt.Errorf("seal artifact: %w", err))
		}
		sink = ew
	}
	var zw io.WriteCloser
	if err == nil {
		if zw, err = codec.NewWriter(sink, cfg.Compression, cfg.Level); err != nil {
			p.fail.set(err)
		}
	}
	for c := range in {
		if err == nil {
			if _, err = zw.Write(c.data()); err != nil {
				p.fail.set(fmt.Errorf("write artifact: %w", err))
			}
		}
		p.release(c)
	}
	if err != nil {
		return
	}
	// Closing even when another consumer failed leaves a readable partial
	// file for the quarantine.
	if err := zw.Close(); err != nil {
		p.fail.set(fmt.Errorf("write artifact: %w", err))
		return
	}
	if ew != nil {
		// Seals the last chunk: without it the file does not decrypt.
		if err := ew.Close(); err != nil {
			p.fail.set(fmt.Errorf("write artifact: %w", err))
			return
		}
	}
	if err := bw.Flush(); err != nil {
		p.fail.set(fmt.Errorf("write artifact: %w", err))
	}
}

// chunkReader presents a queue of chunks as an io.Reader for sqldump.Count.
// It plays the part of an io.Pipe, but buffered: the lexer works on one chunk
// while the hashes and the compressor work on others.
type chunkReader struct {
	in      <-chan *chunk
	cur     *chunk
	off     int
	release func(*chunk)
}

func (r *chunkReader) Read(b []byte) (int, error) {
	for r.cur == nil || r.off == r.cur.n {
		if r.cur != nil {
			r.release(r.cur)
			r.cur = nil
		}
		c, ok := <-r.in
		if !ok {
			return 0, io.EOF
		}
		r.cur, r.off = c, 0
	}
	n := copy(b, r.cur.buf[r.off:r.cur.n])
	r.off += n
	return n, nil
}

func (r *chunkReader) drain() {
	if r.cur != nil {
		r.release(r.cur)
		r.cur = nil
	}
	for c := range r.in {
		r.release(c)
	}
}

// hashCounter hashes and counts what passes to w.
type hashCounter struct {
	h hash.Hash
	n int64
	w io.Writer
}

func (hc *hashCounter) Write(b []byte) (int, error) {
	n, err := hc.w.Write(b)
	hc.h.Write(b[:n])
	hc.n += int64(n)
	return n, err
}

// failure keeps the first error of several goroutines.
type failure struct {
	mu   sync.Mutex
	err  error
	flag atomic.Bool
}

func (f *failure) set(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
		f.flag.Store(true)
	}
}

func (f *failure) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *failure) failed() bool { return f.flag.Load() }
