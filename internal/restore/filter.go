package restore

import (
	"bytes"
	"strings"

	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
)

// headLen is how much of a statement the filters look at: the keywords that
// decide lie at its start, and DEFINER=`user`@`host` (up to 80+255 bytes of
// names, quoted and doubled) before the object keyword.
const headLen = 2 << 10

// isSystem reports whether a database is a system schema. Case is ignored: on
// a server with lower_case_table_names, `MySQL` is `mysql`.
func isSystem(db string) bool { return mysqlx.SystemSchema(strings.ToLower(db)) }

// skip reports whether a statement must not reach the test server: it
// belongs to a system schema, or it changes the server's accounts, grants,
// plugins or federated servers, which mariadb-dump --system=users (and
// friends) writes into the last database's section.
func skip(st *sqldump.Statement) bool { return skipExcept(st, nil) }

// skipExcept is skip with the system schemas in allowed (exact names)
// treated as user databases: their sections, and CREATE/ALTER/DROP DATABASE
// naming them, are not left out. Account, grant and plugin statements
// still are, whatever section they are in.
func skipExcept(st *sqldump.Statement, allowed map[string]bool) bool {
	return isSystem(st.Database) && !allowed[st.Database] || serverWideExcept(st.Text, allowed)
}

// serverWide reports whether a statement changes the server rather than a
// database: accounts, roles, grants, passwords, plugins, federated servers,
// or a system schema as a whole (DROP/ALTER DATABASE mysql).
func serverWide(text []byte) bool { return serverWideExcept(text, nil) }

// serverWideExcept is serverWide, except that a statement about a whole
// system schema named in allowed is not server-wide.
func serverWideExcept(text []byte, allowed map[string]bool) bool {
	t := lexer{b: text[:min(len(text), headLen)]}
	switch t.word() {
	case "GRANT", "REVOKE", "INSTALL", "UNINSTALL":
		return true
	case "RENAME":
		return t.word() == "USER"
	case "SET":
		w := t.word()
		return w == "PASSWORD" || w == "ROLE" || (w == "DEFAULT" && t.word() == "ROLE")
	case "CREATE", "DROP", "ALTER":
		w := t.word()
		if w == "OR" { // CREATE OR REPLACE
			t.word()
			w = t.word()
		}
		switch w {
		case "USER", "ROLE", "SERVER":
			return true
		case "DATABASE", "SCHEMA":
			t.skipWords("IF", "NOT", "EXISTS")
			name, ok := t.ident()
			return ok && isSystem(name) && !allowed[name]
		}
	}
	return false
}

// hasDefiner reports whether a statement kind can carry a DEFINER clause.
func hasDefiner(k sqldump.Kind) bool {
	switch k {
	case sqldump.KindCreateView, sqldump.KindCreateTrigger, sqldump.KindCreateRoutine, sqldump.KindCreateEvent:
		return true
	}
	return false
}

// definerSpan finds `DEFINER = account` between CREATE and the object
// keyword, in any of the forms dumps use:
//
//	CREATE DEFINER=`root`@`localhost` PROCEDURE ...
//	/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER ...
//	/*!50001 CREATE ALGORITHM=UNDEFINED */ /*!50013 DEFINER=`root`@`%` SQL SECURITY DEFINER */ /*!50001 VIEW ...
//
// It returns the byte range to cut; what is left parses as the same
// statement without a definer (SQL SECURITY DEFINER then means the creator).
func definerSpan(text []byte) (start, end int, ok bool) {
	t := lexer{b: text[:min(len(text), headLen)]}
	for range 64 {
		t.skip()
		at := t.i
		switch w := t.word(); w {
		case "":
			if !t.any() {
				return 0, 0, false
			}
		case "DEFINER":
			if t.punct('=') && t.account() {
				return at, t.i, true
			}
		case "VIEW", "TRIGGER", "PROCEDURE", "FUNCTION", "EVENT":
			return 0, 0, false
		}
	}
	return 0, 0, false
}

// withoutDefiner returns text without its DEFINER clause, or text itself
// when it has none. A blank keeps the neighbours apart; the clause's own
// line breaks, if any, are kept so the statement spans the same lines.
func withoutDefiner(text []byte) []byte {
	start, end, ok := definerSpan(text)
	if !ok {
		return text
	}
	out := make([]byte, 0, len(text)-(end-start)+1)
	out = append(out, text[:start]...)
	out = append(out, ' ')
	out = append(out, bytes.Repeat([]byte{'\n'}, bytes.Count(text[start:end], []byte{'\n'}))...)
	return append(out, text[end:]...)
}

// lexer reads keywords and names from the head of a statement, seeing
// through comments and the markers of executable comments (/*!50003 ... */),
// whose content the server executes.
type lexer struct {
	b []byte
	i int
}

// skip passes blanks, comments and executable-comment markers.
func (t *lexer) skip() {
	for t.i < len(t.b) {
		rest := t.b[t.i:]
		switch {
		case isBlank(rest[0]):
			t.i++
		case rest[0] == '#' || sqldump.IsDashComment(rest):
			t.toLineEnd()
		case bytes.HasPrefix(rest, []byte("*/")):
			t.i += 2
		case bytes.HasPrefix(rest, []byte("/*")):
			t.comment(rest)
		default:
			return
		}
	}
}

func (t *lexer) toLineEnd() {
	if j := bytes.IndexByte(t.b[t.i:], '\n'); j >= 0 {
		t.i += j + 1
	} else {
		t.i = len(t.b)
	}
}

// comment passes the opening of an executable comment, or a whole plain one.
func (t *lexer) comment(rest []byte) {
	if n := sqldump.ExecOpenLen(rest); n > 0 {
		t.i += n
		return
	}
	if j := bytes.Index(rest[2:], []byte("*/")); j >= 0 {
		t.i += 2 + j + 2
	} else {
		t.i = len(t.b)
	}
}

// word returns the next token upper-cased if it is an unquoted word, else ""
// (and consumes nothing).
func (t *lexer) word() string {
	t.skip()
	start := t.i
	for t.i < len(t.b) && isWordByte(t.b[t.i]) {
		t.i++
	}
	return strings.ToUpper(string(t.b[start:t.i]))
}

// ident returns the next token as a name: a word as is, or a `quoted` or
// "quoted" identifier with its doubled quotes undone.
func (t *lexer) ident() (string, bool) {
	t.skip()
	if t.i < len(t.b) && (t.b[t.i] == '`' || t.b[t.i] == '"') {
		q := t.b[t.i]
		raw, ok := t.quoted()
		return strings.ReplaceAll(string(raw), string([]byte{q, q}), string(q)), ok
	}
	w := t.i
	for t.i < len(t.b) && isWordByte(t.b[t.i]) {
		t.i++
	}
	return string(t.b[w:t.i]), t.i > w
}

// quoted consumes a quoted token at t.i and returns its content, still
// escaped; ok is false when the quote is not closed within the head.
func (t *lexer) quoted() ([]byte, bool) {
	q := t.b[t.i]
	t.i++
	start := t.i
	for t.i < len(t.b) {
		c := t.b[t.i]
		switch {
		case c == '\\' && q != '`':
			t.i += 2
		case c == q && t.i+1 < len(t.b) && t.b[t.i+1] == q:
			t.i += 2
		case c == q:
			t.i++
			return t.b[start : t.i-1], true
		default:
			t.i++
		}
	}
	t.i = len(t.b)
	return nil, false
}

// any consumes one token of whatever kind; false at the end.
func (t *lexer) any() bool {
	t.skip()
	if t.i >= len(t.b) {
		return false
	}
	switch c := t.b[t.i]; {
	case c == '`' || c == '\'' || c == '"':
		t.quoted()
	case isWordByte(c):
		t.word()
	default:
		t.i++
	}
	return true
}

// punct consumes c if it is the next token.
func (t *lexer) punct(c byte) bool {
	t.skip()
	if t.i < len(t.b) && t.b[t.i] == c {
		t.i++
		return true
	}
	return false
}

// account consumes user[@host], CURRENT_USER[()] or CURRENT_ROLE[()].
func (t *lexer) account() bool {
	save := t.i
	if w := t.word(); w == "CURRENT_USER" || w == "CURRENT_ROLE" {
		end := t.i
		if !t.punct('(') || !t.punct(')') {
			t.i = end
		}
		return true
	}
	t.i = save
	if !t.namePart() {
		return false
	}
	end := t.i
	if !t.punct('@') || !t.namePart() {
		t.i = end
	}
	return true
}

// namePart consumes a user or host name: a word or a quoted string.
func (t *lexer) namePart() bool {
	t.skip()
	if t.i >= len(t.b) {
		return false
	}
	if c := t.b[t.i]; c == '`' || c == '\'' || c == '"' {
		_, ok := t.quoted()
		return ok
	}
	return t.word() != ""
}

// skipWords consumes any run of the given keywords.
func (t *lexer) skipWords(words ...string) {
	for {
		save := t.i
		w := t.word()
		found := false
		for _, k := range words {
			found = found || (w != "" && w == k)
		}
		if !found {
			t.i = save
			return
		}
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}
