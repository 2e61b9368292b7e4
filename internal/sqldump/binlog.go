package sqldump

import (
	"bytes"
	"strconv"
	"strings"
)

// BinlogPosition is where the source's binary log stood at the dump's
// snapshot, as the dump tool wrote it:
//
//   - the file and position from --master-data=2 / --source-data=2, a
//     commented-out statement before the first database:
//     `-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=1234;`
//     (MySQL 8.0.26+: `-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE=…, SOURCE_LOG_POS=…;`);
//   - MariaDB's GTID position, a comment that mariadb-dump 10.11 writes
//     after the last database (older versions right after the file and
//     position): `-- SET GLOBAL gtid_slave_pos='0-1-42';`;
//   - MySQL's GTID set, a statement near the top (--set-gtid-purged=AUTO or
//     ON): `SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'uuid:1-5';`, also read
//     from a `-- ` comment line. The /* … */ block that
//     --set-gtid-purged=COMMENTED writes is not read: block comments
//     between statements are skipped unseen.
type BinlogPosition struct {
	File     string
	Position int64
	// GTID is MariaDB's gtid_slave_pos list ("0-1-42,1-2-7") or MySQL's GTID
	// set with the line breaks mysqldump puts between UUIDs removed; "" when
	// the dump carries none.
	GTID string
}

// gtidCap is how much of a SET @@GLOBAL.GTID_PURGED statement count mode
// keeps: a server that has had many UUIDs (each failover or rebuilt replica
// adds one) writes a set longer than prefixCap, and a cut set is useless.
const gtidCap = 64 << 10

// binlogState gathers the coordinates as the scanner meets them; the first
// of each wins, since the tool writes each once.
type binlogState struct {
	pos             BinlogPosition
	hasPos, hasGTID bool
}

// comment takes a `-- …` comment line seen between statements. started says
// whether the dump's content (a database, a table) has begun: the file and
// position are only believed before it, where --master-data writes them.
func (b *binlogState) comment(line []byte, started bool) {
	rest, ok := bytes.CutPrefix(line, []byte("--"))
	if !ok {
		return
	}
	rest = bytes.TrimLeft(rest, " \t")
	// Cheap filter: nearly every comment is "-- Table structure …" and the
	// like; only CHANGE … and SET … lines can matter.
	if len(rest) == 0 || (upper(rest[0]) != 'C' && upper(rest[0]) != 'S') {
		return
	}
	b.statement(rest, false, started)
}

// statement takes a statement (or the text of a commented-out one); cut
// says the text is only a prefix of it.
func (b *binlogState) statement(text []byte, cut, started bool) {
	c := parseBinlogSQL(text, cut)
	if c.hasPos && !b.hasPos && !started {
		b.pos.File, b.pos.Position, b.hasPos = c.file, c.pos, true
	}
	if c.hasGTID && !b.hasGTID {
		b.pos.GTID, b.hasGTID = c.gtid, true
	}
}

// result returns the position if the dump named a file and position; a GTID
// alone is not reported, so a position is always complete.
func (b *binlogState) result() (BinlogPosition, bool) {
	if !b.hasPos {
		return BinlogPosition{}, false
	}
	return b.pos, true
}

// binlogClause is what one statement says about the binary log.
type binlogClause struct {
	file            string
	pos             int64
	gtid            string
	hasPos, hasGTID bool
}

// parseBinlogSQL reads the statements the tools write for the binlog
// coordinates. Anything else, or anything malformed, yields nothing.
func parseBinlogSQL(text []byte, cut bool) binlogClause {
	t := tokenizer{b: text, cut: cut}
	switch first := t.next(); {
	case kw(first, "CHANGE"):
		return t.changeSource()
	case kw(first, "SET"):
		return t.setGTID()
	}
	return binlogClause{}
}

// changeSource parses the rest of CHANGE MASTER TO … or CHANGE REPLICATION
// SOURCE TO …. A statement naming a host is refused: --dump-slave writes one
// with the coordinates of the source's own primary, which are not the
// source's binary log.
func (t *tokenizer) changeSource() binlogClause {
	switch tk := t.next(); {
	case kw(tk, "MASTER"):
	case kw(tk, "REPLICATION") && kw(t.next(), "SOURCE"):
	default:
		return binlogClause{}
	}
	if !kw(t.next(), "TO") {
		return binlogClause{}
	}
	var c binlogClause
	var hasFile bool
	for {
		key := t.next()
		if key.kind != tokWord || !key.ok || !punct(t.next(), '=') {
			return binlogClause{}
		}
		val := t.next()
		if !val.ok {
			return binlogClause{}
		}
		switch k := string(bytes.ToUpper(key.raw)); {
		case k == "MASTER_LOG_FILE" || k == "SOURCE_LOG_FILE":
			if val.kind != tokString || val.quote != '\'' || len(val.raw) == 0 || bytes.ContainsAny(val.raw, "\\'") {
				return binlogClause{}
			}
			c.file, hasFile = string(val.raw), true
		case k == "MASTER_LOG_POS" || k == "SOURCE_LOG_POS":
			n, err := strconv.ParseInt(string(val.raw), 10, 64)
			if val.kind != tokWord || err != nil || n < 0 {
				return binlogClause{}
			}
			c.pos, c.hasPos = n, true
		case strings.HasSuffix(k, "_HOST"):
			return binlogClause{}
		}
		switch sep := t.next(); {
		case punct(sep, ','):
		case punct(sep, ';') || sep.kind == tokEOF:
			if !c.hasPos || !hasFile {
				return binlogClause{}
			}
			return c
		default:
			return binlogClause{}
		}
	}
}

// setGTID parses the rest of SET GLOBAL gtid_slave_pos='…' (MariaDB) or
// SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '…' (MySQL; the '+' appends to
// the target's set on 8.0, and the commented form writes '+…').
func (t *tokenizer) setGTID() binlogClause {
	if !t.globalGTIDVar() || !punct(t.next(), '=') {
		return binlogClause{}
	}
	val := t.next()
	if val.kind == tokString && string(val.raw) == "+" {
		val = t.next()
	}
	if val.kind != tokString || val.quote != '\'' || !val.ok {
		return binlogClause{}
	}
	if end := t.next(); !punct(end, ';') && end.kind != tokEOF {
		return binlogClause{}
	}
	gtid := bytes.TrimPrefix(val.raw, []byte("+"))
	if bytes.ContainsAny(gtid, "\\'") {
		return binlogClause{}
	}
	// mysqldump breaks a set of several UUIDs after each comma.
	gtid = bytes.Join(bytes.Fields(gtid), nil)
	return binlogClause{gtid: string(gtid), hasGTID: true}
}

// globalGTIDVar reads `GLOBAL gtid_slave_pos` or `@@GLOBAL.GTID_PURGED`.
func (t *tokenizer) globalGTIDVar() bool {
	tk := t.next()
	if kw(tk, "GLOBAL") {
		return kw(t.next(), "GTID_SLAVE_POS")
	}
	return punct(tk, '@') && punct(t.next(), '@') && kw(t.next(), "GLOBAL") &&
		punct(t.next(), '.') && kw(t.next(), "GTID_PURGED")
}

func punct(tk token, c byte) bool { return tk.kind == tokPunct && tk.quote == c }

// mayBeGTIDPurged reports whether a statement starting with head (at least
// its first bytes) could be SET @@GLOBAL.GTID_PURGED, so count mode keeps
// more of it than the classification prefix.
func mayBeGTIDPurged(head []byte) bool {
	const want = "SET @@GLOBAL.GTID_PURGED"
	if len(head) < len(want) {
		return false
	}
	return eqUpper(head[:len(want)], want)
}
