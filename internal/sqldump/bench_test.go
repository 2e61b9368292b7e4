package sqldump

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

const benchDumpSize = 50 << 20

var benchDump = sync.OnceValues(func() ([]byte, int64) {
	return generateDump(benchDumpSize)
})

// generateDump writes a mariadb-dump-like dump of about size bytes with
// multi-line extended INSERTs of mixed data (escaped strings, raw binary,
// hex literals, negative numbers, NULLs) and returns it with its row count.
func generateDump(size int) ([]byte, int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	b.WriteString("/*M!999999\\- enable the sandbox mode */ \n" +
		"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n--\n" +
		"-- Host: 127.0.0.1    Database: bench\n-- Server version\t10.11.19-MariaDB-0+deb12u1\n\n" +
		"/*!40101 SET NAMES utf8mb4 */;\n--\n-- Current Database: `bench`\n--\n\n" +
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `bench`;\n\nUSE `bench`;\n")
	var rows int64
	for table := 0; b.Len() < size; table++ {
		fmt.Fprintf(&b, "\n--\n-- Table structure for table `t%d`\n--\n\nDROP TABLE IF EXISTS `t%d`;\n"+
			"CREATE TABLE `t%d` (\n  `id` int(11) NOT NULL,\n  `name` varchar(255),\n  `data` blob,\n"+
			"  `score` double,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n\nLOCK TABLES `t%d` WRITE;\n"+
			"/*!40000 ALTER TABLE `t%d` DISABLE KEYS */;\n", table, table, table, table, table)
		for stmt := 0; stmt < 20 && b.Len() < size; stmt++ {
			fmt.Fprintf(&b, "INSERT INTO `t%d` VALUES\n", table)
			for n := 0; n < 2000; n++ {
				if n > 0 {
					b.WriteString(",\n")
				}
				writeRow(&b, rng, rows)
				rows++
			}
			b.WriteString(";\n")
		}
		fmt.Fprintf(&b, "/*!40000 ALTER TABLE `t%d` ENABLE KEYS */;\nUNLOCK TABLES;\n", table)
	}
	b.WriteString("\n-- Dump completed on 2026-11-27 23:59:59\n")
	return b.Bytes(), rows
}

func writeRow(b *bytes.Buffer, rng *rand.Rand, id int64) {
	b.WriteByte('(')
	b.WriteString(strconv.FormatInt(id, 10))
	b.WriteString(",'user \\'")
	b.WriteString(strconv.FormatUint(rng.Uint64(), 36))
	b.WriteString("\\' (x), \\\\ ;\\n")
	b.WriteString("',")
	switch rng.IntN(3) {
	case 0:
		b.WriteString("NULL")
	case 1:
		b.WriteString("0x")
		for range 16 {
			b.WriteString(strconv.FormatUint(rng.Uint64()|1<<63, 16))
		}
	default:
		b.WriteByte('\'')
		for range 64 {
			switch c := byte(rng.Uint32()); c {
			case '\'', '\\', '\n', '\r', 0, 0x1a, '"':
				b.WriteString(`\0`)
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('\'')
	}
	b.WriteByte(',')
	b.WriteString(strconv.FormatFloat(-rng.Float64()*1e6, 'g', -1, 64))
	b.WriteByte(')')
}

func BenchmarkCount(b *testing.B) {
	data, wantRows := benchDump()
	sum, err := Count(bytes.NewReader(data))
	if err != nil {
		b.Fatalf("Count: %v", err)
	}
	var rows int64
	for _, tc := range sum.Tables {
		rows += tc.Rows
	}
	if rows != wantRows || !sum.HasFooter {
		b.Fatalf("counted %d rows (footer %v), want %d", rows, sum.HasFooter, wantRows)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Count(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanKeepText(b *testing.B) {
	data, _ := benchDump()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s := NewScanner(bytes.NewReader(data), Options{KeepText: true})
		for {
			if _, err := s.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
