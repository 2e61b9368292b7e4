package check

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/store"
)

const dump = "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\nCREATE TABLE `t` (`a` int);\nINSERT INTO `t` VALUES (1);\n-- Dump completed on 2026-11-27  3:00:00\n"

func stored(t *testing.T, sp *store.Spool) *job.Job {
	t.Helper()
	p := sp.ArtifactPath("R", time.Now(), "gzip")
	var buf bytes.Buffer
	zw, _ := codec.NewWriter(&buf, "gzip", 0)
	zw.Write([]byte(dump))
	zw.Close()
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, buf.Bytes(), 0o640)
	fs, rs, ms := sha256.Sum256(buf.Bytes()), sha256.Sum256([]byte(dump)), md5.Sum([]byte(dump))
	m := &job.Manifest{V: job.Version, RawBytes: int64(len(dump)), Bytes: int64(buf.Len()), SHA256: hex.EncodeToString(fs[:]),
		RawSHA256: hex.EncodeToString(rs[:]), MD5: hex.EncodeToString(ms[:]), Compression: "gzip"}
	os.WriteFile(store.ManifestPath(p), job.EncodeManifest(m), 0o640)
	return &job.Job{Region: "R", Run: "r", Manifest: m,
		Artifact: &job.Artifact{Path: p, ManifestPath: store.ManifestPath(p), SHA256: m.SHA256, Bytes: m.Bytes, Compression: "gzip"}}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name   string
		mangle func(j *job.Job)
		want   string
		kept   bool // the artifact itself is fine: the message was bad
	}{
		{"good", func(*job.Job) {}, "", true},
		{"deleted before check", func(j *job.Job) { os.Remove(j.Artifact.Path) }, "artifact is missing", false},
		{"truncated", func(j *job.Job) { os.Truncate(j.Artifact.Path, j.Artifact.Bytes-5) }, "stored size", false},
		{"flipped byte", func(j *job.Job) {
			b, _ := os.ReadFile(j.Artifact.Path)
			b[12] ^= 1
			os.WriteFile(j.Artifact.Path, b, 0o640)
		}, "sha256", false},
		{"missing manifest in job", func(j *job.Job) { j.Manifest = nil }, "without an artifact and manifest", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := &store.Spool{Dir: t.TempDir()}
			j := stored(t, sp)
			c.mangle(j)
			s := &Stage{Spool: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			_, err := s.Handle(context.Background(), j)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			reason, ok := pipeline.IsExclude(err)
			if !ok || !strings.Contains(reason, c.want) {
				t.Fatalf("err = %v, want exclusion containing %q", err, c.want)
			}
			if list, _ := sp.List("R"); !c.kept && len(list) != 0 {
				t.Errorf("a failed artifact is still listed as a backup: %+v", list)
			}
		})
	}
}
