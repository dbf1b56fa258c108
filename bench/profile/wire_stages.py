#!/usr/bin/env python3
"""Where a STOMP round trip's time goes, read from the wire: a development tool beside cpu_per_task.py.

A round trip (cpu_per_task.py --stomp-rt, one client and one agent on a running `./taskmesh dev --no-agent`) crosses
the gateway four times, the task-service twice and PostgreSQL in two transactions. A packet capture on the loopback
interface sees each crossing with the kernel's timestamp, without touching any process, so the time between two
packets is the time one process (or the hop between two) took. This reads such a capture and prints, for each stage,
its median and mean over the round trips found in it, then the same for the slowest 2 %.

  python3 bench/profile/cpu_per_task.py --data /tmp/perf-dev --port 18080 --agents 1 --stomp-rt 4000 &
  sleep 15; timeout 3 tcpdump -i lo -n -s 400 -w /tmp/rt.pcap 'tcp port 18080 or tcp port <task-service port>
      or tcp port <PostgreSQL port>'
  python3 bench/profile/wire_stages.py /tmp/rt.pcap --gateway-port 18080

The capture needs the gateway's port, the task-service's and PostgreSQL's (`ss -ltnp`); the task-service and
PostgreSQL are recognised in it by what they send (assignment frames, BEGIN). The stages, in order:

  client SEND            -> gateway forwards it          the gateway (client to task-service)
  gateway forwards it    -> BEGIN of the submission      the task-service: frame, JSON, hand-off to the committer
  BEGIN                  -> COMMIT answered              the submission's transaction (with the agent's claim)
  COMMIT answered        -> assignment sent              the task-service after the commit
  assignment sent        -> gateway forwards it          the gateway (task-service to agent)
  gateway forwards it    -> agent's completion           the agent: frame, run the no-op, completion
  agent's completion     -> gateway forwards it          the gateway (agent to task-service)
  gateway forwards it    -> BEGIN of the completion      the task-service: frame, hand-off to the committer
  BEGIN                  -> COMMIT answered              the completion's transaction
  COMMIT answered        -> answer sent                  the task-service after the commit
  answer sent            -> gateway forwards it          the gateway (task-service to client)

WebSocket frames from the server are not masked, so assignments, receipts and answers are told apart by their STOMP
destination; frames from clients are masked and are told apart by their connection.
"""
import argparse
import collections
import statistics
import struct

# PostgreSQL's CommandComplete of a COMMIT, wherever it comes in the answer: after the rows of a statement that
# carries the transaction's COMMIT, or alone
COMMIT_COMPLETE = b"C\x00\x00\x00\x0bCOMMIT\x00"
STAGES = ["client SEND", "gateway forwards SEND", "submission BEGIN", "submission COMMIT answered",
          "assignment sent", "gateway forwards assignment", "agent's completion", "gateway forwards completion",
          "completion BEGIN", "completion COMMIT answered", "answer sent", "gateway forwards answer"]


def packets(path):
    """(time in s, source port, destination port, payload) of each IPv4 TCP packet with a payload."""
    with open(path, "rb") as f:
        header = f.read(24)
        nanos = struct.unpack("<I", header[:4])[0] == 0xA1B23C4D
        link = struct.unpack("<I", header[20:24])[0]
        offset = {1: 14, 113: 16}.get(link, 0)  # Ethernet (lo), Linux cooked capture (any)
        while len(record := f.read(16)) == 16:
            seconds, fraction, length, _ = struct.unpack("<IIII", record)
            data = f.read(length)
            ip = data[offset:]
            if not ip or ip[0] >> 4 != 4:
                continue
            ip_header = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            tcp = ip[ip_header:]
            source, destination = struct.unpack(">HH", tcp[:4])
            tcp_header = (tcp[12] >> 4) * 4
            if total - ip_header - tcp_header > 0:
                yield seconds + fraction / (1e9 if nanos else 1e6), source, destination, tcp[tcp_header:]


def main():
    ap = argparse.ArgumentParser(description="Stages of STOMP round trips in a loopback capture")
    ap.add_argument("capture")
    ap.add_argument("--gateway-port", type=int, default=18080)
    a = ap.parse_args()
    gateway = a.gateway_port
    captured = list(packets(a.capture))

    def sends(payload, destination):
        return destination in payload[:80]

    service = collections.Counter(s for _, s, _, p in captured
                                  if s != gateway and sends(p, b"assignment-batches")).most_common(1)[0][0]
    postgres = collections.Counter(d for _, _, d, p in captured
                                   if p[:1] == b"Q" and b"BEGIN" in p[:20]).most_common(1)[0][0]
    ports = {}
    for _, s, d, p in captured:
        if s == gateway and sends(p, b"/user/queue/submissions"):
            ports["client"] = d
        elif s == gateway and sends(p, b"assignment-batches"):
            ports["agent"] = d
        elif s == service and sends(p, b"/user/queue/submissions"):
            ports["client's leg"] = d
        elif s == service and sends(p, b"assignment-batches"):
            ports["agent's leg"] = d
    print(f"task-service port {service}, PostgreSQL port {postgres}, connections {ports}")

    events = []
    for t, s, d, p in captured:
        if s == ports["client"] and d == gateway:
            events.append((t, "client SEND"))
        elif s == ports["client's leg"] and d == service:
            events.append((t, "gateway forwards SEND"))
        elif s == service and d == ports["agent's leg"] and sends(p, b"assignment-batches"):
            events.append((t, "assignment sent"))
        elif s == gateway and d == ports["agent"] and sends(p, b"assignment-batches"):
            events.append((t, "gateway forwards assignment"))
        elif s == ports["agent"] and d == gateway and len(p) > 200:  # not a heartbeat
            events.append((t, "agent's completion"))
        elif s == ports["agent's leg"] and d == service and len(p) > 200:
            events.append((t, "gateway forwards completion"))
        elif s == service and d == ports["client's leg"] and sends(p, b"/user/queue/submissions"):
            events.append((t, "answer sent"))
        elif s == gateway and d == ports["client"] and sends(p, b"/user/queue/submissions"):
            events.append((t, "gateway forwards answer"))
        elif d == postgres and p[:1] == b"Q" and b"BEGIN" in p[:20]:
            events.append((t, "BEGIN"))
        elif s == postgres and COMMIT_COMPLETE in p:
            events.append((t, "COMMIT answered"))

    expected = [stage.replace("submission ", "").replace("completion ", "")
                if stage.endswith(("BEGIN", "COMMIT answered")) else stage for stage in STAGES]
    trips = []
    i = 0
    while i < len(events):
        if events[i][1] != "client SEND":
            i += 1
            continue
        times, j = [events[i][0]], i + 1
        while j < len(events) and len(times) < len(expected) and events[j][1] != "client SEND":
            if events[j][1] == expected[len(times)]:
                times.append(events[j][0])
            j += 1
        if len(times) == len(expected):
            trips.append(times)
        i = j

    def report(selected, title):
        print(f"{title}: {len(selected)} round trips, gateway in to gateway out p50 "
              f"{statistics.median((t[-1] - t[0]) * 1e3 for t in selected):.3f} ms")
        for k in range(1, len(STAGES)):
            ms = [(t[k] - t[k - 1]) * 1e3 for t in selected]
            print(f"  {STAGES[k - 1]:>27} -> {STAGES[k]:<27} p50 {statistics.median(ms):6.3f}  "
                  f"mean {statistics.mean(ms):6.3f} ms")

    if not trips:
        raise SystemExit("no complete round trip in the capture")
    report(trips, "all")
    gaps = [(trips[k + 1][0] - trips[k][-1]) * 1e3 for k in range(len(trips) - 1)]
    if gaps:
        print(f"client: answer out of the gateway -> next SEND in, p50 {statistics.median(gaps):.3f} ms")
    report(sorted(trips, key=lambda t: t[-1] - t[0])[-max(5, len(trips) // 50):], "slowest 2 %")


if __name__ == "__main__":
    main()
