package job

import (
	"errors"
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
