package bench

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"gravedancer/internal/codec"
	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/proc"
	"gravedancer/internal/report"
	"gravedancer/internal/restore"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// What gravedancer is held to. Each ratio is gravedancer's figure over the
// tool it replaces, measured in the same run on the same data.
const (
	targetPipeline = 0.45 // gravedancer backup wall / seed flow wall
	targetMyloader = 1.0  // engine restore / myloader load
	targetClient   = 0.4  // engine restore / mariadb < dump
	targetDump     = 1.10 // gravedancer dump stage / raw mariadb-dump to a file
	targetRSSMiB   = 100  // gravedancer backup's peak RSS
)

const (
	defaultScale = "300MB"
	// stepTimeout bounds each measured command, so that a hung one fails
	// with its name well before go test's -timeout panics.
	stepTimeout   = 20 * time.Minute
	restoreGrants = "ALL PRIVILEGES ON *.*"
	resultsFile   = "results.json"
)

// BenchmarkFleet runs the seed flow, raw mariadb-dump, mydumper/myloader
// and gravedancer over the same two generated regions, restores one
// gravedancer artifact four ways, prints a table of figures and ratios, and
// writes them to results.json. BENCH_SCALE sets each region's dump size
// (default 300MB). Run it with -benchtime 1x; each further iteration
// repeats every measurement.
func BenchmarkFleet(b *testing.B) {
	scaleText := cmp.Or(strings.TrimSpace(os.Getenv("BENCH_SCALE")), defaultScale)
	scale, err := parseScale(scaleText)
	if err != nil {
		b.Fatalf("BENCH_SCALE: %v", err)
	}
	f := setupFleet(b, scale)
	iter := 0
	for b.Loop() {
		iter++
		res := f.measure(b, iter)
		res.BenchScale, res.ScaleBytes = scaleText, scale
		fmt.Println(res.table())
		if err := res.write(resultsFile); err != nil {
			b.Fatal(err)
		}
		for _, r := range res.Ratios {
			if r.Value != nil {
				b.ReportMetric(*r.Value, r.Metric)
			}
		}
	}
}

// parseScale reads sizes like 300MB, 1GB, 512MiB or 1048576. KB, MB and GB
// are powers of 1000, KiB, MiB and GiB powers of 1024.
func parseScale(s string) (int64, error) {
	t := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	units := []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 300MB, 50MB or 1GB", s)
	}
	n := int64(v * float64(mult))
	if n < 8<<20 {
		return 0, fmt.Errorf("%q is below 8 MiB: a 10.11 server's own schema alone is 2.65 MB of each dump", s)
	}
	return n, nil
}

// region is one source server.
type region struct {
	name     string
	srv      *testenv.MariaDB
	defaults string // backupuser's option file
	stats    Stats
}

type fleet struct {
	dir        string
	regions    []*region
	test       *testenv.MariaDB
	testDB     *sql.DB // root on the test server, for drops and checks
	testCnf    string  // restoreuser's option file
	target     restore.Target
	sourcePw   string // backupuser's password file
	sourceCred config.Secret
	restorePw  string // restoreuser's password file
	gravedance string // the built binary
	tools      map[string]string
	setup      []Figure
}

func setupFleet(b testing.TB, scale int64) *fleet {
	b.Helper()
	f := &fleet{dir: b.TempDir(), tools: map[string]string{}}
	for _, name := range []string{"bash", "go", "mariadb", "mariadb-dump", "mydumper", "myloader", "gzip", "md5sum"} {
		p, err := exec.LookPath(name)
		if err != nil {
			b.Fatalf("%s is not in PATH; `make bench` installs what is missing (scripts/ensure-deps.sh mydumper)", name)
		}
		f.tools[name] = p
	}

	// Quotes, '#' and blanks, so that an option file that mangles them fails
	// the run rather than passing by luck.
	sourcePassword, restorePassword := secret("src"), secret("rst")
	for i, seed := range []int64{1, 2} {
		r := &region{name: fmt.Sprintf("REG%d", i+1), srv: testenv.StartMariaDBArgs(b, testenv.BenchServer...)}
		r.srv.CreateUser(b, "backupuser", sourcePassword, testenv.BackupGrants)
		r.defaults = f.optionFile(b, r.srv, "backupuser", sourcePassword)
		r.stats.Seed = seed
		f.regions = append(f.regions, r)
	}
	f.test = testenv.StartMariaDBArgs(b, testenv.BenchServer...)
	f.test.CreateUser(b, "restoreuser", restorePassword, restoreGrants)
	f.testDB = f.test.DB(b)
	f.testCnf = f.optionFile(b, f.test, "restoreuser", restorePassword)
	f.target = restore.Target{Host: f.test.Host, Port: f.test.Port, User: "restoreuser", Password: config.Secret(restorePassword)}
	f.sourcePw = f.secretFile(b, "source.password", sourcePassword)
	f.sourceCred = config.Secret(sourcePassword)
	f.restorePw = f.secretFile(b, "restore.password", restorePassword)

	f.gravedance = filepath.Join(f.dir, "gravedancer")
	build := proc.Command(b.Context(), f.tools["go"], "build", "-o", f.gravedance, "gravedancer/cmd/gravedancer")
	build.Env = os.Environ() // the toolchain's own settings (GOFLAGS, GOCACHE, …)
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build gravedancer: %v\n%s", err, out)
	}

	// Both regions at once: each Generate keeps a few connections of its
	// own server busy.
	var wg sync.WaitGroup
	errs := make([]error, len(f.regions))
	for i, r := range f.regions {
		db := r.srv.DB(b)
		wg.Go(func() {
			st, err := Generate(b.Context(), db, scale, r.stats.Seed)
			r.stats, errs[i] = st, err
		})
	}
	wg.Wait()
	for i, r := range f.regions {
		if errs[i] != nil {
			b.Fatalf("generating %s: %v", r.name, errs[i])
		}
		f.setup = append(f.setup, Figure{Key: "generate." + r.name, Name: "generate " + r.name,
			Seconds: r.stats.Elapsed.Seconds(), Bytes: r.stats.DumpBytes,
			Note: fmt.Sprintf("%d tables, %d rows, seed %d; both regions at once", len(r.stats.Tables), r.stats.Rows, r.stats.Seed)})
	}
	return f
}

// secret is a fresh password that option-file quoting must get right.
func secret(prefix string) string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return prefix + `"q'#x ` + hex.EncodeToString(b)
}

func (f *fleet) secretFile(b testing.TB, name, value string) string {
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte(value), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

func (f *fleet) optionFile(b testing.TB, m *testenv.MariaDB, user, password string) string {
	p, err := mysqlx.WriteDefaultsFile(f.dir, mysqlx.Credentials{Host: m.Host, Port: m.Port, User: user, Password: config.Secret(password)})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// Figure is one measured figure.
type Figure struct {
	Key     string  `json:"key"`
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds,omitempty"`
	Bytes   int64   `json:"bytes,omitempty"`
	Error   string  `json:"error,omitempty"`
	Note    string  `json:"note,omitempty"`
	Indent  bool    `json:"-"`
}

// Ratio is one target, or with a null Target a figure for context.
type Ratio struct {
	Name   string   `json:"name"`
	Metric string   `json:"metric"` // the go test -bench unit
	Value  *float64 `json:"value"`  // null when a side failed
	Target *float64 `json:"target"`
	Met    *bool    `json:"met"`
	Note   string   `json:"note,omitempty"`
}

// Results is what results.json holds.
type Results struct {
	Date        time.Time          `json:"date"`
	BenchScale  string             `json:"bench_scale"`
	ScaleBytes  int64              `json:"scale_bytes_per_region"`
	MariaDB     string             `json:"mariadb_version"`
	Mydumper    string             `json:"mydumper_version"`
	Go          string             `json:"go_version"`
	CPUs        int                `json:"cpus"`
	Regions     []Stats            `json:"regions"`
	Figures     []Figure           `json:"figures"`
	SeedSteps   map[string]float64 `json:"seed_steps_seconds"`
	Gravedancer GravedancerRun     `json:"gravedancer"`
	Ratios      []Ratio            `json:"ratios"`
}

// GravedancerRun is what `gravedancer backup` did.
type GravedancerRun struct {
	WallSeconds float64 `json:"wall_seconds"`
	// PeakRSSKiB is wait4's ru_maxrss: the largest of gravedancer and the
	// clients it ran, but never below RSSFloorKiB (see lowerRSSFloor).
	PeakRSSKiB    int64               `json:"peak_rss_kib"`
	RSSFloorKiB   int64               `json:"rss_floor_kib"`
	ArtifactBytes int64               `json:"artifact_bytes"`
	ShippedBytes  int64               `json:"shipped_bytes"`
	Regions       []GravedancerRegion `json:"regions"`
}

// GravedancerRegion is one region's line of the run report.
type GravedancerRegion struct {
	Region   string             `json:"region"`
	Outcome  string             `json:"outcome"`
	RawBytes int64              `json:"raw_bytes"`
	Bytes    int64              `json:"bytes"`
	Rows     int64              `json:"rows"`
	Seconds  float64            `json:"seconds"`
	Stages   map[string]float64 `json:"stages_seconds"`
	artifact string
}

func (r *Results) add(fig Figure) { r.Figures = append(r.Figures, fig) }

func (r *Results) figure(key string) (Figure, bool) {
	i := slices.IndexFunc(r.Figures, func(f Figure) bool { return f.Key == key })
	if i < 0 {
		return Figure{}, false
	}
	return r.Figures[i], true
}

func (f *fleet) measure(b testing.TB, iter int) *Results {
	b.Helper()
	work := filepath.Join(f.dir, fmt.Sprintf("run%d", iter))
	if err := os.Mkdir(work, 0o700); err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(work)
	r := &Results{Date: time.Now().UTC().Truncate(time.Second), Go: runtime.Version(), CPUs: runtime.NumCPU(),
		MariaDB: f.version(b, "mariadb"), Mydumper: f.version(b, "mydumper")}
	for _, g := range f.regions {
		r.Regions = append(r.Regions, g.stats)
	}
	r.Figures = slices.Clone(f.setup)

	f.seedFlow(b, work, r)
	artifact, man := f.gravedancer(b, work, r)
	f.rawDump(b, work, r, man)
	f.dumpAlone(b, work, r)
	myDir := f.mydumperRound(b, work, r)
	f.restores(b, work, r, artifact, man, myDir)
	r.computeRatios()
	return r
}

func (f *fleet) version(b testing.TB, tool string) string {
	out, err := exec.Command(f.tools[tool], "--version").CombinedOutput()
	if err != nil {
		b.Fatalf("%s --version: %v\n%s", tool, err, out)
	}
	// "mariadb --version" starts with the binary's path: keep only the
	// version, so results.json names no machine's layout.
	v := strings.TrimSpace(string(out))
	if i := strings.Index(v, " Ver "); i >= 0 {
		v = strings.TrimSpace(v[i:])
	}
	return v
}

// run runs cmd to the end and returns its wall time; an error carries the
// end of its stderr.
func run(cmd *exec.Cmd, what string) (time.Duration, error) {
	tail := &proc.Tail{Max: 16 << 10}
	if cmd.Stderr == nil {
		cmd.Stderr = tail
	}
	began := time.Now()
	err := cmd.Run()
	d := time.Since(began)
	if err != nil {
		return d, fmt.Errorf("%s: %w\n%s", what, err, tail.Lines(20))
	}
	return d, nil
}

func (f *fleet) userDatabases(ctx context.Context) ([]string, error) {
	rows, err := f.testDB.QueryContext(ctx, "SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys')")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// leftBehind is what a loader left on the test server: user databases and,
// for gravedancer, restores its ledger still lists as not dropped. The
// ledger schema itself is gravedancer's bookkeeping and stays.
func (f *fleet) leftBehind(ctx context.Context) ([]string, error) {
	dbs, err := f.userDatabases(ctx)
	if err != nil || !slices.Contains(dbs, restore.LedgerSchema) {
		return dbs, err
	}
	dbs = slices.DeleteFunc(dbs, func(s string) bool { return s == restore.LedgerSchema })
	rows, err := f.testDB.QueryContext(ctx, "SELECT db FROM `"+restore.LedgerSchema+"`.`restoring`")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		dbs = append(dbs, "in the ledger: "+s)
	}
	return dbs, rows.Err()
}

// clean drops every user database of the test server, so that each load
// starts from the same empty server, then settles.
func (f *fleet) clean(b testing.TB) {
	b.Helper()
	dbs, err := f.userDatabases(b.Context())
	if err == nil {
		// gravedancer's ledger refuses to be dropped by its own helper.
		dbs = slices.DeleteFunc(dbs, func(s string) bool { return s == restore.LedgerSchema })
		err = restore.DropDatabases(b.Context(), f.testDB, dbs)
	}
	if err != nil {
		b.Fatalf("cleaning the test server: %v", err)
	}
	settle()
}

// settle writes back every dirty page before a measurement starts. A step
// leaves hundreds of MB dirty (dumps, copies, the decompressed dump), and
// the kernel would otherwise flush them during the next step, where every
// fsync of the server under test would wait behind them.
func settle() { syscall.Sync() }

// selfCPU is the CPU time this process has used: the dump pass runs in it,
// so a difference is what the pass cost on top of the tool.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// seedFlow runs bench/seed-flow.sh over both regions.
func (f *fleet) seedFlow(b testing.TB, work string, r *Results) {
	b.Helper()
	f.clean(b)
	dir := filepath.Join(work, "seed")
	ship := filepath.Join(dir, "shipped")
	if err := os.MkdirAll(ship, 0o700); err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var pairs []string
	for _, g := range f.regions {
		pairs = append(pairs, g.name+"="+g.defaults)
	}
	ctx, cancel := context.WithTimeout(b.Context(), 2*stepTimeout)
	defer cancel()
	cmd := proc.Command(ctx, f.tools["bash"], "seed-flow.sh")
	cmd.Env = append(cmd.Env, "SEED_WORKDIR="+dir, "SEED_REGIONS="+strings.Join(pairs, " "),
		"SEED_TEST_DEFAULTS="+f.testCnf, "SEED_SHIP_DIR="+ship, "SEED_GZIP_LEVEL=9",
		"SEED_CHECK_EXIST="+strings.Join(SeedCheckExist, " "), "SEED_CHECK_ROWS="+strings.Join(SeedCheckRows, " "))
	var out bytes.Buffer
	cmd.Stdout = &out
	wall, err := run(cmd, "bench/seed-flow.sh")
	if err != nil {
		b.Fatalf("%v\nstdout:\n%s", err, out.String())
	}
	steps, bytesBy, err := parseSeed(out.String())
	if err != nil {
		b.Fatal(err)
	}
	r.SeedSteps = steps
	var raw, shipped, gz int64
	for k, v := range bytesBy {
		switch {
		case strings.HasSuffix(k, ".raw"):
			raw += v
		case strings.HasSuffix(k, ".shipped"):
			shipped += v
		case strings.HasSuffix(k, ".gz"):
			gz += v
		}
	}
	r.add(Figure{Key: "seed.wall", Name: "seed flow, 2 regions (bench/seed-flow.sh)", Seconds: wall.Seconds(),
		Bytes: raw + shipped + gz, Note: fmt.Sprintf("wrote %s dumps, %s ship copies, %s gzip -9", human(raw), human(shipped), human(gz))})
	for _, s := range []struct{ key, name string }{
		{"dump", "dump: mariadb-dump -x -A, both at once"}, {"stats", "stats: du + md5sum"},
		{"control", "control lines: cat | grep, twice"}, {"restore", "restore: mariadb < dump, one by one"},
		{"verify", "checks: SELECT * FROM listed tables"}, {"drop", "drop restored databases"},
		{"ship", "ship: cp raw .sql to a directory"}, {"gzip", "gzip -9"},
	} {
		r.add(Figure{Key: "seed." + s.key, Name: s.name, Seconds: steps[s.key], Indent: true})
	}
	if left, err := f.leftBehind(b.Context()); err != nil || len(left) > 0 {
		b.Fatalf("the seed flow left databases on the test server: %v %v", left, err)
	}
}

// parseSeed reads seed-flow.sh's step and bytes lines.
func parseSeed(out string) (map[string]float64, map[string]int64, error) {
	steps, sizes := map[string]float64{}, map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		switch {
		case len(fs) == 3 && fs[0] == "step":
			v, err := strconv.ParseFloat(fs[2], 64)
			if err != nil {
				return nil, nil, fmt.Errorf("seed-flow.sh: bad line %q", sc.Text())
			}
			steps[fs[1]] = v
		case len(fs) == 4 && fs[0] == "bytes":
			v, err := strconv.ParseInt(fs[3], 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("seed-flow.sh: bad line %q", sc.Text())
			}
			sizes[fs[1]+"."+fs[2]] = v
		}
	}
	for _, s := range []string{"dump", "restore", "gzip", "total"} {
		if _, ok := steps[s]; !ok {
			return nil, nil, fmt.Errorf("seed-flow.sh printed no %q step:\n%s", s, out)
		}
	}
	return steps, sizes, nil
}

// rawDump runs mariadb-dump for REG1 with the flags gravedancer's dumper
// gave it (from the manifest, so the two stay the same whatever the
// dumper's flags become), to /dev/null and to a file.
func (f *fleet) rawDump(b testing.TB, work string, r *Results, man *job.Manifest) {
	b.Helper()
	g := f.regions[0]
	args := []string{"--defaults-extra-file=" + g.defaults}
	for _, fl := range man.Flags {
		if !strings.HasPrefix(fl, "--defaults-") {
			args = append(args, fl)
		}
	}
	ctx, cancel := context.WithTimeout(b.Context(), stepTimeout)
	defer cancel()
	settle()
	d, err := run(proc.Command(ctx, f.tools["mariadb-dump"], args...), "mariadb-dump > /dev/null")
	if err != nil {
		b.Fatal(err)
	}
	r.add(Figure{Key: "raw.null", Name: "mariadb-dump " + g.name + " > /dev/null", Seconds: d.Seconds()})

	path := filepath.Join(work, "raw.sql")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	cmd := proc.Command(ctx, f.tools["mariadb-dump"], args...)
	cmd.Stdout = out
	settle()
	d, err = run(cmd, "mariadb-dump > file")
	if cerr := out.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	size := fileSize(b, path)
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.add(Figure{Key: "raw.file", Name: "mariadb-dump " + g.name + " > file", Seconds: d.Seconds(), Bytes: size,
		Note: fmt.Sprintf("%.1f MB/s, mariadb-dump used %.2fs CPU; generator estimated %s; flags %s", float64(size)/1e6/d.Seconds(),
			cpu.Seconds(), human(g.stats.DumpBytes), strings.Join(args[1:], " "))})
}

// dumpAlone runs gravedancer's dump pass (internal/dumper: the tool, the
// one-pass sha256, md5, row counts and compression) on REG1 alone, once per
// codec at its default level, for a like-for-like comparison with raw.file.
func (f *fleet) dumpAlone(b testing.TB, work string, r *Results) {
	b.Helper()
	g := f.regions[0]
	for _, comp := range []string{codec.Gzip, codec.Zstd} {
		d := &dumper.Dumper{
			Spool: &store.Spool{Dir: filepath.Join(work, "alone-"+comp)},
			Opts:  dumper.Options{Compression: comp, TempDir: filepath.Join(work, "alone-state")},
		}
		ctx, cancel := context.WithTimeout(b.Context(), stepTimeout)
		settle()
		began, cpu0 := time.Now(), selfCPU()
		a, man, err := d.Dump(ctx, dumper.Source{Region: g.name, Host: g.srv.Host, Port: g.srv.Port, User: "backupuser", Password: f.sourceCred}, "bench")
		took, cpu := time.Since(began), selfCPU()-cpu0
		cancel()
		if err != nil {
			b.Fatalf("dump pass %s: %v", comp, err)
		}
		r.add(Figure{Key: "dump.alone." + comp, Name: fmt.Sprintf("gravedancer dump pass %s alone, %s", g.name, comp),
			Seconds: took.Seconds(), Bytes: a.Bytes,
			Note: fmt.Sprintf("%.1f MB/s raw; sha256+md5+row counts+%s level %d used %.2fs CPU besides the tool's",
				float64(man.RawBytes)/1e6/took.Seconds(), comp, man.Level, cpu.Seconds())})
		if err := os.RemoveAll(filepath.Join(work, "alone-"+comp)); err != nil {
			b.Fatal(err)
		}
	}
}

// mydumperRound dumps REG1's user databases with mydumper and loads them
// with myloader; the dump stays for the restore comparison.
func (f *fleet) mydumperRound(b testing.TB, work string, r *Results) string {
	b.Helper()
	g := f.regions[0]
	dir := filepath.Join(work, "mydumper")
	ctx, cancel := context.WithTimeout(b.Context(), stepTimeout)
	defer cancel()
	regex := `^(` + strings.Join(g.stats.Databases, "|") + `)\.`
	cmd := proc.Command(ctx, f.tools["mydumper"], "--defaults-file="+g.defaults,
		"-t", "2", "-o", dir, "-G", "-E", "-R", "--regex", regex, "-v", "1")
	settle()
	d, err := run(cmd, "mydumper")
	if err != nil {
		b.Fatal(err)
	}
	r.add(Figure{Key: "mydumper", Name: "mydumper -t 2 " + g.name + " (user databases)", Seconds: d.Seconds(),
		Bytes: dirSize(b, dir), Note: "uncompressed"})

	d, err = f.myloader(b, dir)
	if err != nil {
		b.Fatal(err)
	}
	r.add(Figure{Key: "myloader.first", Name: "myloader -t 2 of that dump", Seconds: d.Seconds(), Indent: true})
	return dir
}

func (f *fleet) myloader(b testing.TB, dir string) (time.Duration, error) {
	b.Helper()
	f.clean(b)
	ctx, cancel := context.WithTimeout(b.Context(), stepTimeout)
	defer cancel()
	d, err := run(proc.Command(ctx, f.tools["myloader"], "--defaults-file="+f.testCnf,
		"-t", "2", "-d", dir, "-o", "-v", "1"), "myloader")
	if err == nil {
		err = f.verify(b, f.regions[0])
	}
	f.clean(b)
	return d, err
}

// verify holds the test server against what the generator made, so that a
// loader that quietly left something out cannot win.
func (f *fleet) verify(b testing.TB, g *region) error {
	m := &job.Manifest{Databases: g.stats.Databases}
	for _, t := range g.stats.Tables {
		m.Tables = append(m.Tables, job.TableCount{Database: t.Database, Table: t.Table, Rows: t.Rows})
	}
	_, err := restore.Verify(b.Context(), f.testDB, m, restore.Checks{Mode: restore.ModeAll})
	return err
}

// gravedancer runs `gravedancer backup` over both regions, shipping to a
// directory, reads its run report, and returns REG1's artifact and
// manifest.
func (f *fleet) gravedancer(b testing.TB, work string, r *Results) (string, *job.Manifest) {
	b.Helper()
	f.clean(b)
	dir := filepath.Join(work, "gravedancer")
	ship := filepath.Join(dir, "shipped")
	if err := os.MkdirAll(ship, 0o700); err != nil {
		b.Fatal(err)
	}
	var regions []string
	for _, g := range f.regions {
		regions = append(regions, g.name+"="+g.srv.Addr())
	}
	ctx, cancel := context.WithTimeout(b.Context(), 2*stepTimeout)
	defer cancel()
	cmd := proc.Command(ctx, f.gravedance, "backup")
	// Exactly the README's configuration, nothing inherited.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"GD_REGIONS=" + strings.Join(regions, ","),
		"GD_SOURCE_USER=backupuser", "GD_SOURCE_PASSWORD_FILE=" + f.sourcePw,
		"GD_TEST_SERVERS=" + f.test.Addr(),
		"GD_RESTORE_USER=restoreuser", "GD_RESTORE_PASSWORD_FILE=" + f.restorePw,
		"GD_CHECK_DATABASES=" + strings.Join(f.regions[0].stats.Databases, ","),
		"GD_CHECK_TABLES=" + strings.Join(SeedCheckRows, ","),
		"GD_SHIP=dir", "GD_SHIP_DIR=" + ship,
		"GD_SPOOL_DIR=" + filepath.Join(dir, "spool"), "GD_STATE_DIR=" + filepath.Join(dir, "state"),
		"GD_ENCRYPT=off",
		"GD_LOG_FORMAT=json"}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	floor, err := lowerRSSFloor()
	if err != nil {
		b.Fatalf("lowering the RSS floor before gravedancer backup: %v", err)
	}
	wall, err := run(cmd, "gravedancer backup")
	if err != nil {
		b.Fatalf("%v\nstdout:\n%s", err, stdout.String())
	}
	rep := readReport(b, stdout.String())
	gd := GravedancerRun{WallSeconds: wall.Seconds(), ShippedBytes: dirSize(b, ship), RSSFloorKiB: floor}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		gd.PeakRSSKiB = ru.Maxrss // KiB on Linux
	}
	rssNote := fmt.Sprintf("peak RSS %.1f MiB (floor %.1f MiB)", float64(gd.PeakRSSKiB)/1024, float64(floor)/1024)
	if gd.PeakRSSKiB <= floor+floor/20 {
		rssNote = fmt.Sprintf("peak RSS at most %.1f MiB (the floor: its own peak is lower)", float64(floor)/1024)
	}
	for _, reg := range rep.Regions {
		if reg.Outcome != report.OutcomeGood {
			b.Fatalf("gravedancer excluded %s at %s: %s", reg.Region, reg.Stage, reg.Reason)
		}
		line := GravedancerRegion{Region: reg.Region, Outcome: reg.Outcome, RawBytes: reg.RawBytes, Bytes: reg.Bytes,
			Rows: reg.Rows, Seconds: reg.Duration.Seconds(), Stages: map[string]float64{}, artifact: reg.Artifact}
		for _, s := range reg.Stages {
			line.Stages[s.Stage] += s.Duration().Seconds()
		}
		gd.ArtifactBytes += reg.Bytes
		gd.Regions = append(gd.Regions, line)
	}
	r.Gravedancer = gd
	r.add(Figure{Key: "gd.wall", Name: "gravedancer backup, 2 regions, ship to dir", Seconds: wall.Seconds(),
		Bytes: gd.ArtifactBytes + gd.ShippedBytes,
		Note:  fmt.Sprintf("%s; %s artifacts + %s ship copies", rssNote, human(gd.ArtifactBytes), human(gd.ShippedBytes))})
	for _, g := range gd.Regions {
		var parts []string
		for _, s := range []string{job.StageDump, job.StageStats, job.StageCheck, job.StageRestore, job.StageShip, job.StageRetain} {
			parts = append(parts, fmt.Sprintf("%s %.2fs", s, g.Stages[s]))
		}
		r.add(Figure{Key: "gd." + g.Region, Name: g.Region + " stages", Seconds: g.Seconds, Bytes: g.Bytes,
			Note: strings.Join(parts, ", "), Indent: true})
	}
	if left, err := f.leftBehind(b.Context()); err != nil || len(left) > 0 {
		b.Fatalf("gravedancer left databases on the test server: %v %v", left, err)
	}
	i := slices.IndexFunc(gd.Regions, func(x GravedancerRegion) bool { return x.Region == f.regions[0].name })
	if i < 0 {
		b.Fatalf("no %s in gravedancer's report", f.regions[0].name)
	}
	artifact := gd.Regions[i].artifact
	data, err := os.ReadFile(store.ManifestPath(artifact))
	if err != nil {
		b.Fatal(err)
	}
	man, err := job.DecodeManifest(data)
	if err != nil {
		b.Fatalf("manifest of %s: %v", artifact, err)
	}
	return artifact, man
}

// lowerRSSFloor makes ru_maxrss of the next child mean the child's own
// peak, as far as it can. os/exec starts a child in its parent's memory
// (CLONE_VM|CLONE_VFORK) and at exec the kernel folds that memory's
// high-water mark into the child's ru_maxrss (golang/go#32054), so the
// child's Maxrss is never below this benchmark's own peak, hundreds of MiB
// after generating the data. It returns memory to the OS, resets the
// process's high-water mark (clear_refs 5, Linux 4.0+) and returns the
// floor that remains, in KiB.
func lowerRSSFloor() (int64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, err
	}
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

func readReport(b testing.TB, stdout string) *report.Report {
	b.Helper()
	i := strings.LastIndex(stdout, "report: ")
	if i < 0 {
		b.Fatalf("gravedancer backup printed no report path:\n%s", stdout)
	}
	path := strings.TrimSpace(stdout[i+len("report: "):])
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatalf("run report %s: %v", path, err)
	}
	return &rep
}

// restores loads REG1's gravedancer artifact four ways onto the emptied
// test server, each checked against the generator afterwards.
func (f *fleet) restores(b testing.TB, work string, r *Results, artifact string, man *job.Manifest, myDir string) {
	b.Helper()
	g := f.regions[0]
	note := fmt.Sprintf("%s %s, %s raw", filepath.Base(artifact), human(man.Bytes), human(man.RawBytes))
	r.add(Figure{Key: "restore", Name: "restore " + g.name + "'s gravedancer artifact", Note: note})

	load := func(key, name string, fn func(ctx context.Context) error) {
		f.clean(b)
		ctx, cancel := context.WithTimeout(b.Context(), stepTimeout)
		defer cancel()
		began := time.Now()
		err := fn(ctx)
		d := time.Since(began)
		if err == nil {
			err = f.verify(b, g)
		}
		f.clean(b)
		fig := Figure{Key: key, Name: name, Seconds: d.Seconds(), Indent: true}
		if err != nil {
			fig.Error = err.Error()
		}
		r.add(fig)
	}
	// The engine is being written alongside this benchmark: its failure is a
	// result to report, not a reason to stop.
	load("restore.engine", "restore.Engine{Parallel: 0}.Load", func(ctx context.Context) error {
		_, err := (&restore.Engine{Parallel: 0}).Load(ctx, artifact, man.Compression, f.target, restore.LoadOptions{})
		return err
	})
	load("restore.loader", "restore.Loader.Load (client pipe)", func(ctx context.Context) error {
		_, err := (&restore.Loader{TempDir: filepath.Join(work, "loader")}).Load(ctx, artifact, man.Compression, f.target, restore.LoadOptions{})
		return err
	})
	d, err := f.myloader(b, myDir)
	fig := Figure{Key: "restore.myloader", Name: "myloader -t 2 (mydumper dump of the same data)", Seconds: d.Seconds(), Indent: true}
	if err != nil {
		fig.Error = err.Error()
	}
	r.add(fig)

	plain := filepath.Join(work, "plain.sql")
	decompress(b, artifact, man.Compression, plain)
	defer os.Remove(plain)
	load("restore.client", "mariadb < decompressed dump", func(ctx context.Context) error {
		in, err := os.Open(plain)
		if err != nil {
			return err
		}
		defer in.Close()
		cmd := proc.Command(ctx, f.tools["mariadb"], "--defaults-extra-file="+f.testCnf)
		cmd.Stdin = in
		_, err = run(cmd, "mariadb < dump")
		return err
	})
	for _, key := range []string{"restore.loader", "restore.myloader", "restore.client"} {
		if fig, _ := r.figure(key); fig.Error != "" {
			b.Fatalf("%s: %s", fig.Name, fig.Error)
		}
	}
}

func decompress(b testing.TB, artifact, compression, to string) {
	b.Helper()
	in, err := os.Open(artifact)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	zr, err := codec.NewReader(bufio.NewReaderSize(in, 1<<20), compression)
	if err != nil {
		b.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(to)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

func (r *Results) computeRatios() {
	sec := func(key string) (float64, string) {
		fig, ok := r.figure(key)
		switch {
		case !ok:
			return 0, key + " not measured"
		case fig.Error != "":
			return 0, fig.Name + " failed: " + firstLine(fig.Error)
		case fig.Seconds <= 0:
			return 0, fig.Name + " took no time"
		}
		return fig.Seconds, ""
	}
	add := func(name, metric string, num, den float64, why string, target float64, note string) {
		rt := Ratio{Name: name, Metric: metric, Note: note}
		if target > 0 {
			rt.Target, rt.Met = &target, new(bool)
		}
		if why != "" {
			rt.Note = why
		} else {
			v := num / den
			rt.Value = &v
			if rt.Met != nil {
				*rt.Met = v <= target
			}
		}
		r.Ratios = append(r.Ratios, rt)
	}
	ratio := func(name, metric, num, den string, target float64, note string) {
		n, nwhy := sec(num)
		d, dwhy := sec(den)
		add(name, metric, n, d, strings.TrimSpace(nwhy+" "+dwhy), target, note)
	}
	stage := func(region, stage string) float64 {
		i := slices.IndexFunc(r.Gravedancer.Regions, func(g GravedancerRegion) bool { return g.Region == region })
		if i < 0 {
			return 0
		}
		return r.Gravedancer.Regions[i].Stages[stage]
	}

	ratio("gravedancer backup wall / seed flow wall", "x_pipeline/seed", "gd.wall", "seed.wall", targetPipeline, "")
	ratio("engine restore / myloader load", "x_engine/myloader", "restore.engine", "restore.myloader", targetMyloader, "")
	ratio("engine restore / mariadb < dump", "x_engine/client", "restore.engine", "restore.client", targetClient, "")
	ratio("gravedancer dump pass (gzip, the default) / raw mariadb-dump to a file", "x_dump/raw", "dump.alone.gzip", "raw.file", targetDump,
		"one region alone each")
	ratio("gravedancer dump pass (zstd) / raw mariadb-dump to a file", "x_dump_zstd/raw", "dump.alone.zstd", "raw.file", targetDump,
		"one region alone each")
	rss := float64(r.Gravedancer.PeakRSSKiB) / 1024
	add("gravedancer backup peak RSS (MiB)", "MiB_peak_rss", rss, 1, "", targetRSSMiB,
		fmt.Sprintf("wait4 ru_maxrss; floor %.1f MiB", float64(r.Gravedancer.RSSFloorKiB)/1024))

	// Context: the same comparisons under equal conditions.
	seedDump := r.SeedSteps["dump"]
	slowest := max(stage("REG1", job.StageDump), stage("REG2", job.StageDump))
	why := ""
	if seedDump <= 0 {
		why = "seed dump step not measured"
	}
	add("gravedancer dump stage (slower region) / seed dump step", "x_dump/seed_dump", slowest, seedDump, why, 0,
		"both dump 2 regions at once; seed: -x, no compression")
	ratio("Loader.Load / mariadb < dump", "x_loader/client", "restore.loader", "restore.client", 0, "client pipe's own cost")
	ratio("engine restore / Loader.Load", "x_engine/loader", "restore.engine", "restore.loader", 0, "")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// table renders the results for a person.
func (r *Results) table() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "\nfleet benchmark: BENCH_SCALE=%s (%s per region), %d regions, %s\n", r.BenchScale, human(r.ScaleBytes), len(r.Regions), r.Date.Format(time.RFC3339))
	fmt.Fprintf(&sb, "%s\n%s\n%s, %d CPUs\n\n", r.MariaDB, r.Mydumper, r.Go, r.CPUs)
	tw := tabwriter.NewWriter(&sb, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASUREMENT\tTIME\tBYTES\tNOTE")
	for _, fig := range r.Figures {
		name := fig.Name
		if fig.Indent {
			name = "  " + name
		}
		t := "-"
		if fig.Seconds > 0 {
			t = fmt.Sprintf("%.2fs", fig.Seconds)
		}
		n := fig.Note
		if fig.Error != "" {
			n = "ERROR: " + firstLine(fig.Error)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, t, human(fig.Bytes), n)
	}
	tw.Flush()
	sb.WriteString("\n")
	tw = tabwriter.NewWriter(&sb, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RATIO\tVALUE\tTARGET\tRESULT\tNOTE")
	for _, rt := range r.Ratios {
		v, target, res := "n/a", "-", "info"
		if rt.Value != nil {
			v = fmt.Sprintf("%.3f", *rt.Value)
		}
		if rt.Target != nil {
			target, res = fmt.Sprintf("<= %g", *rt.Target), "missed"
			if *rt.Met {
				res = "met"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rt.Name, v, target, res, rt.Note)
	}
	tw.Flush()
	return sb.String()
}

func (r *Results) write(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func human(n int64) string { return report.HumanBytes(n) }

func fileSize(b testing.TB, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

func dirSize(b testing.TB, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func TestParseScale(t *testing.T) {
	for in, want := range map[string]int64{"300MB": 300e6, "50MB": 50e6, "1GB": 1e9, "512MiB": 512 << 20, "1.5GB": 15e8, "20000000": 20e6} {
		if got, err := parseScale(in); err != nil || got != want {
			t.Errorf("parseScale(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MB", "-5MB", "1MB", "ten"} {
		if _, err := parseScale(in); err == nil {
			t.Errorf("parseScale(%q) accepted", in)
		}
	}
}

// TestFleetSmall runs the whole fleet benchmark once at its smallest scale,
// so that `make test` notices when a change breaks it (it is otherwise run
// only by `make bench`). Timings this small mean nothing: it asserts only
// that every contender ran and every ratio has a value.
func TestFleetSmall(t *testing.T) {
	scale, err := parseScale("10MB")
	if err != nil {
		t.Fatal(err)
	}
	f := setupFleet(t, scale)
	res := f.measure(t, 1)
	for _, r := range res.Ratios {
		if r.Value == nil || *r.Value <= 0 {
			t.Errorf("ratio %q has no value: %s", r.Name, r.Note)
		}
	}
	if len(res.Gravedancer.Regions) != 2 || res.Gravedancer.PeakRSSKiB <= 0 {
		t.Errorf("gravedancer run: %+v, want 2 regions and a peak RSS", res.Gravedancer)
	}
	if t.Failed() {
		t.Log(res.table())
	}
}
