package dumper

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"gravedancer/internal/store"
)

var testStart = time.Date(2026, 3, 14, 1, 59, 26, 0, time.Local)

// newDumper returns a Dumper on a fresh spool with a private state dir and a
// clock that advances one second per reading, so Started and Finished differ.
func newDumper(t *testing.T, opts Options) *Dumper {
	t.Helper()
	if opts.TempDir == "" {
		opts.TempDir = filepath.Join(t.TempDir(), "state")
	}
	var mu sync.Mutex
	n := 0
	d := &Dumper{
		Spool: &store.Spool{Dir: t.TempDir()},
		Opts:  opts,
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			n++
			return testStart.Add(time.Duration(n-1) * time.Second)
		},
	}
	if opts.Tool != "" {
		// A fake tool stands in for a server that does not exist: asking
		// that server about its binary log would only send its made-up host
		// name to DNS. Tests of the check set d.probe themselves.
		d.probe = binlogOff
	}
	return d
}

// binlogOff and binlogOn are probes for a source without and with a
// binary log.
func binlogOff(context.Context, Source) (bool, error) { return false, nil }
func binlogOn(context.Context, Source) (bool, error)  { return true, nil }

// spoolFiles lists the regular files in the spool, relative to it.
func spoolFiles(t *testing.T, d *Dumper) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(d.Spool.Dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(d.Spool.Dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertNoBackup checks that a failed dump left nothing outside the
// quarantine: no artifact, no manifest, no temp file.
func assertNoBackup(t *testing.T, d *Dumper) {
	t.Helper()
	for _, f := range spoolFiles(t, d) {
		if !strings.HasPrefix(f, "quarantine"+string(filepath.Separator)) {
			t.Errorf("failed dump left %s in the spool", f)
		}
	}
}

// quarantined returns the quarantined dump files (not their .reason files).
func quarantined(t *testing.T, d *Dumper) []string {
	t.Helper()
	var out []string
	for _, f := range spoolFiles(t, d) {
		if strings.HasPrefix(f, "quarantine"+string(filepath.Separator)) && !strings.HasSuffix(f, ".reason") {
			out = append(out, filepath.Join(d.Spool.Dir, f))
		}
	}
	return out
}

// assertTempDirEmpty checks no defaults file outlived the dump.
func assertTempDirEmpty(t *testing.T, d *Dumper) {
	t.Helper()
	ents, err := os.ReadDir(d.Opts.TempDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("defaults file %s left behind", e.Name())
	}
}

// asError asserts err is a *Error.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("err = %T %v, want *dumper.Error", err, err)
	}
	return e
}

// decompress reads a whole artifact back.
func decompress(t *testing.T, path, compression string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader
	switch compression {
	case "gzip":
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("compression %q", compression)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decompress %s: %v", path, err)
	}
	return b
}

// fakeArgs returns the arguments the fake tool at path was last run with,
// after the defaults file.
func fakeArgs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "args"))
	if err != nil {
		t.Fatalf("the fake tool recorded no arguments: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func md5Hex(b []byte) string    { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

// fakeVersion is what the fake tool answers to --no-defaults --version.
const fakeVersion = "fake-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)"

// fakeTool writes an executable shell script standing in for the dump tool.
// Asked for its version, it gives fakeVersion. Otherwise it checks that its
// first argument is the defaults file, records its arguments (fakeArgs),
// prints stdout, then runs tail (shell code, e.g. "exit 2").
func fakeTool(t *testing.T, stdout, tail string) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "stdout.sql")
	if err := os.WriteFile(data, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n" +
		"if [ \"$1 $2\" = \"--no-defaults --version\" ]; then echo '" + fakeVersion + "'; exit 0; fi\n" +
		"case \"$1\" in --defaults-extra-file=*) ;; *) echo \"fake: first argument is $1\" >&2; exit 64;; esac\n" +
		"shift; printf '%s\\n' \"$@\" > '" + filepath.Join(dir, "args") + "'\n" +
		"cat '" + data + "'\n" + tail + "\n"
	path := filepath.Join(dir, "fake-dump")
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// fakeDump is a small dump as mariadb-dump writes it, without the footer.
const fakeDump = "/*M!999999\\- enable the sandbox mode */ \n" +
	"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n" +
	"--\n-- Host: 127.0.0.1    Database: \n" +
	"-- ------------------------------------------------------\n" +
	"-- Server version\t10.11.19-MariaDB-0+deb12u1\n\n" +
	"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n" +
	"/*!40101 SET NAMES utf8mb4 */;\n\n" +
	"--\n-- Current Database: `shop`\n--\n\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n\n" +
	"USE `shop`;\n\n" +
	"DROP TABLE IF EXISTS `items`;\n" +
	"CREATE TABLE `items` (\n  `id` int(11) NOT NULL,\n  `name` varchar(20) DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n\n" +
	"LOCK TABLES `items` WRITE;\n" +
	"INSERT INTO `items` VALUES (1,'a'),(2,'b;c'),(3,'d\\'e');\n" +
	"UNLOCK TABLES;\n" +
	"/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n"

const fakeFooter = "-- Dump completed on 2026-03-14  1:59:27\n"
