//go:build !failpoints

package failpoint

// Enabled is false outside the fault suite's builds.
const Enabled = false

// Hit does nothing outside the fault suite's builds.
func Hit(string) {}
