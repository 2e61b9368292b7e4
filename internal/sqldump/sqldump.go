// Package sqldump reads mysqldump/mariadb-dump output as a stream of statements.
//
// The Scanner splits a dump the way the mysql command-line client does when it
// replays one: it honours quoting, comments, executable comments and DELIMITER
// commands, so a statement boundary here is a statement boundary for the
// server. It works in a single pass with bounded memory, so it can sit on the
// hot path of a multi-gigabyte dump without slowing it down.
package sqldump

import (
	"errors"
	"fmt"
)

// Kind classifies a statement by what a restore or a check needs to know
// about it; everything else is KindOther.
type Kind int

const (
	KindOther          Kind = iota // SET, LOCK TABLES, conditional comments executed as statements, etc.
	KindCreateDatabase             // CREATE DATABASE / CREATE SCHEMA
	KindUse                        // USE `db`
	KindCreateTable                // CREATE [OR REPLACE] [TEMPORARY] TABLE
	KindDropTable                  // DROP [TEMPORARY] TABLE
	KindInsert                     // INSERT INTO / REPLACE INTO / INSERT IGNORE INTO
	KindCreateView                 // incl. /*!50001 CREATE ... VIEW */ forms
	KindCreateTrigger              // CREATE ... TRIGGER
	KindCreateRoutine              // PROCEDURE / FUNCTION
	KindCreateEvent                // CREATE ... EVENT
	KindDelimiter                  // a DELIMITER line (client command, not SQL)
)

var kindNames = [...]string{
	KindOther:          "Other",
	KindCreateDatabase: "CreateDatabase",
	KindUse:            "Use",
	KindCreateTable:    "CreateTable",
	KindDropTable:      "DropTable",
	KindInsert:         "Insert",
	KindCreateView:     "CreateView",
	KindCreateTrigger:  "CreateTrigger",
	KindCreateRoutine:  "CreateRoutine",
	KindCreateEvent:    "CreateEvent",
	KindDelimiter:      "Delimiter",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Statement is one statement of a dump, as the mysql client would send it.
type Statement struct {
	Kind Kind
	// Database is the current database: set by `-- Current Database: `x``
	// comment sections and by USE statements (unquoted name). A qualified
	// name (INSERT INTO `db`.`t`) overrides it for that statement only; for
	// CreateDatabase it is the database being created.
	Database string
	// Table is the unquoted table name for CreateTable, DropTable, Insert
	// and CreateView (`a``b` → a`b); for DropTable it is the first table.
	Table string
	// Name is the unquoted object name for CreateView (same as Table),
	// CreateTrigger, CreateRoutine and CreateEvent.
	Name string
	// Rows is the number of value tuples of an Insert; 0 when they are not
	// known (INSERT ... SELECT).
	Rows int64
	// Text is the full statement text without the trailing delimiter (and
	// without trailing whitespace); only filled when Options.KeepText. It is
	// valid until the next call to Next.
	Text []byte
	// Delimiter is the delimiter that terminated the statement (";" or the
	// current DELIMITER, e.g. ";;"), or "" for a statement cut off by the end
	// of input. For KindDelimiter it is the new delimiter.
	Delimiter string
	// Line is the 1-based line number where the statement starts.
	Line int
	// Offset is the byte offset where the statement starts in the input
	// (the decompressed dump), for errors an operator can seek to.
	Offset int64
}

// Options select between the dump stage's count-only mode and the restore
// engine's text-keeping mode.
type Options struct {
	// KeepText keeps each statement's text (restore engine); false = count
	// only (dump stage), which never buffers more than a short prefix.
	KeepText bool
	// MaxStatement limits one statement's text when KeepText; exceeding it
	// fails with ErrStatementTooLarge. 0 means 1 GiB.
	MaxStatement int
}

// DefaultMaxStatement is the MaxStatement used when Options leaves it 0; it
// matches the server's max_allowed_packet ceiling.
const DefaultMaxStatement = 1 << 30

// ErrStatementTooLarge is returned (wrapped with the line number) when a
// statement exceeds Options.MaxStatement in KeepText mode.
var ErrStatementTooLarge = errors.New("sql dump statement too large")

// SyntaxError reports input the mysql client could not replay either, such as
// a string, quoted identifier or comment still open at the end of input.
type SyntaxError struct {
	Line int // line where the offending construct starts
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("sql dump line %d: %s", e.Line, e.Msg)
}
