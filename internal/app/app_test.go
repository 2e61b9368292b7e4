package app

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

const sourcePassword = `pa"ss wo#rd'\x`

// fleet is two healthy regions with the sample loaded and a test server.
type fleet struct {
	reg1, reg2, test *testenv.MariaDB
}

func startFleet(t *testing.T) *fleet {
	t.Helper()
	f := &fleet{reg1: testenv.StartMariaDB(t), reg2: testenv.StartMariaDB(t), test: testenv.StartMariaDB(t)}
	for region, m := range map[string]*testenv.MariaDB{"REG1": f.reg1, "REG2": f.reg2} {
		testenv.LoadSample(t, m, region)
		m.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
	}
	return f
}

// env configures a run against f plus an unreachable REG3.
func env(t *testing.T, f *fleet, extra map[string]string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(sourcePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "shipped"), 0o755); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"GD_REGIONS":              fmt.Sprintf("REG1=%s,REG2=%s,REG3=%s", f.reg1.Addr(), f.reg2.Addr(), testenv.DeadAddr(t)),
		"GD_SOURCE_USER":          "backupuser",
		"GD_SOURCE_PASSWORD_FILE": pw,
		"GD_TEST_SERVERS":         f.test.Addr(),
		"GD_RESTORE_USER":         "root",
		"GD_CHECK_DATABASES":      "keystone,nova,neutron",
		"GD_CHECK_TABLES":         "keystone.project,nova.instances,neutron.ports",
		"GD_SHIP":                 "dir",
		"GD_SHIP_DIR":             filepath.Join(dir, "shipped"),
		"GD_SPOOL_DIR":            filepath.Join(dir, "spool"),
		"GD_ENCRYPT":              "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":            filepath.Join(dir, "state"),
		"GD_MAX_DELIVER":          "2",
		"GD_RETRY_DELAY":          "50ms",
		"GD_ACK_WAIT":             "5s",
	}
	return loadConfig(t, vars, extra)
}

// loadConfig sets vars, then extra over them, as the environment and
// loads the configuration from it.
func loadConfig(t *testing.T, vars, extra map[string]string) *config.Config {
	t.Helper()
	for k, v := range extra {
		vars[k] = v
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func quietLog() *slog.Logger {
	if os.Getenv("GD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func TestBackupOnceTwoGoodOneUnreachable(t *testing.T) {
	f := startFleet(t)
	for _, compress := range []string{"gzip", "zstd"} {
		t.Run(compress, func(t *testing.T) {
			cfg := env(t, f, map[string]string{"GD_COMPRESS": compress})
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			rep, path, err := Once(ctx, cfg, OnceOptions{}, quietLog())
			if err != nil {
				t.Fatal(err)
			}
			byRegion := map[string]report.Region{}
			for _, g := range rep.Regions {
				byRegion[g.Region] = g
			}
			for _, r := range []string{"REG1", "REG2"} {
				g := byRegion[r]
				if g.Outcome != report.OutcomeGood || g.Reached != "dumped+checked+verified+shipped+pruned" || g.RowsVerified == 0 {
					t.Errorf("%s: outcome %s reached %q rows verified %d reason %q, want good through every stage", r, g.Outcome, g.Reached, g.RowsVerified, g.Reason)
				}
			}
			g3 := byRegion["REG3"]
			if g3.Outcome != report.OutcomeExcluded || g3.Stage != job.StageDump ||
				!strings.Contains(g3.Reason, "gave up after 2 attempts") || !strings.Contains(g3.Reason, "Can't connect") {
				t.Errorf("REG3: %+v, want excluded at dump naming the connection error", g3)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("report: %v", err)
			}
			checkArtifacts(t, cfg, map[string]*sql.DB{"REG1": f.reg1.DB(t), "REG2": f.reg2.DB(t)}, compress)
			checkDLQ(t, cfg, map[string]string{"REG3": "Can't connect"})
		})
	}
}

// checkArtifacts asserts one artifact per good region whose manifest row
// counts equal SELECT COUNT(*) on the source for every user table.
func checkArtifacts(t *testing.T, cfg *config.Config, sources map[string]*sql.DB, compress string) {
	t.Helper()
	spool := &store.Spool{Dir: cfg.SpoolDir}
	for region, db := range sources {
		entries, err := spool.List(region)
		if err != nil || len(entries) != 1 {
			t.Fatalf("%s: %d artifacts (%v), want 1", region, len(entries), err)
		}
		e := entries[0]
		if !strings.HasSuffix(e.Path, store.Extension(compress)) || e.Manifest == nil {
			t.Fatalf("%s: artifact %s manifest %v", region, e.Path, e.Manifest)
		}
		if err := store.Verify(e.Path, e.Manifest); err != nil {
			t.Errorf("%s: %v", region, err)
		}
		want := sourceCounts(t, db)
		got := map[string]int64{}
		for _, tc := range e.Manifest.Tables {
			if !mysqlx.SystemSchema(tc.Database) {
				got[tc.Database+"."+tc.Table] = tc.Rows
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: manifest has %d user tables, source %d", region, len(got), len(want))
		}
		for table, n := range want {
			if got[table] != n {
				t.Errorf("%s: %s rows in manifest %d, SELECT COUNT(*) %d", region, table, got[table], n)
			}
		}
	}
}

func sourceCounts(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	counts, err := mysqlx.RowCounts(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// openState reopens the run's embedded JetStream store after the run ended.
func openState(t *testing.T, cfg *config.Config) jetstream.JetStream {
	t.Helper()
	e, err := pipeline.StartEmbedded(cfg.StateDir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	nc, err := e.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return js
}

// checkDLQ asserts the DLQ holds exactly one entry per region in want, whose
// reason contains want's text.
func checkDLQ(t *testing.T, cfg *config.Config, want map[string]string) {
	t.Helper()
	js := openState(t, cfg)
	c, err := js.OrderedConsumer(context.Background(), pipeline.StreamDLQ, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for {
		m, err := c.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			break
		}
		r := m.Headers().Get(pipeline.HdrRegion)
		got[r] = append(got[r], m.Headers().Get(pipeline.HdrReason))
		if strings.Contains(string(m.Data()), sourcePassword) {
			t.Errorf("DLQ entry carries the password")
		}
	}
	for region, text := range want {
		if len(got[region]) != 1 || !strings.Contains(got[region][0], text) {
			t.Errorf("DLQ for %s = %q, want one entry containing %q", region, got[region], text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("DLQ regions = %v, want %v", got, want)
	}
}

func TestCorruptedArtifactBetweenDumpAndCheckIsExcluded(t *testing.T) {
	f := startFleet(t)
	cfg := env(t, f, map[string]string{"GD_REGIONS": "REG1=" + f.reg1.Addr()})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	conn, err := Connect(cfg, "test", true, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p := Pipeline(cfg, conn, quietLog())
	early, err := StartWorkers(ctx, cfg, p, []string{job.StagePlan, job.StageDump, job.StageStats}, 0, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer early.Stop()
	watch, err := WatchRun(ctx, conn.JS, "corrupt-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Trigger(ctx, conn.JS, &job.Trigger{V: job.Version, Run: "corrupt-1"}); err != nil {
		t.Fatal(err)
	}
	j := waitForJob(t, conn.JS, pipeline.JobSubject(job.StageCheck, "REG1"))
	flipByte(t, j.Artifact.Path)

	check, err := StartWorkers(ctx, cfg, p, []string{job.StageCheck}, 0, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer check.Stop()
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Regions[0]
	if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageCheck || !strings.Contains(g.Reason, "sha256") {
		t.Fatalf("REG1 = %+v, want excluded at check for a sha256 mismatch", g)
	}
	if _, err := os.Stat(j.Artifact.Path); !os.IsNotExist(err) {
		t.Errorf("corrupt artifact still in place: %v", err)
	}
	q := filepath.Join((&store.Spool{Dir: cfg.SpoolDir}).QuarantineDir(), filepath.Base(j.Artifact.Path))
	if _, err := os.Stat(q); err != nil {
		t.Errorf("corrupt artifact not quarantined: %v", err)
	}
}

// waitForJob waits until a job sits on subject and returns it. Nothing
// consumes that subject yet, so the message stays for the test to read.
func waitForJob(t *testing.T, js jetstream.JetStream, subject string) *job.Job {
	t.Helper()
	s, err := js.Stream(context.Background(), pipeline.StreamJobs)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		m, err := s.GetLastMsgForSubject(context.Background(), subject)
		if err == nil {
			j, err := job.DecodeJob(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			return j
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no job on %s", subject)
	return nil
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x55
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}
