// Package kill holds fault-injection tests that kill processes in the middle
// of a backup run: a worker SIGKILLed while it dumps, restores or ships, or
// after it published the next stage's job but before it acked its own (the
// job is redelivered to another worker and the region completed exactly
// once, with nothing left behind), and a test server that is down for the
// whole run (the restore stage retries, then excludes the region naming the
// test server).
//
// The tests drive the real gravedancer binary, built once in TestMain with
// the failpoints tag, against private mariadbd instances (internal/testenv)
// and, for the worker fleet, the real nats-server. Injection points are
// deterministic: wrapper tools, or internal/failpoint's points named in
// GD_FAILPOINTS, write a marker and block, and the tests poll for the marker
// instead of sleeping.
// With CI set, a missing dependency fails the tests instead of skipping them.
package kill
