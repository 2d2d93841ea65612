#!/usr/bin/env python3
"""Peer benchmark: Python 3 multiprocessing primitives.

Prints exactly one JSON object on stdout; progress goes to stderr.
Every value is the median over >= RUNS samples (process start/join: median
over N individual processes).  Sized to finish in well under ~40 s on 2 cores.

Usage: python3 mp_bench.py [--scale S]   (S multiplies item counts; default 1)
"""
import json
import multiprocessing as mp
import os
import statistics
import sys
import time

RUNS = 5
SCALE = 1.0


_T0 = time.perf_counter()


def log(msg):
    print(f"[python +{time.perf_counter() - _T0:5.1f}s] {msg}", file=sys.stderr, flush=True)


def n(x):
    return max(1, int(x * SCALE))


def now():
    return time.perf_counter()


# ---------------------------------------------------------------- targets --
# Module-level so the spawn/forkserver contexts can pickle them.

def noop():
    pass


def tiny(x):
    return x


def queue_producer(q, go, count):
    go.wait()
    put = q.put
    for i in range(count):
        put(i)
    put(None)


def pipe_producer(conn, go, count):
    go.wait()
    send = conn.send
    for i in range(count):
        send(i)
    send(None)
    conn.close()


def pipe_echo(conn):
    recv, send = conn.recv, conn.send
    while True:
        x = recv()
        if x is None:
            break
        send(x)
    conn.close()


def value_incrementer(v, count, ready):
    lock = v.get_lock()
    ready.wait()
    for _ in range(count):
        with lock:
            v.value += 1


def lock_looper(lock, count, ready):
    ready.wait()
    acq, rel = lock.acquire, lock.release
    for _ in range(count):
        acq()
        rel()


# ------------------------------------------------------------- benchmarks --

def bench_process_start_join(method, count):
    ctx = mp.get_context(method)
    # Warm-up (for forkserver this also starts the server process).
    for _ in range(2):
        p = ctx.Process(target=noop)
        p.start()
        p.join()
    samples = []
    for _ in range(count):
        t0 = now()
        p = ctx.Process(target=noop)
        p.start()
        p.join()
        samples.append((now() - t0) * 1e3)
    return statistics.median(samples)


def bench_queue(kind, count):
    ctx = mp.get_context("fork")
    rates = []
    for _ in range(RUNS):
        q = ctx.Queue() if kind == "Queue" else ctx.SimpleQueue()
        go = ctx.Event()
        p = ctx.Process(target=queue_producer, args=(q, go, count))
        p.start()
        get = q.get
        t0 = now()
        go.set()
        received = 0
        while True:
            x = get()
            if x is None:
                break
            received += 1
        dt = now() - t0
        p.join()
        assert received == count
        rates.append(count / dt)
    return statistics.median(rates)


def bench_pipe_one_way(count):
    ctx = mp.get_context("fork")
    rates = []
    for _ in range(RUNS):
        r, w = ctx.Pipe(duplex=False)
        go = ctx.Event()
        p = ctx.Process(target=pipe_producer, args=(w, go, count))
        p.start()
        w.close()
        recv = r.recv
        t0 = now()
        go.set()
        received = 0
        while True:
            x = recv()
            if x is None:
                break
            received += 1
        dt = now() - t0
        p.join()
        r.close()
        assert received == count
        rates.append(count / dt)
    return statistics.median(rates)


def bench_pipe_ping_pong(rounds):
    ctx = mp.get_context("fork")
    a, b = ctx.Pipe()
    p = ctx.Process(target=pipe_echo, args=(b,))
    p.start()
    b.close()
    send, recv = a.send, a.recv
    for i in range(1000):  # warm-up
        send(i)
        recv()
    samples = []
    for _ in range(RUNS):
        t0 = now()
        for i in range(rounds):
            send(i)
            recv()
        samples.append((now() - t0) / rounds * 1e6)
    send(None)
    p.join()
    return statistics.median(samples)


def bench_lock_uncontended(iters):
    lock = mp.get_context("fork").Lock()
    acq, rel = lock.acquire, lock.release
    for _ in range(10000):
        acq()
        rel()
    samples = []
    for _ in range(RUNS):
        t0 = now()
        for _ in range(iters):
            acq()
            rel()
        samples.append((now() - t0) / iters * 1e9)
    return statistics.median(samples)


def bench_lock_loop(count):
    # 2 processes x count acquire/release of one Lock, from a barrier to the last join()
    ctx = mp.get_context("fork")
    rates = []
    for _ in range(RUNS):
        lock = ctx.Lock()
        ready = ctx.Barrier(3)
        procs = [ctx.Process(target=lock_looper, args=(lock, count, ready)) for _ in range(2)]
        for p in procs:
            p.start()
        ready.wait()
        t0 = now()
        for p in procs:
            p.join()
        dt = now() - t0
        rates.append(2 * count / dt)
    return statistics.median(rates)


def bench_pool_map(tasks):
    ctx = mp.get_context("fork")
    rates = []
    with ctx.Pool(2) as pool:
        pool.map(tiny, range(1000), chunksize=1)  # warm-up
        for _ in range(RUNS):
            t0 = now()
            out = pool.map(tiny, range(tasks), chunksize=1)
            dt = now() - t0
            assert len(out) == tasks
            rates.append(tasks / dt)
    return statistics.median(rates)


def bench_value_increments(count):
    # 4 processes x count increments of Value('i') under get_lock(), barrier -> last join()
    ctx = mp.get_context("fork")
    rates = []
    for _ in range(RUNS):
        v = ctx.Value("i", 0)
        ready = ctx.Barrier(5)
        procs = [ctx.Process(target=value_incrementer, args=(v, count, ready)) for _ in range(4)]
        for p in procs:
            p.start()
        ready.wait()
        t0 = now()
        for p in procs:
            p.join()
        dt = now() - t0
        assert v.value == 4 * count
        rates.append(4 * count / dt)
    return statistics.median(rates)


def bench_manager_dict(ops):
    # d[i] = i; d[i] from the main process: two round trips to the manager per i
    ctx = mp.get_context("fork")
    rates = []
    with ctx.Manager() as manager:
        d = manager.dict()
        for i in range(1000):
            d[i] = i
            d[i]
        for _ in range(RUNS):
            t0 = now()
            for i in range(ops):
                d[i] = i
                d[i]
            rates.append(2 * ops / (now() - t0))
    return statistics.median(rates)


def main():
    global SCALE
    if "--scale" in sys.argv:
        SCALE = float(sys.argv[sys.argv.index("--scale") + 1])

    t_start = now()
    result = {
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "runs": RUNS,
    }
    methods = mp.get_all_start_methods()

    counts = {"fork": n(60), "forkserver": n(30), "spawn": n(12)}
    for method in ("fork", "forkserver", "spawn"):
        key = f"process_start_join_{method}_ms"
        if method not in methods:
            result[key] = None
            continue
        log(f"Process start->join ({method}) x{counts[method]}")
        result[key] = bench_process_start_join(method, counts[method])

    q_items = n(100_000)
    log(f"Queue put->get throughput ({q_items} ints x{RUNS})")
    result["queue_items_per_s"] = bench_queue("Queue", q_items)
    result["queue_items"] = q_items

    log(f"SimpleQueue put->get throughput ({q_items} ints x{RUNS})")
    result["simplequeue_items_per_s"] = bench_queue("SimpleQueue", q_items)

    pipe_items = n(100_000)
    log(f"Pipe one-way throughput ({pipe_items} ints x{RUNS})")
    result["pipe_one_way_items_per_s"] = bench_pipe_one_way(pipe_items)
    result["pipe_items"] = pipe_items

    rtt_rounds = n(10_000)
    log(f"Pipe ping-pong ({rtt_rounds} round trips x{RUNS})")
    result["pipe_round_trip_us"] = bench_pipe_ping_pong(rtt_rounds)

    lock_iters = n(1_000_000)
    log(f"Lock acquire+release uncontended ({lock_iters} x{RUNS})")
    result["lock_uncontended_ns"] = bench_lock_uncontended(lock_iters)

    loop_count = n(200_000)
    log(f"Lock acquisitions, 2 processes looping ({2 * loop_count} x{RUNS})")
    result["lock_loop_acquisitions_per_s"] = bench_lock_loop(loop_count)

    pool_tasks = n(20_000)
    log(f"Pool(2).map chunksize=1 ({pool_tasks} tasks x{RUNS})")
    result["pool_map_tasks_per_s"] = bench_pool_map(pool_tasks)
    result["pool_tasks"] = pool_tasks

    increments = n(10_000)
    log(f"Value increments under get_lock(), 4 processes ({4 * increments} x{RUNS})")
    result["value_increments_per_s"] = bench_value_increments(increments)
    result["value_increments"] = increments

    dict_ops = n(5_000)
    log(f"Manager dict set/get round trips ({2 * dict_ops} x{RUNS})")
    result["manager_dict_ops_per_s"] = bench_manager_dict(dict_ops)
    result["manager_dict_ops"] = dict_ops

    result["total_s"] = now() - t_start
    log(f"done in {result['total_s']:.1f} s")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
