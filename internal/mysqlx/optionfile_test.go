package mysqlx

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gravedancer/internal/config"
)

func TestReadOptionFileRoundTrip(t *testing.T) {
	for _, pw := range []string{"plain", `q"uo'te\ #hash = eq`, " lead and trail ", "tab\there\nnl"} {
		want := Credentials{Host: "db1.example", Port: 3307, User: "restore", Password: config.Secret(pw)}
		path, err := WriteDefaultsFile(t.TempDir(), want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadOptionFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Host != want.Host || got.Port != want.Port || got.User != want.User || got.Password.Reveal() != pw {
			t.Errorf("password %q: got %+v (password %q), want %+v", pw, got, got.Password.Reveal(), want)
		}
	}
}

func TestReadOptionFileHandWritten(t *testing.T) {
	body := "# operator's file\n[mysqld]\nuser=mysql\n[client]\nuser = admin # who\npassword='s3cr#t'\nport=3310\nhost=127.0.0.1\nssl-ca=/x\n[other]\nuser=nobody\n"
	path := filepath.Join(t.TempDir(), "my.cnf")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadOptionFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.User != "admin" || got.Password.Reveal() != "s3cr#t" || got.Port != 3310 || got.Host != "127.0.0.1" {
		t.Errorf("got %+v password %q", got, got.Password.Reveal())
	}
}

func TestReadOptionFileErrors(t *testing.T) {
	for name, body := range map[string]string{
		"bad port":     "[client]\nport=abc\n",
		"unterminated": "[client]\npassword=\"open\n",
	} {
		path := filepath.Join(t.TempDir(), "my.cnf")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadOptionFile(path)
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: err = %v, want an error naming line 2", name, err)
		}
	}
	if _, err := ReadOptionFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
