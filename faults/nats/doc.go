// Package nats holds fault-injection tests of the NATS JetStream server the
// pipeline runs on (DESIGN scenario 2): the nats-server restarted, gracefully
// and by SIGKILL, while dumps are in flight, and a 3-node JetStream cluster on
// loopback with R3 streams and buckets losing a node mid-run. In each, the
// worker processes must survive, reconnect and finish the run: every region
// good, one artifact per region, no job lost or run twice, nothing left in
// the work queue or the DLQ.
//
// The tests drive the real gravedancer binary, built once in TestMain, against
// Debian's nats-server and private mariadbd instances (internal/testenv). The
// fault is injected deterministically: the dump tool is a wrapper that records
// its pid and waits for a release file, so the test knows the dumps are in
// flight, injects the fault, waits for the workers to reconnect, then releases
// the dumps. With CI set, a missing nats-server or mariadbd fails the tests
// instead of skipping them.
package nats
