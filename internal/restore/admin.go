package restore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"

	"gravedancer/internal/mysqlx"
)

// erSpecificAccessDenied is ER_SPECIFIC_ACCESS_DENIED_ERROR: "Access denied;
// you need (at least one of) the ... privilege(s) for this operation".
const erSpecificAccessDenied = 1227

// BinlogAllowed reports whether the session may SET sql_log_bin=0 (needs
// SUPER or BINLOG ADMIN on MariaDB). It asks the server rather than parsing
// grants, which roles and versions make unreliable: setting sql_log_bin to
// its own value on a connection of db changes nothing but runs the same
// privilege check.
func BinlogAllowed(ctx context.Context, db *sql.DB) (bool, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("restore: binlog check: %w", err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "SET SESSION sql_log_bin = @@SESSION.sql_log_bin")
	var me *mysql.MySQLError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &me) && me.Number == erSpecificAccessDenied:
		return false, nil
	}
	return false, fmt.Errorf("restore: binlog check: %w", err)
}

// DropDatabases drops the named databases (IF EXISTS). It refuses the whole
// list, dropping nothing, if any name is empty or a system schema (in any
// letter case) or the restore ledger: a safety net so that a bug upstream
// can never drop `mysql`.
func DropDatabases(ctx context.Context, db *sql.DB, names []string) error {
	for _, n := range names {
		if n == "" || isSystem(n) || isLedger(n) {
			return fmt.Errorf("restore: refusing to drop database %q", n)
		}
	}
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+mysqlx.QuoteIdent(n)); err != nil {
			return fmt.Errorf("restore: drop database %q: %w", n, err)
		}
	}
	return nil
}
