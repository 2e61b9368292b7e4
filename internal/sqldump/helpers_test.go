package sqldump

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
)

// stmt is a Statement flattened for comparison.
type stmt struct {
	Kind  Kind
	DB    string
	Table string
	Name  string
	Rows  int64
	Text  string
	Delim string
	Line  int
}

func (s stmt) String() string {
	return fmt.Sprintf("{%v db=%q table=%q name=%q rows=%d delim=%q line=%d text=%q}",
		s.Kind, s.DB, s.Table, s.Name, s.Rows, s.Delim, s.Line, s.Text)
}

// collect scans r to the end. It gives up after limit statements so that a
// scanner that stops making progress fails instead of hanging.
func collect(r io.Reader, opt Options, limit int) ([]stmt, *Scanner, error) {
	return collectFrom(NewScanner(r, opt), limit)
}

func collectFrom(s *Scanner, limit int) ([]stmt, *Scanner, error) {
	var out []stmt
	for len(out) <= limit {
		st, err := s.Next()
		if err == io.EOF {
			return out, s, nil
		}
		if err != nil {
			return out, s, err
		}
		out = append(out, stmt{st.Kind, st.Database, st.Table, st.Name, st.Rows, string(st.Text), st.Delimiter, st.Line})
	}
	return out, s, fmt.Errorf("more than %d statements", limit)
}

// scanModes scans data in text mode, in count mode with the smallest buffer
// and byte by byte, checks that all three agree and returns the text-mode
// result.
func scanModes(t *testing.T, data []byte) ([]stmt, error) {
	t.Helper()
	limit := len(data) + 1
	keep, _, keepErr := collect(bytes.NewReader(data), Options{KeepText: true}, limit)
	counted, _, countErr := collectFrom(newScannerSize(bytes.NewReader(data), Options{}, maxLookahead), limit)
	slow, _, slowErr := collectFrom(newScannerSize(iotest.OneByteReader(bytes.NewReader(data)), Options{KeepText: true}, 4096), limit)

	if errString(keepErr) != errString(countErr) || errString(keepErr) != errString(slowErr) {
		t.Fatalf("errors differ: keep=%v count=%v one-byte=%v", keepErr, countErr, slowErr)
	}
	if len(keep) != len(counted) || len(keep) != len(slow) {
		t.Fatalf("statement counts differ: keep=%d count=%d one-byte=%d", len(keep), len(counted), len(slow))
	}
	for i := range keep {
		if slow[i] != keep[i] {
			t.Fatalf("statement %d: one-byte reads give %v, want %v", i, slow[i], keep[i])
		}
		c := counted[i]
		if c.Text != "" {
			t.Fatalf("statement %d: count mode kept text %q", i, c.Text)
		}
		c.Text = keep[i].Text
		if c != keep[i] {
			t.Fatalf("statement %d: count mode gives %v, want %v", i, counted[i], keep[i])
		}
	}
	return keep, keepErr
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return data
}

func fixtureNames(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func asSyntaxError(t *testing.T, err error) *SyntaxError {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
	}
	return se
}
