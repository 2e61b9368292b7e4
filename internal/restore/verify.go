package restore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
)

// Mode selects the row-count comparison of Verify.
type Mode string

const (
	ModeAll     Mode = "all"     // every table of the manifest
	ModeChecked Mode = "checked" // only Checks.Tables
	ModeOff     Mode = "off"     // none
)

// maxMismatches is how many row mismatches one CheckError lists by name.
const maxMismatches = 20

// Checks say what a restore must show.
type Checks struct {
	Databases []string          // must exist after restore
	Tables    []config.TableRef // must exist and have > 0 rows
	// Mode: all (or ""): every table's COUNT(*) equals the manifest, and
	// every database of the manifest exists; checked: only Checks.Tables are
	// compared with the manifest; off: no row comparison.
	Mode Mode
}

// Verification is what Verify confirmed.
type Verification struct {
	Databases    int   // databases found present
	Tables       int   // tables found present (and non-empty or counted)
	RowsVerified int64 // rows of the tables whose COUNT(*) matched the dump
}

// Verify checks the restored server against the manifest: Checks.Databases
// exist, Checks.Tables exist and have rows, then the row counts Mode asks
// for. The first failure is a *CheckError naming exactly what is wrong; row
// mismatches are all reported in one, sorted. Other errors (the server, a
// bad Mode) are plain.
//
// Names are compared as data: existence comes from information_schema, read
// with placeholders and matched exactly in Go, and a name only reaches SQL
// text, quoted, once it is known to exist. Names of system schemas in the
// manifest are ignored, since Load never restores them.
func Verify(ctx context.Context, db *sql.DB, m *job.Manifest, c Checks) (*Verification, error) {
	mode, err := c.mode()
	if err != nil {
		return nil, err
	}
	if m == nil && mode != ModeOff {
		return nil, errors.New("restore: verify: no manifest")
	}
	v := &verifier{db: db, cat: newCatalog(db), res: &Verification{}, counted: map[tableKey]bool{}}
	dbs := c.Databases
	if mode == ModeAll {
		dbs = append(slices.Clone(dbs), m.Databases...)
	}
	if err := v.databases(ctx, dbs); err != nil {
		return nil, err
	}
	if err := v.nonEmpty(ctx, c.Tables); err != nil {
		return nil, err
	}
	if err := v.rows(ctx, expected(m, c, mode)); err != nil {
		return nil, err
	}
	return v.res, nil
}

func (c Checks) mode() (Mode, error) {
	switch c.Mode {
	case "", ModeAll:
		return ModeAll, nil
	case ModeChecked, ModeOff:
		return c.Mode, nil
	}
	return "", fmt.Errorf("restore: check mode %q is not one of all, checked, off", c.Mode)
}

type tableKey struct{ db, table string }

// want is one row-count comparison; inDump is false for a checked table
// the manifest does not list.
type want struct {
	tableKey
	rows   int64
	inDump bool
}

// expected lists the comparisons a mode asks for.
func expected(m *job.Manifest, c Checks, mode Mode) []want {
	var out []want
	switch mode {
	case ModeAll:
		for _, t := range m.Tables {
			if !isSystem(t.Database) {
				out = append(out, want{tableKey{t.Database, t.Table}, t.Rows, true})
			}
		}
	case ModeChecked:
		dump := map[tableKey]int64{}
		for _, t := range m.Tables {
			dump[tableKey{t.Database, t.Table}] = t.Rows
		}
		for _, r := range c.Tables {
			k := tableKey{r.Database, r.Table}
			n, ok := dump[k]
			out = append(out, want{k, n, ok})
		}
	}
	return out
}

type verifier struct {
	db      *sql.DB
	cat     *catalog
	res     *Verification
	counted map[tableKey]bool
}

func (v *verifier) databases(ctx context.Context, names []string) error {
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] || isSystem(name) {
			continue
		}
		seen[name] = true
		ok, err := v.cat.hasDatabase(ctx, name)
		if err != nil {
			return err
		}
		if !ok {
			return &CheckError{Reason: fmt.Sprintf("database %q is missing after restore", name)}
		}
		v.res.Databases++
	}
	return nil
}

func (v *verifier) nonEmpty(ctx context.Context, refs []config.TableRef) error {
	for _, r := range refs {
		k := tableKey{r.Database, r.Table}
		ok, err := v.cat.hasTable(ctx, k)
		if err != nil {
			return err
		}
		if !ok {
			return &CheckError{Reason: fmt.Sprintf("table %s is missing after restore", display(k))}
		}
		var one int
		err = v.db.QueryRowContext(ctx, "SELECT 1 FROM "+quoted(k)+" LIMIT 1").Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return &CheckError{Reason: fmt.Sprintf("table %s is empty after restore (GD_CHECK_TABLES wants rows)", display(k))}
		}
		if err != nil {
			return fmt.Errorf("restore: verify %s: %w", display(k), err)
		}
		v.countTable(k)
	}
	return nil
}

// rows compares COUNT(*) with the dump for every wanted table and reports
// every mismatch at once: an operator fixing one should see them all.
func (v *verifier) rows(ctx context.Context, wants []want) error {
	var bad []mismatch
	for _, w := range wants {
		reason, n, err := v.compare(ctx, w)
		if err != nil {
			return err
		}
		if reason != "" {
			bad = append(bad, mismatch{w.tableKey, reason})
			continue
		}
		v.countTable(w.tableKey)
		v.res.RowsVerified += n
	}
	if len(bad) > 0 {
		return &CheckError{Reason: mismatchReason(bad)}
	}
	return nil
}

// compare returns why a table does not match the dump ("" if it does) and
// its row count.
func (v *verifier) compare(ctx context.Context, w want) (string, int64, error) {
	if !w.inDump {
		return "not in the dump", 0, nil
	}
	ok, err := v.cat.hasTable(ctx, w.tableKey)
	if err != nil {
		return "", 0, err
	}
	if !ok {
		return fmt.Sprintf("dump had %d rows, missing after restore", w.rows), 0, nil
	}
	var n int64
	if err := v.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoted(w.tableKey)).Scan(&n); err != nil {
		return "", 0, fmt.Errorf("restore: verify: count %s: %w", display(w.tableKey), err)
	}
	if n != w.rows {
		return fmt.Sprintf("dump had %d rows, restored %d", w.rows, n), n, nil
	}
	return "", n, nil
}

func (v *verifier) countTable(k tableKey) {
	if !v.counted[k] {
		v.counted[k] = true
		v.res.Tables++
	}
}

type mismatch struct {
	tableKey
	reason string
}

// mismatchReason lists mismatches sorted by name, the first maxMismatches of
// them by name and the rest as a count.
func mismatchReason(bad []mismatch) string {
	slices.SortFunc(bad, func(a, b mismatch) int {
		return cmp.Or(strings.Compare(a.db, b.db), strings.Compare(a.table, b.table))
	})
	parts := make([]string, 0, min(len(bad), maxMismatches)+1)
	for i, m := range bad {
		if i == maxMismatches {
			parts = append(parts, fmt.Sprintf("and %d more", len(bad)-maxMismatches))
			break
		}
		parts = append(parts, "table "+display(m.tableKey)+": "+m.reason)
	}
	return strings.Join(parts, "; ")
}

// quoted is db.table for SQL text.
func quoted(k tableKey) string { return mysqlx.QuoteIdent(k.db) + "." + mysqlx.QuoteIdent(k.table) }

// display is db.table for a message: plain when both are ordinary
// identifiers, each part quoted otherwise, so a space or a dot in a name
// cannot make the message ambiguous.
func display(k tableKey) string {
	if plainName(k.db) && plainName(k.table) {
		return k.db + "." + k.table
	}
	return quoted(k)
}

func plainName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$') {
			return false
		}
	}
	return true
}

// catalog answers "does it exist" from information_schema, one query per
// schema, matching names exactly in Go: information_schema compares with a
// case- and trailing-space-insensitive collation, which would let `Nova`
// or `nova ` pass for `nova`.
type catalog struct {
	db      *sql.DB
	schemas map[string]bool
	tables  map[string]map[string]bool
}

func newCatalog(db *sql.DB) *catalog {
	return &catalog{db: db, tables: map[string]map[string]bool{}}
}

func (c *catalog) hasDatabase(ctx context.Context, name string) (bool, error) {
	if c.schemas == nil {
		names, err := c.list(ctx, "SELECT SCHEMA_NAME, SCHEMA_NAME FROM information_schema.SCHEMATA", "")
		if err != nil {
			return false, fmt.Errorf("restore: verify: list databases: %w", err)
		}
		c.schemas = names
	}
	return c.schemas[name], nil
}

func (c *catalog) hasTable(ctx context.Context, k tableKey) (bool, error) {
	if k.db == "" || k.table == "" {
		return false, nil
	}
	names, ok := c.tables[k.db]
	if !ok {
		var err error
		names, err = c.list(ctx, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", k.db)
		if err != nil {
			return false, fmt.Errorf("restore: verify: list tables of %q: %w", k.db, err)
		}
		c.tables[k.db] = names
	}
	return names[k.table], nil
}

// list runs a query returning (schema, name) rows and keeps the names whose
// schema is exactly schema ("" = any).
func (c *catalog) list(ctx context.Context, q, schema string) (map[string]bool, error) {
	var args []any
	if schema != "" {
		args = append(args, schema)
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s, n string
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		if schema == "" || s == schema {
			out[n] = true
		}
	}
	return out, rows.Err()
}
