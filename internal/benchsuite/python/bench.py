"""The Python side of concur's benchmark suite.

    python3 bench.py WORKLOAD TARGET_SECONDS REPS

runs WORKLOAD, the same work as the Go side's workload of that name, and
prints one JSON object: {"values": [...]}, one value per repetition. For
most workloads a value is seconds per op; for the speedup workloads it is
the sequential time divided by the parallel time of the same repetition.
Each repetition lasts about TARGET_SECONDS: the script first finds how
many ops take that long. Start-up of the interpreter, of pools and of
helper processes is not timed, except where it is the workload.

The file is run as a script from a temporary directory, so that the
"spawn" start method (which re-imports the main module in every child)
finds it; every child target is a module-level function for that reason.
Processes are started with spawn, as concur's are (it re-executes the
binary; Python's default on Linux before 3.14 is fork).
"""

import asyncio
import json
import multiprocessing as mp
import queue
import random
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

BATCH = 1024  # executor workloads submit and collect in batches of this many


def calibrate(run, target):
    """Returns n such that run(n) takes about target seconds."""
    n = 1
    while True:
        t = run(n)
        if t >= target / 2 or n >= 1 << 40:
            return n
        n = max(n * 2, min(n * 100, int(n * target / max(t, 1e-9) * 1.1)))


def per_op(run, target, reps):
    run(1)  # warm up: helper processes have started, caches are filled
    n = calibrate(run, target)
    return [run(n) / n for _ in range(reps)]


def noop(*args):
    return None


def square(x):
    return x * x


# Locks.


def lock_run(lock):
    acquire, release = lock.acquire, lock.release

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            acquire()
            release()
        return time.perf_counter() - start

    return run


def w_lock(target, reps):
    return per_op(lock_run(threading.Lock()), target, reps)


def w_rlock(target, reps):
    return per_op(lock_run(threading.RLock()), target, reps)


# queue.


def w_queue_1p1c(target, reps):
    q = queue.Queue(1024)

    def run(n):
        def produce():
            put = q.put
            for i in range(n):
                put(i)

        t = threading.Thread(target=produce)
        start = time.perf_counter()
        t.start()
        get = q.get
        for _ in range(n):
            get()
        t.join()
        return time.perf_counter() - start

    return per_op(run, target, reps)


def w_priority(target, reps):
    r = random.Random(1)

    def run(n):
        xs = [r.randrange(1 << 62) for _ in range(n)]
        q = queue.PriorityQueue()
        start = time.perf_counter()
        for x in xs:
            q.put(x)
        for _ in range(n):
            q.get()
        return time.perf_counter() - start

    return per_op(run, target, reps)


# threading.


def w_thread_start_join(target, reps):
    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            t = threading.Thread(target=noop)
            t.start()
            t.join()
        return time.perf_counter() - start

    return per_op(run, target, reps)


def executor_run(ex):
    def run(n):
        start = time.perf_counter()
        left = n
        while left > 0:
            fs = [ex.submit(noop) for _ in range(min(left, BATCH))]
            for f in fs:
                f.result()
            left -= len(fs)
        return time.perf_counter() - start

    return run


def w_thread_executor(target, reps):
    with ThreadPoolExecutor() as ex:
        return per_op(executor_run(ex), target, reps)


def fanout_threads(tasks, sleep):
    start = time.perf_counter()
    ts = [threading.Thread(target=time.sleep, args=(sleep,)) for _ in range(tasks)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.perf_counter() - start


def w_io_fanout_threads(target, reps, tasks=1000, sleep=0.01):
    def run(n):
        return sum(fanout_threads(tasks, sleep) for _ in range(n))

    return per_op(run, target, reps)


def w_io_fanout_aio(target, reps, tasks=1000, sleep=0.01):
    async def fanout(n):
        start = time.perf_counter()
        for _ in range(n):
            await asyncio.gather(*(asyncio.sleep(sleep) for _ in range(tasks)))
        return time.perf_counter() - start

    return per_op(lambda n: asyncio.run(fanout(n)), target, reps)


# The seeds' CPU-bound countdown: two countdowns one after the other, then
# at the same time in two threads or two processes. The values are
# speedups (sequential time / parallel time) of each repetition.


def countdown(n):
    while n:
        n -= 1


def speedups(parallel, target, reps):
    steps = calibrate(lambda n: timed(countdown, n), target)

    def sequential():
        start = time.perf_counter()
        countdown(steps)
        countdown(steps)
        return time.perf_counter() - start

    out = []
    for _ in range(reps):
        seq = sequential()
        out.append(seq / parallel(steps))
    return out


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run_both(workers):
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


def w_countdown_threads(target, reps):
    return speedups(lambda steps: run_both([threading.Thread(target=countdown, args=(steps,)) for _ in range(2)]),
                    target, reps)


def w_countdown_processes(target, reps):
    ctx = mp.get_context("spawn")
    return speedups(lambda steps: run_both([ctx.Process(target=countdown, args=(steps,)) for _ in range(2)]),
                    target, reps)


# multiprocessing: processes, pipes, queues, shared values, managers, pools.


def w_process_start_join(target, reps):
    ctx = mp.get_context("spawn")

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            p = ctx.Process(target=noop)
            p.start()
            p.join()
        return time.perf_counter() - start

    return per_op(run, target, reps)


def echo(conn):
    try:
        while True:
            conn.send_bytes(conn.recv_bytes())
    except EOFError:
        pass


def pipe_workload(size, target, reps):
    ctx = mp.get_context("spawn")
    a, b = ctx.Pipe()
    p = ctx.Process(target=echo, args=(b,))
    p.start()
    b.close()
    msg = b"x" * size

    def run(n):
        start = time.perf_counter()
        for _ in range(n):
            a.send_bytes(msg)
            a.recv_bytes()
        return time.perf_counter() - start

    try:
        return per_op(run, target, reps)
    finally:
        a.close()
        p.join()


def w_pipe_rt_64(target, reps):
    return pipe_workload(64, target, reps)


def w_pipe_echo_1mib(target, reps):
    return pipe_workload(1 << 20, target, reps)


def produce(q, commands):
    """Puts as many ints into q as each command says, until told 0."""
    while True:
        n = commands.recv()
        if not n:
            return
        for i in range(n):
            q.put(i)


def w_mp_queue(target, reps):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    commands, child_end = ctx.Pipe()
    p = ctx.Process(target=produce, args=(q, child_end))
    p.start()

    def run(n):
        start = time.perf_counter()
        commands.send(n)
        get = q.get
        for _ in range(n):
            get()
        return time.perf_counter() - start

    try:
        return per_op(run, target, reps)
    finally:
        commands.send(0)
        p.join()


def increment(v, commands, done):
    """Adds 1 to v under its lock as many times as each command says."""
    while True:
        n = commands.recv()
        if not n:
            return
        for _ in range(n):
            with v.get_lock():
                v.value += 1
        done.send(None)


def w_value_locked_2proc(target, reps):
    ctx = mp.get_context("spawn")
    v = ctx.Value("q", 0)
    commands, child_commands = ctx.Pipe()
    child_done, done = ctx.Pipe()
    p = ctx.Process(target=increment, args=(v, child_commands, child_done))
    p.start()
    lock = v.get_lock()

    def run(n):
        # One op is one increment in each process.
        start = time.perf_counter()
        commands.send(n)
        for _ in range(n):
            with lock:
                v.value += 1
        done.recv()
        return time.perf_counter() - start

    try:
        return per_op(run, target, reps)
    finally:
        commands.send(0)
        p.join()


def w_manager_dict(target, reps):
    with mp.get_context("spawn").Manager() as m:
        d = m.dict()

        def run(n):
            start = time.perf_counter()
            for i in range(n):
                d["k"] = i
                d["k"]
            return time.perf_counter() - start

        return per_op(run, target, reps)


def w_pool_map(target, reps):
    items = range(1_000_000)
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(square, range(1000))  # the workers are up

        def run(n):
            start = time.perf_counter()
            for _ in range(n):
                pool.map(square, items)
            return time.perf_counter() - start

        return per_op(run, target, reps)


def w_pool_apply(target, reps):
    with mp.get_context("spawn").Pool(2) as pool:
        pool.map(square, range(1000))

        def run(n):
            start = time.perf_counter()
            for _ in range(n):
                pool.apply(square, (3,))
            return time.perf_counter() - start

        return per_op(run, target, reps)


def w_process_executor(target, reps):
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
        list(ex.map(square, range(100)))
        return per_op(executor_run(ex), target, reps)


WORKLOADS = {name[2:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("w_")}

if __name__ == "__main__":
    name, target, reps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    print(json.dumps({"values": WORKLOADS[name](target, reps)}))
