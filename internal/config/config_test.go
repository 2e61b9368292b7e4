package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// setEnv sets a minimal valid environment plus overrides ("" value unsets).
func setEnv(t *testing.T, kv map[string]string) {
	t.Helper()
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "GD_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	base := map[string]string{"GD_REGIONS": "REG1=10.1.1.1,REG2=10.1.1.2:3307", "GD_SOURCE_PASSWORD": "s3cret", "GD_TEST_SERVERS": "10.1.2.1"}
	for k, v := range kv {
		base[k] = v
	}
	for k, v := range base {
		if v == "-" {
			continue
		}
		t.Setenv(k, v)
	}
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, nil)
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	want := []Region{
		{Name: "REG1", Host: "10.1.1.1", Port: 3306, User: "backupuser", Password: "s3cret"},
		{Name: "REG2", Host: "10.1.1.2", Port: 3307, User: "backupuser", Password: "s3cret"},
	}
	if fmt.Sprint(len(c.Regions)) != "2" {
		t.Fatalf("regions = %d, want 2", len(c.Regions))
	}
	for i, r := range c.Regions {
		if r != want[i] {
			t.Errorf("region %d = %+v, want %+v", i, r, want[i])
		}
	}
	if c.Compress != "gzip" || c.Consistency != "single-transaction" || c.RetentionDays != 3 || c.Ship[0] != "none" {
		t.Errorf("defaults: compress=%s consistency=%s retention=%d ship=%v", c.Compress, c.Consistency, c.RetentionDays, c.Ship)
	}
}

func TestValidateNamesTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string // variable named in the error
		msg  string // and part of the message
	}{
		{"no regions", map[string]string{"GD_REGIONS": "-"}, "GD_REGIONS", "no regions"},
		{"bad region name", map[string]string{"GD_REGIONS": "RE G=1.2.3.4"}, "GD_REGIONS", "letters, digits"},
		{"dot in region name", map[string]string{"GD_REGIONS": "a.b=1.2.3.4"}, "GD_REGIONS", "letters, digits"},
		{"duplicate region", map[string]string{"GD_REGIONS": "A=h1,A=h2"}, "GD_REGIONS", "twice"},
		{"no address", map[string]string{"GD_REGIONS": "A="}, "GD_REGIONS", "NAME=host"},
		{"port zero", map[string]string{"GD_REGIONS": "A=h:0"}, "GD_REGIONS", "1-65535"},
		{"port too big", map[string]string{"GD_REGIONS": "A=h:65536"}, "GD_REGIONS", "1-65535"},
		{"port not a number", map[string]string{"GD_REGIONS": "A=h:x"}, "GD_REGIONS", "1-65535"},
		{"bad test server", map[string]string{"GD_TEST_SERVERS": "h:99999"}, "GD_TEST_SERVERS", "1-65535"},
		{"bad check table", map[string]string{"GD_CHECK_TABLES": "nova"}, "GD_CHECK_TABLES", "db.table"},
		{"bad compress", map[string]string{"GD_COMPRESS": "xz"}, "GD_COMPRESS", "gzip, zstd"},
		{"bad gzip level", map[string]string{"GD_COMPRESS_LEVEL": "12"}, "GD_COMPRESS_LEVEL", "1-9"},
		{"bad zstd level", map[string]string{"GD_COMPRESS": "zstd", "GD_COMPRESS_LEVEL": "23"}, "GD_COMPRESS_LEVEL", "1-22"},
		{"level not a number", map[string]string{"GD_COMPRESS_LEVEL": "high"}, "GD_COMPRESS_LEVEL", "invalid syntax"},
		{"bad consistency", map[string]string{"GD_CONSISTENCY": "x"}, "GD_CONSISTENCY", "single-transaction"},
		{"password in flags", map[string]string{"GD_DUMP_FLAGS": "--password=hunter2"}, "GD_DUMP_FLAGS", "must not carry a password"},
		{"short password flag", map[string]string{"GD_DUMP_FLAGS": "-phunter2"}, "GD_DUMP_FLAGS", "must not carry a password"},
		{"bad dump tool", map[string]string{"GD_DUMP_TOOL": "pg_dump"}, "GD_DUMP_TOOL", "mariadb-dump"},
		{"bad timeout", map[string]string{"GD_DUMP_TIMEOUT": "0s"}, "GD_DUMP_TIMEOUT", "positive"},
		{"timeout not a duration", map[string]string{"GD_DUMP_TIMEOUT": "soon"}, "GD_DUMP_TIMEOUT", "invalid duration"},
		{"zero retention", map[string]string{"GD_RETENTION_DAYS": "0"}, "GD_RETENTION_DAYS", "at least 1"},
		{"zero concurrency", map[string]string{"GD_DUMP_CONCURRENCY": "0"}, "GD_DUMP_CONCURRENCY", "at least 1"},
		{"zero per source", map[string]string{"GD_DUMP_PER_SOURCE": "0"}, "GD_DUMP_PER_SOURCE", "at least 1"},
		{"replicas zero", map[string]string{"GD_NATS_REPLICAS": "0"}, "GD_NATS_REPLICAS", "1 to 5"},
		{"replicas six", map[string]string{"GD_NATS_REPLICAS": "6", "GD_NATS_URL": "nats://127.0.0.1:4222"}, "GD_NATS_REPLICAS", "1 to 5"},
		{"replicas on embedded", map[string]string{"GD_NATS_REPLICAS": "3"}, "GD_NATS_REPLICAS", "embedded NATS server is a single node"},
		{"zero max deliver", map[string]string{"GD_MAX_DELIVER": "0"}, "GD_MAX_DELIVER", "at least 1"},
		{"short ack wait", map[string]string{"GD_ACK_WAIT": "10ms"}, "GD_ACK_WAIT", "at least 1s"},
		{"no test server", map[string]string{"GD_TEST_SERVERS": "-"}, "GD_TEST_SERVERS", "no test server"},
		{"bad verify mode", map[string]string{"GD_VERIFY_ROWS": "some"}, "GD_VERIFY_ROWS", "all, checked, off"},
		{"bad restore method", map[string]string{"GD_RESTORE_METHOD": "myloader"}, "GD_RESTORE_METHOD", "engine, client"},
		{"negative restore parallel", map[string]string{"GD_RESTORE_PARALLEL": "-1"}, "GD_RESTORE_PARALLEL", "got -1"},
		{"huge restore parallel", map[string]string{"GD_RESTORE_PARALLEL": "1000"}, "GD_RESTORE_PARALLEL", "0 (twice the test server's CPUs) to 64"},
		{"short lease", map[string]string{"GD_LEASE_TTL": "1s"}, "GD_LEASE_TTL", "at least 5s"},
		{"keep min zero", map[string]string{"GD_RETENTION_KEEP_MIN": "0"}, "GD_RETENTION_KEEP_MIN", "always kept"},
		{"negative daily", map[string]string{"GD_KEEP_DAILY": "-1"}, "GD_KEEP_DAILY", "negative"},
		{"unknown ship target", map[string]string{"GD_SHIP": "tape"}, "GD_SHIP", "netbackup, scp, dir, s3, none"},
		{"none with others", map[string]string{"GD_SHIP": "none,dir", "GD_SHIP_DIR": "/x"}, "GD_SHIP", "cannot be combined"},
		{"twice", map[string]string{"GD_SHIP": "dir,dir", "GD_SHIP_DIR": "/x"}, "GD_SHIP", "twice"},
		{"dir without dir", map[string]string{"GD_SHIP": "dir"}, "GD_SHIP_DIR", "required"},
		{"netbackup without server", map[string]string{"GD_SHIP": "netbackup"}, "GD_NETBACKUP_SERVER", "required"},
		{"scp without key", map[string]string{"GD_SHIP": "scp", "GD_SCP_HOST": "h", "GD_SCP_DIR": "/d", "GD_SCP_KNOWN_HOSTS": "/k"}, "GD_SCP_KEY", "required"},
		{"scp bad port", map[string]string{"GD_SHIP": "scp", "GD_SCP_HOST": "h", "GD_SCP_DIR": "/d", "GD_SCP_KEY": "/k", "GD_SCP_KNOWN_HOSTS": "/k", "GD_SCP_PORT": "0"}, "GD_SCP_PORT", "1-65535"},
		{"negative restore concurrency", map[string]string{"GD_RESTORE_CONCURRENCY": "-1"}, "GD_RESTORE_CONCURRENCY", "negative"},
		{"bad log format", map[string]string{"GD_LOG_FORMAT": "xml"}, "GD_LOG_FORMAT", "auto, text, json"},
		{"bad log level", map[string]string{"GD_LOG_LEVEL": "loud"}, "GD_LOG_LEVEL", "debug, info"},
		{"empty spool", map[string]string{"GD_SPOOL_DIR": ""}, "GD_SPOOL_DIR", "empty"},
		{"both password and file", map[string]string{"GD_SOURCE_PASSWORD_FILE": "/nonexistent"}, "GD_SOURCE_PASSWORD", "set one"},
		{"missing password file", map[string]string{"GD_SOURCE_PASSWORD": "-", "GD_SOURCE_PASSWORD_FILE": "/nonexistent/pw"}, "GD_SOURCE_PASSWORD_FILE", "no such file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			setEnv(t, c.env)
			_, err := Load()
			wantError(t, err, c.want, c.msg, "s3cret", "hunter2")
		})
	}
}

// wantError asserts that err is a *config.Error naming variable, with msg
// in its message and none of secrets anywhere in it.
func wantError(t *testing.T, err error, variable, msg string, secrets ...string) {
	t.Helper()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *config.Error", err)
	}
	if ce.Var != variable || !strings.Contains(ce.Msg, msg) {
		t.Errorf("err = %q, want variable %s and message containing %q", err, variable, msg)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}

func TestPasswordFileAndRegionOverride(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("from file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw2 := filepath.Join(dir, "pw2")
	if err := os.WriteFile(pw2, []byte("reg2 pass"), 0o600); err != nil {
		t.Fatal(err)
	}
	setEnv(t, map[string]string{
		"GD_SOURCE_PASSWORD": "-", "GD_SOURCE_PASSWORD_FILE": pw,
		"GD_REGIONS":                    "REG1=h1,reg-2=h2",
		"GD_REGION_REG_2_USER":          "other",
		"GD_REGION_REG_2_PASSWORD_FILE": pw2,
	})
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Regions[0]; got.User != "backupuser" || got.Password.Reveal() != "from file" {
		t.Errorf("REG1 = %s / %q", got.User, got.Password.Reveal())
	}
	if got := c.Regions[1]; got.User != "other" || got.Password.Reveal() != "reg2 pass" {
		t.Errorf("reg-2 = %s / %q", got.User, got.Password.Reveal())
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	type holder struct{ P Secret }
	var buf strings.Builder
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "pw", s, "holder", holder{s})
	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %x %#v %+v", s, s, s, s, s, holder{s}), buf.String(),
	}
	for _, out := range outputs {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestDecodeLists(t *testing.T) {
	var tl TableList
	if err := tl.Decode(" keystone.project , nova.instances "); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tl); got != "[keystone.project nova.instances]" {
		t.Errorf("tables = %s", got)
	}
	var al AddrList
	if err := al.Decode("db1,db2:3307,[::1]:3308"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(al); got != "[db1:3306 db2:3307 [::1]:3308]" {
		t.Errorf("addrs = %s", got)
	}
}
