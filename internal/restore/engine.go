package restore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"

	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/sqldump"
)

// Engine loads artifacts by executing their statements itself, over
// Parallel connections to the test server, instead of piping them into one
// client process.
//
// The mariadb client spends little CPU of its own: a restore waits on the
// server executing one statement at a time. The engine keeps several
// statements executing at once. Every statement but a table's extended
// INSERTs runs in dump order; a table's INSERTs are spread over the
// connections, and a barrier waits for all of them before the next
// statement of any other kind, so DDL, triggers, views and routines always
// see complete data. Statements that set session state (SET, USE, COMMIT…)
// run on every connection, so each one inserts with the dump's character
// set, time zone, sql_mode and checks. LOCK/UNLOCK TABLES are left out:
// locks are per connection and would make the others wait.
type Engine struct {
	// Parallel is the number of connections; 0 picks DefaultParallel.
	Parallel int
}

var _ interface {
	Load(context.Context, string, string, Target, LoadOptions) (*LoadResult, error)
} = (*Engine)(nil)

const (
	// fallbackParallel is used when the server does not say how many
	// CPUs it has (MySQL, which has no thread_pool_size).
	fallbackParallel = 4
	maxParallel      = 16
)

// DefaultParallel is twice the test server's CPUs, as MariaDB reports them
// in thread_pool_size (its default is the CPU count), within [2, 16]: one
// connection per CPU keeps the server busy, the second hides the round
// trips and the engine's own parsing.
func DefaultParallel(ctx context.Context, db *sql.DB) int {
	var cpus int
	if err := db.QueryRowContext(ctx, "SELECT @@thread_pool_size").Scan(&cpus); err != nil || cpus <= 0 {
		return fallbackParallel
	}
	return min(max(2*cpus, 2), maxParallel)
}

// Load has Loader.Load's contract, with these differences: a failing
// statement is a *LoadError whose At says where it is in the decompressed
// dump and whose Code is the server's error number; LoadResult.Loaded
// tallies the rows of every INSERT that succeeded (see CheckLoaded); and an
// error wrapping ErrEngineUnsupported, returned before anything reached the
// server, says the dump is for the client (Loader) instead.
//
// It honours opt.Select (see Selection): an invalid one fails with an error
// wrapping ErrInvalidSelection before anything is read or sent; a valid one
// naming databases or tables the dump lacks restores what the dump has and
// then fails with an error wrapping ErrNotInDump.
func (e *Engine) Load(ctx context.Context, artifact, compression string, t Target, opt LoadOptions) (*LoadResult, error) {
	res := &LoadResult{Method: MethodEngine, Loaded: map[TableName]int64{}}
	if err := opt.Select.Validate(); err != nil {
		return res, err
	}
	in, err := openArtifact(artifact, compression, opt.Decrypt)
	if err != nil {
		return res, err
	}
	defer in.Close()
	counted := &countingReader{r: in}
	sc := sqldump.NewScanner(counted, sqldump.Options{KeepText: true})
	first, firstErr := sc.Next()
	if err := e.supported(sc, first, firstErr); err != nil {
		return res, err
	}

	db, err := openEngineDB(t)
	if err != nil {
		return res, err
	}
	defer db.Close()
	n := e.Parallel
	if n <= 0 {
		n = DefaultParallel(ctx, db)
	}
	res.Connections = n
	p, err := openPool(ctx, db, n, opt, res.Loaded)
	if err != nil {
		return res, err
	}
	r := &engineRun{source: artifact, pool: p, opt: opt, res: res,
		sel: newSelector(opt.Select), progress: newProgressTicker(opt.Progress, counted)}
	err = r.run(ctx, sc, first, firstErr)
	p.close()
	if ctx.Err() != nil && err != nil {
		return res, fmt.Errorf("restore: load canceled: %w", ctx.Err())
	}
	return res, err
}

// supported decides, from the first statement and the header comments read
// before it, whether the engine replays this dump as the client would. Only
// mysqldump/mariadb-dump output is known to use nothing but plain
// statements and DELIMITER; other input may hold client commands.
func (e *Engine) supported(sc *sqldump.Scanner, first *sqldump.Statement, err error) error {
	switch {
	case err == io.EOF:
		return nil // empty dump: nothing to run either way
	case err != nil:
		return nil // the run reports it as the artifact's fault
	case sc.Header().Tool == "":
		return fmt.Errorf("%w: the dump has no mysqldump/mariadb-dump header line", ErrEngineUnsupported)
	}
	return nil
}

// openEngineDB connects without the driver's I/O timeouts: one statement
// (an ALTER TABLE … ENABLE KEYS on a big table) may run for longer than
// any fixed bound, and ctx ends a load that must stop.
func openEngineDB(t Target) (*sql.DB, error) {
	cfg := mysqlx.Config(mysqlx.Credentials{Host: t.Host, Port: t.Port, User: t.User, Password: t.Password})
	cfg.ReadTimeout, cfg.WriteTimeout = 0, 0
	// 0: the driver asks the server for max_allowed_packet rather than
	// refusing statements above its own 64 MiB default.
	cfg.MaxAllowedPacket = 0
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return sql.OpenDB(c), nil
}

// ErrEngineUnsupported is wrapped by Engine.Load when the dump needs the
// mariadb client; nothing has been sent to the server then.
var ErrEngineUnsupported = errors.New("restore engine cannot replay this dump")

// CheckLoaded compares the engine's tally of inserted rows with the dump's
// manifest, table by table (system schemas, which are never restored, left
// out). It returns nil for a client load, which tallies nothing, and a
// *CheckError naming the first table that differs. It is for whole loads:
// a load with a Selection restores only some of the manifest's tables,
// possibly under another database name.
func CheckLoaded(res *LoadResult, man *job.Manifest) error {
	if res == nil || res.Loaded == nil {
		return nil
	}
	inDump := map[TableName]bool{}
	for _, tc := range man.Tables {
		name := TableName{tc.Database, tc.Table}
		inDump[name] = true
		if isSystem(tc.Database) {
			continue
		}
		if got := res.Loaded[name]; got != tc.Rows {
			return &CheckError{Reason: fmt.Sprintf("table %s.%s: the dump has %d rows, the engine inserted %d", tc.Database, tc.Table, tc.Rows, got)}
		}
	}
	for _, name := range slices.SortedFunc(maps.Keys(res.Loaded), compareTables) {
		if !inDump[name] {
			return &CheckError{Reason: fmt.Sprintf("table %s.%s: not in the dump's manifest, the engine inserted %d rows", name.Database, name.Table, res.Loaded[name])}
		}
	}
	return nil
}

func compareTables(a, b TableName) int {
	return cmp.Or(strings.Compare(a.Database, b.Database), strings.Compare(a.Table, b.Table))
}
