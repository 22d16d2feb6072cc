package process_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/concurgo/concur/process"
)

// A Value's lock makes a read-modify-write of several steps atomic across
// every process sharing the Value; Add does the same in one step. Every
// writer of a value must use the same way: a Load and Store under the
// lock can overwrite an Add made meanwhile without it. (Here goroutines
// stand in for processes; pass the Values to children as arguments to
// share them.)
func ExampleValue_lockedIncrement() {
	locked, err := process.NewValue[int64](0)
	if err != nil {
		panic(err)
	}
	defer locked.Close()
	added, err := process.NewRawValue[int64](0)
	if err != nil {
		panic(err)
	}
	defer added.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 1000 {
				lock := locked.GetLock() // with v.get_lock(): v.value += 1
				lock.Lock()
				locked.Store(locked.Load() + 1)
				lock.Unlock()
				added.Add(1) // one atomic step, no lock needed
			}
		})
	}
	wg.Wait()
	fmt.Println(locked.Load(), added.Load())
	// Output: 4000 4000
}

// An Array is Python's multiprocessing.Array: fixed length, shared, with
// atomic element operations and a lock for bulk work.
func ExampleArray() {
	arr, err := process.NewArrayFrom([]float64{1.5, 2.5, 3.5})
	if err != nil {
		panic(err)
	}
	defer arr.Close()
	arr.Add(0, 1)
	arr.Store(2, -1)
	lock := arr.GetLock()
	lock.Lock()
	sum := 0.0
	for _, x := range arr.Slice() { // plain access, safe while holding the lock
		sum += x
	}
	lock.Unlock()
	fmt.Println(arr.Snapshot(), arr.Len(), sum)
	// Output: [2.5 2.5 -1] 3 4
}

// SharedMemory is a named segment any process can open, including a Python
// program with multiprocessing.shared_memory.SharedMemory(name=...).
func ExampleSharedMemory() {
	m, err := process.CreateSharedMemory("", 64) // a fresh "psm_..." name
	if err != nil {
		panic(err)
	}
	defer m.Unlink() // only the creator removes the name, explicitly
	defer m.Close()
	copy(m.Buf(), "hello")

	other, err := process.OpenSharedMemory(m.Name()) // in another process, normally
	if err != nil {
		panic(err)
	}
	defer other.Close()
	fmt.Println(string(other.Buf()[:5]), other.Size())
	// Output: hello 64
}

// Acquire reports a lock whose previous holder died with ErrOwnerDead,
// with the lock held, so the caller can repair the state it guards.
func ExampleLock_Acquire() {
	lock, err := process.NewLock()
	if err != nil {
		panic(err)
	}
	defer lock.Close()
	err = lock.Acquire(context.Background())
	if errors.Is(err, process.ErrOwnerDead) {
		fmt.Println("the previous holder died; repairing")
		err = nil
	}
	if err != nil {
		panic(err)
	}
	defer lock.Release()
	fmt.Println("holding the lock:", lock.Locked())
	// Output: holding the lock: true
}
