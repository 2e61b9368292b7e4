package mysqlx

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// SystemSchema reports whether a database belongs to the server itself. These
// are never restored onto a test server (it keeps its own users and grants)
// and never compared.
func SystemSchema(name string) bool {
	// Case-insensitive: on a server with lower_case_table_names=0 a "MySQL"
	// database is still treated as the system one by the restore filter.
	switch strings.ToLower(name) {
	case "mysql", "sys", "performance_schema", "information_schema":
		return true
	}
	return false
}

// RowCounts returns SELECT COUNT(*) of every user base table, keyed
// "db.table". Exact counts, not information_schema's estimates: they are
// compared with the dump's INSERT tuples.
func RowCounts(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	rows, err := db.QueryContext(ctx, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var names [][2]string
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list tables: %w", err)
		}
		if !SystemSchema(s) {
			names = append(names, [2]string{s, n})
		}
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	counts := make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		q := "SELECT COUNT(*) FROM " + QuoteIdent(n[0]) + "." + QuoteIdent(n[1])
		if err := db.QueryRowContext(ctx, q).Scan(&c); err != nil {
			return nil, fmt.Errorf("count %s.%s: %w", n[0], n[1], err)
		}
		counts[n[0]+"."+n[1]] = c
	}
	return counts, nil
}
