package restore

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"

	"gravedancer/internal/sqldump"
)

// writeBufSize batches statements into large pipe writes.
const writeBufSize = 256 << 10

// blankLines pads the client's input up to a statement's dump line.
var blankLines = bytes.Repeat([]byte{'\n'}, 4096)

// feeder writes statements to the client's stdin, each on the line it had
// in the dump, re-emitting DELIMITER commands so the client splits compound
// statements (triggers, routines, events) as the scanner did.
type feeder struct {
	source  string // the artifact, for messages
	out     *stickyWriter
	w       *bufio.Writer
	opt     LoadOptions
	res     *LoadResult
	line    int    // line of the client's input the next byte lands on
	midLine bool   // that line already holds something
	delim   string // the client's current delimiter

	progress *progressTicker
}

func newFeeder(source string, w io.Writer, opt LoadOptions, res *LoadResult) *feeder {
	out := &stickyWriter{w: w}
	return &feeder{
		source: source, out: out, w: bufio.NewWriterSize(out, writeBufSize), opt: opt, res: res,
		line: 1, delim: ";",
	}
}

// run feeds every statement of s. It returns an *artifactError when the
// artifact cannot be read, the cause of ctx's cancellation (errClientGone
// once the client has exited), and a write error wrapping errClientGone when
// the client stopped reading: its exit status then says why.
func (f *feeder) run(ctx context.Context, s *sqldump.Scanner) error {
	if f.opt.NoBinlog {
		// On line 1 beside whatever the dump has there (mariadb-dump: a
		// comment), so the line numbers of client errors stay the dump's.
		_, _ = f.w.WriteString("SET SESSION sql_log_bin=0;")
		f.midLine = true
	}
	for {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		st, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &artifactError{err: fmt.Errorf("artifact %s: %w", f.source, err)}
		}
		if err := f.statement(st); err != nil {
			return err
		}
		f.progress.tick(false, f.res.Statements, noRows)
	}
	_ = f.w.Flush()
	return f.out.err
}

// statement sends or skips one statement. DELIMITER commands are always
// sent, even in skipped sections: they are the client's state, not SQL.
func (f *feeder) statement(st *sqldump.Statement) error {
	switch {
	case st.Kind == sqldump.KindDelimiter:
		f.delimiter(st.Line, st.Delimiter)
	case skip(st):
		f.res.Skipped++
		return nil
	default:
		f.res.noteDatabase(st.Database)
		f.send(st)
	}
	f.res.Statements++
	return f.out.err
}

func (f *feeder) delimiter(line int, d string) {
	f.padTo(line)
	if f.midLine { // the client only sees DELIMITER at the start of a line
		f.newline()
	}
	_, _ = f.w.WriteString("DELIMITER ")
	_, _ = f.w.WriteString(d)
	f.newline()
	f.delim = d
}

func (f *feeder) send(st *sqldump.Statement) {
	if st.Delimiter != "" && st.Delimiter != f.delim {
		// Not reached while every DELIMITER command is forwarded; kept so
		// a statement can never be sent with a terminator the client does
		// not know.
		f.delimiter(st.Line, st.Delimiter)
	}
	f.padTo(st.Line)
	f.writeText(st)
	_, _ = f.w.WriteString(st.Delimiter)
	f.line += bytes.Count(st.Text, []byte{'\n'})
	f.newline()
}

// writeText writes the statement, without its DEFINER clause when asked.
func (f *feeder) writeText(st *sqldump.Statement) {
	if f.opt.StripDefiners && hasDefiner(st.Kind) {
		_, _ = f.w.Write(withoutDefiner(st.Text))
		return
	}
	_, _ = f.w.Write(st.Text)
}

// padTo writes blank lines until the next byte lands on line.
func (f *feeder) padTo(line int) {
	for n := line - f.line; n > 0; n -= len(blankLines) {
		_, _ = f.w.Write(blankLines[:min(n, len(blankLines))])
		f.midLine = false
	}
	f.line = max(f.line, line)
}

func (f *feeder) newline() {
	_ = f.w.WriteByte('\n')
	f.line++
	f.midLine = false
}

// noRows is the client's row count: it tallies none.
func noRows() int64 { return 0 }

// stickyWriter keeps the first write error, so the feeder can write a whole
// statement and check once.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = fmt.Errorf("%w: %v", errClientGone, err)
	}
	return n, s.err
}
