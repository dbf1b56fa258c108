#!/usr/bin/python3
"""Celery + Redis side of the Taskmesh benchmark.

Starts its own redis-server (loopback, a free port, no persistence) and Celery worker processes, measures
throughput (one request per task and batched, with 1 and W workers, for each pool) and the round trip of sequential
tasks, stops everything it started, and writes one JSON file (see bench/README.md for the fields).
Every wait has a deadline; every loop is bounded by a count.
"""
import argparse
import atexit
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
CHILDREN = []  # Popen objects started here, each leading its own process group


def log(message):
    print(f"[celery] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(argv, log_path, env=None):
    log_file = open(log_path, "ab")
    proc = subprocess.Popen(argv, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            cwd=HERE, env=env, start_new_session=True)
    CHILDREN.append(proc)
    return proc


def stop(proc, grace=15.0):
    """SIGTERM to the child's process group (prefork children included), SIGKILL after the grace period."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)
    if proc in CHILDREN:
        CHILDREN.remove(proc)


def stop_all():
    for proc in list(reversed(CHILDREN)):
        try:
            stop(proc, grace=5.0)
        except Exception as e:  # noqa: BLE001 - best effort at exit
            log(f"could not stop pid {proc.pid}: {e}")


def on_signal(signum, _frame):
    log(f"signal {signum}: stopping")
    stop_all()
    sys.stderr.flush()
    # not sys.exit: Celery's result consumer would retry its Redis connection at interpreter exit
    os._exit(128 + signum)


def wait_until(what, predicate, timeout_s, interval_s=0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")


def parse_date_done(text):
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # Celery writes datetime.utcnow().isoformat()
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work_dir
        os.makedirs(self.work, exist_ok=True)
        self.redis_port = free_port()
        self.broker_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.backend_url = f"redis://127.0.0.1:{self.redis_port}/1"
        os.environ["BENCH_CELERY_BROKER"] = self.broker_url
        os.environ["BENCH_CELERY_BACKEND"] = self.backend_url
        sys.path.insert(0, HERE)
        import redis  # noqa: E402 - after the URLs are in the environment
        import noop_tasks  # noqa: E402
        self.redis_module = redis
        self.tasks = noop_tasks
        self.redis_proc = None
        self.broker = None
        self.backend = None

    # ----- Redis and workers

    def start_redis(self):
        self.redis_proc = start(["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                                 "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                                 "--dir", self.work, "--logfile", ""],
                                os.path.join(self.work, "redis.log"))
        self.broker = self.redis_module.Redis(host="127.0.0.1", port=self.redis_port, db=0)
        self.backend = self.redis_module.Redis(host="127.0.0.1", port=self.redis_port, db=1)

        def pong():
            try:
                return self.broker.ping()
            except self.redis_module.exceptions.ConnectionError:
                return False
        wait_until("redis-server answers PING", pong, 15, 0.05)
        log(f"redis-server on 127.0.0.1:{self.redis_port}")

    def start_workers(self, pool, count):
        concurrency = 1 if pool == "solo" else self.args.slots
        procs = []
        for i in range(count):
            name = f"bench{i}-{uuid.uuid4().hex[:6]}@localhost"
            procs.append(start([sys.executable, "-m", "celery", "-A", "noop_tasks", "worker",
                                f"--pool={pool}", f"--concurrency={concurrency}", f"--hostname={name}",
                                "--without-gossip", "--without-mingle", "--without-heartbeat",
                                f"--prefetch-multiplier={self.args.prefetch_multiplier}", "--loglevel=WARNING"],
                               os.path.join(self.work, f"worker-{pool}-{count}-{i}.log"), env=dict(os.environ)))

        def all_answer():
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a celery worker exited with {p.returncode}; see {self.work}")
            replies = self.tasks.app.control.ping(timeout=0.5) or []
            return len(replies) >= count
        wait_until(f"{count} celery worker(s) answer ping", all_answer, 90, 0.2)
        self.warm_up(count * concurrency * 20)
        return procs, concurrency

    def warm_up(self, n):
        n = min(max(n, 50), 2000)
        results = [self.tasks.noop.delay() for _ in range(n)]
        for r in results:
            r.get(timeout=60)
        self.reset()

    def reset(self):
        """Empty queue and result keys between runs (workers idle), so that counting keys counts this run."""
        wait_until("broker queue empty", lambda: self.broker.llen("celery") == 0, 60, 0.05)
        self.backend.flushdb()

    # ----- workloads

    def throughput(self, submit, tasks):
        self.reset()
        noop = self.tasks.noop
        t0 = time.time()
        if submit == "single":
            for _ in range(tasks):
                noop.delay()
        else:
            from celery import group
            left = tasks
            while left > 0:
                k = min(self.args.batch_size, left)
                group(noop.s() for _ in range(k)).apply_async()
                left -= k
        t_submitted = time.time()
        timeout = max(60.0, tasks / 20.0)
        wait_until(f"{tasks} results in the backend", lambda: self.backend.dbsize() >= tasks, timeout, 0.02)
        t_observed = time.time()
        last, succeeded = 0.0, 0
        cursor, seen = 0, 0
        for _ in range(tasks * 2):  # bounded scan: SCAN returns every key once within this many calls
            cursor, keys = self.backend.scan(cursor=cursor, match="celery-task-meta-*", count=1000)
            if keys:
                for raw in self.backend.mget(keys):
                    if raw is None:
                        continue
                    meta = json.loads(raw)
                    seen += 1
                    if meta.get("status") == "SUCCESS":
                        succeeded += 1
                    last = max(last, parse_date_done(meta["date_done"]))
            if cursor == 0:
                break
        elapsed = last - t0
        return {"tasks": tasks, "succeeded": succeeded, "submit_s": round(t_submitted - t0, 4),
                "elapsed_s": round(elapsed, 4), "tasks_per_s": round(succeeded / elapsed, 2) if elapsed > 0 else None,
                "observed_elapsed_s": round(t_observed - t0, 4)}

    def round_trip(self, n, warm_up):
        """n measured round trips after warm_up unmeasured ones (the result subscription's path)."""
        from celery.exceptions import TimeoutError as ResultTimeout
        self.reset()
        noop = self.tasks.noop
        latencies, timeouts = [], 0
        deadline = time.monotonic() + self.args.rt_budget_s
        for i in range(n + warm_up):
            if i == warm_up:
                # the budget is the measured part's, as for Taskmesh
                deadline = time.monotonic() + self.args.rt_budget_s
            if time.monotonic() > deadline:
                break
            s = time.perf_counter()
            try:
                noop.delay().get(timeout=10)
            except ResultTimeout:
                # seen once after 10,000-task batches: a result that never reached the client; counted, not hidden
                timeouts += 1
                log(f"round trip {i}: no result within 10 s")
                continue
            if i >= warm_up:
                latencies.append(round((time.perf_counter() - s) * 1000.0, 3))
        return {"n": len(latencies), "requested": n, "truncated": len(latencies) < n, "timeouts": timeouts,
                "latencies_ms": latencies}


def versions():
    import celery
    import kombu
    import redis
    out = {"python": platform.python_version(), "celery": celery.__version__, "kombu": kombu.__version__,
           "redis_py": redis.__version__}
    try:
        out["redis_server"] = subprocess.run(["redis-server", "--version"], capture_output=True, text=True,
                                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        out["redis_server"] = f"unknown ({e})"
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--rt-tasks", type=int, default=500)
    parser.add_argument("--rt-budget-s", type=float, default=180)
    parser.add_argument("--rt-warmup", type=int, default=1000,
                        help="unmeasured round trips before the first repetition (later ones: 20)")
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--pools", default="solo,threads,prefork")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--prefetch-multiplier", type=int, default=4,
                        help="the workers' --prefetch-multiplier: messages each process holds per unit of concurrency "
                             "(Celery's default, 4)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    atexit.register(stop_all)

    worker_counts = [int(w) for w in args.workers.split(",") if w]
    bench = Bench(args)
    result = {"system": "celery", "versions": versions(),
              "conditions": {"broker": "redis (same server, db 0)", "result_backend": "redis (db 1)",
                             "redis": "127.0.0.1, no persistence (--save '' --appendonly no)",
                             "worker_options": "--without-gossip --without-mingle --without-heartbeat; "
                                               f"--prefetch-multiplier={args.prefetch_multiplier}"
                                               + (" (the default)" if args.prefetch_multiplier == 4 else ""),
                             "concurrency": f"solo: 1 per worker; threads/prefork: {args.slots} per worker",
                             "batch": f"celery.group of up to {args.batch_size} signatures per apply_async",
                             "round_trip": "delay().get(timeout=10), result via the Redis backend's pub/sub",
                             "end_of_run": "max(date_done) of the results in the backend"},
              "throughput": [], "round_trip": []}
    bench.start_redis()
    for pool in args.pools.split(","):
        for workers in worker_counts:
            log(f"pool={pool} workers={workers}: starting")
            procs, concurrency = bench.start_workers(pool, workers)
            try:
                for submit in ("single", "batch"):
                    runs = []
                    for rep in range(args.reps):
                        run = bench.throughput(submit, args.tasks)
                        log(f"pool={pool} workers={workers} submit={submit} rep={rep + 1}: "
                            f"{run['tasks_per_s']} tasks/s ({run['succeeded']}/{run['tasks']}, submit {run['submit_s']} s)")
                        runs.append(run)
                    result["throughput"].append({"variant": {"submit": submit, "workers": workers, "pool": pool,
                                                             "concurrency": concurrency},
                                                 "status": "ok", "runs": runs})
                if workers == 1:
                    runs = []
                    for rep in range(args.reps):
                        run = bench.round_trip(args.rt_tasks, args.rt_warmup if rep == 0 else 20)
                        lat = sorted(run["latencies_ms"])
                        log(f"pool={pool} round trip rep={rep + 1}: n={run['n']} "
                            f"p50={lat[len(lat) // 2] if lat else None} ms")
                        runs.append(run)
                    result["round_trip"].append({"variant": {"workers": 1, "pool": pool, "concurrency": concurrency,
                                                             "mode": "AsyncResult.get()"},
                                                 "status": "ok", "runs": runs})
            finally:
                for p in procs:
                    stop(p)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    log(f"wrote {args.out}")
    stop_all()
    sys.stdout.flush()
    sys.stderr.flush()
    # Celery's result consumer would try to unsubscribe from the Redis just stopped while the interpreter exits
    os._exit(0)


if __name__ == "__main__":
    main()
