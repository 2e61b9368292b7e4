package restore

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"gravedancer/internal/sqldump"
)

// shapeDump has the shape of mariadb-dump 10.11 --all-databases --routines
// --events --triggers --add-drop-database output (statements copied from
// real dumps, bodies shortened): a database `a` whose collation differs
// from its trigger's and routine's, so the dump switches it around them; a
// system schema; a database `b` with a qualified INSERT; and the final view
// sections after all databases.
const shapeDump = "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n" +
	"/*!40101 SET NAMES binary */;\n" +
	"SET @@GLOBAL.GTID_PURGED='0-1-2';\n" +
	"\n--\n-- Current Database: `a`\n--\n\n" +
	"/*!40000 DROP DATABASE IF EXISTS `a`*/;\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `a` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci */;\n" +
	"USE `a`;\n" +
	"DROP TABLE IF EXISTS `t1`;\n" +
	"/*!40101 SET character_set_client = utf8mb4 */;\n" +
	"CREATE TABLE `t1` (`id` int(11) NOT NULL, PRIMARY KEY (`id`));\n" +
	"LOCK TABLES `t1` WRITE;\n" +
	"/*!40000 ALTER TABLE `t1` DISABLE KEYS */;\n" +
	"INSERT INTO `t1` VALUES (1),(2);\n" +
	"/*!40000 ALTER TABLE `t1` ENABLE KEYS */;\n" +
	"UNLOCK TABLES;\n" +
	"ALTER DATABASE `a` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci ;\n" +
	"DELIMITER ;;\n" +
	"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t1_bi BEFORE INSERT ON t1 FOR EACH ROW SET NEW.id = NEW.id */;;\n" +
	"DELIMITER ;\n" +
	"ALTER DATABASE `a` CHARACTER SET latin1 COLLATE latin1_swedish_ci ;\n" +
	"DROP TABLE IF EXISTS `t2`;\n" +
	"CREATE TABLE `t2` (`id` int(11));\n" +
	"INSERT INTO `t2` VALUES (3);\n" +
	"DROP TABLE IF EXISTS `v`;\n" +
	"/*!50001 DROP VIEW IF EXISTS `v`*/;\n" +
	"/*!50001 CREATE VIEW `v` AS SELECT\n 1 AS `id` */;\n" +
	"/*!50106 DROP EVENT IF EXISTS `e` */;\n" +
	"DELIMITER ;;\n" +
	"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */ ;;\n" +
	"DELIMITER ;\n" +
	"/*!50003 DROP PROCEDURE IF EXISTS `p` */;\n" +
	"DELIMITER ;;\n" +
	"CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nSELECT * FROM `a`.`t1` ;;\n" +
	"DELIMITER ;\n" +
	"\n--\n-- Current Database: `mysql`\n--\n\n" +
	"/*!40000 DROP DATABASE IF EXISTS `mysql`*/;\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `mysql` /*!40100 DEFAULT CHARACTER SET latin1 */;\n" +
	"USE `mysql`;\n" +
	"DROP TABLE IF EXISTS `global_priv`;\n" +
	"INSERT INTO `global_priv` VALUES ('localhost','root','{}');\n" +
	"\n--\n-- Current Database: `b`\n--\n\n" +
	"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `b`;\n" +
	"USE `b`;\n" +
	"/*!40101 SET character_set_client = latin1 */;\n" +
	"CREATE TABLE `t1` (`id` int);\n" +
	"INSERT INTO `b`.`t1` VALUES (9);\n" +
	"\n--\n-- Current Database: `a`\n--\n\n" +
	"USE `a`;\n" +
	"/*!50001 DROP VIEW IF EXISTS `v`*/;\n" +
	"/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 AS `id` */;\n" +
	"/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n" +
	"\n-- Dump completed on 2026-11-28 13:25:30\n"

// planned runs the engine's routing over dump and returns the text of
// every statement it would send, as it would send it, and how many it
// would leave out.
func planned(t *testing.T, dump string, sel *Selection) (sent []string, skipped int) {
	t.Helper()
	if err := sel.Validate(); err != nil {
		t.Fatal(err)
	}
	r := &engineRun{sel: newSelector(sel)}
	sc := sqldump.NewScanner(strings.NewReader(dump), sqldump.Options{KeepText: true})
	for {
		st, err := sc.Next()
		if err == io.EOF {
			return sent, skipped
		}
		if err != nil {
			t.Fatal(err)
		}
		switch rt, tg := r.route(st); rt {
		case routeSkip:
			skipped++
		case routeClient:
		default:
			sent = append(sent, string(r.sel.rewrite(st.Text, tg)))
		}
	}
}

func TestSelectRoutes(t *testing.T) {
	const (
		names    = "/*!40101 SET NAMES binary */"
		gtid     = "SET @@GLOBAL.GTID_PURGED='0-1-2'"
		dropA    = "/*!40000 DROP DATABASE IF EXISTS `a`*/"
		createA  = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `a` /*!40100 DEFAULT CHARACTER SET latin1 COLLATE latin1_swedish_ci */"
		useA     = "USE `a`"
		dropT1   = "DROP TABLE IF EXISTS `t1`"
		csUTF8   = "/*!40101 SET character_set_client = utf8mb4 */"
		createT1 = "CREATE TABLE `t1` (`id` int(11) NOT NULL, PRIMARY KEY (`id`))"
		disable  = "/*!40000 ALTER TABLE `t1` DISABLE KEYS */"
		insertT1 = "INSERT INTO `t1` VALUES (1),(2)"
		enable   = "/*!40000 ALTER TABLE `t1` ENABLE KEYS */"
		alterA1  = "ALTER DATABASE `a` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
		trigger  = "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t1_bi BEFORE INSERT ON t1 FOR EACH ROW SET NEW.id = NEW.id */"
		alterA2  = "ALTER DATABASE `a` CHARACTER SET latin1 COLLATE latin1_swedish_ci"
		dropT2   = "DROP TABLE IF EXISTS `t2`"
		createT2 = "CREATE TABLE `t2` (`id` int(11))"
		insertT2 = "INSERT INTO `t2` VALUES (3)"
		dropVT   = "DROP TABLE IF EXISTS `v`"
		dropV    = "/*!50001 DROP VIEW IF EXISTS `v`*/"
		tempV    = "/*!50001 CREATE VIEW `v` AS SELECT\n 1 AS `id` */"
		dropE    = "/*!50106 DROP EVENT IF EXISTS `e` */"
		event    = "/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */"
		dropP    = "/*!50003 DROP PROCEDURE IF EXISTS `p` */"
		proc     = "CREATE DEFINER=`root`@`localhost` PROCEDURE `p`()\nSELECT * FROM `a`.`t1`"
		createB  = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `b`"
		useB     = "USE `b`"
		csLatin  = "/*!40101 SET character_set_client = latin1 */"
		createBT = "CREATE TABLE `t1` (`id` int)"
		insertBT = "INSERT INTO `b`.`t1` VALUES (9)"
		finalV   = "/*!50001 CREATE ALGORITHM=UNDEFINED */\n/*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */\n/*!50001 VIEW `v` AS select 1 AS `id` */"
		footer   = "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */"
		// the system schema's section
		createM  = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `mysql` /*!40100 DEFAULT CHARACTER SET latin1 */"
		useM     = "USE `mysql`"
		dropGP   = "DROP TABLE IF EXISTS `global_priv`"
		insertGP = "INSERT INTO `global_priv` VALUES ('localhost','root','{}')"
	)
	wholeA := []string{dropA, createA, useA, dropT1, csUTF8, createT1, disable, insertT1, enable, alterA1, trigger, alterA2,
		dropT2, createT2, insertT2, dropVT, dropV, tempV, dropE, event, dropP, proc}
	finalA := []string{useA, dropV, finalV, footer}
	tests := []struct {
		name string
		sel  *Selection
		want []string
	}{
		{"no selection", nil, slices.Concat([]string{names, gtid}, wholeA,
			[]string{createB, useB, csLatin, createBT, insertBT}, finalA)},
		{"zero selection", &Selection{}, slices.Concat([]string{names, gtid}, wholeA,
			[]string{createB, useB, csLatin, createBT, insertBT}, finalA)},
		{"one database", &Selection{Databases: []string{"a"}}, slices.Concat([]string{names}, wholeA, []string{csLatin}, finalA)},
		{"other database", &Selection{Databases: []string{"b"}}, []string{names, csUTF8, createB, useB, csLatin, createBT, insertBT, footer}},
		{"one table", &Selection{Tables: []TableName{{"a", "t1"}}},
			[]string{names, createA, useA, dropT1, csUTF8, createT1, disable, insertT1, enable, alterA1, trigger, alterA2, csLatin, useA, footer}},
		{"table without triggers", &Selection{Tables: []TableName{{"a", "t2"}}},
			[]string{names, createA, useA, csUTF8, alterA1, alterA2, dropT2, createT2, insertT2, csLatin, useA, footer}},
		{"table and database", &Selection{Databases: []string{"b"}, Tables: []TableName{{"a", "t2"}}},
			[]string{names, createA, useA, csUTF8, alterA1, alterA2, dropT2, createT2, insertT2, createB, useB, csLatin, createBT, insertBT, useA, footer}},
		{"system schema", &Selection{Databases: []string{"mysql"}},
			[]string{names, csUTF8, createM, useM, dropGP, insertGP, csLatin, footer}},
		{"database into", &Selection{Databases: []string{"a"}, Into: "a`2"}, slices.Concat([]string{names},
			renameAll(wholeA, "`a`", "`a``2`"), []string{csLatin}, renameAll(finalA, "`a`", "`a``2`"))},
		{"qualified insert into", &Selection{Databases: []string{"b"}, Into: "c"},
			[]string{names, csUTF8, "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `c`", "USE `c`", csLatin, createBT, "INSERT INTO `c`.`t1` VALUES (9)", footer}},
		{"system schema into", &Selection{Databases: []string{"mysql"}, Into: "mysql_copy"},
			[]string{names, csUTF8, "/*!40000 DROP DATABASE IF EXISTS `mysql_copy`*/",
				"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `mysql_copy` /*!40100 DEFAULT CHARACTER SET latin1 */", "USE `mysql_copy`",
				dropGP, insertGP, csLatin, footer}},
	}
	total := statementsIn(t, shapeDump)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, skipped := planned(t, shapeDump, tc.sel)
			if !slices.Equal(got, tc.want) {
				t.Errorf("sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(got)+skipped != total {
				t.Errorf("sent %d + skipped %d, want %d statements", len(got), skipped, total)
			}
		})
	}
}

// statementsIn counts the statements of dump, DELIMITER commands left out.
func statementsIn(t *testing.T, dump string) int {
	t.Helper()
	sc := sqldump.NewScanner(strings.NewReader(dump), sqldump.Options{})
	n := 0
	for {
		st, err := sc.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		if st.Kind != sqldump.KindDelimiter {
			n++
		}
	}
}

// renameAll replaces old with new in every statement (the database's
// quoted name: in shapeDump it stands for nothing else).
func renameAll(stmts []string, old, new string) []string {
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = strings.ReplaceAll(s, old, new)
	}
	// The procedure's body keeps its qualified reference: bodies are
	// not rewritten.
	for i, s := range out {
		if strings.HasPrefix(s, "CREATE DEFINER=`root`@`localhost` PROCEDURE") {
			out[i] = strings.Replace(s, "`a``2`.`t1`", "`a`.`t1`", 1)
		}
	}
	return out
}

// TestRename: under Into, names of the old database in the heads the
// engine reads are rewritten; bodies, other databases and names that only
// begin like it are not.
func TestRename(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `old` /*!40100 DEFAULT CHARACTER SET utf8mb4 */", "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `n``ew` /*!40100 DEFAULT CHARACTER SET utf8mb4 */"},
		{"create schema old", "create schema `n``ew`"},
		{"USE old", "USE `n``ew`"},
		{"USE `old`", "USE `n``ew`"},
		{"ALTER DATABASE `old` CHARACTER SET latin1 COLLATE latin1_swedish_ci", "ALTER DATABASE `n``ew` CHARACTER SET latin1 COLLATE latin1_swedish_ci"},
		{"ALTER DATABASE CHARACTER SET latin1", "ALTER DATABASE CHARACTER SET latin1"},
		{"/*!40000 DROP DATABASE IF EXISTS `old`*/", "/*!40000 DROP DATABASE IF EXISTS `n``ew`*/"},
		{"INSERT INTO `old`.`t` VALUES (1)", "INSERT INTO `n``ew`.`t` VALUES (1)"},
		{"INSERT INTO `t` VALUES ('`old`.`t`')", "INSERT INTO `t` VALUES ('`old`.`t`')"},
		{"REPLACE IGNORE INTO old.t VALUES (1)", "REPLACE IGNORE INTO `n``ew`.t VALUES (1)"},
		{"CREATE TABLE IF NOT EXISTS `old`.`t` (a int, FOREIGN KEY (a) REFERENCES `old`.`p` (a))", "CREATE TABLE IF NOT EXISTS `n``ew`.`t` (a int, FOREIGN KEY (a) REFERENCES `old`.`p` (a))"},
		{"DROP TABLE IF EXISTS `old`.`t`", "DROP TABLE IF EXISTS `n``ew`.`t`"},
		{"/*!40000 ALTER TABLE `old`.`t` DISABLE KEYS */", "/*!40000 ALTER TABLE `n``ew`.`t` DISABLE KEYS */"},
		{"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `old`.`tr` AFTER INSERT ON `old`.`t` FOR EACH ROW INSERT INTO `old`.`log` VALUES (1) */",
			"/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER `n``ew`.`tr` AFTER INSERT ON `n``ew`.`t` FOR EACH ROW INSERT INTO `old`.`log` VALUES (1) */"},
		{"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `old`.`v` AS select 1 from `old`.`t` */",
			"/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */ /*!50001 VIEW `n``ew`.`v` AS select 1 from `old`.`t` */"},
		{"CREATE DEFINER=`old`@`localhost` PROCEDURE `old`.`p`() CALL `old`.`q`()", "CREATE DEFINER=`old`@`localhost` PROCEDURE `n``ew`.`p`() CALL `old`.`q`()"},
		{"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `old`.`e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */",
			"/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`localhost`*/ /*!50106 EVENT `n``ew`.`e` ON SCHEDULE EVERY 1 DAY DO SELECT 1 */"},
		{"USE `old2`", "USE `old2`"},
		{"INSERT INTO `other`.`t` VALUES (1)", "INSERT INTO `other`.`t` VALUES (1)"},
	}
	for _, tc := range tests {
		st := oneStatement(t, tc.in)
		got := string(renamed(st.Text, inspect(st).refs, "old", "`n``ew`"))
		if got != tc.want {
			t.Errorf("rename %q:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

// TestInspect: the scope a selection decides by.
func TestInspect(t *testing.T) {
	tests := []struct {
		stmt  string
		scope scope
		db    string // in section "cur"
		table string
		drops bool
	}{
		{"CREATE DATABASE `x`", scopeDatabase, "x", "", false},
		{"/*!40000 DROP DATABASE IF EXISTS `x`*/", scopeDatabase, "x", "", true},
		{"ALTER DATABASE `x` CHARACTER SET latin1", scopeDatabase, "x", "", false},
		{"ALTER SCHEMA DEFAULT CHARACTER SET latin1", scopeDatabase, "cur", "", false},
		{"USE x", scopeDatabase, "x", "", false},
		{"INSERT INTO `t` VALUES (1)", scopeTable, "cur", "t", false},
		{"/*!40000 ALTER TABLE `x`.`t``1` DISABLE KEYS */", scopeTable, "x", "t`1", false},
		{"ALTER ONLINE IGNORE TABLE IF EXISTS t ADD KEY (a)", scopeTable, "cur", "t", false},
		{"/*!50003 CREATE*/ /*!50017 DEFINER=`r`@`%`*/ /*!50003 TRIGGER `tr` BEFORE UPDATE ON `t` FOR EACH ROW SET @on = 1 */", scopeTable, "cur", "t", false},
		{"CREATE TRIGGER IF NOT EXISTS tr AFTER DELETE ON x.t FOR EACH ROW SET @a = 1", scopeTable, "x", "t", false},
		{"/*!50001 CREATE VIEW `v` AS SELECT 1 AS `a` */", scopeOther, "cur", "", false},
		{"/*!50001 DROP VIEW IF EXISTS `v`*/", scopeOther, "cur", "", false},
		{"/*!50003 DROP TRIGGER IF EXISTS `tr` */", scopeOther, "cur", "", false},
		{"CREATE DEFINER=`root`@`localhost` FUNCTION `f`() RETURNS int RETURN 1", scopeOther, "cur", "", false},
		{"SELECT SETVAL(`s`, 1, 0)", scopeOther, "cur", "", false},
	}
	for _, tc := range tests {
		st := oneStatement(t, "USE cur;\n"+tc.stmt)
		got := inspect(st)
		if got.scope != tc.scope || got.db != tc.db || got.table != tc.table || got.drops != tc.drops {
			t.Errorf("inspect(%q) = scope %d %s.%s drops %v, want scope %d %s.%s drops %v",
				tc.stmt, got.scope, got.db, got.table, got.drops, tc.scope, tc.db, tc.table, tc.drops)
		}
	}
}

// oneStatement scans text and returns its last statement.
func oneStatement(t *testing.T, text string) *sqldump.Statement {
	t.Helper()
	sc := sqldump.NewScanner(strings.NewReader(text+";\n"), sqldump.Options{KeepText: true})
	var last *sqldump.Statement
	for {
		st, err := sc.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		cp := *st
		cp.Text = slices.Clone(st.Text)
		last = &cp
	}
	if last == nil {
		t.Fatalf("%q: no statement", text)
	}
	return last
}

func TestSelectionValidate(t *testing.T) {
	tests := []struct {
		name string
		sel  *Selection
		want string // "" = valid
	}{
		{"nil", nil, ""},
		{"zero: everything", &Selection{}, ""},
		{"databases", &Selection{Databases: []string{"nova", "keystone"}}, ""},
		{"tables", &Selection{Tables: []TableName{{"nova", "instances"}, {"keystone", "user"}}}, ""},
		{"system schema whole", &Selection{Databases: []string{"mysql"}}, ""},
		{"system table with its schema", &Selection{Databases: []string{"mysql"}, Tables: []TableName{{"mysql", "user"}}}, ""},
		{"into one database", &Selection{Databases: []string{"nova"}, Into: "nova_copy"}, ""},
		{"into tables of one database", &Selection{Tables: []TableName{{"nova", "a"}, {"nova", "b"}}, Into: "x"}, ""},
		{"into database and its table", &Selection{Databases: []string{"nova"}, Tables: []TableName{{"nova", "a"}}, Into: "x"}, ""},
		{"into the same name", &Selection{Databases: []string{"nova"}, Into: "nova"}, ""},
		{"into two databases", &Selection{Databases: []string{"nova", "keystone"}, Into: "x"}, `Into "x" needs exactly one database selected, the selection covers 2 (nova, keystone)`},
		{"into a database and another's table", &Selection{Databases: []string{"nova"}, Tables: []TableName{{"keystone", "user"}}, Into: "x"}, "covers 2 (nova, keystone)"},
		{"into with no selection", &Selection{Into: "x"}, `Into "x" needs exactly one database selected, the selection covers 0 ()`},
		{"into blank", &Selection{Databases: []string{"nova"}, Into: " "}, `Into " " is an empty name`},
		{"into a system schema", &Selection{Databases: []string{"nova"}, Into: "MySQL"}, `Into "MySQL" is a system schema`},
		{"empty database", &Selection{Databases: []string{"nova", ""}}, "Databases[1] is an empty name"},
		{"empty table", &Selection{Tables: []TableName{{"nova", ""}}}, `Tables[0] "nova"."" has an empty name`},
		{"empty table database", &Selection{Tables: []TableName{{"", "t"}}}, `Tables[0] ""."t" has an empty name`},
		{"system table alone", &Selection{Tables: []TableName{{"mysql", "global_priv"}}}, "table mysql.global_priv: the system schema mysql is restored only whole, named in Databases"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sel.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidSelection) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want ErrInvalidSelection saying %q", err, tc.want)
			}
		})
	}
}
