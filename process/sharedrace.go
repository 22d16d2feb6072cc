//go:build race

package process

import "sync/atomic"

// The race detector does not see synchronization through shared mappings
// (it tracks only Go memory), so a Go variable guarded by a process.Lock
// would be reported as racing. In race builds every shared primitive
// releases into and acquires from this one Go word as well, which makes
// the happens-before edges visible. Being one word for all primitives it
// over-synchronizes, so it can hide a real race between unrelated
// primitives, never invent one; regular builds have none of this.
var sharedRaceWord atomic.Uint64

func sharedRaceRelease() { sharedRaceWord.Add(1) }
func sharedRaceAcquire() { sharedRaceWord.Load() }
