package kill

import (
	"strconv"
	"syscall"
)

func syscallKill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func itoa(n int) string { return strconv.Itoa(n) }
