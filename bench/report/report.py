#!/usr/bin/python3
"""Merges the harnesses' JSON files into results.json and writes results.md and chart.png.

Every figure is the median of the repetitions, with their min and max. Percentiles are computed here, from the raw
latencies each harness recorded, by one method for all systems (linear interpolation between closest ranks).
"""
import argparse
import json
import os
import statistics
import sys

SYSTEMS = ("taskmesh", "celery", "jobrunr")
NAMES = {"taskmesh": "Taskmesh", "celery": "Celery", "jobrunr": "JobRunr"}


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3), "n": len(values)}


def summarize_throughput(part):
    """{(submit, workers): {"figure": spread, "pool": ..., "status": ..., "note": ...}}, best pool for Celery."""
    best = {}
    for entry in part.get("throughput", []):
        v = entry["variant"]
        key = (v["submit"], v["workers"])
        figure = spread([r.get("tasks_per_s") for r in entry.get("runs", [])])
        row = {"figure": figure, "status": entry.get("status", "ok"), "note": entry.get("note"),
               "pool": v.get("pool"), "via": v.get("via"), "concurrency": v.get("concurrency")}
        entry["summary_tasks_per_s"] = figure
        if key not in best or (figure and (best[key]["figure"] is None
                                           or figure["median"] > best[key]["figure"]["median"])):
            best[key] = row
    return best


def summarize_round_trip(part):
    best = None
    for entry in part.get("round_trip", []):
        per_rep = {"p50": [], "p90": [], "p99": []}
        counts = []
        for run in entry.get("runs", []):
            lat = run.get("latencies_ms", [])
            counts.append(len(lat))
            for p in (50, 90, 99):
                per_rep[f"p{p}"].append(percentile(lat, p))
        summary = {k: spread(v) for k, v in per_rep.items()}
        summary["n_per_rep"] = counts
        summary["truncated"] = any(r.get("truncated") for r in entry.get("runs", []))
        summary["mode"] = entry["variant"].get("mode")
        summary["pool"] = entry["variant"].get("pool")
        entry["summary_ms"] = summary
        if summary["p50"] and (best is None or summary["p50"]["median"] < best["p50"]["median"]):
            best = summary
    return best


def fmt(figure, unit=""):
    if not figure:
        return "n/a"
    m = figure["median"]
    text = f"{m:,.0f}" if m >= 100 else f"{m:,.1f}" if m >= 10 else f"{m:,.2f}"
    if figure["n"] > 1:
        lo, hi = figure["min"], figure["max"]
        text += f" ({lo:,.0f}–{hi:,.0f})" if m >= 100 else f" ({lo:,.1f}–{hi:,.1f})"
    return text + unit


def ratio(peer, base):
    if not peer or not base or not base["median"]:
        return ""
    return f"×{peer['median'] / base['median']:.2f}"


def variant_lines(part):
    """One line per throughput variant and round-trip mode measured, when a system measured more than one way."""
    lines = []
    for entry in part.get("throughput", []):
        v = entry["variant"]
        if v.get("via"):
            lines.append(f"- throughput, one request per task over {v['via']}, {v['workers']} worker"
                         f"{'s' if v['workers'] > 1 else ''}: {fmt(entry.get('summary_tasks_per_s'))} tasks/s")
    modes = part.get("round_trip", [])
    if len(modes) > 1:
        for entry in modes:
            s = entry.get("summary_ms", {})
            lines.append(f"- round trip, {entry['variant'].get('mode')}: p50 {fmt(s.get('p50'))}, "
                         f"p90 {fmt(s.get('p90'))}, p99 {fmt(s.get('p99'))} ms")
    return lines


def write_markdown(path, merged, tp, rt):
    meta = merged["meta"]
    lines = [f"# Taskmesh vs Celery vs JobRunr — {meta.get('timestamp', '')}", ""]
    p = meta.get("parameters", {})
    lines.append(f"Machine: {meta.get('machine', {}).get('cpu_model', '?')}, "
                 f"{meta.get('machine', {}).get('cores', '?')} cores, {meta.get('machine', {}).get('ram_gib', '?')} GiB RAM; "
                 f"load average before the run: {meta.get('machine', {}).get('load_before', '?')}.")
    lines.append(f"Each figure: median of {p.get('reps')} repetitions, (min–max) when more than one. "
                 f"Ratios (×) are the peer's figure divided by Taskmesh's: above 1 means the peer has more "
                 f"throughput, or a longer round trip.")
    lines.append("")
    lines.append(f"## Throughput (tasks/s, {p.get('tasks')} no-op tasks from one client, first submit to last recorded result)")
    lines.append("")
    lines.append("| submission | workers | Taskmesh | Celery (best pool) | × | JobRunr | × |")
    lines.append("|---|---|---|---|---|---|---|")
    keys = sorted({k for s in tp.values() for k in s}, key=lambda k: (k[0] != "single", k[1]))
    for key in keys:
        tm = tp.get("taskmesh", {}).get(key)
        ce = tp.get("celery", {}).get(key)
        jr = tp.get("jobrunr", {}).get(key)

        def cell(row):
            if row is None:
                return "not run"
            if row["status"] != "ok":
                return "n/a" + (f" ({row['note']})" if row.get("note") else "")
            return fmt(row["figure"])
        tm_fig = tm["figure"] if tm and tm["status"] == "ok" else None
        tm_text = cell(tm) + (f" [{tm['via']}]" if tm and tm.get("via") and tm["status"] == "ok" else "")
        ce_text = cell(ce) + (f" [{ce['pool']}]" if ce and ce.get("pool") and ce["status"] == "ok" else "")
        lines.append(f"| {'one request per task' if key[0] == 'single' else 'batch'} | {key[1]} | {tm_text} | "
                     f"{ce_text} | {ratio(ce['figure'] if ce else None, tm_fig)} | {cell(jr)} | "
                     f"{ratio(jr['figure'] if jr else None, tm_fig)} |")
    lines.append("")
    lines.append(f"## Round trip (ms, sequential tasks, submit → result available to the client, 1 worker)")
    lines.append("")
    lines.append("| | Taskmesh | Celery | × | JobRunr | × |")
    lines.append("|---|---|---|---|---|---|")
    for q in ("p50", "p90", "p99"):
        tm = rt.get("taskmesh")
        ce = rt.get("celery")
        jr = rt.get("jobrunr")
        get = lambda s: s[q] if s else None  # noqa: E731
        lines.append(f"| {q} | {fmt(get(tm))} | {fmt(get(ce))} | {ratio(get(ce), get(tm))} | {fmt(get(jr))} | "
                     f"{ratio(get(jr), get(tm))} |")
    for name in SYSTEMS:
        s = rt.get(name)
        if s:
            lines.append(f"- {NAMES[name]}: {s['mode']}{' [' + s['pool'] + ']' if s.get('pool') else ''}; "
                         f"tasks measured per repetition: {s['n_per_rep']}"
                         f"{' (cut by the time budget)' if s['truncated'] else ''}")
    lines.append("")
    variants = variant_lines(merged["systems"].get("taskmesh", {}))
    if variants:
        lines.append("Every Taskmesh variant (the tables above show the best of each row, as for Celery's pools):")
        lines.append("")
        lines.extend(variants)
        lines.append("")
    fleet = merged["systems"].get("taskmesh", {}).get("fleet", [])
    if fleet:
        lines.append("## Fleet size (Taskmesh, simulated agents heartbeating every 5 s through the gateway)")
        lines.append("")
        lines.append("| agents | connected | online | gateway RSS / heap MiB | per 1,000 agents | task-service RSS / heap MiB | per 1,000 agents | dispatch check |")
        lines.append("|---|---|---|---|---|---|---|---|")
        for row in fleet:
            if row.get("error"):
                lines.append(f"| {row['agents']} | {row.get('connected')} | | {row['error']} | | | | |")
                continue
            g, t = row["gateway"], row["task_service"]
            gp, tpk = row.get("gateway_per_1000", {}), row.get("task_service_per_1000", {})
            d = row["dispatch"]
            lines.append(f"| {row['agents']} | {row['connected']} | {row['online_in_registry']} | "
                         f"{g.get('rss_mib')} / {g.get('heap_used_mib')} | {gp.get('rss_mib')} / {gp.get('heap_used_mib')} | "
                         f"{t.get('rss_mib')} / {t.get('heap_used_mib')} | {tpk.get('rss_mib')} / {tpk.get('heap_used_mib')} | "
                         f"{d['succeeded']}/{d['tasks']} in {d['seconds']} s |")
        lines.append("")
        lines.append("Heap is the live set after a full GC (jcmd GC.run, GC.heap_info); per 1,000 agents = "
                     "(figure with N agents − figure with none) × 1000 / N.")
        lines.append("")
    costs = {n: merged["systems"].get(n, {}).get("db_cost") for n in ("taskmesh", "jobrunr")}
    if any(costs.values()):
        lines.append("## Database cost per task (PostgreSQL's own statistics, background rate subtracted)")
        lines.append("")
        lines.append("| per task | Taskmesh | JobRunr |")
        lines.append("|---|---|---|")
        keys = []
        for c in costs.values():
            for k in (c or {}).get("per_task", {}):
                if k not in keys:
                    keys.append(k)
        for k in keys:
            vals = [(costs[n] or {}).get("per_task", {}).get(k) for n in ("taskmesh", "jobrunr")]
            lines.append(f"| {k} | {'' if vals[0] is None else vals[0]} | {'' if vals[1] is None else vals[1]} |")
        lines.append("")
        lines.append("write_transactions: transaction ids assigned (transactions that wrote); statements and rows: "
                     "pg_stat_statements; WAL: pg_current_wal_lsn(). Celery keeps its state in Redis: not comparable.")
        lines.append("")
    lines.append("## Conditions")
    lines.append("")
    for name in SYSTEMS:
        part = merged["systems"].get(name)
        if not part:
            lines.append(f"- {NAMES[name]}: not run")
            continue
        if part.get("error"):
            lines.append(f"- {NAMES[name]}: failed: {part['error']}")
            continue
        lines.append(f"- {NAMES[name]} {json.dumps(part.get('versions', {}))}")
        for k, v in part.get("conditions", {}).items():
            lines.append(f"  - {k}: {json.dumps(v) if not isinstance(v, str) else v}")
    lines.append(f"- machine: {json.dumps(meta.get('machine', {}))}")
    lines.append(f"- parameters: {json.dumps(p)}")
    lines.append("")
    lines.append("Raw figures (every repetition, every latency) are in results.json.")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def write_chart(path, tp, rt):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (apt-get install python3-matplotlib): no chart"
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    keys = sorted({k for s in tp.values() for k in s}, key=lambda k: (k[0] != "single", k[1]))
    width = 0.8 / len(SYSTEMS)
    for i, name in enumerate(SYSTEMS):
        meds, errs_lo, errs_hi = [], [], []
        for key in keys:
            row = tp.get(name, {}).get(key)
            f = row["figure"] if row and row["status"] == "ok" else None
            meds.append(f["median"] if f else 0)
            errs_lo.append(f["median"] - f["min"] if f else 0)
            errs_hi.append(f["max"] - f["median"] if f else 0)
        xs = [j + (i - 1) * width for j in range(len(keys))]
        ax1.bar(xs, meds, width, yerr=[errs_lo, errs_hi], capsize=3, label=NAMES[name])
        for x, m in zip(xs, meds):
            if m == 0:
                ax1.annotate("n/a", (x, 0), ha="center", va="bottom", fontsize=7, rotation=90)
    ax1.set_xticks(range(len(keys)))
    ax1.set_xticklabels([f"{'single' if k[0] == 'single' else 'batch'}\n{k[1]} worker{'s' if k[1] > 1 else ''}"
                         for k in keys])
    ax1.set_ylabel("tasks/s (median, min–max)")
    ax1.set_title("Throughput (higher is better)")
    ax1.legend()
    qs = ("p50", "p90", "p99")
    for i, name in enumerate(SYSTEMS):
        s = rt.get(name)
        meds = [s[q]["median"] if s and s[q] else 0 for q in qs]
        lo = [s[q]["median"] - s[q]["min"] if s and s[q] else 0 for q in qs]
        hi = [s[q]["max"] - s[q]["median"] if s and s[q] else 0 for q in qs]
        xs = [j + (i - 1) * width for j in range(len(qs))]
        ax2.bar(xs, meds, width, yerr=[lo, hi], capsize=3, label=NAMES[name])
    ax2.set_xticks(range(len(qs)))
    ax2.set_xticklabels(qs)
    ax2.set_yscale("log")
    ax2.set_ylabel("ms (log scale; median, min–max)")
    ax2.set_title("Round trip, sequential tasks, 1 worker (lower is better)")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, help="the run's results folder")
    parser.add_argument("--meta", required=True, help="JSON file with machine facts and parameters")
    args = parser.parse_args()
    with open(args.meta) as f:
        meta = json.load(f)
    merged = {"meta": meta, "systems": {}}
    for name in SYSTEMS:
        part_path = os.path.join(args.dir, "parts", f"{name}.json")
        error_path = os.path.join(args.dir, "parts", f"{name}.error")
        if os.path.exists(part_path):
            with open(part_path) as f:
                merged["systems"][name] = json.load(f)
        elif os.path.exists(error_path):
            with open(error_path) as f:
                merged["systems"][name] = {"error": f.read().strip()[-2000:]}
    tp = {n: summarize_throughput(p) for n, p in merged["systems"].items() if not p.get("error")}
    rt = {n: summarize_round_trip(p) for n, p in merged["systems"].items() if not p.get("error")}
    merged["summary"] = {
        "throughput_tasks_per_s": {n: {f"{k[0]}/{k[1]}": v for k, v in s.items()} for n, s in tp.items()},
        "round_trip_ms": rt,
    }
    with open(os.path.join(args.dir, "results.json"), "w") as f:
        json.dump(merged, f, indent=1)
    write_markdown(os.path.join(args.dir, "results.md"), merged, tp, rt)
    problem = write_chart(os.path.join(args.dir, "chart.png"), tp, rt)
    if problem:
        print(f"report: {problem}", file=sys.stderr)
        with open(os.path.join(args.dir, "results.md"), "a") as f:
            f.write(f"\n({problem})\n")
    print(f"report: wrote {args.dir}/results.json, results.md" + ("" if problem else ", chart.png"))


if __name__ == "__main__":
    main()
