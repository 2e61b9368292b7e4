package dumper

import (
	"gravedancer/internal/codec"

	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"gravedancer/internal/sqldump"
)

const benchDumpSize = 100 << 20

var benchDump = sync.OnceValue(func() []byte { return genDump(benchDumpSize) })

// genDump builds a deterministic dump of about size bytes shaped like
// mariadb-dump output: extended INSERTs of ~1 MiB with ints, decimals,
// dates, NULLs, escaped strings and hex-like ids, so it compresses like real
// data rather than like a repeated line.
func genDump(size int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"compute", "network", "volume", "active", "deleted", "error", "host", "region", "it's", `path\to`, "flavor", "image"}
	var b bytes.Buffer
	b.Grow(size + 2<<20)
	b.WriteString("-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n-- Host: 127.0.0.1    Database: \n")
	b.WriteString("-- ------------------------------------------------------\n-- Server version\t10.11.19-MariaDB\n\n")
	b.WriteString("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `nova`;\n\nUSE `nova`;\n\n")
	b.WriteString("CREATE TABLE `instances` (\n  `id` int(11) NOT NULL,\n  `uuid` varchar(36) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n\n")
	id := 0
	for b.Len() < size {
		b.WriteString("INSERT INTO `instances` VALUES ")
		for stmt := 0; stmt < 1<<20 && b.Len() < size; {
			if stmt > 0 {
				b.WriteByte(',')
			}
			id++
			n := b.Len()
			fmt.Fprintf(&b, "(%d,'%016x%016x','%s-%d','2025-%02d-%02d %02d:%02d:%02d',", id, r.Uint64(), r.Uint64(),
				words[r.IntN(len(words))], r.IntN(1000), 1+r.IntN(12), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60))
			if r.IntN(4) == 0 {
				b.WriteString("NULL,")
			} else {
				b.WriteString(strconv.FormatFloat(r.Float64()*1000, 'f', 2, 64) + ",")
			}
			b.WriteByte('\'')
			for range 3 + r.IntN(8) {
				w := words[r.IntN(len(words))]
				w = string(bytes.ReplaceAll(bytes.ReplaceAll([]byte(w), []byte(`\`), []byte(`\\`)), []byte(`'`), []byte(`\'`)))
				b.WriteString(w + " ")
			}
			b.WriteString("')")
			stmt += b.Len() - n
		}
		b.WriteString(";\n")
	}
	b.WriteString("-- Dump completed on 2026-03-14  1:59:27\n")
	return b.Bytes()
}

// BenchmarkDump measures the single pass (hashes + lexer + compression) on a
// ~100 MB generated dump and compares it with compressing the same bytes
// and nothing else: x_baseline near 1 means the extra work is hidden behind
// the compressor.
func BenchmarkDump(b *testing.B) {
	data := benchDump()
	mbps := map[string]float64{}
	run := func(name, baseline string, fn func(b *testing.B, out io.Writer)) {
		b.Run(name, func(b *testing.B) {
			out, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer out.Close()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				fn(b, out)
			}
			mbps[name] = float64(len(data)) * float64(b.N) / b.Elapsed().Seconds() / 1e6
			if base := mbps[baseline]; base > 0 && baseline != name {
				b.ReportMetric(mbps[name]/base, "x_baseline")
			}
		})
	}
	for _, c := range []struct {
		comp  string
		level int
	}{{"gzip", codec.DefaultLevel("gzip")}, {"zstd", codec.DefaultLevel("zstd")}} {
		base := "compress-only/" + c.comp
		run(base, base, func(b *testing.B, out io.Writer) {
			zw, err := codec.NewWriter(out, c.comp, c.level)
			if err != nil {
				b.Fatal(err)
			}
			for off := 0; off < len(data); off += chunkSize {
				if _, err := zw.Write(data[off:min(off+chunkSize, len(data))]); err != nil {
					b.Fatal(err)
				}
			}
			if err := zw.Close(); err != nil {
				b.Fatal(err)
			}
		})
		run("process/"+c.comp, base, func(b *testing.B, out io.Writer) {
			res, err := process(bytes.NewReader(data), out, streamConfig{Compression: c.comp, Level: c.level})
			if err != nil || !res.Summary.HasFooter || res.Summary.Tables[0].Rows == 0 {
				b.Fatalf("process: %v", err)
			}
		})
		rs := benchRecipients(b)
		run("process-sealed/"+c.comp, base, func(b *testing.B, out io.Writer) {
			res, err := process(bytes.NewReader(data), out, streamConfig{Compression: c.comp, Level: c.level, Seal: rs})
			if err != nil || !res.Summary.HasFooter || res.Summary.Tables[0].Rows == 0 {
				b.Fatalf("process: %v", err)
			}
		})
	}
	run("lexer-only", "", func(b *testing.B, _ io.Writer) {
		if _, err := sqldump.Count(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	})
}
