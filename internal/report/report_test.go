package report

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

func TestFromJobAndTable(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 2, 30, 0, 0, time.UTC)
	rec := func(s string, from, to int) job.StageRecord {
		return job.StageRecord{Stage: s, Started: t0.Add(time.Duration(from) * time.Second), Finished: t0.Add(time.Duration(to) * time.Second)}
	}
	good := &job.Job{Region: "REG1", History: []job.StageRecord{rec("dump", 0, 10), rec("stats", 10, 11), rec("check", 11, 13)},
		Artifact: &job.Artifact{Path: "/s/a.sql.gz", Bytes: 2048},
		Manifest: &job.Manifest{RawBytes: 3 << 20, Tables: []job.TableCount{{Database: "d", Table: "t", Rows: 7}}},
		Stats:    &job.Stats{DeltaPct: -3.25}}
	bad := &job.Job{Region: "REG3", Exclusion: &job.Exclusion{Stage: "dump", Reason: "dump REG3: Can't connect\nmore detail"}}
	r := &Report{Run: "r1", Started: t0, Finished: t0.Add(13 * time.Second), Regions: []Region{FromJob(good), FromJob(bad)}}

	g := r.Regions[0]
	if g.Outcome != OutcomeGood || g.Reached != "dumped+checked" || g.Rows != 7 || g.Duration != 13*time.Second || *g.DeltaPct != -3.25 {
		t.Errorf("good region = %+v", g)
	}
	if r.Good() != 1 || r.Excluded() != 1 {
		t.Errorf("good=%d excluded=%d", r.Good(), r.Excluded())
	}
	var b strings.Builder
	Table(&b, r)
	for _, want := range []string{"run r1: 1 good, 1 excluded, 13s", "REG1", "dumped+checked", "2.0 KiB", "-3.2%", "REG3", "excluded at dump",
		"REG3 excluded: dump REG3: Can't connect", "dump 10s stats 1s check 2s", "REG1: /s/a.sql.gz"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "more detail") {
		t.Errorf("table should show the reason's first line only:\n%s", b.String())
	}

	spool := &store.Spool{Dir: t.TempDir()}
	path, err := Write(spool, r)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	var back Report
	if err := json.Unmarshal(data, &back); err != nil || back.Run != "r1" || len(back.Regions) != 2 {
		t.Errorf("report file round trip: %v %+v", err, back)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "-", 512: "512 B", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %s, want %s", n, got, want)
		}
	}
}

// TestPrunedLine: what retention did in the spool and on each pruning ship
// target, as the summary line under the table says it.
func TestPrunedLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *job.Retained
		want string
	}{
		{"not retained", nil, "REG1: /s/a.sql.gz\n"},
		{"nothing", &job.Retained{Latest: "/s/a.sql.gz"}, "REG1: /s/a.sql.gz (latest; nothing to prune)\n"},
		{"spool and s3", &job.Retained{Latest: "/s/a.sql.gz", Removed: []string{"/s/0", "/s/1"},
			Remote: []job.RemoteRetained{{Target: "s3", Removed: []string{"s3://b/0"}, Kept: 3}}},
			"REG1: /s/a.sql.gz (latest; pruned 2 older backups; s3: pruned 1 older backup)\n"},
		{"s3 down", &job.Retained{Latest: "/s/a.sql.gz", Removed: []string{"/s/0"},
			Remote: []job.RemoteRetained{{Target: "s3", Error: "list s3: connection refused\ndetail"}}},
			"REG1: /s/a.sql.gz (latest; pruned 1 older backup; s3: prune failed: list s3: connection refused)\n"},
		{"s3 part way", &job.Retained{Latest: "/s/a.sql.gz",
			Remote: []job.RemoteRetained{{Target: "s3", Removed: []string{"s3://b/0", "s3://b/1"}, Error: "delete s3://b/2: access denied"}}},
			"REG1: /s/a.sql.gz (latest; nothing to prune; s3: pruned 2 older backups, then failed: delete s3://b/2: access denied)\n"},
	} {
		j := &job.Job{Region: "REG1", Artifact: &job.Artifact{Path: "/s/a.sql.gz"}, Retained: tc.r}
		g := FromJob(j)
		var b strings.Builder
		Table(&b, &Report{Run: "r", Regions: []Region{g}})
		lines := strings.SplitAfter(b.String(), "\n")
		if got := lines[len(lines)-2]; got != tc.want {
			t.Errorf("%s: summary line %q, want %q", tc.name, got, tc.want)
		}
	}
	g := FromJob(&job.Job{Region: "REG1", Retained: &job.Retained{Latest: "x",
		Remote: []job.RemoteRetained{{Target: "s3", Removed: []string{"a", "b"}, Error: "e"}}}})
	if want := []RemotePruned{{Target: "s3", Pruned: 2, Error: "e"}}; len(g.PrunedRemote) != 1 || g.PrunedRemote[0] != want[0] {
		t.Errorf("PrunedRemote = %+v, want %+v", g.PrunedRemote, want)
	}
}

func TestFirstLine(t *testing.T) {
	long := strings.Repeat("é", 400)
	for _, tc := range []struct{ in, want string }{
		{"dump REG1: refused\nstderr: more", "dump REG1: refused"},
		{"", ""},
		{long, strings.Repeat("é", 299) + "…"},
		{strings.Repeat("x", 300), strings.Repeat("x", 300)},
	} {
		got := FirstLine(tc.in)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("FirstLine(%.20q…) = %.20q… (%d runes), want %.20q… (%d runes)", tc.in, got, utf8.RuneCountInString(got), tc.want, utf8.RuneCountInString(tc.want))
		}
	}
}
