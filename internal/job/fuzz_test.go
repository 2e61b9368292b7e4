package job

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzDecodeJob feeds the decoder what a hostile or broken producer could
// publish. Whatever the input: no panic; a refusal is ErrMalformed; an
// accepted job has a run id and region safe to put in subjects and file
// names, and survives an encode/decode round trip unchanged.
//
//	go test -fuzz=FuzzDecodeJob ./internal/job/
func FuzzDecodeJob(f *testing.F) {
	at := time.Date(2026, 11, 28, 2, 30, 0, 0, time.UTC)
	for _, j := range []*Job{
		{V: Version, Run: "r1", Region: "REG1", Addr: "db:3306", Stage: StageDump},
		{V: Version, Run: "verify-REG1-1", Region: "REG1", Stage: StageCheck, Purpose: PurposeVerify,
			Artifact: &Artifact{Path: "/spool/2026-11-28/mdb_bkp_REG1-20261128_023000.sql.gz", SHA256: "ab", Compression: "gzip"},
			Manifest: &Manifest{V: Version, Region: "REG1", Tables: []TableCount{{Database: "nova", Table: "instances", Rows: 3}},
				Binlog: &BinlogPosition{File: "mysql-bin.000001", Position: 4, GTID: "0-1-2"}},
			History: []StageRecord{{Stage: StageDump, Started: at, Finished: at, Attempt: 1}}},
	} {
		f.Add(Encode(j))
	}
	for _, s := range []string{
		`{"v":99,"run":"r","region":"R","stage":"dump"}`,
		`{"v":1,"run":"../../etc","region":"R","stage":"dump"}`,
		"{\"v\":1,\"run\":\"r\",\"region\":\"R\\u0000\",\"stage\":\"dump\"}",
		`{"v":1,"run":"r","region":"R","stage":"dump","artifact":{"path":"/etc/passwd"}}`,
		`{"v":1,"run":"r","region":"R","stage":"dump","evil":true}`,
		`{"v":1,"run":"r","region":"R","stage":"dump"}{"v":1}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := DecodeJob(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("refusal %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !ValidRunID(j.Run) || !token.MatchString(j.Region) || j.V != Version {
			t.Fatalf("accepted unsafe job: run %q region %q v %d", j.Run, j.Region, j.V)
		}
		again, err := DecodeJob(Encode(j))
		if err != nil {
			t.Fatalf("re-decoding an accepted job: %v", err)
		}
		if !reflect.DeepEqual(normal(j), normal(again)) {
			t.Fatalf("round trip changed the job:\n%+v\n%+v", j, again)
		}
	})
}

// normal drops what JSON cannot tell apart (nil vs empty, time zones).
func normal(j *Job) string { return string(Encode(j)) }

// FuzzDecodeTrigger: same promises for the trigger.
func FuzzDecodeTrigger(f *testing.F) {
	f.Add(Encode(&Trigger{V: Version, Run: "20261128-0230", Regions: []string{"REG1"}}))
	f.Add([]byte(`{"v":1,"run":"a b"}`))
	f.Add([]byte(`{"v":1,"run":"r","regions":["../x"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeTrigger(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("refusal %v does not wrap ErrMalformed", err)
			}
			return
		}
		if !ValidRunID(tr.Run) {
			t.Fatalf("accepted run id %q", tr.Run)
		}
	})
}
