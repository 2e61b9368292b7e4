// Package kill holds fault-injection tests that kill processes in the middle
// of a backup run: a worker SIGKILLed while it dumps (the job is redelivered
// to another worker and completed exactly once) and a test server that is
// down for the whole run (the restore stage retries, then excludes the region
// naming the test server).
//
// The tests drive the real gravedancer binary, built once in TestMain, against
// private mariadbd instances (internal/testenv) and, for the worker fleet, the
// real nats-server. Injection points are deterministic: wrapper tools write a
// marker and block, and the tests poll for the marker instead of sleeping.
// With CI set, a missing dependency fails the tests instead of skipping them.
package kill
