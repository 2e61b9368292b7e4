package sqldump

import "bytes"

// Header is what the leading comment block of a dump says about its origin.
type Header struct {
	// Sandbox is set when the dump starts with MariaDB's
	// `/*M!999999\- enable the sandbox mode */` line, which older mysql and
	// mariadb clients reject, so such a dump cannot be restored with them.
	Sandbox bool
	// Tool is "MariaDB dump" or "MySQL dump".
	Tool string
	// ToolVersion is the rest of the tool line, e.g.
	// "10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)".
	ToolVersion string
	// Host is from `-- Host: 127.0.0.1    Database: x`.
	Host string
	// Database is the Database part of the Host line; empty for
	// --all-databases and for several --databases.
	Database string
	// ServerVersion is from `-- Server version	10.11.19-MariaDB-0+deb12u1`.
	ServerVersion string
}

// Footer is the trailer mysqldump writes only after a successful dump, so
// its presence tells a complete dump from a truncated one.
type Footer struct {
	// Completed is the text after `-- Dump completed on `, e.g.
	// "2026-11-27 23:59:59", or "" when the dump was written without a date.
	Completed string
}

const sandboxLine = `/*M!999999\- enable the sandbox mode */`

// headerLines bounds how far ParseHeader looks, since the header block is
// short and a caller's window may hold much more.
const headerLines = 32

// ParseHeader extracts the header from the first bytes (~8 KiB) of a dump.
// ok reports whether a MariaDB/MySQL dump tool line was found among the
// leading comment lines; the sandbox line may precede it.
func ParseHeader(head []byte) (h Header, ok bool) {
	for n := 0; n < headerLines && len(head) > 0; n++ {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte{'\n'})
		line = bytes.TrimRight(line, " \t\r")
		switch {
		case len(line) == 0:
		case isSandboxLine(line):
			h.Sandbox = true
		case bytes.HasPrefix(line, []byte("--")):
			h.parseLine(line)
		default:
			// The first statement ends the header block.
			return h, h.Tool != ""
		}
	}
	return h, h.Tool != ""
}

// ParseFooter extracts the footer from the last bytes (~1 KiB) of a dump.
// ok reports whether the last non-blank line is the `-- Dump completed` line,
// since mysqldump writes nothing after it.
func ParseFooter(tail []byte) (Footer, bool) {
	tail = bytes.TrimRight(tail, " \t\r\n")
	if i := bytes.LastIndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	return parseFooterLine(tail)
}

func isSandboxLine(line []byte) bool {
	return string(bytes.TrimRight(line, " \t\r")) == sandboxLine
}

// parseLine fills in whichever header field one `--` comment line carries.
func (h *Header) parseLine(line []byte) {
	line = bytes.TrimRight(line, " \t\r")
	if rest, ok := bytes.CutPrefix(line, []byte("-- MariaDB dump ")); ok {
		h.Tool, h.ToolVersion = "MariaDB dump", string(bytes.TrimSpace(rest))
	} else if rest, ok := bytes.CutPrefix(line, []byte("-- MySQL dump ")); ok {
		h.Tool, h.ToolVersion = "MySQL dump", string(bytes.TrimSpace(rest))
	} else if rest, ok := bytes.CutPrefix(line, []byte("-- Host: ")); ok {
		host, db, _ := bytes.Cut(rest, []byte("Database:"))
		h.Host, h.Database = string(bytes.TrimSpace(host)), string(bytes.TrimSpace(db))
	} else if rest, ok := bytes.CutPrefix(line, []byte("-- Server version")); ok {
		h.ServerVersion = string(bytes.TrimSpace(rest))
	}
}

func parseFooterLine(line []byte) (Footer, bool) {
	line = bytes.TrimRight(line, " \t\r")
	rest, ok := bytes.CutPrefix(line, []byte("-- Dump completed"))
	if !ok {
		return Footer{}, false
	}
	if len(rest) == 0 {
		return Footer{}, true
	}
	date, ok := bytes.CutPrefix(rest, []byte(" on "))
	if !ok {
		return Footer{}, false
	}
	return Footer{Completed: string(bytes.TrimSpace(date))}, true
}
