package restore

import (
	"fmt"
	"slices"
	"strings"

	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
)

// Selection picks sections of a dump. Only the Engine honours it.
//
// Statements are matched by the database the dump puts them in (its
// `-- Current Database:` sections and USE statements; a qualified name such
// as `db`.`t` overrides them) and by the table they act on. Names are
// compared exactly, as on a server with lower_case_table_names=0. The zero
// Selection, which names nothing, restores what nil does.
//
// Statement by statement:
//
//   - Session statements (SET NAMES, SET character_set_client, SET
//     sql_mode, the /*!50003 SET ... */ around triggers and routines,
//     COMMIT…) run wherever they are, selected or not: they only set the
//     connections' state, and the dump pairs each with the one that undoes
//     it. Those in the section of a system schema that is not selected are
//     still left out, as without a selection.
//   - A database in Databases: every statement in its section, as a whole
//     restore would run it.
//   - A database with tables in Tables (and not in Databases): CREATE
//     DATABASE, USE and ALTER DATABASE (mariadb-dump switches the database's
//     character set around triggers and routines whose collation differs,
//     and switches it back); each selected table's DROP TABLE, CREATE TABLE,
//     ALTER TABLE (/*!40000 ALTER TABLE `t` DISABLE KEYS */), INSERTs and
//     the triggers ON it. Left out: DROP DATABASE (--add-drop-database), which
//     would take the database's other tables on the target with it, views
//     (and the placeholder tables dumps create for them), routines, events,
//     DROP VIEW/PROCEDURE/FUNCTION/EVENT/TRIGGER, and anything else.
//   - Any other database: everything but session statements is left out.
//   - Outside any database section (the dump's header): session statements
//     run; anything else (SET GLOBAL gtid_purged, CHANGE MASTER TO) is left
//     out, as it is about the whole server.
//
// System schemas (mysql, sys…) are restored only when named in Databases,
// and then like any database, but for DROP DATABASE (--add-drop-database),
// which is left out unless the schema is restored under another name: the
// target's own schema is never dropped. The mysql schema's tables
// (global_priv, db, proc…) are dropped, created and filled from the dump's
// INSERTs one by one: that replaces the target's accounts and grants
// (effective at its next FLUSH PRIVILEGES or restart) and its list of
// stored routines, the source's routines of every database included.
// Restore the schema under another name (Into) to inspect it instead.
// Statements that change accounts, grants or plugins directly (CREATE
// USER, GRANT, INSTALL PLUGIN…; mariadb-dump --system=users) are always
// left out, whatever the selection.
type Selection struct {
	// Databases restores only these databases, whole: tables, data, views,
	// triggers, routines, events. A system schema (mysql, sys…) is
	// restored only when named here.
	Databases []string
	// Tables restores only these tables: their database's CREATE
	// DATABASE/USE, the table's DROP/CREATE/ALTER, its rows and the triggers
	// ON it; no views, routines or events. May be combined with Databases
	// (union). A table of a system schema cannot be picked alone.
	Tables []TableName
	// Into restores the one selected database under this name: CREATE
	// DATABASE, USE, ALTER DATABASE and DROP DATABASE name it instead, and
	// so does every `old`.`x` qualifier of the name a statement creates,
	// drops, alters or inserts into (tables, views, triggers and the table
	// after their ON, routines, events). Requires that the selection covers
	// exactly one database.
	//
	// Not rewritten: references to the old name inside the bodies of
	// views, triggers, routines and events (SELECT … FROM `old`.`t`, CALL
	// `old`.p()), in foreign keys (REFERENCES `old`.`t`) and in column
	// defaults or generated columns. mariadb-dump writes such references
	// only where the source's definitions had them; they keep pointing at
	// the old database, on the target server.
	Into string
}

// Validate reports a selection that cannot be honoured, naming the
// problem: an empty name, a table of a system schema named without its
// schema, or an Into that is a system schema or does not come with exactly
// one database. The error wraps ErrInvalidSelection. A nil or zero
// Selection is valid.
func (s *Selection) Validate() error {
	if s == nil {
		return nil
	}
	if err := s.validateNames(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSelection, err)
	}
	if err := s.validateInto(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSelection, err)
	}
	return nil
}

func (s *Selection) validateNames() error {
	for i, db := range s.Databases {
		if blank(db) {
			return fmt.Errorf("Databases[%d] is an empty name", i)
		}
	}
	for i, t := range s.Tables {
		if blank(t.Database) || blank(t.Table) {
			return fmt.Errorf("Tables[%d] %q.%q has an empty name", i, t.Database, t.Table)
		}
		if isSystem(t.Database) && !slices.Contains(s.Databases, t.Database) {
			return fmt.Errorf("table %s.%s: the system schema %s is restored only whole, named in Databases", t.Database, t.Table, t.Database)
		}
	}
	return nil
}

func (s *Selection) validateInto() error {
	if s.Into == "" {
		return nil
	}
	if blank(s.Into) {
		return fmt.Errorf("Into %q is an empty name", s.Into)
	}
	if isSystem(s.Into) {
		return fmt.Errorf("Into %q is a system schema", s.Into)
	}
	if dbs := s.databases(); len(dbs) != 1 {
		return fmt.Errorf("Into %q needs exactly one database selected, the selection covers %d (%s)", s.Into, len(dbs), strings.Join(dbs, ", "))
	}
	return nil
}

// databases lists the distinct databases the selection touches, in order.
func (s *Selection) databases() []string {
	var out []string
	add := func(db string) {
		if !slices.Contains(out, db) {
			out = append(out, db)
		}
	}
	for _, db := range s.Databases {
		add(db)
	}
	for _, t := range s.Tables {
		add(t.Database)
	}
	return out
}

func blank(name string) bool { return strings.TrimSpace(name) == "" }

// selector is a valid Selection prepared for the statement loop. A nil
// *selector selects everything, as a load without Select does.
type selector struct {
	whole   map[string]bool    // Databases
	partial map[string]bool    // databases of Tables not in Databases
	tables  map[TableName]bool // Tables
	system  map[string]bool    // system schemas in Databases: not skipped
	from    string             // with Into: the selected database's name in the dump
	to      string             // with Into: that name quoted
	into    string             // Into, unquoted

	sel       *Selection
	seenDB    map[string]bool // selected databases the dump has
	seenTable map[TableName]bool
}

// newSelector prepares s, which must be valid; nil for a nil or zero s.
func newSelector(s *Selection) *selector {
	if s == nil || len(s.Databases) == 0 && len(s.Tables) == 0 {
		return nil
	}
	sl := &selector{
		whole: map[string]bool{}, partial: map[string]bool{}, tables: map[TableName]bool{}, system: map[string]bool{},
		sel: s, seenDB: map[string]bool{}, seenTable: map[TableName]bool{},
	}
	for _, db := range s.Databases {
		sl.whole[db] = true
		if isSystem(db) {
			sl.system[db] = true
		}
	}
	for _, t := range s.Tables {
		sl.tables[t] = true
		if !sl.whole[t.Database] {
			sl.partial[t.Database] = true
		}
	}
	if s.Into != "" {
		sl.from, sl.to, sl.into = s.databases()[0], mysqlx.QuoteIdent(s.Into), s.Into
	}
	return sl
}

// allowed is the system schemas the selection restores.
func (s *selector) allowed() map[string]bool {
	if s == nil {
		return nil
	}
	return s.system
}

// keeps reports whether a statement that would be run (routed rt) without
// a selection is run with this one; see Selection for the rules.
func (s *selector) keeps(st *sqldump.Statement, rt route, tg subject) bool {
	if s == nil || rt == routeSession && st.Kind != sqldump.KindUse {
		return true
	}
	switch tg.scope {
	case scopeDatabase:
		if tg.drops {
			return s.dropsWhole(tg.db)
		}
		return s.whole[tg.db] || s.partial[tg.db]
	case scopeTable:
		return s.whole[tg.db] || s.tables[TableName{tg.db, tg.table}]
	}
	return s.whole[tg.db]
}

// dropsWhole reports whether the dump's DROP DATABASE of db runs: only for
// a database restored whole, and for a system schema only when it is
// renamed (Into), so that the target's own is never dropped.
func (s *selector) dropsWhole(db string) bool {
	return s.whole[db] && (!isSystem(db) || s.into != "" && db == s.from)
}

// covers reports whether db is restored, in whole or in part.
func (s *selector) covers(db string) bool {
	return s == nil || s.whole[db] || s.partial[db]
}

// restoredAs is the name db is restored under.
func (s *selector) restoredAs(db string) string {
	if s != nil && s.into != "" && db == s.from {
		return s.into
	}
	return db
}

// rewrite renames the selected database in text, whose head tg describes.
func (s *selector) rewrite(text []byte, tg subject) []byte {
	if s == nil || s.into == "" {
		return text
	}
	return renamed(text, tg.refs, s.from, s.to)
}

// note records which selected databases and tables the dump holds.
func (s *selector) note(st *sqldump.Statement) {
	if s == nil || !s.covers(st.Database) {
		return
	}
	s.seenDB[st.Database] = true
	if st.Kind == sqldump.KindCreateTable || st.Kind == sqldump.KindInsert {
		s.seenTable[TableName{st.Database, st.Table}] = true
	}
}

// missing returns an error wrapping ErrNotInDump that names the selected
// databases and tables the dump did not hold, or nil.
func (s *selector) missing() error {
	if s == nil {
		return nil
	}
	var names []string
	for _, db := range s.sel.Databases {
		if !s.seenDB[db] {
			names = append(names, "database "+db)
		}
	}
	for _, t := range s.sel.Tables {
		if !s.seenTable[t] {
			names = append(names, "table "+t.Database+"."+t.Table)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotInDump, strings.Join(names, ", "))
}
