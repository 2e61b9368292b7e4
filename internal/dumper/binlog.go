package dumper

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
)

// The dump records where the source's binary log stood at its snapshot, so
// an operator can roll a restore forward with mysqlbinlog. The tool writes
// the coordinates itself, as comments (--master-data=2), and the single pass
// over the stream picks them up (sqldump.Summary.Binlog); the flags are only
// added when the tool can honour them, since mariadb-dump and mysqldump
// fail outright with --master-data on a server without a binary log.

const (
	// probeTimeout bounds the binary log check before a dump. A source that
	// does not answer within it is unlikely to serve the dump either, and the
	// dump's own error will say so.
	probeTimeout = 30 * time.Second
	// versionTimeout bounds `tool --version`, which does no I/O.
	versionTimeout = 10 * time.Second
	// erParseError is the server's answer to SHOW MASTER STATUS from MySQL
	// 8.4 on, which only knows SHOW BINARY LOG STATUS.
	erParseError = 1064
)

// binlogProbe reports whether the source writes a binary log whose position
// the account may read; an error means it could not tell.
type binlogProbe func(ctx context.Context, src Source) (bool, error)

// binlogFlags returns the flags that make the tool write the source's binary
// log coordinates at the dump's snapshot, or none. None when:
//   - Consistency is "none": --master-data would silently turn on
//     --lock-all-tables, overriding the operator's choice, and without a
//     snapshot no single position matches the data anyway;
//   - ExtraFlags already ask for coordinates (--master-data, --source-data,
//     --dump-slave, --dump-replica): the operator's choice stands;
//   - the source has no binary log, or it could not be checked. Such a dump
//     simply has no coordinates; it is still a good backup.
func (d *Dumper) binlogFlags(ctx context.Context, src Source, toolPath string) []string {
	if consistencyName(d.Opts.Consistency) == "none" || asksForCoordinates(d.Opts.ExtraFlags) {
		return nil
	}
	probe := d.probe
	if probe == nil {
		probe = binlogReadable
	}
	on, err := probe(ctx, src)
	if err != nil || !on {
		return nil
	}
	return coordinateFlags(toolVersion(ctx, toolPath))
}

// asksForCoordinates reports whether flags already make the tool write
// replication coordinates.
func asksForCoordinates(flags []string) bool {
	for _, f := range flags {
		name, _, _ := strings.Cut(f, "=")
		switch name {
		case "--master-data", "--source-data", "--dump-slave", "--dump-replica":
			return true
		}
	}
	return false
}

// binlogReadable asks SHOW MASTER STATUS, which answers both questions at
// once: a row when the binary log is on, none when it is off, and an error
// when the account lacks REPLICATION CLIENT (BINLOG MONITOR), without which
// --master-data fails under --lock-all-tables and with mysqldump. It uses
// the dump's own credentials over go-sql-driver/mysql, never argv.
func binlogReadable(ctx context.Context, src Source) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	creds := mysqlx.Credentials{Host: src.Host, Port: src.Port, User: src.User, Password: src.Password}
	connector, err := mysql.NewConnector(mysqlx.Config(creds))
	if err != nil {
		return false, fmt.Errorf("binlog check on %s: %w", creds.Addr(), err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	on, err := hasRow(ctx, db, "SHOW MASTER STATUS")
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == erParseError {
		on, err = hasRow(ctx, db, "SHOW BINARY LOG STATUS")
	}
	if err != nil {
		return false, fmt.Errorf("binlog check on %s: %w", creds.Addr(), err)
	}
	return on, nil
}

func hasRow(ctx context.Context, db *sql.DB, query string) (bool, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	on := rows.Next()
	if err := rows.Err(); err != nil {
		return false, err
	}
	return on, nil
}

// toolVersion returns the first line of `tool --no-defaults --version`, or
// "" when the tool does not answer. It tells MariaDB's tool from MySQL's,
// whose flags differ; the name does not (Debian's mysqldump is MariaDB's).
func toolVersion(ctx context.Context, path string) string {
	ctx, cancel := context.WithTimeout(ctx, versionTimeout)
	defer cancel()
	out, err := command(ctx, path, []string{"--no-defaults", "--version"}).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

// coordinateFlags picks the flags for the tool that printed version, all
// writing the coordinates as comments (=2) so that loading the dump never
// changes replication settings:
//   - MariaDB: --master-data=2 --gtid, which adds the GTID position;
//   - MySQL 8.0.26 and later: --source-data=2, which replaced the
//     deprecated --master-data; the GTID set comes by default
//     (--set-gtid-purged=AUTO);
//   - older MySQL, or a tool that did not say: --master-data=2, which every
//     version of both tools knows.
func coordinateFlags(version string) []string {
	switch {
	case strings.Contains(version, "MariaDB"):
		return []string{"--master-data=2", "--gtid"}
	case atLeast(mysqlVersion(version), 8, 0, 26):
		return []string{"--source-data=2"}
	}
	return []string{"--master-data=2"}
}

// mysqlVersion extracts the server version a MySQL client reports: "5.7.44"
// from "mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)" and
// "8.0.36" from "mysqldump  Ver 8.0.36 for Linux on x86_64 (…)". nil if none.
func mysqlVersion(version string) []int {
	_, rest, ok := strings.Cut(version, " Distrib ")
	if !ok {
		if _, rest, ok = strings.Cut(version, " Ver "); !ok {
			return nil
		}
	}
	word, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	word = strings.TrimRight(strings.SplitN(word, "-", 2)[0], ",")
	var v []int
	for _, part := range strings.Split(word, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil
		}
		v = append(v, n)
	}
	if len(v) != 3 {
		return nil
	}
	return v
}

// atLeast reports whether version v is at least major.minor.patch; a
// missing version is not.
func atLeast(v []int, major, minor, patch int) bool {
	if len(v) != 3 {
		return false
	}
	for i, want := range []int{major, minor, patch} {
		if v[i] != want {
			return v[i] > want
		}
	}
	return true
}

// manifestBinlog copies the coordinates the stream carried.
func manifestBinlog(b *sqldump.BinlogPosition) *job.BinlogPosition {
	if b == nil {
		return nil
	}
	return &job.BinlogPosition{File: b.File, Position: b.Position, GTID: b.GTID}
}
