//go:build !(linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64))

package ship

// dropCache is a no-op where fadvise is not wired up; read-backs may then
// be served from the page cache.
func dropCache(string) {}
