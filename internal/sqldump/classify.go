package sqldump

import (
	"bytes"
	"strings"
)

// The classifier works on the first prefixCap bytes of a statement only, so
// count mode and text mode see exactly the same bytes and agree on every
// statement. It never runs over INSERT data: tuples are counted by the lexer.

type tokKind uint8

const (
	tokEOF    tokKind = iota
	tokWord           // keyword or unquoted identifier
	tokIdent          // `quoted` identifier
	tokString         // '...' or "..." (the latter is an identifier under ANSI_QUOTES)
	tokPunct
)

type token struct {
	kind  tokKind
	raw   []byte // word bytes, or quoted content still escaped
	quote byte   // quote character, or the punctuation byte
	ok    bool   // complete: quote closed and not cut off by the prefix end
}

// tokenizer reads tokens from a statement prefix, seeing through comments and
// executable-comment markers the way the server does.
type tokenizer struct {
	b   []byte
	i   int
	cut bool // b is a prefix of a longer statement
}

// class is what classify learns about a statement.
type class struct {
	kind  Kind
	db    string // qualifier of the name, or the database of CreateDatabase/Use
	table string
	name  string
}

func classify(prefix []byte, cut bool) class {
	t := tokenizer{b: prefix, cut: cut}
	first := t.next()
	switch {
	case kw(first, "INSERT"), kw(first, "REPLACE"):
		t.skipWords("LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO")
		db, table, _ := t.name()
		return class{kind: KindInsert, db: db, table: table}
	case kw(first, "CREATE"):
		return t.create()
	case kw(first, "DROP"):
		t.skipWords("TEMPORARY")
		if !kw(t.next(), "TABLE") {
			return class{}
		}
		t.skipWords("IF", "EXISTS")
		db, table, _ := t.name()
		return class{kind: KindDropTable, db: db, table: table}
	case kw(first, "USE"):
		db, _ := identName(t.next())
		return class{kind: KindUse, db: db}
	}
	return class{}
}

// create classifies CREATE statements, skipping the modifiers that may stand
// between CREATE and the object keyword (OR REPLACE, ALGORITHM=..., DEFINER=
// user@host, SQL SECURITY ...).
func (t *tokenizer) create() class {
	var prev token
	for n := 0; n < 64; n++ {
		tk := t.next()
		switch tk.kind {
		case tokEOF:
			return class{}
		case tokWord:
			if k, ok := createObject(tk); ok {
				return t.object(k)
			}
			isValue := prev.kind == tokPunct && (prev.quote == '=' || prev.quote == '@')
			if !isValue && !isCreateModifier(tk) {
				return class{} // CREATE INDEX, CREATE USER, ...
			}
		case tokPunct:
			if strings.IndexByte("=@()", tk.quote) < 0 {
				return class{}
			}
		}
		prev = tk
	}
	return class{}
}

func createObject(tk token) (Kind, bool) {
	switch {
	case kw(tk, "TABLE"):
		return KindCreateTable, true
	case kw(tk, "DATABASE"), kw(tk, "SCHEMA"):
		return KindCreateDatabase, true
	case kw(tk, "VIEW"):
		return KindCreateView, true
	case kw(tk, "TRIGGER"):
		return KindCreateTrigger, true
	case kw(tk, "PROCEDURE"), kw(tk, "FUNCTION"):
		return KindCreateRoutine, true
	case kw(tk, "EVENT"):
		return KindCreateEvent, true
	}
	return KindOther, false
}

var createModifiers = []string{
	"OR", "REPLACE", "ALGORITHM", "DEFINER", "SQL", "SECURITY", "INVOKER",
	"TEMPORARY", "AGGREGATE", "CURRENT_USER", "CURRENT_ROLE",
}

func isCreateModifier(tk token) bool {
	for _, w := range createModifiers {
		if kw(tk, w) {
			return true
		}
	}
	return false
}

func (t *tokenizer) object(k Kind) class {
	t.skipWords("IF", "NOT", "EXISTS")
	db, name, _ := t.name()
	switch k {
	case KindCreateDatabase:
		return class{kind: k, db: name}
	case KindCreateTable:
		return class{kind: k, db: db, table: name}
	case KindCreateView:
		return class{kind: k, db: db, table: name, name: name}
	}
	return class{kind: k, db: db, name: name}
}

// name reads an optionally qualified name: x, `x`, `db`.`x`.
func (t *tokenizer) name() (db, name string, ok bool) {
	first, ok := identName(t.next())
	if !ok {
		return "", "", false
	}
	save := *t
	if dot := t.next(); dot.kind == tokPunct && dot.quote == '.' {
		second, ok := identName(t.next())
		if !ok {
			return "", "", false
		}
		return first, second, true
	}
	*t = save
	return "", first, true
}

// skipWords consumes any run of the given keywords.
func (t *tokenizer) skipWords(words ...string) {
	for {
		save := *t
		tk := t.next()
		found := false
		for _, w := range words {
			if kw(tk, w) {
				found = true
				break
			}
		}
		if !found {
			*t = save
			return
		}
	}
}

func (t *tokenizer) next() token {
	t.skip()
	if t.i >= len(t.b) {
		return token{kind: tokEOF}
	}
	c := t.b[t.i]
	switch {
	case wordByte[c]:
		start := t.i
		for t.i < len(t.b) && wordByte[t.b[t.i]] {
			t.i++
		}
		return token{kind: tokWord, raw: t.b[start:t.i], ok: t.i < len(t.b) || !t.cut}
	case c == '`' || c == '\'' || c == '"':
		return t.quoted(c)
	}
	t.i++
	return token{kind: tokPunct, quote: c, ok: true}
}

func (t *tokenizer) quoted(q byte) token {
	kind := tokString
	if q == '`' {
		kind = tokIdent
	}
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
			return token{kind: kind, raw: t.b[start : t.i-1], quote: q, ok: true}
		default:
			t.i++
		}
	}
	t.i = len(t.b)
	return token{kind: kind, raw: t.b[start:], quote: q}
}

// skip passes whitespace, comments and the /*!NNNNN and */ markers of
// executable comments, whose content the server executes.
func (t *tokenizer) skip() {
	for t.i < len(t.b) {
		rest := t.b[t.i:]
		switch {
		case isSpace(rest[0]):
			t.i++
		case rest[0] == '#' || IsDashComment(rest):
			if j := bytes.IndexByte(rest, '\n'); j >= 0 {
				t.i += j + 1
			} else {
				t.i = len(t.b)
			}
		case bytes.HasPrefix(rest, []byte("*/")):
			t.i += 2
		case bytes.HasPrefix(rest, []byte("/*")):
			if n := ExecOpenLen(rest); n > 0 {
				t.i += n
			} else if j := bytes.Index(rest[2:], []byte("*/")); j >= 0 {
				t.i += 2 + j + 2
			} else {
				t.i = len(t.b)
			}
		default:
			return
		}
	}
}

// identName returns the unquoted name a token stands for, if it can be one.
func identName(tk token) (string, bool) {
	if !tk.ok {
		return "", false
	}
	switch {
	case tk.kind == tokWord:
		return string(tk.raw), true
	case tk.kind == tokIdent, tk.kind == tokString && tk.quote == '"':
		return undouble(tk.raw, tk.quote), true
	}
	return "", false
}

func undouble(b []byte, q byte) string {
	pair := []byte{q, q}
	if !bytes.Contains(b, pair) {
		return string(b)
	}
	return string(bytes.ReplaceAll(b, pair, pair[:1]))
}

// kw reports whether tk is the keyword w (upper case), ignoring ASCII case.
func kw(tk token, w string) bool {
	return tk.kind == tokWord && eqUpper(tk.raw, w)
}

func eqUpper(b []byte, w string) bool {
	if len(b) != len(w) {
		return false
	}
	for i := range len(b) {
		if upper(b[i]) != w[i] {
			return false
		}
	}
	return true
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// IsDashComment reports whether b starts a `-- ` comment: the mysql client
// needs whitespace or the end of input after the dashes, so 1--1 is
// arithmetic. b may end right after the dashes only at the end of input.
func IsDashComment(b []byte) bool {
	return len(b) >= 2 && b[0] == '-' && b[1] == '-' && (len(b) == 2 || isSpace(b[2]))
}

// ExecOpenLen returns the length of an executable comment opener at the start
// of b (/*! or /*M! plus up to six version digits), or 0.
func ExecOpenLen(b []byte) int {
	n := 0
	switch {
	case bytes.HasPrefix(b, []byte("/*!")):
		n = 3
	case bytes.HasPrefix(b, []byte("/*M!")):
		n = 4
	default:
		return 0
	}
	for d := 0; d < 6 && n < len(b) && '0' <= b[n] && b[n] <= '9'; d++ {
		n++
	}
	return n
}

// wordByte marks bytes of unquoted identifiers and keywords; bytes >= 0x80
// count because unquoted identifiers may hold any non-ASCII character.
var wordByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 0x80 || c == '_' || c == '$' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
	}
	return t
}()
