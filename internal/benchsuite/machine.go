package benchsuite

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// Machine describes where a report was measured.
type Machine struct {
	CPU        string `json:"cpu"` // model name from /proc/cpuinfo
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Python     string `json:"python,omitempty"` // "Python 3.11.7"; empty when Python was left out
	// Load is the load average (1, 5, 15 minutes) when the run began: on
	// a shared machine, what else was running weighs on every figure,
	// and most on the speedups.
	Load string `json:"load"`
}

// DescribeMachine describes this machine; python is the interpreter the
// run uses, or empty.
func DescribeMachine(python string) Machine {
	m := Machine{
		CPU:        cpuModel(),
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
		Kernel:     "unknown kernel",
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if python != "" {
		if out, err := exec.Command(python, "--version").CombinedOutput(); err == nil {
			m.Python = strings.TrimSpace(string(out))
		}
	}
	return m
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH + " CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH + " CPU"
}
