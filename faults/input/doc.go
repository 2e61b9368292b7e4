// Package input holds end-to-end fault-injection tests of the gravedancer
// binary for faulty inputs: an unreachable or flapping source, and dump
// tools that die mid-way, write nothing or are missing. The tests live in
// *_test.go files; this package has no non-test code.
package input
