package load

import (
	"os"
	"testing"

	"gravedancer/internal/testenv"
)

// binary is the gravedancer binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer"))
}

// run executes the binary with exactly env (see testenv.Command) and waits
// for it.
func run(t *testing.T, env map[string]string, args ...string) testenv.Result {
	t.Helper()
	return testenv.Run(t, binary, env, args...)
}

// startWorker starts `gravedancer worker args…`; it is killed when the test
// ends, and the end of its log is printed if the test failed.
func startWorker(t *testing.T, env map[string]string, name string, args ...string) *testenv.Process {
	t.Helper()
	p := testenv.StartProcess(t, binary, env, name, append([]string{"worker"}, args...)...)
	p.LogLimit = 20000
	return p
}
