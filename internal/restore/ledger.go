package restore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// LedgerSchema holds, on each test server, the databases a restore created
// and has not dropped yet. It lives on the test server itself, so it outlives
// whatever dies mid-restore — the worker, the server, NATS — and whoever
// holds the server next drops what it lists. A dump containing a database of
// this name is refused rather than restored over the ledger.
const LedgerSchema = "gravedancer_ledger"

const ledgerTable = "`" + LedgerSchema + "`.`restoring`"

// MarkRestoring records names as being restored on db's server by region's
// run, before anything is loaded.
func MarkRestoring(ctx context.Context, db *sql.DB, region, run string, names []string) error {
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS `" + LedgerSchema + "`",
		"CREATE TABLE IF NOT EXISTS " + ledgerTable + " (db VARCHAR(64) NOT NULL PRIMARY KEY," +
			" region VARCHAR(128) NOT NULL, run VARCHAR(128) NOT NULL, since TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)" +
			" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("restore ledger on test server: %w", err)
		}
	}
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "REPLACE INTO "+ledgerTable+" (db, region, run) VALUES (?, ?, ?)", n, region, run); err != nil {
			return fmt.Errorf("restore ledger on test server: record %q: %w", n, err)
		}
	}
	return nil
}

// ClearRestoring removes names from the ledger once they are dropped.
func ClearRestoring(ctx context.Context, db *sql.DB, names []string) error {
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DELETE FROM "+ledgerTable+" WHERE db = ?", n); err != nil && !missingLedger(err) {
			return fmt.Errorf("restore ledger on test server: clear %q: %w", n, err)
		}
	}
	return nil
}

// DropLeftovers drops every database the ledger lists — what a restore
// interrupted by a crash left behind — and clears it. It returns the names
// dropped. The caller must hold the server's lease: a listed database may
// otherwise be one a live restore is loading.
func DropLeftovers(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT db FROM "+ledgerTable+" ORDER BY db")
	if missingLedger(err) {
		return nil, nil // no restore ever ran here
	}
	if err != nil {
		return nil, fmt.Errorf("restore ledger on test server: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("restore ledger on test server: %w", err)
		}
		names = append(names, n)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("restore ledger on test server: %w", err)
	}
	if err := DropDatabases(ctx, db, names); err != nil {
		return nil, err
	}
	return names, ClearRestoring(ctx, db, names)
}

// missingLedger reports the errors of a server that never had a ledger:
// unknown database (1049) or table (1146).
func missingLedger(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1049 || me.Number == 1146)
}

// isLedger reports whether name is the ledger schema, in any letter case
// (a case-insensitive server would treat the two as one).
func isLedger(name string) bool { return strings.EqualFold(name, LedgerSchema) }
