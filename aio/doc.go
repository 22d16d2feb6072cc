// Package aio is the asyncio idioms of Python for Go code: Gather,
// TaskGroup, AsCompleted, WaitFor, Timeout, Sleep and a Limiter for
// fan-out.
//
// Go needs no event loop: an async def is an ordinary function that takes
// a context, await is an ordinary blocking call, and every call here runs
// in its own goroutine, which costs a few kilobytes and blocks only
// itself. Python's asyncio.CancelledError is the context's cancellation:
// a function sees it through ctx.Done and returns ctx.Err(). So the
// libraries asyncio needs twins of — aiohttp, aiofiles — have no twins
// here: net/http and os are safe to call from many goroutines at once.
//
// What the package adds is the structure asyncio code relies on: results
// gathered in order, the first failure cancelling its siblings (through
// context.WithCancelCause, so the cause is the failure), every failure
// reported, panics turned into *concur.PanicError values, and no goroutine
// left running when a call returns.
package aio
