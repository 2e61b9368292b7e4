// Package bench measures gravedancer against the tools its users run today —
// the seed's bash flow (mariadb-dump, md5sum, grep, mariadb < dump, gzip),
// plain mariadb-dump and mariadb, and mydumper/myloader — on the same
// generated OpenStack-like data, in one invocation, and prints the ratios
// with their targets. `make bench` runs it (BenchmarkFleet); `go test ./...`
// only runs the generator's unit test.
package bench

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	// genConns is how many connections insert at once: enough to keep the
	// server busy while Go builds the next statement, few enough for 2 cores.
	genConns = 3
	// stmtBytes is the size of one multi-row INSERT, about what mariadb-dump
	// writes per statement, far below the servers' max_allowed_packet.
	stmtBytes = 1 << 20
	// smallShare caps the small tables at this share of the target, so a
	// tiny scale is still mostly the big tables, as production is.
	smallShare = 0.10
	// tableOverhead is what mariadb-dump writes per table besides its rows:
	// the comment banner, DROP TABLE, SET character_set_client lines, LOCK
	// TABLES and the ALTER TABLE … KEYS pair (measured on 10.11, ±200 bytes).
	tableOverhead = 1100
	// systemOverhead is what mariadb-dump -A writes for a fresh MariaDB
	// 10.11 server: mostly the mysql schema's help tables (2.2 MB) and the
	// geometry procedures in mysql.proc (0.4 MB). Every region's dump
	// carries it, so it counts towards the target.
	systemOverhead = 2_650_000
	// sampleRows is how many rows estimate a table's row width. The big
	// tables' rows vary most (blobs of 2-48 KiB) and set the dump's size,
	// so they get more.
	sampleRows    = 128
	sampleRowsBig = 1024
)

// Stats describes what Generate created.
type Stats struct {
	Seed      int64        `json:"seed"`
	Target    int64        `json:"target_bytes"`
	Databases []string     `json:"databases"`
	Tables    []TableStats `json:"tables"`
	Rows      int64        `json:"rows"`
	// DumpBytes estimates the size of mariadb-dump's output for these
	// databases: the row tuples exactly as mariadb-dump escapes them, plus
	// per-table and per-dump overheads.
	DumpBytes  int64         `json:"dump_bytes"`
	Statements int64         `json:"statements"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// TableStats is one generated table.
type TableStats struct {
	Database string `json:"database"`
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Bytes    int64  `json:"bytes"` // row tuples as mariadb-dump writes them
	Big      bool   `json:"big,omitempty"`
}

// Generate (re)creates the OpenStack-like databases of schema() in db and
// fills them so that a mariadb-dump of the server is about targetBytes
// long. The content is a pure function of seed and targetBytes: every chunk
// of rows draws from its own random source, so which connection inserts it,
// and when, changes nothing (CHECKSUM TABLE is the same from run to run).
//
// It drops those databases first; it touches nothing else on the server.
func Generate(ctx context.Context, db *sql.DB, targetBytes int64, seed int64) (Stats, error) {
	began := time.Now()
	if targetBytes <= 0 {
		return Stats{}, fmt.Errorf("bench: generate: target size must be positive, got %d", targetBytes)
	}
	p := newPlan(schema(), targetBytes, seed)
	if err := p.createSchema(ctx, db); err != nil {
		return Stats{}, err
	}
	if err := p.fill(ctx, db); err != nil {
		return Stats{}, err
	}
	st := p.stats()
	st.Elapsed = time.Since(began)
	return st, nil
}

// genFn appends one SQL literal, written as mariadb-dump writes it, to g.buf.
type genFn func(g *gen)

type column struct {
	name string
	ddl  string // type and attributes
	fn   genFn
}

type table struct {
	db, name string
	cols     []column
	keys     []string // PRIMARY KEY, UNIQUE KEY, KEY and CONSTRAINT clauses
	baseRows int64    // small tables: rows at full scale
	share    float64  // big tables: share of the big-table budget
	key      uint64   // hash of db.name, separates the random streams

	rows     int64
	avgDump  float64 // dump bytes per row, sampled
	avgSent  float64 // statement bytes per row, sampled
	perChunk int64

	bytes atomic.Int64
}

func (t *table) big() bool { return t.share > 0 }

func (t *table) ddl() string {
	s := "CREATE TABLE `" + t.name + "` (\n"
	for i, c := range t.cols {
		if i > 0 {
			s += ",\n"
		}
		s += "  `" + c.name + "` " + c.ddl
	}
	for _, k := range t.keys {
		s += ",\n  " + k
	}
	return s + "\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
}

// gen is the state of one row being written.
type gen struct {
	r    *rand.Rand
	seed uint64
	id   int64
	buf  []byte
	// adj is how much longer mariadb-dump writes the values than the
	// statement does (blobs are sent as hex, dumped as escaped binary).
	adj int64
}

type plan struct {
	tables []*table
	seed   int64
	target int64
	stmts  atomic.Int64
}

func newPlan(tables []*table, target, seed int64) *plan {
	p := &plan{tables: tables, seed: seed, target: target}
	for _, t := range tables {
		h := fnv.New64a()
		h.Write([]byte(t.db + "." + t.name))
		t.key = h.Sum64()
	}
	// Foreign keys draw from their parent's row count; give every table a
	// provisional one so that sampling has something to draw from.
	for _, t := range tables {
		t.rows = max(t.baseRows, 1)
	}
	for _, t := range tables {
		t.sample(uint64(seed))
	}
	overhead := float64(systemOverhead)
	var smallFull float64
	for _, t := range tables {
		overhead += float64(tableOverhead + len(t.ddl()))
		if !t.big() {
			smallFull += float64(t.baseRows) * t.avgDump
		}
	}
	f := min(1, smallShare*float64(target)/smallFull)
	var small float64
	for _, t := range tables {
		if !t.big() {
			t.rows = max(3, int64(float64(t.baseRows)*f+0.5))
			small += float64(t.rows) * t.avgDump
		}
	}
	budget := max(0, float64(target)-small-overhead)
	for _, t := range tables {
		if t.big() {
			t.rows = max(1, int64(t.share*budget/t.avgDump))
		}
		t.perChunk = max(1, int64(stmtBytes/t.avgSent))
	}
	return p
}

// sample measures the average row width from rows drawn from a stream that
// no chunk uses.
func (t *table) sample(seed uint64) {
	g := &gen{r: rand.New(rand.NewPCG(seed, t.key^0xa5a5a5a5a5a5a5a5)), seed: seed}
	n := int64(sampleRows)
	if t.big() {
		n = sampleRowsBig
	}
	var sent int64
	for i := int64(1); i <= n; i++ {
		g.id = i
		g.buf = g.buf[:0]
		t.row(g)
		sent += int64(len(g.buf)) + 1 // and the comma between tuples
	}
	t.avgSent = float64(sent) / float64(n)
	t.avgDump = float64(sent+g.adj) / float64(n)
}

func (t *table) row(g *gen) {
	g.buf = append(g.buf, '(')
	for i, c := range t.cols {
		if i > 0 {
			g.buf = append(g.buf, ',')
		}
		c.fn(g)
	}
	g.buf = append(g.buf, ')')
}

func (p *plan) createSchema(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bench: generate: connect: %w", err)
	}
	defer conn.Close()
	// Tables are created in schema order, children after their parents,
	// but with checks off the order would not matter anyway.
	stmts := []string{"SET SESSION foreign_key_checks = 0"}
	for _, d := range p.databases() {
		stmts = append(stmts, "DROP DATABASE IF EXISTS `"+d+"`",
			"CREATE DATABASE `"+d+"` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
	}
	for _, t := range p.tables {
		stmts = append(stmts, "USE `"+t.db+"`", t.ddl())
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("bench: generate: %w\nSQL: %.300s", err, s)
		}
	}
	return nil
}

func (p *plan) databases() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range p.tables {
		if !seen[t.db] {
			seen[t.db] = true
			out = append(out, t.db)
		}
	}
	return out
}

type chunk struct {
	t     *table
	index uint64
	first int64
	n     int64
}

// chunks lists the work small tables first, then the big tables' chunks
// interleaved, so that the connections spread over the tables.
func (p *plan) chunks() []chunk {
	var out []chunk
	var bigs [][]chunk
	for _, t := range p.tables {
		var cs []chunk
		for i, first := uint64(0), int64(1); first <= t.rows; i, first = i+1, first+t.perChunk {
			cs = append(cs, chunk{t: t, index: i, first: first, n: min(t.perChunk, t.rows-first+1)})
		}
		if t.big() {
			bigs = append(bigs, cs)
		} else {
			out = append(out, cs...)
		}
	}
	for i := 0; ; i++ {
		more := false
		for _, cs := range bigs {
			if i < len(cs) {
				out = append(out, cs[i])
				more = true
			}
		}
		if !more {
			return out
		}
	}
}

func (p *plan) fill(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan chunk)
	var wg sync.WaitGroup
	for range genConns {
		wg.Go(func() {
			if err := p.worker(ctx, db, work); err != nil {
				cancel(err)
			}
		})
	}
	feed := func() {
		defer close(work)
		for _, c := range p.chunks() {
			select {
			case work <- c:
			case <-ctx.Done():
				return
			}
		}
	}
	feed()
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func (p *plan) worker(ctx context.Context, db *sql.DB, work <-chan chunk) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bench: generate: connect: %w", err)
	}
	defer conn.Close()
	// Children may arrive before their parents; the values are valid by
	// construction, as a dump's are when mariadb-dump turns checks off too.
	if _, err := conn.ExecContext(ctx, "SET SESSION foreign_key_checks = 0"); err != nil {
		return fmt.Errorf("bench: generate: %w", err)
	}
	g := &gen{seed: uint64(p.seed), buf: make([]byte, 0, stmtBytes+stmtBytes/4)}
	for c := range work {
		prefix := "INSERT INTO `" + c.t.db + "`.`" + c.t.name + "` VALUES "
		g.buf = append(g.buf[:0], prefix...)
		g.adj = 0
		// One stream per chunk: the chunk's rows depend on nothing else.
		g.r = rand.New(rand.NewPCG(uint64(p.seed), c.t.key^(c.index*0x9e3779b97f4a7c15+1)))
		for id := c.first; id < c.first+c.n; id++ {
			if id > c.first {
				g.buf = append(g.buf, ',')
			}
			g.id = id
			c.t.row(g)
		}
		// mariadb-dump's own statement: INSERT INTO `t` VALUES …;\n
		dumped := int64(len(g.buf)-len(prefix)) + g.adj + int64(len("INSERT INTO `` VALUES ;\n")+len(c.t.name))
		if _, err := conn.ExecContext(ctx, string(g.buf)); err != nil {
			if ctx.Err() != nil {
				return nil // another worker failed first
			}
			return fmt.Errorf("bench: generate: insert into %s.%s rows %d-%d: %w", c.t.db, c.t.name, c.first, c.first+c.n-1, err)
		}
		c.t.bytes.Add(dumped)
		p.stmts.Add(1)
	}
	return nil
}

func (p *plan) stats() Stats {
	st := Stats{Seed: p.seed, Target: p.target, Databases: p.databases(), Statements: p.stmts.Load()}
	st.DumpBytes = systemOverhead
	for _, t := range p.tables {
		b := t.bytes.Load()
		st.Tables = append(st.Tables, TableStats{Database: t.db, Table: t.name, Rows: t.rows, Bytes: b, Big: t.big()})
		st.Rows += t.rows
		st.DumpBytes += b + tableOverhead + int64(len(t.ddl()))
	}
	return st
}

// Value generators. Each appends the literal exactly as mariadb-dump
// (without --hex-blob) would write the value, so that the bytes counted
// are the dump's.

func idCol(g *gen) { g.buf = strconv.AppendInt(g.buf, g.id, 10) }

func intCol(lo, hi int64) genFn {
	return func(g *gen) { g.buf = strconv.AppendInt(g.buf, lo+g.r.Int64N(hi-lo+1), 10) }
}

// skewed draws small values far more often than large ones, as counters do.
func skewed(hi int64) genFn {
	return func(g *gen) {
		v := int64(float64(hi) * g.r.Float64() * g.r.Float64() * g.r.Float64())
		g.buf = strconv.AppendInt(g.buf, v, 10)
	}
}

func nullable(p float64, fn genFn) genFn {
	return func(g *gen) {
		if g.r.Float64() < p {
			g.buf = append(g.buf, "NULL"...)
			return
		}
		fn(g)
	}
}

// epoch is the earliest generated datetime.
var epoch = time.Date(2021, 3, 29, 0, 0, 0, 0, time.UTC).Unix()

func datetime(g *gen) {
	t := time.Unix(epoch+g.r.Int64N(5*365*86400), 0).UTC()
	g.buf = t.AppendFormat(g.buf, "'2006-01-02 15:04:05'")
}

// decimal writes a DECIMAL(intDigits+scale, scale) value.
func decimal(intDigits, scale int) genFn {
	ip := int64(1)
	for range intDigits {
		ip *= 10
	}
	fp := int64(1)
	for range scale {
		fp *= 10
	}
	return func(g *gen) {
		v := g.r.Int64N(ip)
		if g.r.IntN(8) == 0 {
			g.buf = append(g.buf, '-')
		}
		g.buf = strconv.AppendInt(g.buf, v, 10)
		g.buf = append(g.buf, '.')
		f := strconv.AppendInt(nil, g.r.Int64N(fp), 10)
		for range scale - len(f) {
			g.buf = append(g.buf, '0')
		}
		g.buf = append(g.buf, f...)
	}
}

func pick(values ...string) genFn {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + escape(v) + "'"
	}
	return func(g *gen) { g.buf = append(g.buf, quoted[g.r.IntN(len(quoted))]...) }
}

// mix64 is splitmix64's finaliser: a cheap bijective hash.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func appendUUID(buf []byte, hi, lo uint64) []byte {
	var b [16]byte
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return append(buf, s[:]...)
}

// rowUUID is the UUID of row id of the table keyed key: unique per row, and
// computable by a child table that refers to it.
func rowUUID(buf []byte, seed, key uint64, id int64) []byte {
	h := mix64(seed ^ key ^ uint64(id)*0xd6e8feb86659fd93)
	buf = append(buf, '\'')
	buf = appendUUID(buf, h, mix64(h^uint64(id)))
	return append(buf, '\'')
}

// ownUUID is this row's UUID; use it for the table's own uuid column.
func ownUUID(t **table) genFn {
	return func(g *gen) { g.buf = rowUUID(g.buf, g.seed, (*t).key, g.id) }
}

// randomUUID refers to nothing in particular.
func randomUUID(g *gen) {
	g.buf = append(g.buf, '\'')
	g.buf = appendUUID(g.buf, g.r.Uint64(), g.r.Uint64())
	g.buf = append(g.buf, '\'')
}

// refID is a foreign key to a parent's integer id.
func refID(parent **table) genFn {
	return func(g *gen) { g.buf = strconv.AppendInt(g.buf, 1+g.r.Int64N(max((*parent).rows, 1)), 10) }
}

// refUUID is a foreign key to a parent's ownUUID column.
func refUUID(parent **table) genFn {
	return func(g *gen) {
		p := *parent
		g.buf = rowUUID(g.buf, g.seed, p.key, 1+g.r.Int64N(max(p.rows, 1)))
	}
}

// poolHex picks one of n fixed hex ids of width chars, e.g. the projects
// that own most resources.
func poolHex(n, width int) genFn {
	return func(g *gen) {
		v := mix64(g.seed ^ uint64(g.r.IntN(n))*0x2545f4914f6cdd1d)
		g.buf = append(g.buf, '\'')
		var b [32]byte
		for i := range width {
			b[i] = "0123456789abcdef"[(v>>(4*(i%16)))&15]
			if i%16 == 15 {
				v = mix64(v)
			}
		}
		g.buf = append(g.buf, b[:width]...)
		g.buf = append(g.buf, '\'')
	}
}

// hostName picks one of n compute host names.
func hostName(n int) genFn {
	return func(g *gen) {
		g.buf = append(g.buf, "'compute-"...)
		g.buf = strconv.AppendInt(g.buf, int64(g.r.IntN(n)), 10)
		g.buf = append(g.buf, ".az1.cloud.example.com'"...)
	}
}

// named is prefix-<id>, unique per row.
func named(prefix string) genFn {
	return func(g *gen) {
		g.buf = append(g.buf, '\'')
		g.buf = append(g.buf, prefix...)
		g.buf = strconv.AppendInt(g.buf, g.id, 10)
		g.buf = append(g.buf, '\'')
	}
}

// Word lists, stored escaped. The utf8mb4 list holds what breaks naive SQL
// handling: quotes, backslashes, dump-comment look-alikes, a statement
// terminator, control characters and 3- and 4-byte characters.
var (
	plainWords = escapeAll([]string{
		"instance", "compute", "volume", "network", "subnet", "router", "flavor", "image",
		"project", "domain", "tenant", "hypervisor", "scheduler", "migration", "snapshot",
		"backup", "quota", "port", "floating", "security", "group", "rule", "allocation",
		"resource", "provider", "inventory", "aggregate", "host", "cell", "stack", "event",
		"template", "token", "service", "endpoint", "region", "user", "role", "the", "a",
		"of", "to", "and", "in", "for", "is", "on", "with", "active", "error", "building",
		"deleted", "shelved", "resized", "rebooting", "available", "in-use", "attaching",
		"ml2", "ovs", "vxlan", "dhcp", "metadata", "keypair", "console", "rescue", "paused",
	})
	utf8Words = escapeAll([]string{
		"O'Reilly", `"quoted"`, `C:\Users\admin`, `back\slash`, "naïve", "Zürich", "東京",
		"Москва", "🚀", "✅", "😀", "line\nbreak", "tab\there", "cr\rlf", "ctrl\x1aZ",
		"50%_off", "--not-a-comment", "/*!40101 nope */", "';DROP TABLE x;--", "`tick`",
		"DELIMITER ;;", "–dash–", "ß", "日本語テキスト", "ไทย", "عربى",
	})
	latin1Words = escapeAll([]string{
		"café", "Ångström", "señor", "Zürich", "O'Brien", `back\slash`, "naïve", "façade",
		"smörgåsbord", "£100", "©2021", "½", "Ærøskøbing", "crème brûlée",
	})
)

func escapeAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = escape(w)
	}
	return out
}

// escape is mysql_real_escape_string, which mariadb-dump uses for strings.
func escape(s string) string { return string(appendEscaped(nil, []byte(s))) }

func appendEscaped(buf, s []byte) []byte {
	for _, c := range s {
		switch c {
		case 0:
			buf = append(buf, '\\', '0')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\'':
			buf = append(buf, '\\', '\'')
		case '"':
			buf = append(buf, '\\', '"')
		case 0x1a:
			buf = append(buf, '\\', 'Z')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// text writes between minWords and maxWords words; one in every `special`
// words (0: none) comes from the specials list.
func text(minWords, maxWords, special int, specials []string) genFn {
	return func(g *gen) {
		n := minWords + g.r.IntN(maxWords-minWords+1)
		g.buf = append(g.buf, '\'')
		for i := range n {
			if i > 0 {
				g.buf = append(g.buf, ' ')
			}
			if special > 0 && g.r.IntN(special) == 0 {
				g.buf = append(g.buf, specials[g.r.IntN(len(specials))]...)
			} else {
				g.buf = append(g.buf, plainWords[g.r.IntN(len(plainWords))]...)
			}
		}
		g.buf = append(g.buf, '\'')
	}
}

func words(minWords, maxWords int) genFn { return text(minWords, maxWords, 0, nil) }

func utf8Text(minWords, maxWords int) genFn { return text(minWords, maxWords, 6, utf8Words) }

func latin1Text(minWords, maxWords int) genFn { return text(minWords, maxWords, 4, latin1Words) }

// jsonDoc writes a JSON object of n flat keys, escaped as a string literal,
// like nova's system_metadata or keystone's extra.
func jsonDoc(minKeys, maxKeys int) genFn {
	return func(g *gen) {
		n := minKeys + g.r.IntN(maxKeys-minKeys+1)
		g.buf = append(g.buf, '\'', '{')
		for i := range n {
			if i > 0 {
				g.buf = append(g.buf, ',', ' ')
			}
			g.buf = append(g.buf, `\"`...)
			g.buf = append(g.buf, plainWords[g.r.IntN(len(plainWords))]...)
			g.buf = append(g.buf, '_')
			g.buf = strconv.AppendInt(g.buf, int64(i), 10)
			g.buf = append(g.buf, `\": `...)
			switch g.r.IntN(4) {
			case 0:
				g.buf = strconv.AppendInt(g.buf, g.r.Int64N(1<<20), 10)
			case 1:
				g.buf = append(g.buf, "null"...)
			case 2:
				g.buf = append(g.buf, `\"`...)
				g.buf = appendUUID(g.buf, g.r.Uint64(), g.r.Uint64())
				g.buf = append(g.buf, `\"`...)
			default:
				g.buf = append(g.buf, `\"`...)
				for j := range 1 + g.r.IntN(4) {
					if j > 0 {
						g.buf = append(g.buf, ' ')
					}
					g.buf = append(g.buf, plainWords[g.r.IntN(len(plainWords))]...)
				}
				g.buf = append(g.buf, `\"`...)
			}
		}
		g.buf = append(g.buf, '}', '\'')
	}
}

// base64Text writes cloud-init user data: base64 of nothing in particular.
func base64Text(minLen, maxLen int) genFn {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return func(g *gen) {
		n := (minLen + g.r.IntN(maxLen-minLen+1)) &^ 3
		g.buf = append(g.buf, '\'')
		for i := 0; i < n; i += 8 {
			v := g.r.Uint64()
			for j := range min(8, n-i) {
				g.buf = append(g.buf, alphabet[(v>>(6*j))&63])
			}
		}
		g.buf = append(g.buf, '\'')
	}
}

// blob writes between minLen and maxLen bytes, one part random and the
// rest a repeated template text, so it compresses as attachments and
// template files do. The statement carries it as hex; g.adj accounts for
// the escaped binary string mariadb-dump writes instead.
func blob(minLen, maxLen int) genFn {
	filler := []byte("heat_template_version: 2021-04-16\nresources:\n  server:\n    type: OS::Nova::Server\n    properties: {flavor: m1.small, image: cirros}\n")
	var raw []byte
	return func(g *gen) {
		n := minLen + g.r.IntN(maxLen-minLen+1)
		raw = raw[:0]
		random := n / 3
		for len(raw) < random {
			v := g.r.Uint64()
			for j := 0; j < 8 && len(raw) < random; j++ {
				raw = append(raw, byte(v>>(8*j)))
			}
		}
		for len(raw) < n {
			raw = append(raw, filler[:min(len(filler), n-len(raw))]...)
		}
		start := len(g.buf)
		g.buf = append(g.buf, 'X', '\'')
		g.buf = hex.AppendEncode(g.buf, raw)
		g.buf = append(g.buf, '\'')
		special := 0
		for _, c := range raw {
			switch c {
			case 0, '\n', '\r', '\\', '\'', '"', 0x1a:
				special++
			}
		}
		g.adj += int64(2+len(raw)+special) - int64(len(g.buf)-start)
	}
}
