package restore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gravedancer/internal/sqldump"
)

func TestDefinerSpan(t *testing.T) {
	tests := []struct {
		in, want string // want: the statement with the span cut out; "" = no span
	}{
		{"CREATE DEFINER=`root`@`localhost` PROCEDURE p() SELECT 1",
			"CREATE  PROCEDURE p() SELECT 1"},
		{"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a=1 */",
			"/*!50003 CREATE*/ /*!50017 */ /*!50003 TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a=1 */"},
		{"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`a``b`@`%` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 */",
			"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013  SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 */"},
		{"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */",
			"/*!50106 CREATE*/ /*!50117 */ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */"},
		{"create definer = 'app'@'10.0.0.%' function f() returns int return 1",
			"create  function f() returns int return 1"},
		{"CREATE DEFINER=app@localhost FUNCTION f() RETURNS INT RETURN 1",
			"CREATE  FUNCTION f() RETURNS INT RETURN 1"},
		{"CREATE DEFINER=CURRENT_USER() PROCEDURE p() SELECT 1", "CREATE  PROCEDURE p() SELECT 1"},
		{"CREATE DEFINER=CURRENT_ROLE VIEW v AS SELECT 1", "CREATE  VIEW v AS SELECT 1"},
		{"CREATE OR REPLACE /* DEFINER=x */ DEFINER=`r`@`h` VIEW v AS SELECT 1", "CREATE OR REPLACE /* DEFINER=x */  VIEW v AS SELECT 1"},
		{"CREATE SQL SECURITY DEFINER VIEW v AS SELECT definer = 1", ""},
		{"CREATE PROCEDURE p() SET @definer = 'x'", ""},
		{"CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET NEW.definer='a'@'b'", ""},
		{"CREATE DEFINER=`unterminated", ""},
	}
	for _, tc := range tests {
		start, end, ok := definerSpan([]byte(tc.in))
		got := ""
		if ok {
			got = tc.in[:start] + tc.in[end:]
		}
		if got != tc.want {
			t.Errorf("definerSpan(%q):\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestServerWide(t *testing.T) {
	tests := []struct {
		stmt string
		want bool
	}{
		{"CREATE USER `root`@`localhost`", true},
		{"CREATE OR REPLACE USER x IDENTIFIED BY 'y'", true},
		{"CREATE ROLE IF NOT EXISTS mariadb_dump_import_role", true},
		{"DROP ROLE mariadb_dump_import_role", true},
		{"DROP USER IF EXISTS a", true},
		{"ALTER USER a PASSWORD EXPIRE", true},
		{"/*!80001 ALTER USER 'root'@'::1' DEFAULT ROLE NONE */", true},
		{"RENAME USER a TO b", true},
		{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION", true},
		{"  -- c\n REVOKE ALL ON *.* FROM a", true},
		{"SET PASSWORD FOR a = PASSWORD('x')", true},
		{"SET ROLE mariadb_dump_import_role", true},
		{"/*M!100005 SET DEFAULT ROLE NONE FOR 'root'@'localhost' */", true},
		{"INSTALL SONAME 'ha_blackhole'", true},
		{"UNINSTALL PLUGIN x", true},
		{"CREATE SERVER s FOREIGN DATA WRAPPER mysql OPTIONS (HOST 'h')", true},
		{"DROP DATABASE IF EXISTS `mysql`", true},
		{"DROP SCHEMA Sys", true},
		{"/*!40000 ALTER DATABASE `mysql` CHARACTER SET latin1 */", true},
		{"CREATE DATABASE IF NOT EXISTS performance_schema", true},
		{"DROP DATABASE IF EXISTS `nova`", false},
		{"ALTER DATABASE `nova` CHARACTER SET utf8mb4", false},
		{"SET NAMES utf8mb4", false},
		{"/*!40101 SET @saved_cs_client = @@character_set_client */", false},
		{"SELECT COALESCE(CURRENT_ROLE(),'NONE') into @current_role", false},
		{"CREATE TABLE `user` (id int)", false},
		{"INSERT INTO `grant` VALUES (1)", false},
		{"CREATE DEFINER=`root`@`localhost` PROCEDURE grant_all() SELECT 1", false},
	}
	for _, tc := range tests {
		if got := serverWide([]byte(tc.stmt)); got != tc.want {
			t.Errorf("serverWide(%q) = %v, want %v", tc.stmt, got, tc.want)
		}
	}
}

// feedString runs the feeder over a dump text and returns what the client
// would read.
func feedString(t *testing.T, dump string, opt LoadOptions) (string, *LoadResult) {
	t.Helper()
	var out bytes.Buffer
	res := &LoadResult{}
	f := newFeeder("test.sql", &out, opt, res)
	if err := f.run(context.Background(), sqldump.NewScanner(strings.NewReader(dump), sqldump.Options{KeepText: true})); err != nil {
		t.Fatal(err)
	}
	return out.String(), res
}

// TestFeederKeepsLines: every line sent is on the line it had in the dump,
// so the client's "at line N" is the dump's line N; what is left out
// becomes blank lines.
func TestFeederKeepsLines(t *testing.T) {
	for _, opt := range []LoadOptions{{}, {NoBinlog: true}} {
		out, res := feedString(t, brokenDump, opt)
		in := strings.Split(brokenDump, "\n")
		lines := strings.Split(out, "\n")
		if opt.NoBinlog {
			if !strings.HasPrefix(lines[0], "SET SESSION sql_log_bin=0;") {
				t.Errorf("line 1 = %q", lines[0])
			}
			lines[0] = strings.TrimPrefix(lines[0], "SET SESSION sql_log_bin=0;")
		}
		for i, l := range lines {
			if l != "" && (i >= len(in) || in[i] != l) {
				t.Errorf("NoBinlog=%v: output line %d = %q, dump has %q", opt.NoBinlog, i+1, l, in[i])
			}
		}
		for _, gone := range []string{"mysql", "intruder", "Current Database"} {
			if strings.Contains(out, gone) {
				t.Errorf("output contains %q:\n%s", gone, out)
			}
		}
		if !strings.Contains(out, "\nDELIMITER ;;\n") || res.Skipped != 3 || res.Statements != 11 {
			t.Errorf("NoBinlog=%v: sent %d, skipped %d:\n%s", opt.NoBinlog, res.Statements, res.Skipped, out)
		}
	}
}

// TestFeederDelimiterAfterPrefix: DELIMITER must start a line even when the
// dump's first line has it, after the sql_log_bin prefix.
func TestFeederDelimiterAfterPrefix(t *testing.T) {
	out, _ := feedString(t, "DELIMITER ;;\nSELECT 1;;\nDELIMITER ;\n", LoadOptions{NoBinlog: true})
	want := "SET SESSION sql_log_bin=0;\nDELIMITER ;;\nSELECT 1;;\nDELIMITER ;\n"
	if out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

// TestFeederSkipsSystemSections: a whole system-schema section, including a
// DELIMITER block inside it, is left out while its DELIMITER commands keep
// the client in step.
func TestFeederSkipsSystemSections(t *testing.T) {
	dump := "-- Current Database: `sys`\nUSE `sys`;\nDELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; END ;;\nDELIMITER ;\n" +
		"-- Current Database: `app`\nCREATE DATABASE app;\nUSE `app`;\nCREATE TABLE mysql.x (a int);\nGRANT ALL ON *.* TO x;\nCREATE TABLE t (a int);\n"
	out, res := feedString(t, dump, LoadOptions{})
	for _, gone := range []string{"sys", "PROCEDURE", "mysql", "GRANT"} {
		if strings.Contains(out, gone) {
			t.Errorf("output contains %q:\n%s", gone, out)
		}
	}
	if strings.Join(res.Databases, ",") != "app" || res.Skipped != 4 || res.Statements != 5 {
		t.Errorf("result %+v:\n%s", res, out)
	}
}

// TestFeederWriteError: a client that stopped reading ends the feed with
// errClientGone.
func TestFeederWriteError(t *testing.T) {
	f := newFeeder("test.sql", failWriter{}, LoadOptions{}, &LoadResult{})
	dump := strings.Repeat("INSERT INTO t VALUES (1);\n", 50000)
	err := f.run(context.Background(), sqldump.NewScanner(strings.NewReader(dump), sqldump.Options{KeepText: true}))
	if !errors.Is(err, errClientGone) {
		t.Errorf("got %v, want errClientGone", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestLoadErrorMessage(t *testing.T) {
	tests := []struct {
		e    LoadError
		want string
	}{
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1064 (42000) at line 12: You have an error\n"},
			"restore: mariadb exited 1: ERROR 1064 (42000) at line 12: You have an error"},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "--------------\nINSERT ...\n--------------\n\nERROR 1227 (42000) at line 843: Access denied\n"},
			"restore: mariadb exited 1: ERROR 1227 (42000) at line 843: Access denied"},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "mariadb: unknown option '--x'\n"},
			"restore: mariadb exited 1: mariadb: unknown option '--x'"},
		{LoadError{Tool: "mariadb", ExitCode: -1, Err: errors.New("mariadb killed by signal killed")},
			"restore: mariadb killed by signal killed"},
		{LoadError{ExitCode: -1, Err: fmt.Errorf("artifact a.sql.gz: %w", errors.New("unexpected EOF"))},
			"restore: artifact a.sql.gz: unexpected EOF"},
		{LoadError{Tool: "mariadb", ExitCode: 2}, "restore: mariadb exited 2"},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1 at line 1: " + strings.Repeat("x", 1000)},
			"restore: mariadb exited 1: ERROR 1 at line 1: " + strings.Repeat("x", maxErrorLine-len("ERROR 1 at line 1: ")) + "…"},
	}
	for _, tc := range tests {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error():\n got %q\nwant %q", got, tc.want)
		}
	}
}

func TestTestServerFault(t *testing.T) {
	tests := []struct {
		e    LoadError
		code int
		want bool
	}{
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1064 (42000) at line 12: You have an error\n"}, 1064, false},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1062 (23000) at line 9: Duplicate entry\n"}, 1062, false},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1045 (28000): Access denied for user 'r'@'h'\n"}, 1045, true},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 2003 (HY000): Can't connect to server on '127.0.0.1' (115)\n"}, 2003, true},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 2013 (HY000) at line 40: Lost connection to server during query\n"}, 2013, true},
		{LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1227 (42000) at line 843: Access denied; you need (at least one of) the SUPER, SET USER privilege(s)\n"}, 1227, true},
		{LoadError{Tool: "mariadb", ExitCode: -1, Err: errors.New("mariadb killed by signal killed")}, 0, true},
		{LoadError{Tool: "mariadb", ExitCode: -1, Err: errors.New("artifact x: unexpected EOF"), artifact: true}, 0, false},
		{LoadError{ExitCode: -1, Err: errors.New("artifact x: not gzip data"), artifact: true}, 0, false},
	}
	for _, tc := range tests {
		if code, fault := tc.e.ServerError(), tc.e.TestServerFault(); code != tc.code || fault != tc.want {
			t.Errorf("%v: ServerError %d, TestServerFault %v; want %d, %v", tc.e.Error(), code, fault, tc.code, tc.want)
		}
	}
}

func TestMismatchReason(t *testing.T) {
	var bad []mismatch
	for i := 25; i > 0; i-- {
		bad = append(bad, mismatch{tableKey{"db", fmt.Sprintf("t%02d", i)}, "dump had 2 rows, restored 1"})
	}
	got := mismatchReason(bad)
	if !strings.HasPrefix(got, "table db.t01: dump had 2 rows, restored 1; table db.t02:") ||
		!strings.HasSuffix(got, "table db.t20: dump had 2 rows, restored 1; and 5 more") {
		t.Errorf("got %q", got)
	}
}
