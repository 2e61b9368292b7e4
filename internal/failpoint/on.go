//go:build failpoints

package failpoint

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Enabled is true in the fault suite's builds.
const Enabled = true

var (
	mu   sync.Mutex
	seen = map[string]bool{}
)

// Hit blocks the first time a point listed in GD_FAILPOINTS is reached,
// after recording the pid in GD_FAILPOINT_DIR/<point>, until the test kills
// the process or creates <point>.continue next to it.
func Hit(point string) {
	if !listed(point) {
		return
	}
	mu.Lock()
	first := !seen[point]
	seen[point] = true
	mu.Unlock()
	if !first {
		return
	}
	dir := os.Getenv("GD_FAILPOINT_DIR")
	name := filepath.Join(dir, strings.ReplaceAll(point, ":", "_"))
	// Written then renamed, so the test never reads half a pid.
	if err := os.WriteFile(name+".tmp", []byte(strconv.Itoa(os.Getpid())), 0o644); err == nil {
		_ = os.Rename(name+".tmp", name)
	}
	// Poll, not inotify: a test creates the file once, and 20 ms is nothing
	// next to the restores and copies these points interrupt.
	for {
		if _, err := os.Stat(name + ".continue"); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func listed(point string) bool {
	for _, p := range strings.Split(os.Getenv("GD_FAILPOINTS"), ",") {
		if strings.TrimSpace(p) == point {
			return true
		}
	}
	return false
}
