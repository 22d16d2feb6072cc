package benchsuite

// Workloads whose concur API is not in the tree yet: their rows show
// Python's figure and say what is missing.

func poolMapWorkload() *Workload {
	return &Workload{
		ID: "pool-map", Title: "Pool(2).map of 1e6 squares", Unit: ItemsPerSec, Items: 1e6, Python: true,
		Note:    "map square over 1e6 ints with a warm pool of 2 worker processes, default chunksize; Python: Pool(2).map",
		Missing: "process.Pool is not in the tree yet",
		Bars:    []Bar{{Against: AgainstPython, Min: 2, Text: "2x Python's items/s"}},
	}
}

func poolApplyWorkload() *Workload {
	return &Workload{
		ID: "pool-apply", Title: "Pool.apply round trip", Unit: PerOp, Quick: true, Python: true,
		Note:    "apply square(3) on a warm pool of 2 and wait for the result; baseline: a raw socketpair round trip; Python: Pool.apply",
		Missing: "process.Pool is not in the tree yet",
		Bars:    []Bar{{Against: AgainstBaseline, Min: 1.0 / 3, Text: "within 3x of a raw socketpair round trip"}},
	}
}

func processExecutorWorkload() *Workload {
	return &Workload{
		ID: "process-executor", Title: "Process executor tasks", Unit: PerOp, Quick: true, Python: true,
		Note:    "submit batches of 1024 tasks (square) to a ProcessPoolExecutor of 2, then take every result; Python: ProcessPoolExecutor(2)",
		Missing: "futures.ProcessPoolExecutor is not in the tree yet",
		Bars:    []Bar{{Against: AgainstPython, Min: 5, Text: "5x Python's ProcessPoolExecutor"}},
	}
}
