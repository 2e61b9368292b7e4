package sqldump

import (
	"bytes"
	"testing"
)

// fuzzSeedMax keeps seeds small: the fuzzer minimizes every new interesting
// input in time quadratic in its length, and minimizing a mutant of a whole
// 40 KB fixture takes longer than a fuzzing run. Whole fixtures are checked
// by TestFixtureTextIsVerbatim.
const fuzzSeedMax = 512

// splitLines cuts data at line ends into pieces of at most size bytes.
func splitLines(data []byte, size int) [][]byte {
	var pieces [][]byte
	for len(data) > 0 {
		n := min(len(data), size)
		if i := bytes.LastIndexByte(data[:n], '\n'); i >= 0 && n < len(data) {
			n = i + 1
		}
		pieces = append(pieces, data[:n])
		data = data[n:]
	}
	return pieces
}

// FuzzScanner checks that arbitrary input never panics or hangs, that the
// output is bounded by the input, and that count mode, text mode and
// byte-by-byte reads agree.
func FuzzScanner(f *testing.F) {
	for _, name := range fixtureNames(f) {
		for _, piece := range splitLines(readFixture(f, name), fuzzSeedMax) {
			f.Add(piece)
		}
	}
	for _, seed := range []string{
		"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END;;\nDELIMITER ;\n",
		"INSERT INTO `t` (`a`) VALUES (1,POINT(1,2)),('x''y\\'),(');\n",
		"/*M!999999\\- enable the sandbox mode */ \nSET a=1;",
		"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50001 VIEW `v` AS select 1 */;",
		"-- Current Database: `a``b`\nUSE `a``b`;\n-- Dump completed on 2026-11-27 23:59:59\n",
		"SELECT 'unterminated",
		"INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a=VALUES(a);",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, scanErr := scanModes(t, data)
		newlines := bytes.Count(data, []byte("\n"))
		// Every statement holds at least one input byte.
		if len(stmts) > len(data) {
			t.Fatalf("%d statements from %d bytes", len(stmts), len(data))
		}
		prevLine := 0
		for i, st := range stmts {
			if len(st.Text) > len(data) || st.Rows > int64(len(data)) {
				t.Fatalf("statement %d bigger than its input: %v", i, st)
			}
			if st.Line < prevLine || st.Line > newlines+1 {
				t.Fatalf("statement %d: line %d out of order or range (previous %d, last %d)", i, st.Line, prevLine, newlines+1)
			}
			if !bytes.Contains(data, []byte(st.Text)) {
				t.Fatalf("statement %d text is not from the input: %q", i, st.Text)
			}
			prevLine = st.Line
		}
		_, _ = ParseHeader(data)
		_, _ = ParseFooter(data)
		checkCountAgrees(t, data, stmts, scanErr)
	})
}

// checkCountAgrees checks Count against a statement-by-statement scan.
func checkCountAgrees(t *testing.T, data []byte, stmts []stmt, scanErr error) {
	t.Helper()
	sum, err := count(newScannerSize(bytes.NewReader(data), Options{}, 4096))
	if (err == nil) != (scanErr == nil) {
		t.Fatalf("Count error %v, scan error %v", err, scanErr)
	}
	if err != nil {
		return
	}
	var rows, tableRows int64
	for _, st := range stmts {
		if st.Kind == KindInsert {
			rows += st.Rows
		}
	}
	for _, tc := range sum.Tables {
		tableRows += tc.Rows
	}
	if sum.Statements != int64(len(stmts)) || rows != tableRows {
		t.Fatalf("Count: %d statements, %d rows; scan: %d statements, %d rows", sum.Statements, tableRows, len(stmts), rows)
	}
}
