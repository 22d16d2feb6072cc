package process

import "runtime"

// CPUCount returns the number of CPUs this process may run on: the size
// of a Pool that keeps every usable CPU busy. It is Python's
// os.process_cpu_count (3.13), which Pool uses for its default size since
// 3.13; Python's multiprocessing.cpu_count and os.cpu_count count every
// CPU of the machine, including those the process's affinity mask or
// container excludes.
func CPUCount() int { return runtime.NumCPU() }
