package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// BuildBinary runs `go build [-tags tags] -o DIR/NAME pkg`, where pkg is a
// main package's import path, DIR a fresh temporary directory and NAME the
// last element of pkg. It returns the binary's path and a function that
// removes DIR. On failure nothing is left behind and the error holds go's
// output.
func BuildBinary(pkg string, tags ...string) (bin string, remove func(), err error) {
	dir, err := os.MkdirTemp("", "gd-bin-")
	if err != nil {
		return "", nil, err
	}
	remove = func() { _ = os.RemoveAll(dir) }
	bin = filepath.Join(dir, path.Base(pkg))
	args := []string{"build"}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	args = append(args, "-o", bin, pkg)
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		remove()
		return "", nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin, remove, nil
}

// MainWithBinary is the body of a TestMain for tests that run a binary:
//
//	func TestMain(m *testing.M) {
//		os.Exit(testenv.MainWithBinary(m, &binary, "gravedancer/cmd/gravedancer"))
//	}
//
// It builds pkg with tags (see BuildBinary), sets *bin to the binary's
// path, runs the tests, removes the binary and returns the exit code for
// os.Exit. When the build fails it prints why to stderr and returns 1
// without running any test.
func MainWithBinary(m *testing.M, bin *string, pkg string, tags ...string) int {
	path, remove, err := BuildBinary(pkg, tags...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "build %s: %v", pkg, err)
		return 1
	}
	defer remove()
	*bin = path
	return m.Run()
}
