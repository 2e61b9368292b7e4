// Package failpoint lets the fault-injection suite (faults/) stop a real
// gravedancer process at a precise point — after a stage published the next
// job but before it acked its own, in the middle of a restore or a ship — so
// a test can SIGKILL it exactly there instead of hoping a sleep lands in the
// window.
//
// Failpoints exist only in binaries built with `-tags failpoints`. In every
// other build Enabled is false and Hit is an empty function, so the checks
// compile away and no environment variable can stop a production process.
//
// In a failpoints build, GD_FAILPOINTS is a comma-separated list of point
// names and GD_FAILPOINT_DIR a directory. The first time a listed point is
// hit, the process writes its pid to <dir>/<point> and blocks until the
// test either kills it or creates <dir>/<point>.continue; later hits pass.
// A ':' in a point's name is '_' in the file's.
package failpoint

// Names of the points the code hits. A stage's name is appended to
// AfterPublish: "after-publish:restore".
const (
	AfterPublish = "after-publish:" // next job published, own job not yet acked
	RestoreLoad  = "restore-load"   // the engine has run some statements of a restore
	ShipCopy     = "ship-copy"      // the dir shipper wrote its temp file, not yet renamed
)
