package dumper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestIsConnError(t *testing.T) {
	tests := []struct {
		stderr string
		want   bool
	}{
		{`mariadb-dump: Got error: 2002: "Can't connect to server on '127.0.0.1' (115)" when trying to connect`, true},
		{`mariadb-dump: Got error: 2003: "Can't connect to server on '10.1.2.3' (111)" when trying to connect`, true},
		{`mysqldump: Got error: 2005: Unknown MySQL server host 'db.invalid' (-2) when trying to connect`, true},
		{`mariadb-dump: Got error: 2005: "Unknown server host 'db.invalid' (-2)" when trying to connect`, true},
		{`mysqldump: Got error: 2013: Lost connection to MySQL server at 'reading initial communication packet', system error: 0 when trying to connect`, true},
		{`mariadb-dump: Got error: 1040: "Too many connections" when trying to connect`, true},
		{"mysqldump: Deprecated program name. It will be removed in a future release, use '/usr/bin/mariadb-dump' instead\n" +
			`mysqldump: Got error: 2003: "Can't connect to server on 'h' (111)" when trying to connect`, true},
		{`mariadb-dump: Got error: 1045: "Access denied for user 'u'@'127.0.0.1' (using password: YES)" when trying to connect`, false},
		{`mariadb-dump: Got error: 1130: "Host '10.0.0.9' is not allowed to connect to this MariaDB server" when trying to connect`, false},
		{`mariadb-dump: Couldn't execute 'show events': Access denied for user 'u'@'%' to database 'x' (1044)`, false},
		{`mariadb-dump: Got error: 2026: "TLS/SSL error: self-signed certificate" when trying to connect`, false},
		{`mariadb-dump: Got error: 1146: "Table 'db.t' doesn't exist" when using LOCK TABLES`, false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isConnError(tt.stderr); got != tt.want {
			t.Errorf("isConnError(%q) = %v, want %v", tt.stderr, got, tt.want)
		}
	}
}

func TestMeaningfulLine(t *testing.T) {
	tests := []struct{ stderr, want string }{
		{"", ""},
		{"only line\n", "only line"},
		{"mysqldump: Got error: 2003: x\nmysqldump: Deprecated program name\n", "mysqldump: Got error: 2003: x"},
		{"warning a\nwarning b\n\n", "warning b"},
		{strings.Repeat("e", 1000), strings.Repeat("e", maxLineLen) + "…"},
	}
	for _, tt := range tests {
		if got := meaningfulLine(tt.stderr); got != tt.want {
			t.Errorf("meaningfulLine(%.40q) = %.60q, want %.60q", tt.stderr, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	stderr := "mariadb-dump: Got error: 2003: \"Can't connect to server on '127.0.0.1' (111)\" when trying to connect"
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Region: "REG1", Tool: "mariadb-dump", ExitCode: 2, Stderr: stderr},
			`dump REG1: mariadb-dump exited 2: ` + stderr},
		{Error{Region: "R", Tool: "mysqldump", ExitCode: -1, Signal: "killed", TimedOut: true, limit: 2 * time.Hour, Quarantined: "/q/x.sql.gz"},
			"dump R: mysqldump timed out after 2h0m0s and was killed (partial output quarantined as /q/x.sql.gz)"},
		{Error{Region: "R", Tool: "mariadb-dump", ExitCode: -1, Signal: "killed", canceled: true, Err: fmt.Errorf("canceled: %w", context.Canceled)},
			"dump R: mariadb-dump stopped: canceled: context canceled"},
		{Error{Region: "R", Tool: "mariadb-dump", ExitCode: -1, Signal: "segmentation fault"},
			"dump R: mariadb-dump killed by signal segmentation fault"},
		{Error{Region: "R", Tool: "mariadb-dump", Err: errors.New("disk full writing /s/a.sql.gz: no space left on device")},
			"dump R: disk full writing /s/a.sql.gz: no space left on device"},
		{Error{Region: "R"}, "dump R: failed"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
}

func TestCompressionLevels(t *testing.T) {
	tests := []struct {
		name      string
		level     int
		wantName  string
		wantLevel int
		err       bool
	}{
		{"", 0, "gzip", 6, false},
		{"gzip", 0, "gzip", 6, false},
		{"gzip", 9, "gzip", 9, false},
		{"gzip", 10, "", 0, true},
		{"gzip", -1, "", 0, true},
		{"zstd", 0, "zstd", 3, false},
		{"zstd", 22, "zstd", 22, false},
		{"zstd", 23, "", 0, true},
		{"lz4", 0, "", 0, true},
	}
	for _, tt := range tests {
		name, level, err := compression(tt.name, tt.level)
		if name != tt.wantName || level != tt.wantLevel || (err != nil) != tt.err {
			t.Errorf("compression(%q, %d) = %q, %d, %v; want %q, %d, err=%v", tt.name, tt.level, name, level, err, tt.wantName, tt.wantLevel, tt.err)
		}
	}
}

// TestProcessDiskFull writes to /dev/full, which fails every write with
// ENOSPC as a full disk does.
func TestProcessDiskFull(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer f.Close()
	dump := bytes.Repeat([]byte(fakeDump), 2000) // several chunks
	_, err = process(bytes.NewReader(dump), f, streamConfig{Compression: "gzip", Level: 6})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	got := diskFull(err, "/spool/2026-03-14/mdb_bkp_R-20260314_015926.sql.gz").Error()
	if !strings.HasPrefix(got, "disk full writing /spool/2026-03-14/mdb_bkp_R-20260314_015926.sql.gz: ") {
		t.Errorf("message %q", got)
	}
}

// TestProcessRoundTrip checks the single pass against the plain computation
// for sizes around the chunk boundaries.
func TestProcessRoundTrip(t *testing.T) {
	body := []byte(fakeDump)
	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17, chunksInFlight*chunkSize*2 + 5} {
		for _, comp := range []string{"gzip", "zstd"} {
			t.Run(fmt.Sprintf("%s/%d", comp, size), func(t *testing.T) {
				raw := dumpOfSize(body, size)
				var out bytes.Buffer
				res, err := process(bytes.NewReader(raw), &out, streamConfig{Compression: comp, Level: 1})
				if err != nil {
					t.Fatal(err)
				}
				got := []any{res.RawBytes, res.RawSHA256, res.MD5, res.Bytes, res.SHA256}
				want := []any{int64(size), sha256Hex(raw), md5Hex(raw), int64(out.Len()), sha256Hex(out.Bytes())}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("result %v, want %v", got, want)
				}
				path := t.TempDir() + "/a"
				if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
				if back := decompress(t, path, comp); !bytes.Equal(back, raw) {
					t.Errorf("round trip lost data: %d bytes back, want %d", len(back), len(raw))
				}
			})
		}
	}
}

// dumpOfSize repeats body and pads with a comment line to exactly size bytes,
// so the result still parses.
func dumpOfSize(body []byte, size int) []byte {
	raw := make([]byte, 0, size)
	for len(raw)+len(body) <= size {
		raw = append(raw, body...)
	}
	switch rem := size - len(raw); {
	case rem >= 3:
		raw = append(append(append(raw, "--"...), bytes.Repeat([]byte("x"), rem-3)...), '\n')
	default:
		raw = append(raw, bytes.Repeat([]byte("\n"), rem)...)
	}
	return raw
}

func TestCoordinateFlags(t *testing.T) {
	mariadb := []string{"--master-data=2", "--gtid"}
	source := []string{"--source-data=2"}
	master := []string{"--master-data=2"}
	tests := []struct {
		version string
		want    []string
	}{
		{"mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", mariadb},
		{"mysqldump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", mariadb},
		{"mariadb-dump from 11.4.2-MariaDB, client 10.19 for linux-systemd (x86_64)", mariadb},
		{"mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", source},
		{"mysqldump  Ver 8.0.26 for Linux on x86_64 (MySQL Community Server - GPL)", source},
		{"mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)", source},
		{"mysqldump  Ver 8.0.46-37 for Linux on x86_64 (Percona Server (GPL), Release '37', Revision 'a1b2')", source},
		{"mysqldump  Ver 8.0.25 for Linux on x86_64 (MySQL Community Server - GPL)", master},
		{"mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)", master},
		{"mysqldump  Ver 10.13 Distrib 8.0.36, for Linux (x86_64)", source},
		{"", master},
		{"something else entirely", master},
	}
	for _, tt := range tests {
		if got := coordinateFlags(tt.version); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("coordinateFlags(%q) = %q, want %q", tt.version, got, tt.want)
		}
	}
}

func TestToolVersion(t *testing.T) {
	if got := toolVersion(context.Background(), fakeTool(t, "", "exit 0")); got != fakeVersion {
		t.Errorf("toolVersion(fake) = %q, want %q", got, fakeVersion)
	}
	failing := fakeTool(t, "", "exit 0")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho 'mariadb-dump: unknown option' >&2\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := toolVersion(context.Background(), failing); got != "" {
		t.Errorf("toolVersion(failing tool) = %q, want \"\"", got)
	}
}
