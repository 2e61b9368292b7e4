package mysqlx

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/testenv"
)

// hostilePasswords are the values an option file most easily gets wrong.
var hostilePasswords = []struct{ name, pw string }{
	{"plain", "s3cret"},
	{"double quote", `a"b`},
	{"backslash", `back\slash`},
	{"trailing backslash", `trail\`},
	{"hash", `#not-a-comment`},
	{"single quote", `it's`},
	{"spaces at both ends", `  spaced out  `},
	{"equals", `k=v==`},
	{"everything", `"\#' =;[client]` + "\t"},
	{"quoted whole", `"quoted"`},
	{"newline", "line1\nline2"},
	{"unicode", "pässwörd✓"},
	{"empty", ""},
}

func TestDefaultsFileWithClient(t *testing.T) {
	client, err := exec.LookPath("mariadb")
	if err != nil {
		testenv.Require(t, "the mariadb client is not installed: %v", err)
	}
	m := testenv.StartMariaDB(t)
	dir := t.TempDir()
	for i, tt := range hostilePasswords {
		t.Run(tt.name, func(t *testing.T) {
			user := "gd_u" + string(rune('a'+i))
			m.CreateUser(t, user, tt.pw, "")
			c := Credentials{Host: m.Host, Port: m.Port, User: user, Password: config.Secret(tt.pw)}
			out, err := runClient(t, client, dir, c)
			if err != nil {
				t.Fatalf("mariadb: %v\n%s", err, out)
			}
			if got, want := out, user+"@127.0.0.1"; got != want {
				t.Errorf("current_user() = %q, want %q (TCP login)", got, want)
			}
		})
	}
	t.Run("wrong password is refused", func(t *testing.T) {
		m.CreateUser(t, "gd_wrong", "right", "")
		out, err := runClient(t, client, dir, Credentials{Host: m.Host, Port: m.Port, User: "gd_wrong", Password: "wrong"})
		if err == nil || !strings.Contains(out, "1045") {
			t.Fatalf("login with a wrong password: err=%v out=%q, want error 1045", err, out)
		}
	})
	t.Run("socket", func(t *testing.T) {
		out, err := runClient(t, client, dir, Credentials{User: "root", Socket: m.Socket, Host: "ignored.invalid", Port: 1})
		if err != nil || out != "root@localhost" {
			t.Fatalf("socket login: err=%v out=%q, want root@localhost", err, out)
		}
	})
}

// runClient runs select current_user() through a defaults file for c and
// checks the file is gone once removed, as callers are told to do.
func runClient(t *testing.T, client, dir string, c Credentials) (string, error) {
	t.Helper()
	path, err := WriteDefaultsFile(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, client, "--defaults-extra-file="+path,
		"--batch", "--skip-column-names", "-e", "select current_user()").CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestDSNConnects(t *testing.T) {
	m := testenv.StartMariaDB(t)
	for i, tt := range hostilePasswords {
		t.Run(tt.name, func(t *testing.T) {
			user := "gd_d" + string(rune('a'+i))
			m.CreateUser(t, user, tt.pw, "")
			db, err := sql.Open("mysql", DSN(Credentials{Host: m.Host, Port: m.Port, User: user, Password: config.Secret(tt.pw)}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var got string
			if err := db.QueryRow("select current_user()").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := user + "@127.0.0.1"; got != want {
				t.Errorf("current_user() = %q, want %q", got, want)
			}
		})
	}
	t.Run("socket", func(t *testing.T) {
		db, err := sql.Open("mysql", DSN(Credentials{User: "root", Socket: m.Socket}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Ping(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQuoteIdentOnServer(t *testing.T) {
	m := testenv.StartMariaDB(t)
	db := m.DB(t)
	names := []string{"plain", "with space", "back`tick", "``", "semi;colon", `quote"s'`, "drop table x; --"}
	for _, name := range names {
		if _, err := db.Exec("CREATE DATABASE " + QuoteIdent(name)); err != nil {
			t.Fatalf("create %q: %v", name, err)
		}
		if _, err := db.Exec("CREATE TABLE " + QuoteIdent(name) + "." + QuoteIdent(name) + " (" + QuoteIdent(name) + " int)"); err != nil {
			t.Fatalf("create table %q: %v", name, err)
		}
		var got string
		err := db.QueryRow("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", name).Scan(&got)
		if err != nil || got != name {
			t.Errorf("table in %q = %q, %v; want %q", name, got, err, name)
		}
	}
}
