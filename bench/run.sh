#!/usr/bin/env bash
# Taskmesh vs Celery vs JobRunr on this machine, in one run. See bench/README.md.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
PY=/usr/bin/python3   # Debian's python: python3-celery and python3-matplotlib live there

TASKS=10000 REPS=3 RT_TASKS=500 RT_WARMUP=1000 RT_BUDGET=180 FLEET=5000 WORKERS=1,4 SLOTS=4 PREFETCH=auto CELERY_PREFETCH=4 POOLS=solo,threads,prefork
BATCH=1000 ONLY=taskmesh,celery,jobrunr JOBRUNR_POLL_MS=5000 JVM_PROFILE=server DB_TASKS=1000 INSTALL=1 OUT=""
SERVICE_XMX=""
HARNESS_LIMIT=10800   # seconds each harness may run at most

usage() {
  cat <<'USAGE'
Usage: bench/run.sh [options]
  --tasks N            no-op tasks per throughput run (10000)
  --reps N             repetitions of every measurement; figures are their median, min and max (3)
  --rt-tasks N         sequential tasks per round-trip repetition (500)
  --rt-budget S        seconds one round-trip repetition may take; fewer tasks are measured past it (180)
  --rt-warmup N        unmeasured round trips before the first repetition of each round-trip mode, for Celery and
                       Taskmesh (1000): the JVMs' second JIT tier is still compiling the path after a few dozen.
                       Not for JobRunr, whose round trip is its poll interval and whose budget would go on it
  --workers LIST       worker counts for throughput (1,4); round trip and database cost use 1
  --slots N            tasks one worker runs at once: agent slots, Celery threads/prefork concurrency,
                       JobRunr worker threads (4)
  --prefetch P         tasks a Taskmesh agent keeps ready beyond its slots: auto, the agents' default (as many as
                       its slots run in 20 ms at the recent pace, up to 128), or a count (auto)
  --celery-prefetch-multiplier N
                       messages a Celery worker process holds per unit of concurrency (4, Celery's default)
  --fleet N            largest simulated fleet for Taskmesh, from 100, 1000, 5000 (5000; 0 skips it)
  --pools LIST         Celery pools to measure; the best is reported (solo,threads,prefork)
  --batch-size N       tasks per batch submission (1000)
  --db-tasks N         tasks of the database-cost measurement (1000)
  --only LIST          systems to run (taskmesh,celery,jobrunr)
  --jobrunr-poll-ms N  JobRunr poll interval; 5000 is the smallest JobRunr 8 accepts (5000)
  --jvm-profile P      server: the launcher's JVM options without -XX:TieredStopAtLevel=1 (default);
                       launcher: exactly the options ./taskmesh dev uses
  --service-xmx SIZE   -Xmx of the four Taskmesh services instead of the launcher's (e.g. 1g: 5,000 agents
                       need more task-service heap than the launcher's 256m)
  --no-install         do not apt-get install missing peers (they are reported as not run)
  --out DIR            results folder (bench/results/<UTC timestamp>)
USAGE
}

while (($#)); do
  case "$1" in
    --tasks) TASKS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --rt-tasks) RT_TASKS="$2"; shift 2 ;;
    --rt-budget) RT_BUDGET="$2"; shift 2 ;;
    --rt-warmup) RT_WARMUP="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --slots) SLOTS="$2"; shift 2 ;;
    --prefetch) PREFETCH="$2"; shift 2 ;;
    --celery-prefetch-multiplier) CELERY_PREFETCH="$2"; shift 2 ;;
    --fleet) FLEET="$2"; shift 2 ;;
    --pools) POOLS="$2"; shift 2 ;;
    --batch-size) BATCH="$2"; shift 2 ;;
    --db-tasks) DB_TASKS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    --jobrunr-poll-ms) JOBRUNR_POLL_MS="$2"; shift 2 ;;
    --jvm-profile) JVM_PROFILE="$2"; shift 2 ;;
    --service-xmx) SERVICE_XMX="$2"; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

TS="$(date -u +%Y%m%dT%H%M%SZ)"
DIR="${OUT:-$BENCH/results/$TS}"
mkdir -p "$DIR/parts" "$DIR/work" "$DIR/logs"
DIR="$(cd "$DIR" && pwd)"
log() { echo "[bench] $*" >&2; }
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# ----- every harness runs in its own process group; on exit, whatever still runs of them is stopped
HARNESS_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$HARNESS_PID" ]] && kill -0 "$HARNESS_PID" 2>/dev/null; then
    log "stopping the running harness (process group $HARNESS_PID)"
    kill -TERM -- "-$HARNESS_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 -- "-$HARNESS_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$HARNESS_PID" 2>/dev/null || true
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run_harness NAME COMMAND...: output in logs/NAME.log; a failure is recorded in parts/NAME.error
run_harness() {
  local name="$1"; shift
  log "$name: running (log: $DIR/logs/$name.log)"
  local started=$SECONDS rc=0
  setsid timeout --kill-after=60 "$HARNESS_LIMIT" "$@" >"$DIR/logs/$name.log" 2>&1 &
  HARNESS_PID=$!
  wait "$HARNESS_PID" || rc=$?
  HARNESS_PID=""
  if ((rc != 0)) || [[ ! -f "$DIR/parts/$name.json" ]]; then
    { echo "exit status $rc; last lines of $DIR/logs/$name.log:"; tail -n 30 "$DIR/logs/$name.log"; } >"$DIR/parts/$name.error"
    log "$name: FAILED (exit $rc), see $DIR/logs/$name.log"
  else
    log "$name: done in $((SECONDS - started)) s"
  fi
  grep -E "^\[$name\]" "$DIR/logs/$name.log" | tail -n 40 >&2 || true
}

# ----- prerequisites
apt_install() {
  if ((INSTALL)) && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing $* with apt-get"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@") \
      >"$DIR/logs/apt.log" 2>&1 || log "apt-get failed, see $DIR/logs/apt.log"
  fi
}
if ! "$PY" -c 'import matplotlib' 2>/dev/null; then apt_install python3-matplotlib; fi
if wants celery && ! { "$PY" -c 'import celery, redis' 2>/dev/null && command -v redis-server >/dev/null; }; then
  apt_install python3-celery python3-redis redis-server
fi

JAVA_HOME="$("$ROOT/taskmesh" java-home)" || { log "no JDK 21+ found"; exit 1; }
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
MVN="$(command -v mvn || echo "$ROOT/mvnw")"

build_module() { # offline first (everything is usually in ~/.m2 already), then online once
  "$MVN" -o -q -B -f "$1/pom.xml" -DskipTests package >"$DIR/logs/build-$(basename "$1").log" 2>&1 \
    || "$MVN" -q -B -f "$1/pom.xml" -DskipTests package >>"$DIR/logs/build-$(basename "$1").log" 2>&1
}

# ----- facts of this machine and of this run
# the checkout's commit, with "+local-changes" when files other than new ones under bench/ differ from it
tree_commit() {
  local commit
  commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -v '^?? bench/' || true)" ]] && commit="$commit+local-changes"
  echo "$commit"
}
COMMIT="$(tree_commit)"
"$PY" - "$DIR/meta.json" <<PYEOF
import json, os, platform, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except Exception as e:
        return f"unknown ({e})"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
mem_kib = int(sh("grep MemTotal /proc/meminfo | tr -dc 0-9") or 0)
meta = {
  "timestamp": "$TS",
  "machine": {"cpu_model": cpu, "cores": os.cpu_count(), "ram_gib": round(mem_kib / 1048576, 1),
              "kernel": platform.release(), "os": sh(". /etc/os-release && echo \$PRETTY_NAME"),
              "load_before": sh("cut -d' ' -f1-3 /proc/loadavg")},
  "versions": {"jdk": sh("'$JAVA' -version 2>&1 | head -n 1"), "python": platform.python_version(),
               "taskmesh_commit": "$COMMIT"},
  "parameters": {"tasks": $TASKS, "reps": $REPS, "rt_tasks": $RT_TASKS, "rt_warmup": $RT_WARMUP, "rt_budget_s": $RT_BUDGET,
                 "workers": "$WORKERS", "slots": $SLOTS, "prefetch": "$PREFETCH",
                 "celery_prefetch_multiplier": $CELERY_PREFETCH, "fleet": $FLEET, "pools": "$POOLS",
                 "batch_size": $BATCH, "db_tasks": $DB_TASKS, "jobrunr_poll_ms": $JOBRUNR_POLL_MS,
                 "jvm_profile": "$JVM_PROFILE", "service_xmx": "$SERVICE_XMX" or "launcher's",
                 "systems": "$ONLY"},
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
PYEOF
log "results in $DIR (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"

# ----- Celery
if wants celery; then
  if "$PY" -c 'import celery, redis' 2>/dev/null && command -v redis-server >/dev/null; then
    run_harness celery "$PY" "$BENCH/celery/bench_celery.py" --out "$DIR/parts/celery.json" \
      --work-dir "$DIR/work/celery" --tasks "$TASKS" --reps "$REPS" --rt-tasks "$RT_TASKS" \
      --rt-budget-s "$RT_BUDGET" --rt-warmup "$RT_WARMUP" --workers "$WORKERS" --slots "$SLOTS" --pools "$POOLS" \
      --batch-size "$BATCH" --prefetch-multiplier "$CELERY_PREFETCH"
  else
    echo "python3-celery, python3-redis or redis-server missing (see --no-install)" >"$DIR/parts/celery.error"
  fi
fi

# ----- JobRunr
# "server" gives every JVM of the run a fixed young generation of a quarter of its heap cap (in an initial heap of
# half of it), as the Taskmesh harness does for the services: young collections stay rare within a round trip's run
JVM_SMALL="-XX:+UseSerialGC -Xss512k -Xms128m -Xmx256m -Xmn64m -XX:+ExitOnOutOfMemoryError"
[[ "$JVM_PROFILE" == launcher ]] && JVM_SMALL="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xmx256m -XX:+ExitOnOutOfMemoryError"
if wants jobrunr; then
  if build_module "$BENCH/jobrunr"; then
    run_harness jobrunr "$JAVA" -Xms256m -Xmx512m -Xmn128m -Duser.timezone=UTC \
      -cp "$BENCH/jobrunr/target/classes:$(cat "$BENCH/jobrunr/target/classpath.txt")" \
      dev.taskmesh.bench.jobrunr.JobRunrBench bench --out "$DIR/parts/jobrunr.json" --work-dir "$DIR/work/jobrunr" \
      --tasks "$TASKS" --reps "$REPS" --rt-tasks "$RT_TASKS" --rt-budget-s "$RT_BUDGET" --workers "$WORKERS" \
      --slots "$SLOTS" --batch-size "$BATCH" --poll-ms "$JOBRUNR_POLL_MS" --db-tasks "$DB_TASKS" \
      --server-jvm "$JVM_SMALL"
  else
    { echo "build of bench/jobrunr failed:"; tail -n 30 "$DIR/logs/build-jobrunr.log"; } >"$DIR/parts/jobrunr.error"
  fi
fi

# ----- Taskmesh
if wants taskmesh; then
  missing=""
  for m in worker-registry task-service result-service api-gateway worker-agent; do
    [[ -f "$ROOT/$m/target/$m-exec.jar" ]] || missing="$missing $m"
  done
  [[ -f "$ROOT/deploy/local/target/taskmesh-local.jar" ]] || missing="$missing deploy/local"
  if [[ -n "$missing" ]]; then
    log "building Taskmesh (missing:$missing) with ./taskmesh build"
    "$ROOT/taskmesh" build >"$DIR/logs/build-taskmesh.log" 2>&1 || log "./taskmesh build failed, see $DIR/logs/build-taskmesh.log"
  fi
  # the harness compiles against this checkout's contracts and launcher, taken from the local Maven repository:
  # installed from here each run, so that a fresh machine has them and a changed checkout is never measured stale
  log "installing contracts and deploy/local into the local Maven repository for the harness"
  if ! (cd "$ROOT" && ./mvnw -q -B -DskipTests -pl contracts,deploy/local -am install \
        >"$DIR/logs/install-taskmesh-modules.log" 2>&1); then
    log "installing them failed, see $DIR/logs/install-taskmesh-modules.log"
  fi
  # that install rebuilt the services from the working tree as it is now, which is what gets measured
  COMMIT="$(tree_commit)"
  if build_module "$BENCH/taskmesh-bench"; then
    run_harness taskmesh "$JAVA" -Xms512m -Xmx1g -Xmn256m -Duser.timezone=UTC \
      -cp "$BENCH/taskmesh-bench/target/classes:$(cat "$BENCH/taskmesh-bench/target/classpath.txt")" \
      dev.taskmesh.bench.taskmesh.TaskmeshBench --repo "$ROOT" --out "$DIR/parts/taskmesh.json" \
      --work-dir "$DIR/work/taskmesh" --tasks "$TASKS" --reps "$REPS" --rt-tasks "$RT_TASKS" \
      --rt-budget-s "$RT_BUDGET" --rt-warmup "$RT_WARMUP" --workers "$WORKERS" --slots "$SLOTS" \
      --prefetch "$PREFETCH" \
      --batch-size "$BATCH" --fleet "$FLEET" \
      --db-tasks "$DB_TASKS" --jvm-profile "$JVM_PROFILE" --commit "$COMMIT" \
      ${SERVICE_XMX:+--service-xmx "$SERVICE_XMX"}
  else
    { echo "build of bench/taskmesh-bench failed (see logs/install-taskmesh-modules.log too):";
      tail -n 30 "$DIR/logs/build-taskmesh-bench.log"; } >"$DIR/parts/taskmesh.error"
  fi
fi

# ----- report
"$PY" "$BENCH/report/report.py" --dir "$DIR" --meta "$DIR/meta.json"
# PostgreSQL data is large and no result; the services' and agents' logs under work/ stay for diagnosis
find "$DIR/work" -maxdepth 4 -type d -name postgres -prune -exec rm -rf {} + 2>/dev/null || true
echo
cat "$DIR/results.md"
