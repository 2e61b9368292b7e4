//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || s390x || loong64)

package ship

import (
	"os"
	"syscall"
)

// fadvDontNeed is POSIX_FADV_DONTNEED on Linux.
const fadvDontNeed = 4

// dropCache asks the kernel to drop path's clean cached pages, so the next
// read comes from the disk or, on NFS, from the server. Best effort.
func dropCache(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	_, _, _ = syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0)
}
