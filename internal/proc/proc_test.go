package proc

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestTail(t *testing.T) {
	var lines []string
	for i := range 1000 {
		lines = append(lines, fmt.Sprintf("line %04d of stderr output", i))
	}
	all := strings.Join(lines, "\n") + "\n"
	const max = 4 << 10
	tests := []struct {
		name   string
		writes []string
		want   string // Lines(20)
	}{
		{"small", []string{"a\n", "b\n"}, "a\nb"},
		{"keeps last 20 lines", []string{all}, strings.Join(lines[980:], "\n")},
		{"many small writes", strings.SplitAfter(all, "\n"), strings.Join(lines[980:], "\n")},
		{"one huge line", []string{strings.Repeat("x", 10000)}, "…" + strings.Repeat("x", max)},
		{"huge line then error", []string{strings.Repeat("x", 10000), "\nfatal\n"}, "fatal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &Tail{Max: max}
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if len(b.buf) > max {
				t.Errorf("buffer holds %d bytes, limit %d", len(b.buf), max)
			}
			if got := b.Lines(20); got != tt.want {
				t.Errorf("Lines(20) = %.80q, want %.80q", got, tt.want)
			}
		})
	}
}

func TestTailConcurrentWrites(t *testing.T) {
	b := &Tail{Max: 100}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				b.Write([]byte("0123456789\n"))
			}
		}()
	}
	wg.Wait()
	if got := b.Lines(3); got != "0123456789\n0123456789\n0123456789" {
		t.Errorf("Lines(3) = %q", got)
	}
}

func TestCleanEnv(t *testing.T) {
	for k, v := range map[string]string{"GD_SOURCE_PASSWORD": "x", "MYSQL_PWD": "x", "MARIADB_HOST": "elsewhere",
		"SOME_API_TOKEN": "x", "db_passwd": "x", "TZ": "UTC", "KEEP_ME": "1"} {
		t.Setenv(k, v)
	}
	env := strings.Join(CleanEnv(), "\n")
	for _, bad := range []string{"GD_SOURCE_PASSWORD=", "MYSQL_PWD=", "MARIADB_HOST=", "SOME_API_TOKEN=", "db_passwd="} {
		if strings.Contains(env, bad) {
			t.Errorf("child environment keeps %s", bad)
		}
	}
	for _, keep := range []string{"TZ=UTC", "KEEP_ME=1"} {
		if !strings.Contains(env, keep) {
			t.Errorf("child environment lost %s", keep)
		}
	}
}
