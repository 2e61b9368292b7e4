// Package load holds the load scenario of the fault suite (DESIGN scenario
// 13): fifty regions sharing five private source servers, ten runs
// triggered back to back (500 region jobs queued at once), every job driven
// through every stage by a fleet of worker processes, and the dump
// concurrency limits checked from timestamps the dump tool itself recorded.
//
// The dump tool is a wrapper around the real mariadb-dump that appends
// "start"/"end" lines with a nanosecond clock, the source server and its pid
// to a log before and after the real dump. Those intervals lie inside the
// time a dump holds its per-source slot (GD_DUMP_PER_SOURCE) and its place in
// the dump consumer's MaxAckPending (GD_DUMP_CONCURRENCY), so the test
// asserts from them that neither limit was ever exceeded, and that both were
// reached, or the check proves nothing.
//
// The tests drive the real gravedancer binary, built once in TestMain,
// against private mariadbd instances and the real nats-server
// (internal/testenv). With CI set, a missing dependency fails the tests
// instead of skipping them.
package load
