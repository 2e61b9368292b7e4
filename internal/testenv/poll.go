package testenv

import (
	"testing"
	"time"
)

// pollInterval is how often WaitFor and Eventually evaluate their
// condition.
const pollInterval = 50 * time.Millisecond

// Eventually evaluates cond every 50ms until it holds, for up to timeout,
// and reports whether it did. cond runs at least once.
func Eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollInterval)
	}
	return true
}

// WaitFor is Eventually that fails the test, naming what it waited for,
// when cond does not hold within timeout. cond may itself fail the test
// (t.Fatal) to stop waiting early.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !Eventually(timeout, cond) {
		t.Fatalf("timed out after %s waiting for %s", timeout, what)
	}
}
