package restore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
)

// Server errors after which InnoDB has rolled back only the failed
// statement (in autocommit), so running it again is safe.
const (
	erLockWaitTimeout = 1205
	erLockDeadlock    = 1213
	insertAttempts    = 3
)

// insertJob is one extended INSERT on its way to a connection.
type insertJob struct {
	text  string
	pos   Position  // in the dump
	table TableName // as restored, for the tally
	rows  int64
}

// pool is the engine's connections: connection i is worker i's, and
// connection 0 also runs the serial statements, which only ever happens
// after a barrier, when no worker is busy.
type pool struct {
	conns    []*sql.Conn
	jobs     chan insertJob
	inflight sync.WaitGroup // dispatched INSERTs not yet done
	workers  sync.WaitGroup
	ctx      context.Context // canceled by the first failure
	cancel   context.CancelCauseFunc
	retry    atomic.Bool // INSERTs may be retried after a deadlock

	mu     sync.Mutex
	err    error // the first failure
	loaded map[TableName]int64
	rows   atomic.Int64 // the sum of loaded, for Progress without the lock
}

// openPool opens n connections and gives each the session the mariadb
// client would start with: --default-character-set=binary (the dump's own
// SET NAMES then decides), and sql_log_bin=0 when asked.
func openPool(ctx context.Context, db *sql.DB, n int, opt LoadOptions, loaded map[TableName]int64) (*pool, error) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	pctx, cancel := context.WithCancelCause(ctx)
	p := &pool{jobs: make(chan insertJob, n), ctx: pctx, cancel: cancel, loaded: loaded}
	p.retry.Store(true)
	init := []string{"SET NAMES binary"}
	if opt.NoBinlog {
		init = append(init, "SET SESSION sql_log_bin=0")
	}
	for range n {
		c, err := db.Conn(ctx)
		if err == nil {
			err = execEach(ctx, c, init)
		}
		if c != nil {
			p.conns = append(p.conns, c)
		}
		if err != nil {
			p.closeConns()
			cancel(nil)
			return nil, connectError(err)
		}
	}
	for i := range n {
		p.workers.Add(1)
		go p.work(p.conns[i])
	}
	return p, nil
}

func execEach(ctx context.Context, c *sql.Conn, stmts []string) error {
	for _, s := range stmts {
		if _, err := c.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// connectError says the test server could not be reached or refused the
// session; the server's error number, if any, decides TestServerFault.
func connectError(err error) *LoadError {
	le := &LoadError{ExitCode: -1, Err: fmt.Errorf("connect to test server: %w", err), lost: true}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		le.Code = int(me.Number)
	}
	return le
}

func (p *pool) work(c *sql.Conn) {
	defer p.workers.Done()
	for j := range p.jobs {
		if p.ctx.Err() == nil {
			if err := p.exec(c, j.text, j.pos, true); err != nil {
				p.fail(err)
			} else {
				p.mu.Lock()
				p.loaded[j.table] += j.rows
				p.mu.Unlock()
				p.rows.Add(j.rows)
			}
		}
		p.inflight.Done()
	}
}

// dispatch hands an INSERT to the next free connection. It blocks while
// every connection is busy and one more is queued: that bounds memory to
// about 2n statements.
func (p *pool) dispatch(j insertJob) error {
	p.inflight.Add(1)
	select {
	case p.jobs <- j:
		return nil
	case <-p.ctx.Done():
		p.inflight.Done()
		return p.failure()
	}
}

// barrier waits until every dispatched INSERT is done and returns the
// first failure.
func (p *pool) barrier() error {
	p.inflight.Wait()
	return p.failure()
}

// execAll runs a session statement on every connection.
func (p *pool) execAll(text string, pos Position) error {
	for _, c := range p.conns {
		if err := p.exec(c, text, pos, false); err != nil {
			p.fail(err)
			return p.failure()
		}
	}
	return nil
}

// execOne runs a statement on connection 0.
func (p *pool) execOne(text string, pos Position) error {
	if err := p.exec(p.conns[0], text, pos, false); err != nil {
		p.fail(err)
		return p.failure()
	}
	return nil
}

func (p *pool) noRetry() { p.retry.Store(false) }

// exec runs one statement; an INSERT that lost a deadlock or a lock wait is
// run again while the connections are in autocommit.
func (p *pool) exec(c *sql.Conn, text string, pos Position, insert bool) error {
	for attempt := 1; ; attempt++ {
		_, err := c.ExecContext(p.ctx, text)
		if err == nil {
			return nil
		}
		var me *mysql.MySQLError
		again := insert && p.retry.Load() && attempt < insertAttempts && errors.As(err, &me) &&
			(me.Number == erLockDeadlock || me.Number == erLockWaitTimeout)
		if !again {
			return p.statementError(err, pos)
		}
	}
}

// statementError turns a failed statement into a *LoadError locating it.
// Errors without a server error number come from the connection (lost,
// reset, packet over max_allowed_packet): the test server's fault.
func (p *pool) statementError(err error, pos Position) error {
	if p.ctx.Err() != nil {
		return context.Cause(p.ctx) // another failure, or the caller, stopped the load
	}
	le := &LoadError{ExitCode: -1, At: &pos, Err: fmt.Errorf("%s: %w", pos, err)}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		le.Code = int(me.Number)
	} else {
		le.lost = true
	}
	return le
}

func (p *pool) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
		p.cancel(err)
	}
}

// failure is the first failure, else the cause of a canceled ctx.
func (p *pool) failure() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	return context.Cause(p.ctx)
}

// close stops the workers and returns the connections.
func (p *pool) close() {
	close(p.jobs)
	p.workers.Wait()
	p.closeConns()
	p.cancel(nil)
}

func (p *pool) closeConns() {
	for _, c := range p.conns {
		_ = c.Close()
	}
}
