#!/usr/bin/env bash
# CPU profile of a running Taskmesh JVM with async-profiler (from Maven Central), as collapsed stacks.
#
#   bench/profile/asprof.sh start <pid>            start sampling CPU every millisecond
#   bench/profile/asprof.sh stop  <pid> <file>     stop and write collapsed stacks (one "frame;frame;... count" per line)
#   bench/profile/asprof.sh top   <file> [n]       the n frames with the most samples of their own, and by package
#
# It sees what JFR does not: native code, the kernel, the JIT compiler and GC threads. Summing a collapsed file by
# package (the `top` command) is what showed the JIT compiler and the hand-offs of virtual threads in docs/performance.md.
# The JVM needs -XX:+EnableDynamicAgentLoading to take the agent without a warning (./taskmesh dev --jvm-options=...).
set -euo pipefail
VERSION=4.2
JAVA_HOME=${JAVA_HOME:-$(cd "$(dirname "$0")/../.." && ./taskmesh java-home)}
HERE=$(cd "$(dirname "$0")" && pwd)
LIB_DIR=${TMPDIR:-/tmp}/taskmesh-asprof-$VERSION
LIB=$LIB_DIR/linux-x64/libasyncProfiler.so

library() {
  if [[ ! -f $LIB ]]; then
    local jar=$HOME/.m2/repository/tools/profiler/async-profiler/$VERSION/async-profiler-$VERSION-linux-x64.jar
    if [[ ! -f $jar ]]; then
      (cd "$HERE/../.." && ./mvnw -q -B dependency:get -Dartifact=tools.profiler:async-profiler:$VERSION:jar:linux-x64)
    fi
    mkdir -p "$LIB_DIR" && (cd "$LIB_DIR" && "$JAVA_HOME/bin/jar" xf "$jar" linux-x64/libasyncProfiler.so)
  fi
}

# jcmd's JVMTI.agent_load splits the options at commas, so the agent is loaded through the Attach API instead.
attach() {
  "$JAVA_HOME/bin/java" "$HERE/AttachProfiler.java" "$1" "$LIB" "$2"
}

case "${1:-}" in
  start) library; attach "$2" "start,event=cpu,interval=1ms" ;;
  stop) attach "$2" "stop,file=$(realpath -m "$3"),collapsed" ;;
  top) python3 - "$2" "${3:-25}" <<'PY'
import collections, sys
total, own, pkg = 0, collections.Counter(), collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rstrip().rsplit(" ", 1)
    n = int(n); total += n
    frames = stack.split(";")
    own[frames[-1]] += n
    if any("Compile" in f for f in frames):
        pkg["(JIT compiler)"] += n
        continue
    java = [f for f in frames if "/" in f and not f.startswith(("java/", "jdk/", "sun/")) and not f.endswith("_[k]")]
    pkg["/".join(java[-1].split("/")[:3]) if java else "(JVM, kernel, JDK)"] += n
for title, counter in (("own samples", own), ("by package of the innermost non-JDK frame", pkg)):
    print(f"{title} (of {total}):")
    for name, n in counter.most_common(int(sys.argv[2])):
        print(f"  {100 * n / total:5.1f}%  {name[:140]}")
PY
  ;;
  *) sed -n '2,10p' "$0"; exit 2 ;;
esac
