package benchsuite

// Workloads whose concur API is not in the tree yet: their rows show
// Python's figure and say what is missing.

func processExecutorWorkload() *Workload {
	return &Workload{
		ID: "process-executor", Title: "Process executor tasks", Unit: PerOp, Quick: true, Python: true,
		Note:    "submit batches of 1024 no-op tasks to a process executor of 2 workers, then take every result; Python: ProcessPoolExecutor(2), spawn",
		Missing: "futures.ProcessPoolExecutor is not in the tree yet",
		Bars:    []Bar{{Against: AgainstPython, Min: 5, Text: "5x Python's ProcessPoolExecutor"}},
	}
}
