//go:build race

package benchsuite

// raceEnabled: a child of a race-instrumented test binary takes about a
// second to start here, so tests leave the process workloads to runs
// without -race.
const raceEnabled = true
