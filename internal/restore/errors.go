package restore

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Errors about LoadOptions.Select.
var (
	// ErrInvalidSelection is wrapped by Selection.Validate, and by
	// Engine.Load before it touches anything.
	ErrInvalidSelection = errors.New("restore: invalid selection")
	// ErrSelectNeedsEngine is returned by Loader.Load, before it reads the
	// artifact or starts the client, for a load with a Selection: the
	// client replays a dump whole, and restoring everything instead of
	// what was asked could overwrite databases nobody meant to touch.
	ErrSelectNeedsEngine = errors.New("restore: only the restore engine can restore part of a dump")
	// ErrNotInDump is wrapped by Engine.Load when the load went through
	// but the dump did not hold every database or table the selection
	// names; the error lists them. What the dump did hold was restored,
	// including the CREATE DATABASE of a database only named for a table
	// the dump lacks.
	ErrNotInDump = errors.New("restore: selected but not in the dump")
)

// maxErrorLine bounds the stderr line quoted in LoadError.Error.
const maxErrorLine = 400

// LoadError is a failed load: the client's exit code and the tail of its
// stderr, whose last line names the failing line of the decompressed dump,
// e.g. "ERROR 1064 (42000) at line 1234: You have an error in your SQL
// syntax…". It is also used when the artifact cannot be read (not the
// compression it claims, corrupt, or something the scanner rejects): then
// ExitCode is -1 and Err is set.
type LoadError struct {
	Tool     string // the client's base name, e.g. "mariadb"; "" when it never ran
	ExitCode int    // -1 when the client was killed or never ran
	Stderr   string // tail of the client's stderr
	Err      error  // what went wrong besides the exit code, if anything

	// The engine fills these instead of Tool, ExitCode and Stderr.
	At   *Position // the failing statement
	Code int       // the server's error number, 0 when it sent none

	artifact bool // Err is about the artifact, not the client
	lost     bool // the engine's connection to the test server failed
}

// Position locates a statement in the decompressed dump.
type Position struct {
	Line     int
	Offset   int64 // byte offset: `tail -c +$((Offset+1))` starts there
	Database string
	Table    string // "" when the statement is not about one table
}

func (p Position) String() string {
	s := fmt.Sprintf("statement at line %d (byte %d)", p.Line, p.Offset)
	if p.Table != "" {
		s += " of table " + p.Database + "." + p.Table
	}
	return s
}

// Error is one line an operator can act on:
// "restore: mariadb exited 1: ERROR 1064 (42000) at line 12: ...".
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("restore: ")
	if e.Tool != "" && e.ExitCode != -1 {
		fmt.Fprintf(&b, "%s exited %d", e.Tool, e.ExitCode)
	}
	for _, part := range []string{errText(e.Err), lastErrorLine(e.Stderr)} {
		if part == "" {
			continue
		}
		if b.Len() > len("restore: ") {
			b.WriteString(": ")
		}
		b.WriteString(part)
	}
	if b.Len() == len("restore: ") {
		b.WriteString("load failed")
	}
	return b.String()
}

func (e *LoadError) Unwrap() error { return e.Err }

// ServerError is the server's error number: the engine's, else the one in
// the client's last "ERROR nnnn" line; 0 when there is none.
func (e *LoadError) ServerError() int {
	if e.Code != 0 {
		return e.Code
	}
	m := errorNumber.FindAllStringSubmatch(e.Stderr, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

var errorNumber = regexp.MustCompile(`(?m)^ERROR (\d+)`)

// TestServerFault reports whether the load failed because of the test
// server or the restore user rather than the backup: the client or the
// engine could not connect or lost its connection (client errors
// 2000-2999, driver errors without a server error number), the user lacks a
// privilege, the server is read-only, full or shutting down, or the client
// was killed by a signal. Such a failure deserves a retry or an operator,
// not a quarantined backup. A corrupt artifact or an SQL error such as 1064
// is the backup's.
func (e *LoadError) TestServerFault() bool {
	n := e.ServerError()
	switch {
	case n >= 2000 && n < 3000:
		return true
	case n == 0:
		return e.lost || e.Tool != "" && e.ExitCode == -1 && !e.artifact
	}
	return testServerErrors[n]
}

// testServerErrors are server error numbers that say nothing about the dump.
var testServerErrors = map[int]bool{
	1021: true, // ER_DISK_FULL
	1040: true, // ER_CON_COUNT_ERROR
	1044: true, // ER_DBACCESS_DENIED_ERROR
	1045: true, // ER_ACCESS_DENIED_ERROR
	1053: true, // ER_SERVER_SHUTDOWN
	1114: true, // ER_RECORD_FILE_FULL: the test server's disk or tablespace
	1142: true, // ER_TABLEACCESS_DENIED_ERROR
	1143: true, // ER_COLUMNACCESS_DENIED_ERROR
	1153: true, // ER_NET_PACKET_TOO_LARGE: its max_allowed_packet is below the source's
	1205: true, // ER_LOCK_WAIT_TIMEOUT
	1213: true, // ER_LOCK_DEADLOCK
	1227: true, // ER_SPECIFIC_ACCESS_DENIED_ERROR: SET USER, BINLOG ADMIN, ...
	1290: true, // ER_OPTION_PREVENTS_STATEMENT: --read-only
	1370: true, // ER_PROCACCESS_DENIED_ERROR
	1419: true, // ER_BINLOG_CREATE_ROUTINE_NEED_SUPER: log_bin_trust_function_creators
	1927: true, // ER_CONNECTION_KILLED
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// lastErrorLine picks the line of stderr that says what failed: the last
// "ERROR ..." line, else the last non-blank one, shortened for a log line.
func lastErrorLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	pick := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if strings.HasPrefix(l, "ERROR") {
			pick = l
			break
		}
		if pick == "" {
			pick = l
		}
	}
	if len(pick) > maxErrorLine {
		pick = pick[:maxErrorLine] + "…"
	}
	return pick
}

// CheckError is a restored server that does not hold what the dump did;
// Reason names exactly what is wrong, e.g.
// `table nova.instances: dump had 1000 rows, restored 999`.
type CheckError struct {
	Reason string
}

func (e *CheckError) Error() string { return "restore check: " + e.Reason }
