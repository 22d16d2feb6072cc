// Package server is the job service behind `concur serve`: "run this
// function in a thread or in a process, from an HTTP call" — the seeds'
// FastAPI app, with durable jobs.
//
// A job names a registered function (or an allow-listed command), its JSON
// arguments and a mode: thread (a goroutine), process (an isolated worker
// process: this binary re-executed, kept warm in a pool of
// Config.MaxProcesses workers; Config.MaxTasksPerChild retires them) or
// command (an external program, no shell). A worker process that dies
// fails only its attempt, with error kind "killed"; the pool replaces it.
// Jobs live in NATS JetStream — embedded in the process by default, with
// its store in Config.DataDir, or an external NATS server — so that a job
// the API accepted (answered 2xx) is never lost: not when a worker
// crashes, not when the server is killed with SIGKILL and restarted. An
// attempt that was running when its node died is settled by the job's
// retry policy: run again, or failed with error kind "lost".
//
// # Guarantees
//
// Delivery is at least once; a job's record is completed at most once. Each
// job is a record in a KV bucket, changed only by compare-and-swap, plus a
// queue message that names the job and a ticket. Any node that receives a
// message judges it against the record: a stale ticket, a duplicate, a
// finished job are dropped; a redelivered message of a running attempt
// means the attempt was lost. Retries back off exponentially with jitter;
// a failed job stays in the dead-letter set (state failed) until retried.
// Side effects of an attempt that was lost may happen again — as with every
// job queue, make functions idempotent or use Job.Attempts.
//
// # The HTTP API
//
// JSON in and out; errors are APIError bodies with a 4xx status saying what
// is wrong. See api.go for the route table; in short:
//
//	POST /jobs                 {"function": "square", "args": 12, "mode": "process"} → 201 Job
//	GET  /jobs/{id}            → Job (state, attempts, result or error, timings)
//	GET  /jobs?state=failed    → {"jobs": [...], "next_cursor": "..."}
//	POST /jobs/{id}/cancel     a running thread job's ctx is cancelled; a process or command is killed
//	POST /jobs/{id}/retry      a failed or cancelled job runs again
//	GET  /jobs/{id}/events     server-sent events until the job is final; GET /events for all jobs
//	GET  /queues /workers /stats /functions /metrics /healthz /readyz
//
// The API listens on loopback unless told otherwise, and refuses to listen
// beyond it without a bearer token (Config.Token).
//
// # Your own functions
//
// cmd/concur serves the demo functions of package server/demo. To serve
// your own, build your own binary: register them at package level (a
// process-mode worker is this binary re-executed, and finds them by name
// before main runs), call process.Main first in main, and run a Server:
//
//	func init() {
//		server.Register("resize", func(ctx context.Context, img ResizeArgs) (ResizeResult, error) { ... })
//	}
//
//	func main() {
//		process.Main()
//		ctx, stop := shutdown.Context(context.Background()) // SIGINT/SIGTERM: drain, then exit
//		defer stop()
//		cfg, _, err := server.LoadConfig("myserver", server.DefaultConfig(), os.Args[1:], os.Getenv)
//		if err != nil {
//			log.Fatal(err)
//		}
//		srv, err := server.New(cfg)
//		if err != nil {
//			log.Fatal(err)
//		}
//		if err := srv.Run(ctx); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// The same binary with -listen "" and -nats nats://host:4222 is a worker
// on another machine (the server lets it in with -nats-listen and
// -nats-token). See examples/jobserver for the whole program.
package server
