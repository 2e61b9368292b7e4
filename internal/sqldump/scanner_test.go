package sqldump

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestScannerRules(t *testing.T) {
	const (
		O  = KindOther
		CD = KindCreateDatabase
		U  = KindUse
		CT = KindCreateTable
		DT = KindDropTable
		I  = KindInsert
		CV = KindCreateView
		TR = KindCreateTrigger
		R  = KindCreateRoutine
		E  = KindCreateEvent
		D  = KindDelimiter
	)
	tests := []struct {
		name string
		in   string
		want []stmt
	}{
		// Comments.
		{"comments between statements are skipped",
			"-- a;\n--\n# b;\n/* c; */\n--\tx\nSELECT 1;\n",
			[]stmt{{O, "", "", "", 0, "SELECT 1", ";", 6}}},
		{"dashes need whitespace to start a comment",
			"SELECT 1--1;\nSELECT 2 --x;\n",
			[]stmt{{O, "", "", "", 0, "SELECT 1--1", ";", 1}, {O, "", "", "", 0, "SELECT 2 --x", ";", 2}}},
		{"comments inside a statement are kept and hide delimiters",
			"SELECT 1 -- c;\n, 2 # d;\n, /* ; */ 3;",
			[]stmt{{O, "", "", "", 0, "SELECT 1 -- c;\n, 2 # d;\n, /* ; */ 3", ";", 1}}},
		{"comment at end of input",
			"SELECT 1;\n-- Dump completed",
			[]stmt{{O, "", "", "", 0, "SELECT 1", ";", 1}}},

		// Executable comments.
		{"executable comments are statements",
			"/*!40101 SET NAMES utf8mb4 */;\n/*M!100101 SET x=1 */;\n/*!40000 ALTER TABLE `a` DISABLE KEYS */;\n",
			[]stmt{
				{O, "", "", "", 0, "/*!40101 SET NAMES utf8mb4 */", ";", 1},
				{O, "", "", "", 0, "/*M!100101 SET x=1 */", ";", 2},
				{O, "", "", "", 0, "/*!40000 ALTER TABLE `a` DISABLE KEYS */", ";", 3},
			}},
		{"view in executable comments",
			"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v``1` AS select 1 AS `a` */;",
			[]stmt{{CV, "", "v`1", "v`1", 0, "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v``1` AS select 1 AS `a` */", ";", 1}}},
		{"view placeholder",
			"/*!50001 CREATE VIEW `v` AS SELECT\n 1 AS `id` */;",
			[]stmt{{CV, "", "v", "v", 0, "/*!50001 CREATE VIEW `v` AS SELECT\n 1 AS `id` */", ";", 1}}},
		{"trigger in executable comments",
			"DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON `t` FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND */;;\nDELIMITER ;\n",
			[]stmt{
				{D, "", "", "", 0, "DELIMITER ;;", ";;", 1},
				{TR, "", "", "trg", 0, "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER trg BEFORE INSERT ON `t` FOR EACH ROW\nBEGIN\n  SET NEW.a = 1;\nEND */", ";;", 2},
				{D, "", "", "", 0, "DELIMITER ;", ";", 6},
			}},
		{"executable comment end needs no delimiter in between",
			"/*!50106 CREATE*/ /*!50117 DEFINER=`u`@`h`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO DELETE FROM t WHERE a = '*/;' */ ;",
			[]stmt{{E, "", "", "e", 0, "/*!50106 CREATE*/ /*!50117 DEFINER=`u`@`h`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO DELETE FROM t WHERE a = '*/;' */", ";", 1}}},

		// The sandbox line.
		{"sandbox line does not swallow the next statement",
			"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\nSET a=1;\n",
			[]stmt{{O, "", "", "", 0, "SET a=1", ";", 3}}},
		{"sandbox line with CRLF",
			"/*M!999999\\- enable the sandbox mode */\r\nSET a=1;\r\n",
			[]stmt{{O, "", "", "", 0, "SET a=1", ";", 2}}},
		{"sandbox line alone",
			"/*M!999999\\- enable the sandbox mode */",
			nil},
		{"sandbox marker followed by SQL on the same line is SQL",
			"/*M!999999\\- enable the sandbox mode */ SET a=1;",
			[]stmt{{O, "", "", "", 0, "/*M!999999\\- enable the sandbox mode */ SET a=1", ";", 1}}},

		// Strings and identifiers.
		{"delimiters, parens and comment markers in strings are data",
			"INSERT INTO t VALUES ('it\\'s (a); -- x /* y', \"d\\\"q;\", 'a''b);(', `c``;(`),('\\\\'),('\n;\n');\nSELECT 2;",
			[]stmt{
				{I, "", "t", "", 3, "INSERT INTO t VALUES ('it\\'s (a); -- x /* y', \"d\\\"q;\", 'a''b);(', `c``;(`),('\\\\'),('\n;\n')", ";", 1},
				{O, "", "", "", 0, "SELECT 2", ";", 4},
			}},
		{"binary data, hex literals and _binary",
			"INSERT INTO b VALUES ('\x00\xff\xfe;(\x00\\0'),(0xDEADBEEF),(_binary '\x00\\'\x80'),(X'00');",
			[]stmt{{I, "", "b", "", 4, "INSERT INTO b VALUES ('\x00\xff\xfe;(\x00\\0'),(0xDEADBEEF),(_binary '\x00\\'\x80'),(X'00')", ";", 1}}},
		{"escaped backslash closes the string",
			"SELECT 'a\\\\';SELECT 2;",
			[]stmt{{O, "", "", "", 0, "SELECT 'a\\\\'", ";", 1}, {O, "", "", "", 0, "SELECT 2", ";", 1}}},
		{"backslash-escaped newline counts as a line",
			"SELECT 'a\\\nb';\nSELECT 2;",
			[]stmt{{O, "", "", "", 0, "SELECT 'a\\\nb'", ";", 1}, {O, "", "", "", 0, "SELECT 2", ";", 3}}},
		{"backslash is no escape in identifiers",
			"SELECT `a\\`;SELECT 2;",
			[]stmt{{O, "", "", "", 0, "SELECT `a\\`", ";", 1}, {O, "", "", "", 0, "SELECT 2", ";", 1}}},

		// DELIMITER.
		{"delimiter for routines",
			"DELIMITER ;;\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END;;\nDELIMITER ;\nSELECT 3;\n",
			[]stmt{
				{D, "", "", "", 0, "DELIMITER ;;", ";;", 1},
				{R, "", "", "p", 0, "CREATE PROCEDURE p() BEGIN SELECT 1; SELECT ';;'; END", ";;", 2},
				{D, "", "", "", 0, "DELIMITER ;", ";", 3},
				{O, "", "", "", 0, "SELECT 3", ";", 4},
			}},
		{"delimiter glued to a word",
			"delimiter $$\nCREATE FUNCTION f() RETURNS INT RETURN 1$$\ndelimiter ;\n",
			[]stmt{
				{D, "", "", "", 0, "delimiter $$", "$$", 1},
				{R, "", "", "f", 0, "CREATE FUNCTION f() RETURNS INT RETURN 1", "$$", 2},
				{D, "", "", "", 0, "delimiter ;", ";", 3},
			}},
		{"delimiter with CRLF and a quoted argument",
			"DELIMITER '//'\r\nCREATE DEFINER=root@localhost EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END//\r\nDELIMITER ;\r\n",
			[]stmt{
				{D, "", "", "", 0, "DELIMITER '//'", "//", 1},
				{E, "", "", "e", 0, "CREATE DEFINER=root@localhost EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END", "//", 2},
				{D, "", "", "", 0, "DELIMITER ;", ";", 3},
			}},
		{"DELIMITER is a command only at the start of a line",
			"SELECT 1; DELIMITER ;;\n/* c */ delimiter ;;\n;\n  DELIMITER $$ # reset\nSELECT 2$$",
			[]stmt{
				{O, "", "", "", 0, "SELECT 1", ";", 1},
				{O, "", "", "", 0, "DELIMITER", ";", 1},
				{O, "", "", "", 0, "delimiter", ";", 2},
				{D, "", "", "", 0, "DELIMITER $$ # reset", "$$", 4},
				{O, "", "", "", 0, "SELECT 2", "$$", 5},
			}},
		{"DELIMITER command wins over a delimiter that spells it",
			"DELIMITER delimiter\nSELECT 1delimiter\ndelimiter ;\nSELECT 2;",
			[]stmt{
				{D, "", "", "", 0, "DELIMITER delimiter", "delimiter", 1},
				{O, "", "", "", 0, "SELECT 1", "delimiter", 2},
				{D, "", "", "", 0, "delimiter ;", ";", 3},
				{O, "", "", "", 0, "SELECT 2", ";", 4},
			}},
		{"a word starting with delimiter is SQL",
			"delimiter_x(1);",
			[]stmt{{O, "", "", "", 0, "delimiter_x(1)", ";", 1}}},
		{"empty statements are skipped",
			";;SELECT 1;;\n;",
			[]stmt{{O, "", "", "", 0, "SELECT 1", ";", 1}}},

		// INSERT tuple counting.
		{"mariadb-dump multi-line insert",
			"INSERT INTO `t` VALUES\n(1,'a'),\n(2,'b'),\n(3,NULL);\n",
			[]stmt{{I, "", "t", "", 3, "INSERT INTO `t` VALUES\n(1,'a'),\n(2,'b'),\n(3,NULL)", ";", 1}}},
		{"column list is not a tuple",
			"INSERT INTO `t` (`a`,`b`) VALUES (1,2),(3,4);",
			[]stmt{{I, "", "t", "", 2, "INSERT INTO `t` (`a`,`b`) VALUES (1,2),(3,4)", ";", 1}}},
		{"nested parentheses",
			"INSERT INTO t VALUES (1,POINT(1,2)),(2,CONCAT('(',')',(3)));",
			[]stmt{{I, "", "t", "", 2, "INSERT INTO t VALUES (1,POINT(1,2)),(2,CONCAT('(',')',(3)))", ";", 1}}},
		{"insert select has no known rows",
			"INSERT INTO t (a) SELECT a FROM u WHERE a IN (1,2);",
			[]stmt{{I, "", "t", "", 0, "INSERT INTO t (a) SELECT a FROM u WHERE a IN (1,2)", ";", 1}}},
		{"insert ignore, replace and modifiers",
			"INSERT IGNORE INTO `a` VALUES (1);\nREPLACE INTO `b` VALUES (1),(2);\ninsert low_priority into c values(1);\nINSERT d VALUE (1);",
			[]stmt{
				{I, "", "a", "", 1, "INSERT IGNORE INTO `a` VALUES (1)", ";", 1},
				{I, "", "b", "", 2, "REPLACE INTO `b` VALUES (1),(2)", ";", 2},
				{I, "", "c", "", 1, "insert low_priority into c values(1)", ";", 3},
				{I, "", "d", "", 1, "INSERT d VALUE (1)", ";", 4},
			}},
		{"values() after the tuples is not a row",
			"INSERT INTO t VALUES (1),(2) ON DUPLICATE KEY UPDATE a=VALUES(a), b=(1);",
			[]stmt{{I, "", "t", "", 2, "INSERT INTO t VALUES (1),(2) ON DUPLICATE KEY UPDATE a=VALUES(a), b=(1)", ";", 1}}},
		{"insert set, values row and empty tuple",
			"INSERT INTO t SET a=(1);\nINSERT INTO t VALUES ROW(1,2), ROW(3,4);\nINSERT INTO t VALUES ();",
			[]stmt{
				{I, "", "t", "", 1, "INSERT INTO t SET a=(1)", ";", 1},
				{I, "", "t", "", 2, "INSERT INTO t VALUES ROW(1,2), ROW(3,4)", ";", 2},
				{I, "", "t", "", 1, "INSERT INTO t VALUES ()", ";", 3},
			}},
		{"comments inside an insert are not tuples",
			"INSERT /* (0) */ INTO t VALUES /* (9) */ (1), -- (8)\n# (7)\n(2);",
			[]stmt{{I, "", "t", "", 2, "INSERT /* (0) */ INTO t VALUES /* (9) */ (1), -- (8)\n# (7)\n(2)", ";", 1}}},
		{"qualified insert sets the database for that statement only",
			"USE a;\nINSERT INTO `d``b`.`t` VALUES (1);\nINSERT INTO t VALUES (1);",
			[]stmt{
				{U, "a", "", "", 0, "USE a", ";", 1},
				{I, "d`b", "t", "", 1, "INSERT INTO `d``b`.`t` VALUES (1)", ";", 2},
				{I, "a", "t", "", 1, "INSERT INTO t VALUES (1)", ";", 3},
			}},

		// Names and databases.
		{"table names",
			"CREATE TABLE IF NOT EXISTS `a``b` (x int);\nDROP TABLE IF EXISTS `x`,`y`;\nCREATE TEMPORARY TABLE tmp (x int);\nCREATE OR REPLACE TABLE db.t2 LIKE u;\ndrop table \"q\";",
			[]stmt{
				{CT, "", "a`b", "", 0, "CREATE TABLE IF NOT EXISTS `a``b` (x int)", ";", 1},
				{DT, "", "x", "", 0, "DROP TABLE IF EXISTS `x`,`y`", ";", 2},
				{CT, "", "tmp", "", 0, "CREATE TEMPORARY TABLE tmp (x int)", ";", 3},
				{CT, "db", "t2", "", 0, "CREATE OR REPLACE TABLE db.t2 LIKE u", ";", 4},
				{DT, "", "q", "", 0, "drop table \"q\"", ";", 5},
			}},
		{"current database comment and use",
			"--\n-- Current Database: `no``va`\n--\n\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `no``va`;\nCREATE TABLE a (id int);\nUSE other;\nINSERT INTO a VALUES (1);",
			[]stmt{
				{CD, "no`va", "", "", 0, "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `no``va`", ";", 5},
				{CT, "no`va", "a", "", 0, "CREATE TABLE a (id int)", ";", 6},
				{U, "other", "", "", 0, "USE other", ";", 7},
				{I, "other", "a", "", 1, "INSERT INTO a VALUES (1)", ";", 8},
			}},
		{"routines and other create statements",
			"CREATE DEFINER=`root`@`%` FUNCTION `f`() RETURNS int RETURN 1;\nCREATE DEFINER=CURRENT_USER() PROCEDURE db.p() SELECT 1;\nCREATE INDEX i ON t (a);\nCREATE USER x;\nDROP VIEW v;\nCREATE SCHEMA s;",
			[]stmt{
				{R, "", "", "f", 0, "CREATE DEFINER=`root`@`%` FUNCTION `f`() RETURNS int RETURN 1", ";", 1},
				{R, "db", "", "p", 0, "CREATE DEFINER=CURRENT_USER() PROCEDURE db.p() SELECT 1", ";", 2},
				{O, "", "", "", 0, "CREATE INDEX i ON t (a)", ";", 3},
				{O, "", "", "", 0, "CREATE USER x", ";", 4},
				{O, "", "", "", 0, "DROP VIEW v", ";", 5},
				{CD, "s", "", "", 0, "CREATE SCHEMA s", ";", 6},
			}},

		// Line endings and the end of input.
		{"CRLF line endings",
			"SET a=1;\r\nINSERT INTO t VALUES\r\n(1),\r\n(2);\r\n-- c\r\nSELECT 1;\r\n",
			[]stmt{
				{O, "", "", "", 0, "SET a=1", ";", 1},
				{I, "", "t", "", 2, "INSERT INTO t VALUES\r\n(1),\r\n(2)", ";", 2},
				{O, "", "", "", 0, "SELECT 1", ";", 6},
			}},
		{"statement without delimiter at end of input",
			"SELECT 1;\nINSERT INTO t VALUES (1),(2)  \r\n",
			[]stmt{{O, "", "", "", 0, "SELECT 1", ";", 1}, {I, "", "t", "", 2, "INSERT INTO t VALUES (1),(2)", "", 2}}},
		{"DELIMITER line at end of input",
			"DELIMITER ;;",
			[]stmt{{D, "", "", "", 0, "DELIMITER ;;", ";;", 1}}},
		{"empty input", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanModes(t, []byte(tt.in))
			if err != nil {
				t.Fatalf("scan: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d statements %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("statement %d:\n got %v\nwant %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestScannerSyntaxErrors(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantOK   int // statements returned before the error
		wantLine int
		wantMsg  string
	}{
		{"unterminated single-quoted string", "SELECT 1;\nSELECT 'abc;\n\n", 1, 2, "unterminated string"},
		{"unterminated double-quoted string", "SELECT \"x\\\"", 0, 1, "unterminated string"},
		{"unterminated identifier", "SELECT 1;SELECT 2;\n\nSELECT `x``", 2, 3, "unterminated quoted identifier"},
		{"unterminated comment between statements", "SELECT 1; /* open\n", 1, 1, "unterminated comment"},
		{"unterminated comment in a statement", "SELECT\n/* open", 0, 2, "unterminated comment"},
		{"unterminated executable comment", "/*!40101 SET a=1 \n", 0, 1, "unterminated executable comment"},
		{"DELIMITER without argument", "SELECT 1;\nDELIMITER \nSELECT 1;", 1, 2, "DELIMITER must be followed"},
		{"DELIMITER too long", "DELIMITER 12345678901234567", 0, 1, "DELIMITER longer"},
		{"DELIMITER with backslash", "DELIMITER a\\b\n", 0, 1, "must not contain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanModes(t, []byte(tt.in))
			if len(got) != tt.wantOK {
				t.Errorf("got %d statements before the error, want %d: %v", len(got), tt.wantOK, got)
			}
			se := asSyntaxError(t, err)
			if se.Line != tt.wantLine || !strings.Contains(se.Msg, tt.wantMsg) {
				t.Errorf("got %v, want line %d and %q", se, tt.wantLine, tt.wantMsg)
			}
		})
	}
}

func TestScannerErrorsAreSticky(t *testing.T) {
	s := NewScanner(strings.NewReader("SELECT 'x"), Options{})
	_, err1 := s.Next()
	_, err2 := s.Next()
	if err1 == nil || err1 != err2 {
		t.Fatalf("got %v then %v, want the same error twice", err1, err2)
	}
	s = NewScanner(strings.NewReader("SELECT 1"), Options{})
	if _, err := s.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	for range 2 {
		if _, err := s.Next(); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	}
}

func TestScannerMaxStatement(t *testing.T) {
	in := "SELECT 1;\nSELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';\n"
	s := NewScanner(strings.NewReader(in), Options{KeepText: true, MaxStatement: 16})
	st, err := s.Next()
	if err != nil || string(st.Text) != "SELECT 1" {
		t.Fatalf("first statement: %v, %v", st, err)
	}
	_, err = s.Next()
	if !errors.Is(err, ErrStatementTooLarge) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("got %v, want ErrStatementTooLarge at line 2", err)
	}

	// Count mode keeps only a prefix, so the limit does not apply.
	got, _, err := collect(strings.NewReader(in), Options{MaxStatement: 16}, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("count mode: %v, %v", got, err)
	}
}

// Count mode must classify from its prefix alone, even for statements far
// longer than the prefix, and must not grow its buffer with them.
func TestScannerCountModeIsBounded(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("INSERT INTO `big` VALUES ")
	for i := range 100000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(1,'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx;(')")
	}
	b.WriteString(";\n")
	s := NewScanner(bytes.NewReader(b.Bytes()), Options{})
	st, err := s.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	if st.Kind != KindInsert || st.Table != "big" || st.Rows != 100000 || st.Text != nil {
		t.Fatalf("got %v %q rows=%d text=%d bytes", st.Kind, st.Table, st.Rows, len(st.Text))
	}
	if cap(s.text) > 2*prefixCap {
		t.Fatalf("count mode buffered %d bytes", cap(s.text))
	}
}

// A name the prefix cuts off must not be reported half.
func TestScannerLongPrefixDropsCutName(t *testing.T) {
	pad := strings.Repeat(" ", prefixCap-len("INSERT INTO ")-3)
	in := "INSERT INTO " + pad + "`abcdef` VALUES (1);"
	got, err := scanModes(t, []byte(in))
	if err != nil || len(got) != 1 {
		t.Fatalf("got %v, %v", got, err)
	}
	if got[0].Table != "" || got[0].Rows != 1 {
		t.Fatalf("got table %q rows %d, want no table and 1 row", got[0].Table, got[0].Rows)
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		k    Kind
		want string
	}{
		{KindOther, "Other"},
		{KindInsert, "Insert"},
		{KindDelimiter, "Delimiter"},
		{Kind(99), "Kind(99)"},
	}
	for _, tt := range tests {
		if got := tt.k.String(); got != tt.want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(tt.k), got, tt.want)
		}
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	err := &SyntaxError{Line: 7, Msg: "unterminated string at end of input"}
	if got, want := err.Error(), "sql dump line 7: unterminated string at end of input"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !IsSyntaxError(err) {
		t.Fatal("IsSyntaxError = false")
	}
}

func TestScannerOffset(t *testing.T) {
	data := []byte("-- head\n/*!40101 SET NAMES utf8mb4 */;\n\nINSERT INTO `t` VALUES (1,'a;b'),(2,'--');\n" +
		"DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN SET @a=1; END ;;\nDELIMITER ;\n  SELECT 1;")
	want := []string{"/*!40101 SET NAMES", "INSERT INTO", "DELIMITER ;;", "CREATE TRIGGER", "DELIMITER ;\n", "SELECT 1"}
	for _, size := range []int{maxLookahead, 4096} {
		s := newScannerSize(bytes.NewReader(data), Options{KeepText: true}, size)
		for i, w := range want {
			st, err := s.Next()
			if err != nil {
				t.Fatalf("buffer %d: statement %d: %v", size, i, err)
			}
			if got, want := st.Offset, int64(bytes.Index(data, []byte(w))); got != want {
				t.Errorf("buffer %d: %q at offset %d, want %d", size, w, got, want)
			}
		}
	}
}
