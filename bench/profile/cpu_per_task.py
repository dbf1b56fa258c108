#!/usr/bin/env python3
"""CPU per task, per process: a development tool beside the benchmark (bench/run.sh).

Drives a running `./taskmesh dev --no-agent` platform (its data folder and gateway port): starts real worker agents,
warms up, then runs bounded workloads of no-op tasks (batches, one request per task, sequential round trips) and
prints, for each, tasks/s and the CPU milliseconds per task of every process (gateway, services, agents, the
embedded PostgreSQL), read from /proc before and after. CPU per task barely moves with the load of other programs on
the machine, unlike tasks/s, so it tells whether a change made the platform cheaper. --jfr records every JVM with
JFR during each workload; PERF_THREADS=1 prints the busiest threads of each JVM.

  ./taskmesh dev --data-dir /tmp/perf-dev --port 18080 --no-agent &
  python3 bench/profile/cpu_per_task.py --data /tmp/perf-dev --port 18080 --batch 4000 --single 1000 --rt 300
"""
import argparse, http.client, json, os, signal, subprocess, time, uuid

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, default=18080)
ap.add_argument("--data", default="/tmp/perf-dev")
ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ap.add_argument("--agents", type=int, default=1)
ap.add_argument("--slots", type=int, default=4)
ap.add_argument("--prefetch", default="auto", help="TASKMESH_PREFETCH of the agents: auto (their default) or a count")
ap.add_argument("--warmup", type=int, default=0,
                help="tasks submitted in batches before measuring, unmeasured: warms the agents' JIT (bench/run.sh's "
                     "agents have run 90,000 tasks when it measures batches)")
ap.add_argument("--before-measuring", default=None,
                help="a shell command run after --warmup, right before the measured workloads (e.g. resetting "
                     "pg_stat_statements)")
ap.add_argument("--batch", type=int, default=0, help="tasks submitted in batches (0: skip)")
ap.add_argument("--single", type=int, default=0, help="tasks submitted one per request (0: skip)")
ap.add_argument("--gets", type=int, default=0, help="GET /api/v1/tasks/{id} requests (0: skip)")
ap.add_argument("--rt", type=int, default=0, help="sequential round trips (0: skip)")
ap.add_argument("--stomp", type=int, default=0, help="tasks submitted one SEND at a time over STOMP (0: skip)")
ap.add_argument("--stomp-pipelined", type=int, default=0,
                help="tasks submitted over STOMP with up to --window SENDs unanswered (0: skip)")
ap.add_argument("--window", type=int, default=100, help="unanswered SENDs of --stomp-pipelined")
ap.add_argument("--stomp-rt", type=int, default=0, help="sequential round trips over STOMP with wait-seconds (0: skip)")
ap.add_argument("--agent-jar", default="", help="the agents' jar (default: this repository's worker-agent), e.g. an "
                "older build, to compare agents against one platform")
ap.add_argument("--agent-jvm", default="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xms16m -Xmx128m",
                help="the agents' JVM options (default: the launcher's, as bench/run.sh runs them)")
ap.add_argument("--jfr", default="", help="folder: JFR-record every platform JVM and the agents during the workload")
ap.add_argument("--asprof", default="", help="folder: async-profile (asprof.sh, collapsed stacks) every platform JVM "
                "and the agents during the workload, one file per process")
a = ap.parse_args()

JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
JAVA = f"{JAVA_HOME}/bin/java"
ASPROF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "asprof.sh")
JCMD = f"{JAVA_HOME}/bin/jcmd"


class Api:
    def __init__(self):
        self.c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60)
        self.token = None

    def call(self, method, path, body=None, auth=True):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + self.token
        data = None if body is None else json.dumps(body)
        for i in range(3):
            try:
                self.c.request(method, path, body=data, headers=headers)
                r = self.c.getresponse()
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
            except (http.client.HTTPException, ConnectionError):
                self.c.close()
                self.c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=60)
        raise SystemExit("cannot call " + path)

    def login(self):
        pw = open(os.path.join(a.data, "admin-password")).read().strip()
        s, b = self.call("POST", "/api/v1/auth/token",
                         {"grant_type": "password", "username": "admin", "password": pw}, auth=False)
        assert s == 200, (s, b)
        self.token = b["access_token"]


def launched_here(pid):
    """Whether the process was started by the launcher of this data folder (two platforms may run side by side)."""
    try:
        parent = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1]
        launcher = open(f"/proc/{parent}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return a.data.rstrip("/") in launcher


def pids():
    """The platform's JVMs (by jar) and this data folder's agents."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode()
        except OSError:
            continue
        for name in ("api-gateway", "task-service", "result-service", "worker-registry"):
            if f"{a.repo}/{name}/target/{name}-exec.jar" in cmd and launched_here(p):
                out[int(p)] = name
        if "worker-agent-exec.jar" in cmd and a.data in open(f"/proc/{p}/environ", "rb").read().decode(errors="ignore"):
            out[int(p)] = "agent"
    return out


def threads(pid):
    import re
    r = {}
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                st = open(f"/proc/{pid}/task/{t}/stat").read()
            except OSError:
                continue
            name = re.sub(r"\d+", "#", st[st.index("(") + 1:st.rindex(")")])
            f = st.rsplit(")", 1)[1].split()
            r[t] = (name, int(f[11]) + int(f[12]))
    except OSError:
        pass
    return r


def thread_delta(a0, a1):
    import collections
    c = collections.Counter()
    for t, (n, v) in a1.items():
        c[n] += v - (a0[t][1] if t in a0 else 0)
    return c.most_common(6)


def cpu(ps):
    tck = os.sysconf("SC_CLK_TCK")
    tot = {}
    for p, name in ps.items():
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            tot[name] = tot.get(name, 0) + (int(f[11]) + int(f[12])) / tck
        except OSError:
            pass
    return tot


def pg_pids():
    """The embedded PostgreSQL of this data folder: every postgres process whose working directory is in it."""
    res = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{p}/exe")
        except OSError:
            continue
        if exe.endswith("/postgres"):
            try:
                cwd = os.readlink(f"/proc/{p}/cwd")
            except OSError:
                cwd = ""
            if a.data in cwd:
                res[int(p)] = "postgres"
    return res


api = Api()
api.login()
agents = []
for i in range(a.agents):
    s, w = api.call("POST", "/api/v1/workers", {"name": f"perf-{uuid.uuid4().hex[:6]}", "labels": ["perf"]})
    assert s in (200, 201), (s, w)
    env = dict(os.environ, TASKMESH_SERVER=f"http://127.0.0.1:{a.port}", TASKMESH_WORKER_ID=w["id"],
               TASKMESH_WORKER_TOKEN=w["token"], TASKMESH_WORK_DIR=f"{a.data}/perf-agents/{w['id']}",
               TASKMESH_SLOTS=str(a.slots), TASKMESH_PREFETCH=str(a.prefetch), PERF_DATA=a.data)
    log = open(f"{a.data}/perf-agent-{i}.log", "w")
    agents.append(subprocess.Popen([JAVA] + a.agent_jvm.split() + ["-jar", a.agent_jar or f"{a.repo}/worker-agent/target/worker-agent-exec.jar", "agent"],
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    wid = w["id"]
    for _ in range(240):
        s, st = api.call("GET", f"/api/v1/workers/{wid}")
        if s == 200 and st.get("status") == "ONLINE":
            break
        time.sleep(0.5)
    else:
        raise SystemExit("agent not online")

NOOP = {"type": "noop", "input": {}}


def wait_final(tid, limit=120):
    end = time.time() + limit
    while time.time() < end:
        s, t = api.call("GET", f"/api/v1/tasks/{tid}?waitSeconds=10")
        if t["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return t
    raise SystemExit("task not final: " + tid)


def submit_one():
    s, t = api.call("POST", "/api/v1/tasks", NOOP)
    assert s == 201, (s, t)
    return t["id"]


# warm up
ids = [submit_one() for _ in range(100)]
for t in ids:
    wait_final(t)
s, b = api.call("POST", "/api/v1/tasks:batch?view=ids", {"tasks": [NOOP] * 500})
wait_final(b["ids"][-1])
time.sleep(1)

procs = {**pids(), **pg_pids()}
results = {"load_before": open("/proc/loadavg").read().split()[:3]}


def measure(name, fn, n):
    if a.jfr:
        os.makedirs(a.jfr, exist_ok=True)
        for p, comp in procs.items():
            if comp != "postgres":
                subprocess.run([JCMD, str(p), "JFR.start", "name=perf", "settings=profile"], capture_output=True)
    if a.asprof:
        os.makedirs(a.asprof, exist_ok=True)
        for p, comp in procs.items():
            if comp != "postgres":
                subprocess.run([ASPROF, "start", str(p)], capture_output=True)
    th0 = {p: threads(p) for p, comp in procs.items() if comp != "postgres"}
    c0 = cpu(procs)
    w0 = time.time()
    extra = fn()
    w1 = time.time()
    c1 = cpu(procs)
    if os.environ.get("PERF_THREADS"):
        for p, comp in procs.items():
            if comp != "postgres":
                print("  threads", comp, thread_delta(th0[p], threads(p)))
    if a.jfr:
        for p, comp in procs.items():
            if comp != "postgres":
                subprocess.run([JCMD, str(p), "JFR.stop", "name=perf", f"filename={a.jfr}/{name}-{comp}-{p}.jfr"],
                               capture_output=True)
    if a.asprof:
        for p, comp in procs.items():
            if comp != "postgres":
                subprocess.run([ASPROF, "stop", str(p), f"{a.asprof}/{name}-{comp}-{p}.txt"], capture_output=True)
    per = {k: round((c1.get(k, 0) - c0.get(k, 0)) * 1000 / n, 3) for k in sorted(c1)}
    per["total"] = round(sum(per.values()), 3)
    r = {"n": n, "wall_s": round(w1 - w0, 2), "per_s": round(n / (w1 - w0), 1), "cpu_ms_per_task": per}
    if extra:
        r.update(extra)
    results[name] = r
    print(name, json.dumps(r), flush=True)


def run_batch(n):
    last = None
    for left in range(n, 0, -1000):
        s, b = api.call("POST", "/api/v1/tasks:batch?view=ids", {"tasks": [NOOP] * min(1000, left)})
        assert s == 201, (s, b)
        last = b["ids"][-1]
    wait_final(last, 600)
    # FIFO within a priority: the last task submitted is among the last to end
    return None


def run_single():
    last = None
    for _ in range(a.single):
        last = submit_one()
    wait_final(last, 600)
    return None


def run_rt():
    lat = []
    for _ in range(a.rt):
        t0 = time.perf_counter()
        # one request: submit and wait for the outcome
        s, t = api.call("POST", "/api/v1/tasks?waitSeconds=10", NOOP)
        assert s == 201, (s, t)
        if t["status"] not in ("SUCCEEDED", "FAILED", "CANCELLED"):
            wait_final(t["id"])
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    q = lambda p: round(lat[min(len(lat) - 1, int(p * len(lat)))], 2)
    return {"p50_ms": q(0.5), "p90_ms": q(0.9), "p99_ms": q(0.99)}


def stomp_driver(n, wait, window=1):
    """StompSubmit.java on the bench's classpath (bench/run.sh builds it); warmed up before the measured part."""
    bench = f"{a.repo}/bench/taskmesh-bench/target"
    cp = f"{bench}/classes:" + open(f"{bench}/classpath.txt").read().strip()
    p = subprocess.Popen([JAVA, "-cp", cp, f"{a.repo}/bench/profile/StompSubmit.java", f"http://127.0.0.1:{a.port}",
                          api.token, str(n), str(wait), str(window)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def run_stomp(p, last_final):
    p.stdin.write("go\n")
    p.stdin.flush()
    result = json.loads(p.stdout.readline())
    p.wait(30)
    if last_final:
        time.sleep(0.5)
        while True:  # every task final: none queued or running
            s, b = api.call("GET", "/api/v1/tasks?status=QUEUED&size=1")
            s2, b2 = api.call("GET", "/api/v1/tasks?status=RUNNING&size=1")
            if not b["items"] and not b2["items"]:
                break
            time.sleep(0.05)
    return result


def run_gets():
    tid = submit_one()
    wait_final(tid)
    for _ in range(a.gets):
        s, t = api.call("GET", f"/api/v1/tasks/{tid}")
        assert s == 200
    return None


try:
    if a.warmup:
        run_batch(a.warmup)
    if a.before_measuring:
        subprocess.run(a.before_measuring, shell=True, check=True, capture_output=True)
    if a.gets:
        measure("gets", run_gets, a.gets)
    if a.single:
        measure("single", run_single, a.single)
    if a.batch:
        measure("batch", lambda: run_batch(a.batch), a.batch)
    if a.rt:
        measure("rt", run_rt, a.rt)
    if a.stomp:
        driver = stomp_driver(a.stomp, 0)
        measure("stomp", lambda: run_stomp(driver, True), a.stomp)
    if a.stomp_pipelined:
        driver = stomp_driver(a.stomp_pipelined, 0, a.window)
        measure("stomp_pipelined", lambda: run_stomp(driver, True), a.stomp_pipelined)
    if a.stomp_rt:
        driver = stomp_driver(a.stomp_rt, 10)
        measure("stomp_rt", lambda: run_stomp(driver, False), a.stomp_rt)
finally:
    for p in agents:
        os.killpg(p.pid, signal.SIGTERM)
    for p in agents:
        p.wait(30)
results["load_after"] = open("/proc/loadavg").read().split()[:3]
print(json.dumps(results))
