package codec

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("INSERT INTO `t` VALUES (1,'x');\n"), 10000)
	for _, c := range []struct {
		algo  string
		level int
	}{{Gzip, 0}, {Gzip, 1}, {Gzip, 9}, {Zstd, 0}, {Zstd, 1}, {Zstd, 19}} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, c.algo, c.level)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
		w.Close()
		r, err := NewReader(&buf, c.algo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s/%d: round trip failed: %v", c.algo, c.level, err)
		}
	}
}

func TestUnknownAndCorrupt(t *testing.T) {
	if _, err := NewWriter(io.Discard, "xz", 0); err == nil {
		t.Error("xz writer accepted")
	}
	if _, err := NewReader(strings.NewReader("plain text"), Gzip); err == nil {
		t.Error("plain text accepted as gzip")
	}
}
