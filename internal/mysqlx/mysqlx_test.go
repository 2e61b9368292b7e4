package mysqlx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"gravedancer/internal/config"
)

func TestQuoteIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "`plain`"},
		{"", "``"},
		{"a`b", "`a``b`"},
		{"``", "``````"},
		{"with space", "`with space`"},
		{`q"'\`, "`q\"'\\`"},
		{"日本", "`日本`"},
	}
	for _, tt := range tests {
		if got := QuoteIdent(tt.in); got != tt.want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuoteOption(t *testing.T) {
	tests := []struct{ in, want string }{
		{"secret", `"secret"`},
		{"", `""`},
		{`a"b`, `"a\"b"`},
		{`back\slash`, `"back\\slash"`},
		{`trail\`, `"trail\\"`},
		{"it's", `"it\'s"`},
		{"#hash = x", `"#hash = x"`},
		{"tab\tnl\ncr\r", `"tab\tnl\ncr\r"`},
	}
	for _, tt := range tests {
		if got := quoteOption(tt.in); got != tt.want {
			t.Errorf("quoteOption(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDefaultsBody(t *testing.T) {
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{
			name: "tcp",
			c:    Credentials{Host: "db1", Port: 3307, User: "backup", Password: "pw"},
			want: "[client]\nuser=\"backup\"\npassword=\"pw\"\nhost=\"db1\"\nport=\"3307\"\nprotocol=\"TCP\"\n",
		},
		{
			name: "default port, empty password still written",
			c:    Credentials{Host: "::1", User: "u"},
			want: "[client]\nuser=\"u\"\npassword=\"\"\nhost=\"::1\"\nport=\"3306\"\nprotocol=\"TCP\"\n",
		},
		{
			name: "socket wins",
			c:    Credentials{Host: "ignored", Port: 1, User: "u", Password: "p", Socket: "/run/my.sock"},
			want: "[client]\nuser=\"u\"\npassword=\"p\"\nsocket=\"/run/my.sock\"\nprotocol=\"SOCKET\"\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := defaultsBody(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestWriteDefaultsFile(t *testing.T) {
	dir := t.TempDir()
	path, err := WriteDefaultsFile(dir, Credentials{Host: "h", Port: 1, User: "u", Password: "p w"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	if filepath.Dir(path) != dir {
		t.Errorf("file %s is not in %s", path, dir)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `password="p w"`) {
		t.Errorf("file lacks the quoted password:\n%s", b)
	}

	// Two files in one dir never collide (O_EXCL with random names).
	other, err := WriteDefaultsFile(dir, Credentials{User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(other) })
	if other == path {
		t.Error("second defaults file reused the first name")
	}
}

func TestWriteDefaultsFileRejects(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{"nul in password", Credentials{User: "u", Password: "a\x00b"}, "NUL"},
		{"too long", Credentials{User: "u", Password: config.Secret(strings.Repeat("x", 5000))}, "too long"},
		{"missing dir", Credentials{User: "u"}, "defaults file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dir
			if tt.name == "missing dir" {
				d = filepath.Join(dir, "nope")
			}
			_, err := WriteDefaultsFile(d, tt.c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "xxxxxxxx") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("rejected credentials left %d files behind", len(ents))
	}
}

func TestDSN(t *testing.T) {
	pw := config.Secret(`p@ss:w/rd?"#'\ =&x`)
	tests := []struct {
		name     string
		c        Credentials
		net, adr string
	}{
		{"tcp", Credentials{Host: "127.0.0.1", Port: 3307, User: "u", Password: pw}, "tcp", "127.0.0.1:3307"},
		{"ipv6 default port", Credentials{Host: "::1", User: "u", Password: pw}, "tcp", "[::1]:3306"},
		{"socket", Credentials{Host: "x", User: "u", Password: pw, Socket: "/run/mysqld/mysqld.sock"}, "unix", "/run/mysqld/mysqld.sock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := mysql.ParseDSN(DSN(tt.c))
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
			want := fmt.Sprint("u", pw.Reveal(), tt.net, tt.adr, DialTimeout, IOTimeout, IOTimeout)
			if got != want {
				t.Errorf("parsed DSN = %q, want %q", got, want)
			}
		})
	}
	if DialTimeout > time.Minute {
		t.Errorf("DialTimeout %v: a dead host must fail fast", DialTimeout)
	}
}
