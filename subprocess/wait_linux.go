package subprocess

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"unsafe"
)

// The si_code values of a SIGCHLD siginfo for a child that has ended.
const (
	cldExited = 1 // exited; si_status is the exit status
	cldKilled = 2 // killed; si_status is the signal
	cldDumped = 3 // killed, dumped core; si_status is the signal
)

const pPID = 1 // waitid's P_PID: wait for the one child named by id

// siginfo is the kernel's 128-byte siginfo_t, aligned for its pointer-sized
// members. The syscall package does not define it.
type siginfo [128 / unsafe.Sizeof(uintptr(0))]uintptr

// Offsets into a siginfo. si_code is the third 32-bit word, except on
// MIPS, which swaps si_code and si_errno. Then comes a pointer-aligned
// union whose SIGCHLD member starts with si_pid and si_uid, 32 bits each on
// every Linux architecture, followed by si_status.
var siCode uintptr = 2 * 4

const siStatus = 3*4 + (unsafe.Sizeof(uintptr(0)) - 4) + 2*4

func init() {
	if strings.HasPrefix(runtime.GOARCH, "mips") {
		siCode = 1 * 4
	}
}

// waitExited blocks until the child pid has exited and returns its return
// code in Python's convention (-N for signal N), leaving it unreaped
// (WNOWAIT) so that its pid cannot be recycled until exec.Cmd.Wait reaps it.
func waitExited(pid int) (int, error) {
	var info siginfo
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info)), syscall.WEXITED|syscall.WNOWAIT, 0, 0)
		if errno == 0 {
			break
		}
		if errno != syscall.EINTR {
			return -1, os.NewSyscallError("waitid", errno)
		}
	}
	raw := (*[128]byte)(unsafe.Pointer(&info))
	field := func(off uintptr) int { return int(int32(binary.NativeEndian.Uint32(raw[off:]))) }
	status := field(siStatus)
	switch code := field(siCode); code {
	case cldExited:
		return status, nil
	case cldKilled, cldDumped:
		return -status, nil
	default:
		return -1, fmt.Errorf("subprocess: waitid: unexpected si_code %d", code)
	}
}
