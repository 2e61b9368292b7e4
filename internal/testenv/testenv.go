// Package testenv holds test helpers that start private services: a real
// MariaDB server (mariadbd, one private data directory per instance) and a real
// embedded NATS server with JetStream. Nothing here is a mock.
//
// It also holds the harness of the end-to-end tests that run a real
// binary: MainWithBinary builds it once for a package's TestMain, Run runs
// it to completion and StartProcess in the background (killed when the
// test ends), both in the clean environment of Command; WaitFor and
// Eventually poll, ConnectNATS gives the test its own JetStream client.
//
// It is meant for tests of other packages only. A service whose binaries are
// missing makes the test skip locally and fail under CI (see Require).
package testenv

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Require reports a missing service or tool. With CI set in the environment it
// calls t.Fatalf, so a test that needs MariaDB fails in CI instead of skipping
// green; otherwise it calls t.Skipf.
func Require(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("testenv: %s (CI is set, so this is a failure, not a skip)", msg)
	}
	t.Skipf("testenv: %s (skipping; under CI this fails)", msg)
}

// InCI reports whether the CI environment variable is set (to anything but
// "", "0" or "false").
func InCI() bool {
	v := strings.TrimSpace(os.Getenv("CI"))
	switch strings.ToLower(v) {
	case "", "0", "false", "no":
		return false
	}
	return true
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago: it
// listens on port 0 and closes the listener.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: FreePort: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("testenv: FreePort: %v", err)
	}
	return port
}

// DeadAddr returns "127.0.0.1:PORT" where nothing listens, for "unreachable
// region" tests: a connection to it is refused at once. Where the platform
// allows, the port stays reserved (bound, never listening) until the test
// ends, so no other process can start listening on it meanwhile.
func DeadAddr(t testing.TB) string {
	t.Helper()
	port, release, err := reservePort()
	if err != nil {
		t.Logf("testenv: DeadAddr: cannot reserve a port (%v); using a free one", err)
		port = FreePort(t)
	} else {
		t.Cleanup(release)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
