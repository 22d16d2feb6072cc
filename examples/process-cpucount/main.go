// Command process-cpucount is the Go twin of seed 001_2345feefc5625c48.txt,
// section "Как узнать количество доступных ядер процессора?":
// os.cpu_count() is process.CPUCount(), which counts the CPUs this process
// may run on — the number of worker processes that keeps them all busy.
package main

import (
	"fmt"

	"github.com/concurgo/concur/process"
)

func main() {
	numCPUs := process.CPUCount()
	fmt.Printf("Доступное количество ядер: %d\n", numCPUs)
}
