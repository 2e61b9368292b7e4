package load

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/app"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

const (
	sourcePassword  = `l0ad"src pw#'`
	restorePassword = `l0ad"rst pw#'`
	restoreGrants   = "ALL PRIVILEGES ON *.*"

	nRegions     = 50
	nRuns        = 10
	nTestServers = 3
	// perSource and dumpConcurrency are the limits under test: two dumps at
	// most against one source server, six in the whole cluster. With five
	// servers the per-source slots (10) exceed the cluster cap, and the
	// dump workers' slots (3×3) exceed both, so only the limits can hold
	// the dumps back.
	perSource       = 2
	dumpConcurrency = 6
	dumpWorkers     = 3
	dumpSlots       = 3
)

// layout gives region Rnn (n = 1…50) the source server layout[n-1]: ten
// regions on each of five servers. The jobs of a run are queued in region
// order, so the first block lets six dumps run at once on three servers
// (two each), while the others put three or four jobs of one server side by
// side, which only the per-source slots keep from dumping together.
const layout = "AABBCCDDEE" + "AAABBBCCCD" + "DDEEEEAABB" + "CCDDDEEAAB" + "CCCBBDDEEA"

// sourceData is a server's two small databases; the row counts differ per
// server so each restore is checked against its own dump.
//
// --all-databases dumps the mysql and sys schemas too: the help tables are
// 2.5 MB of the 2.6 MB a fresh server dumps, and sys's views and routines
// cost a query each. They are emptied and dropped first so that the 500
// dumps, checks and restores measure the pipeline, not the system schemas.
func sourceData(server int) string {
	var b strings.Builder
	b.WriteString("TRUNCATE mysql.help_topic; TRUNCATE mysql.help_keyword; TRUNCATE mysql.help_relation; TRUNCATE mysql.help_category;\n")
	b.WriteString("DROP DATABASE IF EXISTS sys;\n")
	b.WriteString("CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, item VARCHAR(40) NOT NULL, qty INT NOT NULL) ENGINE=InnoDB;\n")
	b.WriteString("CREATE DATABASE crm; CREATE TABLE crm.contacts (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB;\n")
	for i := 1; i <= 3+server; i++ {
		fmt.Fprintf(&b, "INSERT INTO shop.orders VALUES (%d, 'server %d item %d', %d);\n", i, server, i, i*7)
		fmt.Fprintf(&b, "INSERT INTO crm.contacts VALUES (%d, 'contact %d of server %d');\n", i, i, server)
	}
	return b.String()
}

// dumpTool writes the recording wrapper around the real mariadb-dump. It
// reads host and port (never the password) from the defaults file the
// dumper passes, and appends one line before and one after the real dump:
//
//	start <unix-ns> <host:port> <pid>
//	end   <unix-ns> <host:port> <pid> <exit>
//
// Each echo is a single O_APPEND write, so lines of concurrent dumps do not
// interleave. EPOCHREALTIME is bash's microsecond clock, read without a fork.
func dumpTool(t *testing.T, dir, logPath string) string {
	t.Helper()
	real, err := lookPath("mariadb-dump")
	if err != nil {
		testenv.Require(t, "mariadb-dump not found: %v", err)
	}
	script := `#!/bin/bash
src=none
for a in "$@"; do
	case $a in
	--defaults-extra-file=*)
		while IFS= read -r line; do
			case $line in
			host=*) h=${line#host=}; h=${h//\"/} ;;
			port=*) p=${line#port=}; p=${p//\"/} ;;
			esac
		done < "${a#--defaults-extra-file=}"
		src=$h:$p ;;
	esac
done
now() { local t=$EPOCHREALTIME; echo "${t/./}000"; }
echo "start $(now) $src $$" >> ` + strconv.Quote(logPath) + `
` + strconv.Quote(real) + ` "$@"
rc=$?
echo "end $(now) $src $$ $rc" >> ` + strconv.Quote(logPath) + `
exit $rc
`
	return testenv.WriteFile(t, filepath.Join(dir, "dump-tool"), script, 0o755)
}

// TestLoad50Regions500Jobs is DESIGN scenario 13: 50 regions on 5 source
// servers, 10 runs triggered back to back (500 jobs), through every stage
// with GD_DUMP_PER_SOURCE=2 and GD_DUMP_CONCURRENCY=6 respected, as the dump
// tool's own timestamps show.
func TestLoad50Regions500Jobs(t *testing.T) {
	began := time.Now()
	if len(layout) != nRegions {
		t.Fatalf("layout has %d regions, want %d", len(layout), nRegions)
	}
	dir := t.TempDir()
	pw := testenv.WriteFile(t, filepath.Join(dir, "source.password"), sourcePassword, 0o600)
	rpw := testenv.WriteFile(t, filepath.Join(dir, "restore.password"), restorePassword, 0o600)

	// Five source servers, each backing ten regions.
	servers := map[byte]*testenv.MariaDB{}
	for i, letter := range []byte("ABCDE") {
		m := testenv.StartMariaDB(t)
		m.Exec(t, sourceData(i))
		m.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
		servers[letter] = m
	}
	var regions, regionNames []string
	regionServer := map[string]string{}
	perServer := map[string]int{}
	for i := range nRegions {
		name := fmt.Sprintf("R%02d", i+1)
		addr := servers[layout[i]].Addr()
		regions = append(regions, name+"="+addr)
		regionNames = append(regionNames, name)
		regionServer[name] = addr
		perServer[addr]++
	}
	for addr, n := range perServer {
		if n != nRegions/len(servers) {
			t.Fatalf("layout puts %d regions on %s, want %d", n, addr, nRegions/len(servers))
		}
	}
	var testServers []string
	for range nTestServers {
		m := testenv.StartMariaDB(t)
		m.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
		testServers = append(testServers, m.Addr())
	}
	ns := testenv.StartNATSServer(t)

	spool, shipDir := filepath.Join(dir, "spool"), filepath.Join(dir, "shipped")
	if err := os.Mkdir(shipDir, 0o755); err != nil {
		t.Fatal(err)
	}
	dumpLog := filepath.Join(dir, "dumps.log")
	env := map[string]string{
		"GD_NATS_URL":              ns.URL,
		"GD_REGIONS":               strings.Join(regions, ","),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  pw,
		"GD_TEST_SERVERS":          strings.Join(testServers, ","),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": rpw,
		"GD_RESTORE_PARALLEL":      "2",
		"GD_CHECK_DATABASES":       "shop,crm",
		"GD_CHECK_TABLES":          "shop.orders,crm.contacts",
		"GD_DUMP_TOOL":             dumpTool(t, dir, dumpLog),
		"GD_DUMP_PER_SOURCE":       strconv.Itoa(perSource),
		"GD_DUMP_CONCURRENCY":      strconv.Itoa(dumpConcurrency),
		"GD_STATS_CONCURRENCY":     "4",
		"GD_CHECK_CONCURRENCY":     "4",
		"GD_SHIP_CONCURRENCY":      "4",
		"GD_COMPRESS_LEVEL":        "1",
		"GD_SHIP":                  "dir",
		"GD_SHIP_DIR":              shipDir,
		"GD_SPOOL_DIR":             spool,
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		// Nothing may be pruned: every backup of the test is younger than
		// 30 days, and KEEP_DAILY/WEEKLY/MONTHLY (0) only ever keep more.
		"GD_RETENTION_DAYS": "30",
		"GD_ACK_WAIT":       "5s",
		"GD_RETRY_DELAY":    "100ms",
		"GD_LOG_LEVEL":      "info",
		"GD_LOG_FORMAT":     "json",
	}
	if r := run(t, env, "setup"); r.Code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	workerEnv := func(name string) map[string]string {
		e := map[string]string{}
		for k, v := range env {
			e[k] = v
		}
		e["GD_STATE_DIR"] = filepath.Join(dir, "state-"+name)
		e["GD_NATS_SETUP"] = "false"
		return e
	}
	var workers []*testenv.Process
	for i := range dumpWorkers {
		name := fmt.Sprintf("dump%d", i+1)
		workers = append(workers, startWorker(t, workerEnv(name), name, "--stages", "dump", "--slots", strconv.Itoa(dumpSlots), "--grace", "1s"))
	}
	for i := range 2 {
		name := fmt.Sprintf("rest%d", i+1)
		workers = append(workers, startWorker(t, workerEnv(name), name, "--stages", "plan,stats,check,restore,ship,retain", "--grace", "1s"))
	}
	ready := time.Now()
	t.Logf("fleet ready in %s: %d source servers, %d test servers, %d worker processes",
		ready.Sub(began).Round(time.Millisecond), len(servers), nTestServers, len(workers))

	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	js := testenv.ConnectNATS(t, ns.URL)
	var runs []string
	watches := map[string]*app.RunWatch{}
	for i := range nRuns {
		id := fmt.Sprintf("L%02d", i+1)
		w, err := app.WatchRun(ctx, js, id)
		if err != nil {
			t.Fatal(err)
		}
		runs, watches[id] = append(runs, id), w
	}
	for _, id := range runs {
		if r := run(t, env, "trigger", "--run", id); r.Code != 0 {
			t.Fatalf("trigger %s: exit %d\n%s%s", id, r.Code, r.Stdout, r.Stderr)
		}
	}
	t.Logf("%d runs triggered in %s", nRuns, time.Since(ready).Round(time.Millisecond))

	// Every run reports every region good.
	artifacts := map[string]string{} // artifact path -> run/region that produced it
	retried := 0
	busy := map[string]time.Duration{}
	count := map[string]int{}
	for _, id := range runs {
		rep, err := watches[id].Wait(ctx, nil)
		if err != nil {
			for _, w := range workers {
				if done, werr := w.Exited(); done {
					t.Errorf("worker %s exited: %v", w.Name, werr)
				}
			}
			t.Fatalf("run %s: %v (%s)", id, err, summary(rep))
		}
		checkReport(t, rep, regionNames)
		for _, g := range rep.Regions {
			if prev, dup := artifacts[g.Artifact]; dup {
				t.Errorf("run %s region %s reports artifact %s, already reported by %s", id, g.Region, g.Artifact, prev)
			}
			artifacts[g.Artifact] = id + "/" + g.Region
			for _, s := range g.Stages {
				busy[s.Stage] += s.Duration()
				count[s.Stage]++
				if s.Attempt > 1 {
					retried++
					t.Logf("run %s region %s: stage %s took %d attempts", id, g.Region, s.Stage, s.Attempt)
				}
			}
		}
	}
	finished := time.Now()
	t.Logf("%d jobs through every stage in %s (%d stage attempts after the first)",
		nRuns*nRegions, finished.Sub(ready).Round(time.Millisecond), retried)
	for _, st := range app.Route {
		if count[st] > 0 {
			t.Logf("stage %-7s %3d jobs, mean %6s, %.1f in flight on average",
				st, count[st], (busy[st] / time.Duration(count[st])).Round(time.Millisecond),
				busy[st].Seconds()/finished.Sub(ready).Seconds())
		}
	}

	// The reporter files each run's report after the run's last event;
	// wait for them so nothing is still being written when the spool is
	// checked, then for the last acks to empty the work queue.
	testenv.WaitFor(t, "the run reports in the spool", 30*time.Second, func() bool {
		for _, id := range runs {
			if m, _ := filepath.Glob(filepath.Join(spool, "*", "run-"+id+".json")); len(m) != 1 {
				return false
			}
		}
		return true
	})
	for _, id := range runs {
		m, _ := filepath.Glob(filepath.Join(spool, "*", "run-"+id+".json"))
		b, err := os.ReadFile(m[0])
		if err != nil {
			t.Fatal(err)
		}
		var rep report.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("%s: %v", m[0], err)
		}
		if rep.Run != id {
			t.Errorf("%s is the report of run %q", m[0], rep.Run)
		}
		checkReport(t, &rep, regionNames)
	}
	testenv.WaitFor(t, "the jobs stream to be empty", 30*time.Second, func() bool {
		return streamMsgs(t, ctx, js, pipeline.StreamJobs) == 0
	})
	if n := streamMsgs(t, ctx, js, pipeline.StreamDLQ); n != 0 {
		t.Errorf("DLQ holds %d entries, want none", n)
	}

	checkSpool(t, spool, shipDir, regionServer, runs, artifacts)
	checkDumps(t, dumpLog, perServer)
	for _, w := range workers {
		if done, err := w.Exited(); done {
			t.Errorf("worker %s exited during the test: %v", w.Name, err)
		}
		// Warnings under load (retries, slow leases) are worth seeing
		// even when every job ended well.
		if warn := warnings(w.Log(), 20); warn != "" {
			t.Logf("%s warnings:\n%s", w.Name, warn)
		}
	}
	t.Logf("total %s", time.Since(began).Round(time.Millisecond))
}

// checkReport fails unless every planned region of rep is good.
func checkReport(t *testing.T, rep *report.Report, regions []string) {
	t.Helper()
	var got []string
	for _, g := range rep.Regions {
		got = append(got, g.Region)
		if g.Outcome != report.OutcomeGood {
			t.Errorf("run %s region %s: %s at %s: %s", rep.Run, g.Region, g.Outcome, g.Stage, g.Reason)
		}
		if g.Artifact == "" {
			t.Errorf("run %s region %s: good but no artifact", rep.Run, g.Region)
		}
		if g.Pruned != 0 {
			t.Errorf("run %s region %s: retention pruned %d backups, want none within GD_RETENTION_DAYS", rep.Run, g.Region, g.Pruned)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, regions) {
		t.Errorf("run %s reports regions %v, want %v", rep.Run, got, regions)
	}
}

func summary(rep *report.Report) string {
	if rep == nil {
		return "no report"
	}
	n := map[string]int{}
	for _, g := range rep.Regions {
		n[g.Outcome]++
	}
	return fmt.Sprintf("%d regions: %v", len(rep.Regions), n)
}

// streamMsgs is the number of messages stream holds.
func streamMsgs(t *testing.T, ctx context.Context, js jetstream.JetStream, name string) uint64 {
	t.Helper()
	s, err := js.Stream(ctx, name)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("stream %s: %v", name, err)
	}
	return info.State.Msgs
}

// checkSpool asserts that each region holds exactly one verified, shipped
// artifact per run, from its own server, that these are the artifacts the
// reports named, and that no temp file or quarantined dump is left in the
// spool or the ship dir.
func checkSpool(t *testing.T, spool, shipDir string, regionServer map[string]string, runs []string, reported map[string]string) {
	t.Helper()
	sp := &store.Spool{Dir: spool}
	listed := map[string]bool{}
	for region, addr := range regionServer {
		entries, err := sp.List(region)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			listed[e.Path] = true
			switch {
			case e.Manifest == nil:
				t.Errorf("%s: no readable manifest", e.Path)
				continue
			case e.Verified == nil:
				t.Errorf("%s (run %s): not verified", e.Path, e.Manifest.Run)
			case e.Shipped == nil:
				t.Errorf("%s (run %s): not shipped", e.Path, e.Manifest.Run)
			}
			if e.Manifest.Source != addr {
				t.Errorf("%s: dumped from %s, want %s (region %s)", e.Path, e.Manifest.Source, addr, region)
			}
			if want := e.Manifest.Run + "/" + region; reported[e.Path] != want {
				t.Errorf("%s: reported by %q, want %q", e.Path, reported[e.Path], want)
			}
			got = append(got, e.Manifest.Run)
		}
		slices.Sort(got)
		if !slices.Equal(got, runs) {
			t.Errorf("region %s: artifacts of runs %v, want exactly one of each of %v", region, got, runs)
		}
	}
	for path, by := range reported {
		if !listed[path] {
			t.Errorf("artifact %s reported by %s is not in the spool", path, by)
		}
	}
	shipped := 0
	for _, p := range testenv.WalkFiles(t, shipDir) {
		name := filepath.Base(p)
		if store.IsTemp(name) || strings.Contains(name, ".tmp-") {
			t.Errorf("temp file %s left in the ship dir", p)
		}
		if _, _, ok := store.ParseName(name); ok {
			shipped++
		}
	}
	if want := len(reported); shipped != want {
		t.Errorf("ship dir holds %d artifacts, want %d", shipped, want)
	}
	for _, p := range testenv.WalkFiles(t, spool) {
		if name := filepath.Base(p); store.IsTemp(name) || strings.Contains(name, ".tmp-") {
			t.Errorf("temp file %s left in the spool", p)
		}
	}
	if q, _ := os.ReadDir(sp.QuarantineDir()); len(q) > 0 {
		t.Errorf("quarantine holds %d files, want none (first: %s)", len(q), q[0].Name())
	}
}

// interval is one dump as the wrapper recorded it.
type interval struct {
	start, end int64
	src        string
}

// checkDumps reads the wrapper's records and asserts that no source server
// ever had more than perSource dumps running at once, nor the cluster more
// than dumpConcurrency, and that both limits were reached.
func checkDumps(t *testing.T, logPath string, perServer map[string]int) {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	open := map[string]interval{} // pid -> running dump
	var dumps []interval
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			t.Fatalf("dump log: malformed line %q", sc.Text())
		}
		ts, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			t.Fatalf("dump log: line %q: %v", sc.Text(), err)
		}
		src, pid := fields[2], fields[3]
		switch fields[0] {
		case "start":
			if _, dup := open[pid]; dup {
				t.Fatalf("dump log: pid %s started twice without ending", pid)
			}
			open[pid] = interval{start: ts, src: src}
		case "end":
			iv, ok := open[pid]
			if !ok || iv.src != src {
				t.Fatalf("dump log: %q ends no recorded start", sc.Text())
			}
			delete(open, pid)
			if len(fields) > 4 && fields[4] != "0" {
				t.Errorf("dump of %s (pid %s) exited %s", src, pid, fields[4])
			}
			iv.end = ts
			dumps = append(dumps, iv)
		default:
			t.Fatalf("dump log: malformed line %q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for pid, iv := range open {
		t.Errorf("dump of %s (pid %s) started but never ended", iv.src, pid)
	}
	if want := nRegions * nRuns; len(dumps) != want {
		// A retried dump would run the tool again; the spool check above
		// already proves one artifact per job, so this is only reported.
		t.Logf("dump tool ran %d times for %d jobs", len(dumps), want)
	}
	bySource := map[string][]interval{}
	for _, d := range dumps {
		if _, ok := perServer[d.src]; !ok {
			t.Errorf("dump against %s, which is no source server", d.src)
		}
		bySource[d.src] = append(bySource[d.src], d)
	}
	reached := 0
	var sources []string
	for src := range perServer {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	for _, src := range sources {
		n, at := maxOverlap(bySource[src])
		t.Logf("source %s: %d dumps, at most %d at once (limit %d)", src, len(bySource[src]), n, perSource)
		if n > perSource {
			t.Errorf("source %s had %d dumps running at once at %s, GD_DUMP_PER_SOURCE is %d",
				src, n, time.Unix(0, at).UTC().Format(time.RFC3339Nano), perSource)
		}
		if n == perSource {
			reached++
		}
	}
	var total time.Duration
	for _, d := range dumps {
		total += time.Duration(d.end - d.start)
	}
	n, at := maxOverlap(dumps)
	t.Logf("cluster: %d dumps (mean %s each), at most %d at once (limit %d)",
		len(dumps), (total / time.Duration(max(len(dumps), 1))).Round(time.Millisecond), n, dumpConcurrency)
	if n > dumpConcurrency {
		t.Errorf("%d dumps ran at once at %s, GD_DUMP_CONCURRENCY is %d",
			n, time.Unix(0, at).UTC().Format(time.RFC3339Nano), dumpConcurrency)
	}
	if n < dumpConcurrency {
		t.Errorf("at most %d dumps ran at once: GD_DUMP_CONCURRENCY=%d was never reached, so the test proves nothing about it", n, dumpConcurrency)
	}
	if reached == 0 {
		t.Errorf("no source server ever had %d dumps at once: GD_DUMP_PER_SOURCE was never reached, so the test proves nothing about it", perSource)
	}
}

// maxOverlap returns the most intervals running at one instant and the
// first instant with that many. An interval ending at the instant another
// starts does not overlap it.
func maxOverlap(ivs []interval) (int, int64) {
	type event struct {
		t     int64
		delta int
	}
	events := make([]event, 0, 2*len(ivs))
	for _, iv := range ivs {
		events = append(events, event{iv.start, +1}, event{iv.end, -1})
	}
	sort.Slice(events, func(i, j int) bool {
		if events[i].t != events[j].t {
			return events[i].t < events[j].t
		}
		return events[i].delta < events[j].delta
	})
	cur, best, at := 0, 0, int64(0)
	for _, e := range events {
		cur += e.delta
		if cur > best {
			best, at = cur, e.t
		}
	}
	return best, at
}

func lookPath(name string) (string, error) { return exec.LookPath(name) }

// warnings returns up to n WARN and ERROR lines of a JSON worker log.
func warnings(log string, n int) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			if len(out) == n {
				out = append(out, "…")
				break
			}
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
