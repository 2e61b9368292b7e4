package restore

import (
	"slices"

	"gravedancer/internal/sqldump"
)

// This file finds the names a statement's head acts on, and where they
// are, for LoadOptions.Select: which database or table a statement belongs
// to, and which bytes Selection.Into rewrites.

// dbRef is a database name in a statement's head: the name of CREATE,
// ALTER or DROP DATABASE or of USE, or the qualifier of `db`.`object`.
type dbRef struct {
	name       string // unquoted
	start, end int    // the identifier's bytes, quotes included
}

// objectRef is a name that may be qualified: x, `x`, `db`.`x`.
type objectRef struct {
	db        dbRef // set when qualified
	qualified bool
	name      string
}

// scope is what a statement belongs to, for a selection.
type scope uint8

const (
	scopeOther    scope = iota // views, routines, events, anything unrecognised: the whole database's
	scopeDatabase              // CREATE/ALTER/DROP DATABASE, USE: the database's
	scopeTable                 // a table's DDL, rows and triggers: the table's
)

// subject is what a statement acts on.
type subject struct {
	scope     scope
	db, table string  // the database it belongs to; the table for scopeTable
	drops     bool    // DROP DATABASE
	refs      []dbRef // database names in its head, in order
}

// inspect finds what st acts on. Database and Table come from the scanner
// where it knows them; the head is read for the rest: the table after ON of
// a trigger, ALTER TABLE, ALTER/DROP DATABASE, and every qualifier.
func inspect(st *sqldump.Statement) subject {
	head := st.Text[:min(len(st.Text), headLen)]
	tg := subject{db: st.Database}
	switch st.Kind {
	case sqldump.KindCreateDatabase, sqldump.KindUse, sqldump.KindOther:
		if d, ok := databaseStatement(head); ok {
			tg.scope, tg.drops = scopeDatabase, d.verb == "DROP"
			if d.named {
				tg.db, tg.refs = d.ref.name, []dbRef{d.ref}
			}
			return tg
		}
		if st.Kind != sqldump.KindOther {
			tg.scope = scopeDatabase // a name the head reader cannot follow: the scanner's
			return tg
		}
		if obj, ok := alterTable(head); ok {
			tg.scope, tg.table = scopeTable, obj.name
			tg.addObject(obj)
		}
	case sqldump.KindCreateTrigger:
		trig, table, ok := triggerTable(head)
		if !ok {
			return tg // its table unknown: restored only with the whole database
		}
		tg.scope, tg.table = scopeTable, table.name
		tg.addObject(trig)
		tg.addObject(table)
	case sqldump.KindCreateTable, sqldump.KindDropTable, sqldump.KindInsert:
		tg.scope, tg.table = scopeTable, st.Table
		if obj, ok := objectOf(st.Kind, head); ok {
			tg.addObject(obj)
		}
	case sqldump.KindCreateView, sqldump.KindCreateRoutine, sqldump.KindCreateEvent:
		if obj, ok := objectOf(st.Kind, head); ok {
			tg.addObject(obj)
		}
	}
	return tg
}

// addObject notes obj's qualifier, which also decides the database.
func (tg *subject) addObject(obj objectRef) {
	if obj.qualified {
		tg.db = obj.db.name
		tg.refs = append(tg.refs, obj.db)
	}
}

// renamed returns text with every database name in refs that is from
// replaced by to (already quoted), or text itself when there is none.
func renamed(text []byte, refs []dbRef, from, to string) []byte {
	var out []byte
	last := 0
	for _, r := range refs {
		if r.name != from || r.start < last {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(text)+len(to))
		}
		out = append(append(out, text[last:r.start]...), to...)
		last = r.end
	}
	if out == nil {
		return text
	}
	return append(out, text[last:]...)
}

// dbStatement is a CREATE/ALTER/DROP DATABASE or a USE.
type dbStatement struct {
	verb  string // CREATE, ALTER, DROP or USE
	ref   dbRef
	named bool // false: ALTER DATABASE without a name, the current database
}

// dbOptions start the options of ALTER DATABASE when it names no database.
var dbOptions = []string{"DEFAULT", "CHARACTER", "CHARSET", "COLLATE", "COMMENT"}

// databaseStatement reads CREATE [OR REPLACE] {DATABASE|SCHEMA} [IF NOT
// EXISTS] name, ALTER {DATABASE|SCHEMA} [name], DROP {DATABASE|SCHEMA} [IF
// EXISTS] name and USE name, executable comments included
// (/*!40000 DROP DATABASE IF EXISTS `x`*/).
func databaseStatement(head []byte) (dbStatement, bool) {
	t := lexer{b: head}
	d := dbStatement{verb: t.word()}
	switch d.verb {
	case "USE":
		d.ref, d.named = t.identAt()
		return d, d.named
	case "CREATE":
		t.skipWords("OR", "REPLACE")
	case "ALTER", "DROP":
	default:
		return d, false
	}
	if w := t.word(); w != "DATABASE" && w != "SCHEMA" {
		return d, false
	}
	t.skipWords("IF", "NOT", "EXISTS")
	save := t.i
	if d.verb == "ALTER" && slices.Contains(dbOptions, t.word()) {
		return d, true
	}
	t.i = save
	d.ref, d.named = t.identAt()
	return d, d.named
}

// alterTable reads ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] name, the
// form of mariadb-dump's /*!40000 ALTER TABLE `t` DISABLE KEYS */.
func alterTable(head []byte) (objectRef, bool) {
	t := lexer{b: head}
	if t.word() != "ALTER" {
		return objectRef{}, false
	}
	t.skipWords("ONLINE", "IGNORE")
	if t.word() != "TABLE" {
		return objectRef{}, false
	}
	t.skipWords("IF", "EXISTS")
	return t.objectName()
}

// triggerTable reads CREATE [DEFINER=…] TRIGGER [IF NOT EXISTS] name
// {BEFORE|AFTER} {INSERT|UPDATE|DELETE} ON table, in the forms of
// definerSpan, and returns the trigger's and the table's names.
func triggerTable(head []byte) (trigger, table objectRef, ok bool) {
	t := lexer{b: head}
	if trigger, ok = t.object(sqldump.KindCreateTrigger); !ok {
		return trigger, table, false
	}
	for range 8 { // the timing and the events (MariaDB 11: INSERT OR UPDATE ...)
		switch t.word() {
		case "ON":
			table, ok = t.objectName()
			return trigger, table, ok
		case "":
			return trigger, table, false
		}
	}
	return trigger, table, false
}

// objectOf reads the name a statement of kind inserts into, creates or
// drops.
func objectOf(kind sqldump.Kind, head []byte) (objectRef, bool) {
	t := lexer{b: head}
	return t.object(kind)
}

// object passes the keywords before the object name of a statement of
// kind and reads the name.
func (t *lexer) object(kind sqldump.Kind) (objectRef, bool) {
	var ok bool
	switch kind {
	case sqldump.KindInsert:
		w := t.word()
		ok = w == "INSERT" || w == "REPLACE"
		t.skipWords("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO")
	case sqldump.KindDropTable:
		ok = t.word() == "DROP"
		t.skipWords("TEMPORARY")
		ok = ok && t.word() == "TABLE"
		t.skipWords("IF", "EXISTS")
	case sqldump.KindCreateTable:
		ok = t.toKeyword("TABLE")
	case sqldump.KindCreateView:
		ok = t.toKeyword("VIEW")
	case sqldump.KindCreateTrigger:
		ok = t.toKeyword("TRIGGER")
	case sqldump.KindCreateRoutine:
		ok = t.toKeyword("PROCEDURE", "FUNCTION")
	case sqldump.KindCreateEvent:
		ok = t.toKeyword("EVENT")
	}
	if !ok {
		return objectRef{}, false
	}
	t.skipWords("IF", "NOT", "EXISTS")
	return t.objectName()
}

// toKeyword consumes tokens up to and including the first of keywords
// among the next 64: the object keyword of a CREATE comes after modifiers
// (OR REPLACE, ALGORITHM=…, DEFINER=…, SQL SECURITY …).
func (t *lexer) toKeyword(keywords ...string) bool {
	for range 64 {
		w := t.word()
		switch {
		case w == "":
			if !t.any() {
				return false
			}
		case slices.Contains(keywords, w):
			return true
		}
	}
	return false
}

// objectName reads a name that may be qualified.
func (t *lexer) objectName() (objectRef, bool) {
	first, ok := t.identAt()
	if !ok {
		return objectRef{}, false
	}
	save := t.i
	if t.punct('.') {
		name, ok := t.ident()
		return objectRef{db: first, qualified: true, name: name}, ok
	}
	t.i = save
	return objectRef{name: first.name}, true
}

// identAt reads a name as ident does and says where it is.
func (t *lexer) identAt() (dbRef, bool) {
	t.skip()
	start := t.i
	name, ok := t.ident()
	return dbRef{name: name, start: start, end: t.i}, ok
}
