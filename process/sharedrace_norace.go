//go:build !race

package process

func sharedRaceRelease() {}
func sharedRaceAcquire() {}
