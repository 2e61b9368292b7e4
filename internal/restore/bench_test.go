package restore

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gravedancer/demo"
	"gravedancer/internal/codec"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
	"gravedancer/internal/testenv"
)

// BenchmarkLoad loads the sample artifact with Load and, as the baseline,
// the same statements from a decompressed plain file with `mariadb <
// file`, interleaved in each iteration so that both see the same server
// state. ns/op is Load's; x_baseline is Load's time over the baseline's:
// near 1 means decompression, scanning and filtering hide behind the
// server's work.
func BenchmarkLoad(b *testing.B) {
	src := testenv.StartMariaDB(b)
	testenv.LoadSample(b, src, "BENCH")
	a, man := dump(b, src, codec.Gzip)
	dst := testenv.StartMariaDB(b)
	// No fsync per commit: the disk's flush times would otherwise swamp
	// what is measured here.
	dst.Exec(b, "SET GLOBAL innodb_flush_log_at_trx_commit = 2")
	db := dst.DB(b)
	plain := filteredDump(b, a)
	tool, err := resolveTool("auto")
	if err != nil {
		b.Fatal(err)
	}
	defaults, err := mysqlx.WriteDefaultsFile(b.TempDir(), mysqlx.Credentials{Host: dst.Host, Port: dst.Port, User: "root"})
	if err != nil {
		b.Fatal(err)
	}
	l := &Loader{TempDir: b.TempDir()}
	tg := target(dst, "root", "")
	drop := func() {
		if err := DropDatabases(context.Background(), db, demo.SampleDatabases); err != nil {
			b.Fatal(err)
		}
	}

	b.SetBytes(man.RawBytes)
	b.ResetTimer()
	var baseline, load time.Duration
	for range b.N {
		b.StopTimer()
		began := time.Now()
		runClient(b, tool, defaults, plain)
		baseline += time.Since(began)
		drop()
		b.StartTimer()

		began = time.Now()
		if _, err := l.Load(context.Background(), a.Path, a.Compression, tg, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		load += time.Since(began)
		b.StopTimer()
		drop()
		b.StartTimer()
	}
	b.ReportMetric(float64(baseline.Nanoseconds())/float64(b.N), "baseline-ns/op")
	b.ReportMetric(float64(load)/float64(baseline), "x_baseline")
}

// filteredDump writes what Load would send for a into a plain file.
func filteredDump(b testing.TB, a *job.Artifact) string {
	b.Helper()
	in, err := openArtifact(a.Path, a.Compression)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(b.TempDir(), "filtered.sql")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	f := newFeeder(a.Path, out, LoadOptions{}, &LoadResult{})
	if err := f.run(context.Background(), sqldump.NewScanner(in, sqldump.Options{KeepText: true})); err != nil {
		b.Fatal(err)
	}
	return path
}

func runClient(b testing.TB, tool, defaults, input string) {
	b.Helper()
	in, err := os.Open(input)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	cmd := exec.Command(tool, "--defaults-extra-file="+defaults, "--batch")
	cmd.Stdin = in
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: %v\n%s", tool, err, out)
	}
}
