package restore

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"gravedancer/internal/failpoint"
	"gravedancer/internal/sqldump"
)

// route is what the engine does with a statement.
type route uint8

const (
	routeSkip    route = iota // not for the test server, or LOCK/UNLOCK TABLES
	routeClient               // DELIMITER: the client's state, nothing to run
	routeInsert               // a table's rows: any connection, concurrently
	routeSession              // session state: every connection, in order
	routeSerial               // anything else: one connection, after a barrier
)

// routeOf decides how a statement is run; the system schemas in allowed
// are restored like user databases.
func routeOf(st *sqldump.Statement, allowed map[string]bool) route {
	switch {
	case st.Kind == sqldump.KindDelimiter:
		return routeClient
	case skipExcept(st, allowed):
		return routeSkip
	case st.Kind == sqldump.KindInsert && st.Rows > 0:
		// Rows == 0 is INSERT … SELECT, which must see the complete
		// tables it reads: serial.
		return routeInsert
	case st.Kind == sqldump.KindUse:
		return routeSession
	}
	head := st.Text[:min(len(st.Text), headLen)]
	t := lexer{b: head}
	switch t.word() {
	case "LOCK", "UNLOCK":
		if w := t.word(); w == "TABLES" || w == "TABLE" {
			return routeSkip
		}
	case "SET":
		// SET GLOBAL, SET @@GLOBAL.gtid_purged…: once is what the dump
		// means, and some may only be set once.
		if !containsFold(head, "GLOBAL") {
			return routeSession
		}
	case "COMMIT", "ROLLBACK", "BEGIN", "START":
		return routeSession
	}
	return routeSerial
}

// opensTransactions reports whether a session statement takes the
// connections out of autocommit, after which a failed INSERT can no longer
// be retried on its own: a deadlock rolls back the whole transaction.
func opensTransactions(text []byte) bool {
	head := text[:min(len(text), headLen)]
	t := lexer{b: head}
	w := t.word()
	return w == "BEGIN" || w == "START" || containsFold(head, "AUTOCOMMIT")
}

func containsFold(b []byte, upperWord string) bool {
	return bytes.Contains(bytes.ToUpper(b), []byte(upperWord))
}

// engineRun feeds one dump to a pool.
type engineRun struct {
	source   string
	pool     *pool
	opt      LoadOptions
	res      *LoadResult
	sel      *selector // nil: everything
	progress *progressTicker
}

// run executes first (with firstErr, what the scanner returned for it) and
// every statement after it, waits for the last INSERTs, and reports
// progress a last time.
func (r *engineRun) run(ctx context.Context, sc *sqldump.Scanner, st *sqldump.Statement, err error) error {
	err = r.finish(r.loop(ctx, sc, st, err))
	if err == nil {
		err = r.sel.missing()
	}
	r.progress.tick(true, r.res.Statements, r.pool.rows.Load)
	return err
}

// failpointStatements is where a restore stops for the fault suite: far
// enough in that databases exist and rows were loaded.
const failpointStatements = 40

func (r *engineRun) loop(ctx context.Context, sc *sqldump.Scanner, st *sqldump.Statement, err error) error {
	for ; ; st, err = sc.Next() {
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &LoadError{ExitCode: -1, Err: fmt.Errorf("artifact %s: %w", r.source, err), artifact: true}
		}
		if err := r.statement(ctx, st); err != nil {
			return err
		}
		if failpoint.Enabled && r.res.Statements == failpointStatements {
			failpoint.Hit(failpoint.RestoreLoad)
		}
		r.progress.tick(false, r.res.Statements, r.pool.rows.Load)
	}
}

// finish waits for the INSERTs in flight; the first failure wins.
func (r *engineRun) finish(err error) error {
	if werr := r.pool.barrier(); err == nil {
		err = werr
	}
	return err
}

func (r *engineRun) statement(ctx context.Context, st *sqldump.Statement) error {
	rt, tg := r.route(st)
	switch rt {
	case routeClient:
		r.res.Statements++
		return nil
	case routeSkip:
		r.res.Skipped++
		return nil
	}
	db := r.sel.restoredAs(st.Database)
	if r.sel.covers(st.Database) {
		r.res.noteDatabase(db)
	}
	r.res.Statements++
	pos := Position{Line: st.Line, Offset: st.Offset, Database: st.Database, Table: st.Table}
	text := r.sel.rewrite(st.Text, tg)
	if rt == routeInsert {
		// A copy: the scanner reuses st.Text for the next statement.
		return r.pool.dispatch(insertJob{text: string(text), pos: pos, table: TableName{db, st.Table}, rows: st.Rows})
	}
	if err := r.pool.barrier(); err != nil {
		return err
	}
	if r.opt.StripDefiners && hasDefiner(st.Kind) {
		text = withoutDefiner(text)
	}
	if rt == routeSession {
		if opensTransactions(text) {
			r.pool.noRetry()
		}
		return r.pool.execAll(string(text), pos)
	}
	return r.pool.execOne(string(text), pos)
}

// route decides how st is run, the selection included; tg, what st acts
// on, is only read when there is a selection.
func (r *engineRun) route(st *sqldump.Statement) (route, subject) {
	r.sel.note(st)
	rt := routeOf(st, r.sel.allowed())
	if r.sel == nil || rt == routeClient || rt == routeSkip {
		return rt, subject{}
	}
	tg := inspect(st)
	if !r.sel.keeps(st, rt, tg) {
		return routeSkip, tg
	}
	return rt, tg
}
