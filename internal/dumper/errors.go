package dumper

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error is a failed dump. Whatever the cause, no artifact and no manifest
// were left in the spool: partial output is in Quarantined (or was removed
// when the tool wrote nothing).
//
// Transient means a retry may well succeed, and is set only when
//   - the tool wrote no dump data and its stderr shows that it could not
//     reach the server (client errors 2002, 2003, 2005, 2006, 2013, or the
//     server's 1040 "Too many connections"), or
//   - the caller's context ended (shutdown), which killed the tool.
//
// Everything else is for an operator: access denied (1045) and other
// authentication errors, since retrying will not fix a password; a
// connection lost after data was written; a timeout, since the same dump will
// take as long again; a missing tool; a truncated dump; a full disk.
type Error struct {
	Region      string
	Tool        string
	ExitCode    int    // -1 if killed by a signal
	Signal      string // e.g. "killed" when killed
	TimedOut    bool
	Stderr      string // last lines of the tool's stderr (at most ~4 KiB)
	Quarantined string // where the partial output went ("" if none)
	Transient   bool
	Err         error // underlying cause, if any beyond the tool's exit

	limit    time.Duration // the timeout, for the message
	canceled bool
}

// Error is one line an operator can act on: region, tool, how it ended, the
// cause, the tool's own last error line, and where the partial output is.
func (e *Error) Error() string {
	var parts []string
	if h := e.head(); h != "" {
		parts = append(parts, h)
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	if line := meaningfulLine(e.Stderr); line != "" {
		parts = append(parts, line)
	}
	if len(parts) == 0 {
		parts = append(parts, "failed")
	}
	msg := "dump " + e.Region + ": " + strings.Join(parts, ": ")
	if e.Quarantined != "" {
		msg += " (partial output quarantined as " + e.Quarantined + ")"
	}
	return msg
}

func (e *Error) head() string {
	switch {
	case e.TimedOut:
		return fmt.Sprintf("%s timed out after %s and was killed", e.Tool, e.limit)
	case e.canceled:
		return e.Tool + " stopped"
	case e.Signal != "":
		return e.Tool + " killed by signal " + e.Signal
	case e.ExitCode != 0:
		return e.Tool + " exited " + strconv.Itoa(e.ExitCode)
	}
	return ""
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// connErrorCodes are client and server errors that mean the server could not
// be reached or dropped the connection: worth a retry when nothing was dumped.
var connErrorCodes = map[int]bool{
	1040: true, // Too many connections
	2002: true, // Can't connect through socket
	2003: true, // Can't connect to server on host
	2005: true, // Unknown server host
	2006: true, // Server has gone away
	2013: true, // Lost connection during query
}

var (
	// "Got error: 2003: ..." (connect) and "...: Lost connection ... (2013)".
	errCodeRE     = regexp.MustCompile(`(?:Got error: (\d{4}):|\((\d{4})\)\s*$)`)
	connPhrasesRE = regexp.MustCompile(`(?i)can't connect|lost connection|unknown (?:mysql )?server host|server has gone away|too many connections`)
	// Auth and permission errors must never be taken for connection trouble
	// even if a connection phrase appears on another line.
	authErrorRE = regexp.MustCompile(`(?i)access denied|\b(?:1044|1045|1130|1227|1698)\b`)
)

// isConnError reports whether stderr shows the tool could not reach the server.
func isConnError(stderr string) bool {
	if authErrorRE.MatchString(stderr) {
		return false
	}
	for _, line := range strings.Split(stderr, "\n") {
		for _, m := range errCodeRE.FindAllStringSubmatch(line, -1) {
			code, _ := strconv.Atoi(m[1] + m[2])
			if connErrorCodes[code] {
				return true
			}
		}
		if connPhrasesRE.MatchString(line) {
			return true
		}
	}
	return false
}

const maxLineLen = 400

// meaningfulLine picks the stderr line that explains a failure: the last one
// that mentions an error, else the last non-blank one (tools print warnings,
// e.g. about deprecated names, before the real error).
func meaningfulLine(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	pick := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if pick == "" {
			pick = l
		}
		if strings.Contains(strings.ToLower(l), "error") {
			pick = l
			break
		}
	}
	if len(pick) > maxLineLen {
		pick = pick[:maxLineLen] + "…"
	}
	return pick
}

const (
	stderrKeep  = 4 << 10
	stderrLines = 20
)
