package sqldump

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

var mariadbHeader = Header{
	Sandbox:       true,
	Tool:          "MariaDB dump",
	ToolVersion:   "10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)",
	Host:          "127.0.0.1",
	ServerVersion: "10.11.19-MariaDB-0+deb12u1",
}

func withDatabase(h Header, db string) Header {
	h.Database = db
	return h
}

// The fixtures were written by mariadb-dump from a schema whose row counts
// are known: blobs 7, log_t 2, many 500 (split over several INSERTs by
// --net-buffer-length), the oddly quoted table 3, t2 4, empty_t 0.
func TestCountFixtures(t *testing.T) {
	tests := []struct {
		file string
		want Summary
	}{
		{"mariadb_full.sql", Summary{
			Header:    withDatabase(mariadbHeader, "sqldump_fx"),
			Footer:    Footer{Completed: "2026-11-27 23:57:51"},
			HasFooter: true,
			Databases: []string{"sqldump_fx", "sqldump_fx2`q"},
			Tables: []TableCount{
				{"sqldump_fx", "blobs", 7},
				{"sqldump_fx", "empty_t", 0},
				{"sqldump_fx", "log_t", 2},
				{"sqldump_fx", "many", 500},
				{"sqldump_fx", "we`ird ; name", 3},
				{"sqldump_fx2`q", "t2", 4},
			},
			Statements: 172,
			Views:      1, Triggers: 1, Routines: 2, Events: 1,
		}},
		{"mariadb_skip_extended.sql", Summary{
			Header:    withDatabase(mariadbHeader, "sqldump_fx"),
			HasFooter: true,
			Tables: []TableCount{
				{"", "blobs", 7},
				{"", "empty_t", 0},
				{"", "log_t", 2},
				{"", "many", 500},
				{"", "we`ird ; name", 3},
			},
			Statements: 639,
			Views:      1, Triggers: 1, Routines: 2,
		}},
		{"mariadb_complete_insert_ignore.sql", Summary{
			Header: Header{Sandbox: true},
			Tables: []TableCount{
				{"", "we`ird ; name", 3},
				{"", "log_t", 2},
			},
			Statements: 38,
		}},
		{"mariadb_replace_compact.sql", Summary{
			Header:     Header{Sandbox: true},
			Tables:     []TableCount{{"", "t2", 4}},
			Statements: 5,
		}},
		{"handwritten_mysql_style.sql", Summary{
			Header: Header{
				Tool:          "MySQL dump",
				ToolVersion:   "10.13  Distrib 8.0.36, for Linux (x86_64)",
				Host:          "db.internal",
				Database:      "shop",
				ServerVersion: "8.0.36",
			},
			Footer:     Footer{Completed: "2026-11-27 23:59:59"},
			HasFooter:  true,
			Databases:  []string{"shop"},
			Tables:     []TableCount{{"shop", "orders", 3}},
			Statements: 31,
			Views:      1, Triggers: 1, Routines: 1,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data := readFixture(t, tt.file)
			got, err := Count(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Count: %v", err)
			}
			checkSummary(t, got, &tt.want)

			// Line endings must not matter: mysqldump escapes CR and LF
			// inside data, so every raw LF is a line break.
			crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
			got, err = Count(iotest.HalfReader(bytes.NewReader(crlf)))
			if err != nil {
				t.Fatalf("Count CRLF: %v", err)
			}
			checkSummary(t, got, &tt.want)
		})
	}
}

func checkSummary(t *testing.T, got, want *Summary) {
	t.Helper()
	if got.Header != want.Header {
		t.Errorf("Header = %+v\nwant %+v", got.Header, want.Header)
	}
	if got.Footer != want.Footer || got.HasFooter != want.HasFooter {
		t.Errorf("Footer = %+v, %v, want %+v, %v", got.Footer, got.HasFooter, want.Footer, want.HasFooter)
	}
	if !reflect.DeepEqual(got.Databases, want.Databases) {
		t.Errorf("Databases = %q, want %q", got.Databases, want.Databases)
	}
	if !reflect.DeepEqual(got.Tables, want.Tables) {
		t.Errorf("Tables = %+v\nwant %+v", got.Tables, want.Tables)
	}
	if got.Statements != want.Statements {
		t.Errorf("Statements = %d, want %d", got.Statements, want.Statements)
	}
	gotObjs := [4]int{got.Views, got.Triggers, got.Routines, got.Events}
	wantObjs := [4]int{want.Views, want.Triggers, want.Routines, want.Events}
	if gotObjs != wantObjs {
		t.Errorf("views/triggers/routines/events = %v, want %v", gotObjs, wantObjs)
	}
}

// Every statement's text must be a verbatim piece of the input, in order,
// and all three scanning modes must agree on the fixtures.
func TestFixtureTextIsVerbatim(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name)
			stmts, err := scanModes(t, data)
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			checkCountAgrees(t, data, stmts, err)
			rest := data
			for i, st := range stmts {
				j := bytes.Index(rest, []byte(st.Text))
				if j < 0 {
					t.Fatalf("statement %d (line %d) text not found in order: %q", i, st.Line, st.Text)
				}
				if line := 1 + bytes.Count(data[:len(data)-len(rest)+j], []byte("\n")); line != st.Line {
					t.Errorf("statement %d: Line = %d, text starts on line %d", i, st.Line, line)
				}
				rest = rest[j+len(st.Text):]
			}
		})
	}
}

// The fixture's blob row holds NUL, 0xFF, quotes, backslashes and escaped
// newlines; its text must reach the restore engine byte for byte.
func TestFixtureBlobInsertText(t *testing.T) {
	data := readFixture(t, "mariadb_full.sql")
	stmts, err := scanModes(t, data)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	start := bytes.Index(data, []byte("INSERT INTO `blobs` VALUES"))
	end := start + bytes.Index(data[start:], []byte(");\n")) + 1
	want := string(data[start:end])
	for _, st := range stmts {
		if st.Kind == KindInsert && st.Table == "blobs" {
			if st.Text != want {
				t.Fatalf("blobs INSERT text = %q\nwant %q", st.Text, want)
			}
			return
		}
	}
	t.Fatal("no INSERT into blobs")
}

// Count must read its input to the end even when it fails, or the dump
// writer on the other side of an io.Pipe would block forever.
func TestCountDrainsOnError(t *testing.T) {
	in := "SELECT 1;\nDELIMITER\n" + strings.Repeat("INSERT INTO t VALUES (1);\n", 100000)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(pw, strings.NewReader(in))
		done <- err
		pw.Close()
	}()
	sum, err := Count(pr)
	if err == nil || !IsSyntaxError(err) {
		t.Fatalf("Count error = %v, want a syntax error", err)
	}
	if sum == nil || sum.Statements != 1 {
		t.Fatalf("partial summary = %+v, want 1 statement", sum)
	}
	if err := <-done; err != nil {
		t.Fatalf("writer: %v", err)
	}
}

func TestCountReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Count(io.MultiReader(strings.NewReader("SELECT 1;\nINSERT INTO t VALUES (1"), iotest.ErrReader(boom)))
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want wrapped read error", err)
	}
}

func TestCountTruncatedDump(t *testing.T) {
	data := readFixture(t, "mariadb_full.sql")
	cut := bytes.Index(data, []byte("(3,'\\'\\\"")) + 5 // inside a string of the blobs INSERT
	_, err := Count(bytes.NewReader(data[:cut]))
	se := asSyntaxError(t, err)
	if se.Line != 52 {
		t.Errorf("syntax error at line %d, want 52", se.Line)
	}
}

func TestCountDistinctObjectsAndPlaceholders(t *testing.T) {
	in := "USE a;\n" +
		"/*!50001 CREATE TABLE `v` (`id` tinyint NOT NULL) ENGINE=MyISAM */;\n" +
		"CREATE TABLE `t` (id int);\n" +
		"/*!50001 CREATE VIEW `v` AS SELECT 1 AS `id` */;\n" +
		"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50001 VIEW `v` AS select 1 AS `id` */;\n" +
		"CREATE PROCEDURE x() SELECT 1;\nCREATE FUNCTION x() RETURNS INT RETURN 1;\n" +
		"USE b;\nCREATE PROCEDURE x() SELECT 1;\n"
	got, err := Count(strings.NewReader(in))
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	checkSummary(t, got, &Summary{
		Databases:  []string{"a", "b"},
		Tables:     []TableCount{{"a", "t", 0}},
		Statements: 9,
		Views:      1,
		Routines:   3,
	})
}
