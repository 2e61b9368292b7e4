package job

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeJobRoundTrip(t *testing.T) {
	in := &Job{V: Version, Run: "20261127-030000-ab12cd", Region: "REG1", Addr: "10.1.1.1:3306", Stage: StageStats,
		History:  []StageRecord{{Stage: StageDump, Started: time.Unix(10, 0).UTC(), Finished: time.Unix(20, 0).UTC(), Attempt: 1}},
		Artifact: &Artifact{Path: "/x.sql.gz", SHA256: "ab", Bytes: 3, Compression: "gzip"},
		Manifest: &Manifest{V: Version, Tables: []TableCount{{Database: "nova", Table: "instances", Rows: 42}}},
	}
	got, err := DecodeJob(Encode(in))
	if err != nil {
		t.Fatal(err)
	}
	if got.Run != in.Run || got.Artifact.Path != "/x.sql.gz" || got.Manifest.Rows() != 42 || got.History[0].Duration() != 10*time.Second {
		t.Errorf("round trip lost data: %+v", got)
	}
}

func TestDecodeJobRejects(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"empty", ``, "malformed"},
		{"not json", `hello`, "malformed"},
		{"array", `[1]`, "malformed"},
		{"trailing", `{"v":1,"run":"r","region":"R","stage":"dump","addr":""} {}`, "trailing"},
		{"unknown field", `{"v":1,"run":"r","region":"R","stage":"dump","x":1}`, "unknown field"},
		{"future version", `{"v":2,"run":"r","region":"R","stage":"dump"}`, "schema version 2"},
		{"no version", `{"run":"r","region":"R","stage":"dump"}`, "schema version 0"},
		{"no run", `{"v":1,"region":"R","stage":"dump"}`, "run id"},
		{"bad run", `{"v":1,"run":"a.b","region":"R","stage":"dump"}`, "run id"},
		{"bad region", `{"v":1,"run":"r","region":"a b","stage":"dump"}`, "region"},
		{"no stage", `{"v":1,"run":"r","region":"R"}`, "stage is empty"},
		{"wrong type", `{"v":"1","run":"r","region":"R","stage":"dump"}`, "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeJob([]byte(c.data))
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrMalformed containing %q", err, c.want)
			}
		})
	}
}

func TestDecodeTrigger(t *testing.T) {
	if _, err := DecodeTrigger([]byte(`{"v":1,"run":"20261127-0300","regions":["A"]}`)); err != nil {
		t.Errorf("valid trigger: %v", err)
	}
	for _, bad := range []string{`{"v":1}`, `{"v":1,"run":"x y"}`, `{"v":3,"run":"r"}`, `{"v":1,"run":"r","extra":true}`} {
		if _, err := DecodeTrigger([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeTrigger(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestNextCopiesHistory(t *testing.T) {
	j := &Job{History: make([]StageRecord, 1, 4)}
	n := j.Next(StageCheck)
	n.History = append(n.History, StageRecord{Stage: "x"})
	j.History = append(j.History, StageRecord{Stage: "y"})
	if n.History[1].Stage != "x" || n.Stage != StageCheck {
		t.Errorf("Next shares history with its source: %+v", n.History)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &Manifest{V: Version, Region: "R", Tables: []TableCount{{Database: "a", Table: "b", Rows: 1}, {Database: "a", Table: "c", Rows: 2}}}
	got, err := DecodeManifest(EncodeManifest(m))
	if err != nil || got.Rows() != 3 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := DecodeManifest([]byte(`{"v":7}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("future manifest: %v", err)
	}
}

func TestManifestBinlogRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   *BinlogPosition
	}{
		{"none", nil},
		{"mariadb", &BinlogPosition{File: "mysql-bin.000003", Position: 1234, GTID: "0-1-42,1-2-7"}},
		{"mysql", &BinlogPosition{File: "binlog.000002", Position: 157, GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"}},
		{"no gtid", &BinlogPosition{File: "mysql-bin.000001", Position: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := EncodeManifest(&Manifest{V: Version, Region: "R", Binlog: tt.in})
			if got := strings.Contains(string(data), `"binlog"`); got != (tt.in != nil) {
				t.Errorf("encoded manifest mentions binlog = %v, want %v:\n%s", got, tt.in != nil, data)
			}
			if got := strings.Contains(string(data), `"gtid"`); got != (tt.in != nil && tt.in.GTID != "") {
				t.Errorf("encoded manifest mentions gtid = %v:\n%s", got, data)
			}
			got, err := DecodeManifest(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Binlog, tt.in) {
				t.Errorf("Binlog = %+v, want %+v", got.Binlog, tt.in)
			}
		})
	}
}

// TestManifestBinlogCompat checks that a manifest written before the binlog
// field still decodes, and that the strict decoder still refuses unknown
// fields inside it.
func TestManifestBinlogCompat(t *testing.T) {
	old := `{"v":1,"run":"r","region":"R","source":"h:3306","file":"a.sql.gz","started":"2026-03-14T01:59:26Z",` +
		`"finished":"2026-03-14T01:59:27Z","tool":"mariadb-dump","tool_version":"10.19","flags":["--all-databases"],` +
		`"consistency":"single-transaction","server_version":"10.11.19-MariaDB","header":"MariaDB dump",` +
		`"footer":"-- Dump completed","sandbox":true,"raw_bytes":10,"raw_sha256":"ab","md5":"cd","bytes":5,` +
		`"sha256":"ef","compression":"gzip","level":6,"databases":["a"],"tables":[{"database":"a","table":"t","rows":2}],` +
		`"statements":9,"views":0,"triggers":0,"routines":0,"events":0}`
	m, err := DecodeManifest([]byte(old))
	if err != nil {
		t.Fatalf("manifest without binlog: %v", err)
	}
	if m.Binlog != nil || m.Rows() != 2 {
		t.Errorf("Binlog = %+v, rows %d; want nil, 2", m.Binlog, m.Rows())
	}
	bad := `{"v":1,"region":"R","binlog":{"file":"f","position":4,"pos":4}}`
	if _, err := DecodeManifest([]byte(bad)); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("unknown field in binlog: err = %v, want ErrMalformed", err)
	}
}
