package sqldump

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

const (
	readBufSize = 256 << 10
	// prefixCap is how much of each statement is kept for classification;
	// it covers CREATE ... DEFINER=`user`@`long.host` VIEW `name` forms.
	prefixCap = 1 << 10
	// commentCap bounds the captured text of a comment line between
	// statements; only header, footer and Current Database lines matter.
	commentCap = 1 << 10
	// maxLookahead is the most bytes any decision looks ahead; decisions
	// depend only on these bytes, never on how reads happen to be split.
	maxLookahead = 64
	// maxDelimiter matches the mysql client's limit.
	maxDelimiter = 16
	// shrinkAbove drops a kept-text buffer grown by one huge statement so it
	// does not stay pinned for the rest of the dump.
	shrinkAbove = 64 << 20
)

type lexState uint8

const (
	stNormal lexState = iota
	stSingle
	stDouble
	stBacktick
	stLineComment
	stBlockComment
	stDelimLine
)

type lexResult uint8

const (
	resNone lexResult = iota // keep going, or window consumed
	resNeed                  // s.need bytes of lookahead required at the returned position
	resStmt                  // a statement ended at the returned position
)

// insertPhase tracks where an INSERT is relative to its VALUES list, so only
// tuples at depth 0 after VALUES count, not the column list and not VALUES(x)
// in ON DUPLICATE KEY UPDATE.
type insertPhase uint8

const (
	phaseBefore     insertPhase = iota // before VALUES
	phaseTuple                         // after VALUES or ',': a '(' is a row
	phaseAfterTuple                    // after a tuple: expect ',' or the end
	phaseDone                          // anything else: stop counting
)

// Scanner reads a dump one statement at a time. It holds at most one
// statement (or, in count mode, a short prefix of one) plus the read buffer.
type Scanner struct {
	br    *bufio.Reader
	opt   Options
	limit int // bytes of text kept: prefixCap, or MaxStatement with KeepText
	eof   bool
	err   error // sticky: io.EOF or the first failure
	need  int   // lookahead wanted when lex returned resNeed

	state    lexState
	line     int
	openLine int // where the open string or comment started, for errors
	delim    []byte
	delimStr string
	special  [256]bool // bytes that stop the fast path inside a statement

	// The current statement.
	inStmt     bool
	delimCmd   bool // the statement is a DELIMITER line
	stmtLine   int
	stmtOff    int64 // byte offset of the statement in the input
	consumed   int64 // bytes of input discarded before the current window
	seg        int   // start of the statement's bytes in the current window
	text       []byte
	stmtLen    int64
	inExec     bool // inside /*! ... */, whose content is statement text
	execLine   int
	depth      int
	trackWords bool // words at depth 0 still matter
	firstSeen  bool
	inWord     bool
	word       [8]byte
	wordLen    int
	phase      insertPhase
	rows       int64
	// wideChecked is set once the statement outgrew its kept prefix and
	// was looked at for being SET @@GLOBAL.GTID_PURGED.
	wideChecked bool

	lineStart bool // only blanks since the last newline between statements
	capture   bool // the open line comment is between statements
	comment   []byte

	curDB      string
	emitted    int64
	header     Header
	footer     Footer
	hasFooter  bool
	binlog     binlogState
	started    bool         // a database section or a classified statement was seen
	onDatabase func(string) // lets Count see Current Database sections
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader, opt Options) *Scanner {
	return newScannerSize(r, opt, readBufSize)
}

// newScannerSize lets tests use tiny buffers, which puts every lookahead
// decision at a buffer boundary sooner or later. The buffer is at least
// maxLookahead, the most bytes ever peeked at once.
func newScannerSize(r io.Reader, opt Options, size int) *Scanner {
	s := &Scanner{
		br:        bufio.NewReaderSize(r, max(size, maxLookahead)),
		opt:       opt,
		line:      1,
		lineStart: true,
		limit:     prefixCap,
	}
	if opt.KeepText {
		s.limit = opt.MaxStatement
		if s.limit <= 0 {
			s.limit = DefaultMaxStatement
		}
	}
	s.setDelimiter(";")
	return s
}

// Header returns the header parsed from the leading comment lines seen so far.
func (s *Scanner) Header() Header { return s.header }

// Footer returns the `-- Dump completed` line if it was the last thing seen;
// it is meaningful once Next has returned io.EOF.
func (s *Scanner) Footer() (Footer, bool) { return s.footer, s.hasFooter }

// Binlog returns the source's binary log coordinates that the dump tool
// wrote (see BinlogPosition); ok is false unless the dump named both a file
// and a position. MariaDB's GTID comes after the last database, so the GTID
// is complete only once Next has returned io.EOF.
func (s *Scanner) Binlog() (pos BinlogPosition, ok bool) { return s.binlog.result() }

// Next returns the next statement. It returns io.EOF after the last one, a
// *SyntaxError for input the mysql client would reject (such as a string or
// comment still open at the end), and ErrStatementTooLarge (wrapped) when a
// kept statement exceeds Options.MaxStatement. Errors are sticky.
func (s *Scanner) Next() (*Statement, error) {
	need := 1
	for s.err == nil {
		buf, err := s.window(need)
		if err != nil {
			s.err = err
			break
		}
		n, res := s.lex(buf)
		s.consumed += int64(n)
		if _, err := s.br.Discard(n); err != nil {
			s.err = fmt.Errorf("sqldump: discard: %w", err)
			break
		}
		if s.err != nil {
			break
		}
		switch {
		case res == resStmt:
			return s.emit(s.delimStr)
		case res == resNeed:
			need = s.need
		case s.eof && n == len(buf):
			return s.finish()
		default:
			need = 1
		}
	}
	return nil, s.err
}

// window returns the buffered bytes, reading until at least n are buffered
// or the input ends.
func (s *Scanner) window(n int) ([]byte, error) {
	if s.br.Buffered() < n && !s.eof {
		_, err := s.br.Peek(n)
		switch {
		case err == io.EOF:
			s.eof = true
		case err != nil:
			return nil, fmt.Errorf("sqldump: read: %w", err)
		}
	}
	buf, _ := s.br.Peek(s.br.Buffered())
	return buf, nil
}

// short reports whether fewer than k bytes from i are at hand while more may
// still come; the caller then returns resNeed and is retried with them.
func (s *Scanner) short(buf []byte, i, k int) bool {
	if i+k <= len(buf) || s.eof {
		return false
	}
	s.need = k
	return true
}

// lex runs the state machine over buf and returns how much it consumed.
func (s *Scanner) lex(buf []byte) (int, lexResult) {
	s.seg = 0
	i, res := 0, resNone
	for i < len(buf) && res == resNone {
		switch s.state {
		case stNormal:
			if s.inStmt {
				i, res = s.lexStmt(buf, i)
			} else {
				i, res = s.lexBetween(buf, i)
			}
		case stSingle, stDouble, stBacktick:
			i, res = s.lexQuoted(buf, i)
		case stLineComment:
			i = s.lexLineComment(buf, i)
		case stBlockComment:
			i, res = s.lexBlockComment(buf, i)
		case stDelimLine:
			i, res = s.lexDelimLine(buf, i)
		}
	}
	if res != resStmt && s.inStmt {
		s.keep(buf[s.seg:i])
	}
	return i, res
}

// keep appends statement bytes: all of them with KeepText, else only the
// classification prefix, or up to gtidCap of a SET @@GLOBAL.GTID_PURGED
// statement, whose GTID set Binlog reports.
func (s *Scanner) keep(b []byte) {
	s.stmtLen += int64(len(b))
	if !s.wideChecked && len(s.text)+len(b) > s.limit {
		s.wideChecked = true
		if !s.opt.KeepText && mayBeGTIDPurged(s.head(b)) {
			s.limit = gtidCap
		}
	}
	if room := s.limit - len(s.text); room > 0 {
		s.text = append(s.text, b[:min(room, len(b))]...)
	}
	if s.opt.KeepText && s.stmtLen > int64(s.limit) {
		s.err = fmt.Errorf("sql dump line %d: statement over %d bytes: %w", s.stmtLine, s.limit, ErrStatementTooLarge)
	}
}

// head returns the first bytes of the statement, given the bytes b about
// to be kept. It copies only in the rare case of a statement split across
// reads right at its start.
func (s *Scanner) head(b []byte) []byte {
	const n = 32
	switch {
	case len(s.text) >= n:
		return s.text
	case len(s.text) == 0:
		return b
	}
	return append(s.text[:len(s.text):len(s.text)], b[:min(len(b), n)]...)
}

// lexBetween skips whitespace between statements and dispatches on the first
// byte of whatever comes next.
func (s *Scanner) lexBetween(buf []byte, i int) (int, lexResult) {
	for i < len(buf) {
		switch c := buf[i]; {
		case c == '\n':
			s.line++
			s.lineStart = true
			i++
		case isSpace(c):
			i++
		default:
			return s.startToken(buf, i)
		}
	}
	return i, resNone
}

// startToken decides what a non-blank byte between statements begins: a
// DELIMITER command, an empty statement, a comment, the sandbox marker or a
// statement. The order follows the mysql client, which looks for client
// commands at the start of a line before it looks for the delimiter.
func (s *Scanner) startToken(buf []byte, i int) (int, lexResult) {
	c := buf[i]
	if s.short(buf, i, s.lookahead(c)) {
		return i, resNeed
	}
	atLineStart := s.lineStart
	s.lineStart = false
	s.footer, s.hasFooter = Footer{}, false
	rest := buf[i:]
	switch {
	case atLineStart && isDelimiterCommand(rest):
		s.startStmt(i)
		s.delimCmd, s.state = true, stDelimLine
		return i + len("delimiter"), resNone
	case bytes.HasPrefix(rest, s.delim):
		return i + len(s.delim), resNone // empty statement: nothing to send
	case c == '#' || IsDashComment(rest):
		return s.beginLineComment(i), resNone
	case isSandboxAt(rest):
		s.header.Sandbox = true
		return i + len(sandboxLine), resNone
	case bytes.HasPrefix(rest, []byte("/*")) && ExecOpenLen(rest) == 0:
		s.state, s.openLine = stBlockComment, s.line
		return i + 2, resNone
	}
	s.startStmt(i)
	return i, resNone
}

// lookahead is how many bytes startToken needs to see to decide on c.
func (s *Scanner) lookahead(c byte) int {
	n := 1
	if c == s.delim[0] {
		n = len(s.delim)
	}
	switch c {
	case '-':
		n = max(n, 3)
	case '/':
		n = max(n, maxLookahead)
	case 'd', 'D':
		n = max(n, len("delimiter "))
	}
	return n
}

// isSandboxAt reports whether b starts with a line holding only MariaDB's
// sandbox marker. The marker has no delimiter, so read as SQL it would
// swallow the next statement. Only the first maxLookahead bytes are examined.
func isSandboxAt(b []byte) bool {
	w := b[:min(len(b), maxLookahead)]
	rest, ok := bytes.CutPrefix(w, []byte(sandboxLine))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t\r")
	if len(rest) == 0 {
		return len(w) < maxLookahead // only the end of input may end the line here
	}
	return rest[0] == '\n'
}

func isDelimiterCommand(b []byte) bool {
	const cmd = "DELIMITER"
	if len(b) <= len(cmd) || !eqUpper(b[:len(cmd)], cmd) {
		return false
	}
	c := b[len(cmd)]
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

func (s *Scanner) beginLineComment(i int) int {
	s.state, s.capture = stLineComment, !s.inStmt
	s.comment = s.comment[:0]
	return i
}

func (s *Scanner) startStmt(i int) {
	s.inStmt, s.delimCmd = true, false
	s.stmtLine, s.seg = s.line, i
	s.stmtOff = s.consumed + int64(i)
	if cap(s.text) > shrinkAbove {
		s.text = nil
	}
	s.text, s.stmtLen = s.text[:0], 0
	s.inExec, s.depth = false, 0
	s.trackWords, s.firstSeen, s.inWord, s.wordLen = true, false, false, 0
	s.phase, s.rows = phaseBefore, 0
	s.wideChecked = false
	if !s.opt.KeepText {
		s.limit = prefixCap
	}
}

// lexStmt is the hot loop: normal (unquoted) text inside a statement.
func (s *Scanner) lexStmt(buf []byte, i int) (int, lexResult) {
	sp := &s.special
	d0 := s.delim[0]
	for i < len(buf) {
		if !s.trackWords || s.depth > 0 {
			for i < len(buf) && !sp[buf[i]] {
				i++
			}
			if i == len(buf) {
				break
			}
		}
		c := buf[i]
		if s.trackWords && s.depth == 0 && c != d0 {
			if wordByte[c] {
				s.addWordByte(c)
				i++
				continue
			}
			if s.inWord {
				s.endWord()
			}
			if c == ',' && s.phase == phaseAfterTuple {
				s.phase = phaseTuple
			}
			if !sp[c] {
				i++
				continue
			}
		}
		var res lexResult
		if i, res = s.lexSpecial(buf, i); res != resNone {
			return i, res
		}
		if s.state != stNormal {
			break
		}
	}
	return i, resNone
}

// lexSpecial handles one byte marked in s.special inside a statement.
func (s *Scanner) lexSpecial(buf []byte, i int) (int, lexResult) {
	c := buf[i]
	if c == s.delim[0] {
		if s.short(buf, i, len(s.delim)) {
			return i, resNeed
		}
		if bytes.HasPrefix(buf[i:], s.delim) {
			s.keep(buf[s.seg:i])
			return i + len(s.delim), resStmt
		}
	}
	switch c {
	case '\n':
		s.line++
	case '\'':
		s.state, s.openLine = stSingle, s.line
	case '"':
		s.state, s.openLine = stDouble, s.line
	case '`':
		s.state, s.openLine = stBacktick, s.line
	case '(':
		if s.depth == 0 && s.phase == phaseTuple {
			s.rows++
			s.phase = phaseAfterTuple
		}
		s.depth++
	case ')':
		if s.depth > 0 {
			s.depth--
		}
	case '#':
		return s.beginLineComment(i), resNone
	case '-':
		if s.short(buf, i, 3) {
			return i, resNeed
		}
		if IsDashComment(buf[i:]) {
			return s.beginLineComment(i), resNone
		}
	case '/':
		return s.lexSlash(buf, i)
	case '*':
		if !s.inExec {
			break
		}
		if s.short(buf, i, 2) {
			return i, resNeed
		}
		if bytes.HasPrefix(buf[i:], []byte("*/")) {
			s.inExec = false
			return i + 2, resNone
		}
	}
	return i + 1, resNone
}

// lexSlash handles '/' inside a statement: an executable comment's content is
// statement text, any other block comment is skipped.
func (s *Scanner) lexSlash(buf []byte, i int) (int, lexResult) {
	if s.short(buf, i, len("/*M!999999")) {
		return i, resNeed
	}
	if !bytes.HasPrefix(buf[i:], []byte("/*")) {
		return i + 1, resNone
	}
	if n := ExecOpenLen(buf[i:]); n > 0 {
		s.inExec, s.execLine = true, s.line
		return i + n, resNone
	}
	s.state, s.openLine = stBlockComment, s.line
	return i + 2, resNone
}

func (s *Scanner) addWordByte(c byte) {
	if !s.inWord {
		s.inWord, s.wordLen = true, 0
	}
	if s.wordLen < len(s.word) {
		s.word[s.wordLen] = upper(c)
	}
	if s.wordLen < 1<<30 {
		s.wordLen++
	}
}

// endWord reacts to a finished word at depth 0: the first word tells whether
// this is an INSERT at all, later ones move it through its VALUES list.
func (s *Scanner) endWord() {
	s.inWord = false
	w := ""
	if s.wordLen <= len(s.word) {
		w = string(s.word[:s.wordLen])
	}
	if !s.firstSeen {
		s.firstSeen = true
		s.trackWords = w == "INSERT" || w == "REPLACE"
		return
	}
	switch s.phase {
	case phaseBefore:
		switch w {
		case "VALUES", "VALUE":
			s.phase = phaseTuple
		case "SET": // INSERT ... SET a=1 inserts exactly one row
			s.rows, s.phase = 1, phaseDone
		case "SELECT", "TABLE", "WITH":
			s.phase = phaseDone
		}
	case phaseTuple:
		if w != "ROW" {
			s.phase = phaseDone
		}
	case phaseAfterTuple: // ON DUPLICATE KEY UPDATE, AS alias, RETURNING
		s.phase = phaseDone
	}
	if s.phase == phaseDone {
		s.trackWords = false
	}
}

// quoteStop marks, per quoting state, the bytes that end the fast path:
// the closing quote, newlines (line numbers) and backslash escapes, which
// the mysql client honours in strings but not in `identifiers`.
var quoteStop = func() (t [stBacktick + 1][256]bool) {
	for st, q := range map[lexState]byte{stSingle: '\'', stDouble: '"', stBacktick: '`'} {
		t[st][q], t[st]['\n'] = true, true
		t[st]['\\'] = st != stBacktick
	}
	return t
}()

// lexQuoted scans a string or quoted identifier. A doubled quote character
// needs no lookahead: it closes and reopens, which is the same state.
func (s *Scanner) lexQuoted(buf []byte, i int) (int, lexResult) {
	stop := &quoteStop[s.state]
	for i < len(buf) {
		c := buf[i]
		if !stop[c] {
			i++
			continue
		}
		switch c {
		case '\n':
			s.line++
			i++
		case '\\':
			if s.short(buf, i, 2) {
				return i, resNeed
			}
			if i+1 < len(buf) && buf[i+1] == '\n' {
				s.line++
			}
			i = min(i+2, len(buf))
		default:
			s.state = stNormal
			return i + 1, resNone
		}
	}
	return i, resNone
}

func (s *Scanner) lexLineComment(buf []byte, i int) int {
	end := len(buf)
	j := bytes.IndexByte(buf[i:], '\n')
	if j >= 0 {
		end = i + j
	}
	if s.capture {
		if room := commentCap - len(s.comment); room > 0 {
			s.comment = append(s.comment, buf[i:min(end, i+room)]...)
		}
	}
	if j >= 0 {
		s.endLineComment()
	}
	return end // the newline itself is counted in stNormal
}

func (s *Scanner) endLineComment() {
	s.state = stNormal
	if !s.capture {
		return
	}
	s.capture = false
	c := s.comment
	if rest, ok := bytes.CutPrefix(c, []byte("-- Current Database: ")); ok {
		t := tokenizer{b: bytes.TrimSpace(rest)}
		if db, ok := identName(t.next()); ok {
			s.setDatabase(db)
		}
		return
	}
	if f, ok := parseFooterLine(c); ok {
		s.footer, s.hasFooter = f, true
		return
	}
	if s.emitted == 0 {
		s.header.parseLine(c)
	}
	s.binlog.comment(c, s.started)
}

func (s *Scanner) setDatabase(db string) {
	s.curDB, s.started = db, true
	if s.onDatabase != nil {
		s.onDatabase(db)
	}
}

func (s *Scanner) lexBlockComment(buf []byte, i int) (int, lexResult) {
	for i < len(buf) {
		switch buf[i] {
		case '\n':
			s.line++
		case '*':
			if s.short(buf, i, 2) {
				return i, resNeed
			}
			if bytes.HasPrefix(buf[i:], []byte("*/")) {
				s.state = stNormal
				return i + 2, resNone
			}
		}
		i++
	}
	return i, resNone
}

// lexDelimLine takes the rest of a DELIMITER line as the statement; the
// client reads its argument up to the end of the line.
func (s *Scanner) lexDelimLine(buf []byte, i int) (int, lexResult) {
	j := bytes.IndexByte(buf[i:], '\n')
	if j < 0 {
		return len(buf), resNone
	}
	s.keep(buf[s.seg : i+j])
	return i + j, resStmt
}

// finish handles the end of input: an open string or comment is an error, a
// pending statement without delimiter is returned as is.
func (s *Scanner) finish() (*Statement, error) {
	switch s.state {
	case stSingle, stDouble:
		s.err = &SyntaxError{Line: s.openLine, Msg: "unterminated string at end of input"}
	case stBacktick:
		s.err = &SyntaxError{Line: s.openLine, Msg: "unterminated quoted identifier at end of input"}
	case stBlockComment:
		s.err = &SyntaxError{Line: s.openLine, Msg: "unterminated comment at end of input"}
	case stLineComment:
		s.endLineComment()
	}
	if s.err == nil && s.inExec {
		s.err = &SyntaxError{Line: s.execLine, Msg: "unterminated executable comment at end of input"}
	}
	if s.err != nil {
		return nil, s.err
	}
	if s.inStmt {
		return s.emit("")
	}
	s.err = io.EOF
	return nil, io.EOF
}

// emit turns the finished statement into a Statement.
func (s *Scanner) emit(delim string) (*Statement, error) {
	s.inStmt = false
	s.state = stNormal
	s.emitted++
	prefix := s.text[:min(len(s.text), prefixCap)]
	st := &Statement{Line: s.stmtLine, Offset: s.stmtOff, Delimiter: delim}
	if s.delimCmd {
		if err := s.delimiterCommand(prefix); err != nil {
			s.err = err
			return nil, err
		}
		st.Kind, st.Delimiter, st.Database = KindDelimiter, s.delimStr, s.curDB
		s.started = true
	} else {
		c := classify(prefix, s.stmtLen > int64(len(prefix)))
		st.Kind, st.Table, st.Name, st.Database = c.kind, c.table, c.name, s.curDB
		if c.db != "" {
			st.Database = c.db
		}
		if c.kind == KindUse && c.db != "" {
			s.setDatabase(c.db)
		}
		if c.kind == KindInsert {
			st.Rows = s.rows
		}
		if c.kind != KindOther {
			s.started = true
		} else if !s.binlog.hasGTID && len(prefix) > 3 && eqUpper(prefix[:3], "SET") && isSpace(prefix[3]) {
			// MySQL writes its GTID set as a statement, not a comment.
			s.binlog.statement(s.text, s.stmtLen > int64(len(s.text)), s.started)
		}
	}
	if s.opt.KeepText {
		st.Text = bytes.TrimRight(s.text, " \t\r\n\f\v")
	}
	return st, nil
}

// delimiterCommand applies `DELIMITER x`: the argument is the first word of
// the rest of the line, or a quoted string, as in the mysql client.
func (s *Scanner) delimiterCommand(line []byte) error {
	if len(line) < len("delimiter") {
		return &SyntaxError{Line: s.stmtLine, Msg: "truncated DELIMITER command"}
	}
	arg := bytes.TrimLeft(line[len("delimiter"):], " \t")
	var d []byte
	if len(arg) > 0 && (arg[0] == '\'' || arg[0] == '"' || arg[0] == '`') {
		d, _, _ = bytes.Cut(arg[1:], arg[:1])
	} else {
		end := bytes.IndexAny(arg, " \t\r")
		if end < 0 {
			end = len(arg)
		}
		d = arg[:end]
	}
	switch {
	case len(d) == 0:
		return &SyntaxError{Line: s.stmtLine, Msg: "DELIMITER must be followed by a delimiter"}
	case len(d) > maxDelimiter:
		return &SyntaxError{Line: s.stmtLine, Msg: fmt.Sprintf("DELIMITER longer than %d bytes", maxDelimiter)}
	case bytes.ContainsAny(d, "\\'\"` \t\r\n\f\v"):
		return &SyntaxError{Line: s.stmtLine, Msg: "DELIMITER must not contain quotes, backslashes or spaces"}
	}
	s.setDelimiter(string(d))
	return nil
}

// setDelimiter installs a delimiter and rebuilds the fast-path stop table,
// which must include the delimiter's first byte.
func (s *Scanner) setDelimiter(d string) {
	s.delimStr, s.delim = d, []byte(d)
	s.special = [256]bool{}
	for _, c := range []byte("\n'\"`()#-/*") {
		s.special[c] = true
	}
	s.special[d[0]] = true
}

// IsSyntaxError reports whether err is or wraps a *SyntaxError.
func IsSyntaxError(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se)
}
