package benchsuite

import "time"

// Workloads returns the suite, in table order, without peers. Each call
// returns new workloads, so AddPeer on one suite does not touch another.
func Workloads() Suite {
	return Suite{
		lockWorkload(),
		rlockWorkload(),
		queueWorkload(),
		priorityWorkload(),
		threadStartWorkload(),
		executorWorkload(),
		pipeRoundTripWorkload(),
		pipeEchoWorkload(),
		processStartWorkload(),
		mpQueueWorkload(),
		valueLockedWorkload(),
		valueAddWorkload(),
		managerWorkload(),
		poolMapWorkload(),
		poolApplyWorkload(),
		processExecutorWorkload(),
		countdownThreadsWorkload(),
		countdownProcessesWorkload(),
		fanoutThreadsWorkload(),
		fanoutAioWorkload(),
		serverJobsWorkload(),
	}
}

// Sizes shared with the peers that bench/main.go adds, so that they do
// the same work.
const (
	// ExecutorBatch is how many no-op tasks the executor workloads submit
	// before collecting their results.
	ExecutorBatch = 1024
	// FanoutTasks sleeps of FanoutSleep each make one I/O fan-out.
	FanoutTasks = 1000
	FanoutSleep = 10 * time.Millisecond
)

// Batches calls batch with the sizes of the batches of at most
// ExecutorBatch that make up n, and stops at the first error.
func Batches(n int, batch func(size int) error) error {
	for left := n; left > 0; left -= ExecutorBatch {
		if err := batch(min(left, ExecutorBatch)); err != nil {
			return err
		}
	}
	return nil
}

// timed runs fn and returns how long it took, or its error.
func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}
