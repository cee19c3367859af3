#!/usr/bin/env python3
"""scripts/bench-report.py RESULTS.jsonl REPORT.md CHART_DIR
scripts/bench-report.py --stages RESULTS.jsonl

Turns the raw results of scripts/bench (one JSON object a line) into the Markdown report and its
PNG charts (drawn with gnuplot when it is installed). With --stages, prints only the per-stage
breakdown (scripts/bench-stages uses it). Standard library only.
"""
import json
import os
import shutil
import subprocess
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def pick(results, scenario, system=None, **fields):
    return [r for r in results if r.get("scenario") == scenario and (system is None or r.get("system") == system)
            and all(r.get(k) == v for k, v in fields.items())]


def one(results, scenario, system=None, **fields):
    found = pick(results, scenario, system, **fields)
    return found[0] if found else None


def num(value, digits=0):
    if value is None:
        return "–"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ratio(a, b):
    if a is None or b in (None, 0):
        return None
    return a / b


def ratio_text(value):
    return "–" if value is None else f"{value:.2f}×"


def verdict(ok):
    return "–" if ok is None else ("**met**" if ok else "**not met**")


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def gnuplot(script, chart_dir):
    if not shutil.which("gnuplot"):
        return False
    subprocess.run(["gnuplot"], input=script, text=True, cwd=chart_dir, check=True)
    return True


def write_data(chart_dir, name, rows):
    with open(os.path.join(chart_dir, name), "w") as f:
        for row in rows:
            f.write(" ".join("NaN" if v is None else str(v) for v in row) + "\n")


def per_command(record, key):
    commands = record.get("commands")
    value = record.get(key)
    return None if value is None or not commands else value / commands


def stage_rows(record):
    """(label, value, digits) for one server's stage measurement."""
    p50, floor = record.get("p50_ms"), record.get("floor_p50_ms")
    db, fsync = per_command(record, "db_exec_ms"), per_command(record, "wal_sync_time_ms")
    syncs = record.get("wal_sync")
    per_sync = ratio(record.get("wal_sync_time_ms"), syncs)
    # On its path a command waits for one fsync, its own commit's.
    remainder = None if None in (p50, floor, db, per_sync) else p50 - floor - db - per_sync
    rows = [
        ("client round trip p50, ms", p50, 3),
        ("commands/s (1 client, closed loop)", record.get("per_second"), 0),
        ("HTTP floor: GET /health p50, ms", floor, 3),
        ("database: statements per command", per_command(record, "db_statements"), 1),
        ("database: execution ms per command", db, 3),
        ("database: transactions committed per command (read-only too)", per_command(record, "xact_commit"), 2),
        ("WAL: fsyncs per command", per_command(record, "wal_sync"), 2),
        ("WAL: ms per fsync", per_sync, 3),
        ("WAL: fsync ms per command", fsync, 3),
        ("remainder: JWT, decide, JSON, pool hops, waits (≥), ms", remainder, 3),
    ]
    order = ["auth", "decide", "db", "total"]
    for name, value in sorted((record.get("server_timing") or {}).items(),
                              key=lambda kv: (order.index(kv[0]) if kv[0] in order else len(order), kv[0])):
        rows.append((f"Server-Timing `{name}` p50, ms", value, 3))
    return rows


def stages_section(results):
    systems = [s for s in ("before", "after") if one(results, "stages", s)]
    out = ["## 8. Where a command's time goes\n"]
    if not systems:
        return "\n".join(out + ["Not measured in this run.\n"])
    records = {s: one(results, "stages", s) for s in systems}
    out.append(f"One client posting in a closed loop for {records[systems[-1]].get('seconds', '?')} s "
               "(`scripts/bench-stages`), each server on a fresh database of a cluster with `pg_stat_statements` "
               "and `track_wal_io_timing`; counters are read after the server has stopped. Database time is "
               "`total_exec_time` summed over every statement the server ran, projections and reactor included "
               "(the top statements below say which is which), divided by the commands accepted; fsync time is "
               "`pg_stat_wal.wal_sync_time`; the HTTP floor is `GET /health` on one keep-alive connection. The "
               "remainder (client p50 − floor − database per command − one fsync) is an estimate that mixes a median "
               "with means, and a lower bound: the database time includes statements off the command's path. "
               "`Server-Timing` rows are the medians of the server's own header, when it sends one"
               + ("; \"before\" is `" + records["before"].get("binary", "?") + "`" if "before" in records else "")
               + ".\n")
    out.append("*What this shows:* which stage a command's latency is spent in, so a change to the write path "
               "can be checked stage by stage.\n")
    labelled = {s: stage_rows(records[s]) for s in systems}
    labels = []
    for s in systems:
        labels += [label for label, _, _ in labelled[s] if label not in labels]
    rows = []
    for label in labels:
        values = {s: next(((v, d) for l, v, d in labelled[s] if l == label), (None, 0)) for s in systems}
        row = [label] + [num(values[s][0], values[s][1]) for s in systems]
        if len(systems) == 2:
            row.append(ratio_text(ratio(values["after"][0], values["before"][0])))
        rows.append(row)
    out.append(table(["stage"] + systems + (["after ÷ before"] if len(systems) == 2 else []), rows) + "\n")
    for s in systems:
        record = records[s]
        commands = record.get("commands")
        top = [[num(ratio(t["calls"], commands), 2), num(ratio(t["total_ms"], commands), 3),
                num(ratio(t["total_ms"], t["calls"]), 3), "`" + t["query"].replace("|", "\\|") + "`"]
               for t in record.get("top_statements") or []]
        out.append(f"Top statements by execution time, {s} ({num(record.get('commands'))} commands):\n")
        out.append(table(["calls per command", "ms per command", "mean ms", "statement"], top) + "\n")
    return "\n".join(out)


def main():
    if sys.argv[1:2] == ["--stages"]:
        print(stages_section(load(sys.argv[2])))
        return
    results_path, report_path, chart_dir = sys.argv[1:4]
    results = load(results_path)
    os.makedirs(chart_dir, exist_ok=True)
    machine = one(results, "machine") or {}
    quick = machine.get("quick", False)
    rel_charts = os.path.relpath(chart_dir, os.path.dirname(os.path.abspath(report_path)))
    out = []
    targets = []   # (scenario, target, measured, baseline text, ratio, ok)

    out.append("# Benchmarks\n")
    out.append("Produced by `scripts/bench`" + (" --quick (small sizes: a smoke test, not a result)" if quick else "")
               + f" on {machine.get('date', '?')}. Every figure is measured next to its baseline in the same run, "
               "from a separate load process on 127.0.0.1 (`wrk` for command throughput, `tideline-bench` for the rest); latencies are percentiles of an "
               "HdrHistogram over every sample. The machine is shared and noisy: read ratios and medians, not "
               "absolute numbers. Raw results: "
               f"[`{rel_charts}/results.jsonl`]({rel_charts}/results.jsonl).\n")
    out.append("**Machine:** " + ", ".join(filter(None, [
        f"{machine.get('cores', '?')} cores ({machine.get('cpu', '?')})",
        f"{machine.get('memory_gib', '?')} GiB",
        machine.get("postgres"), f"Linux {machine.get('kernel', '?')}", machine.get("swift"),
    ])) + f". Each measurement runs {machine.get('seconds_each', '?')} s. Server and load client share the "
          "machine's cores, so every number here includes the load client's own CPU.\n")

    # 1. throughput
    rows, chart, latency_target = [], [], None
    for clients in sorted({r["clients"] for r in pick(results, "throughput")}):
        t = one(results, "throughput", "tideline", clients=clients) or {}
        p = one(results, "throughput", "pgbench", clients=clients) or {}
        n = one(results, "throughput", "pgbench-notify", clients=clients) or {}
        tr, pr, nr = t.get("per_second"), p.get("per_second"), n.get("per_second")
        rows.append([clients, num(tr), num(pr), num(nr), ratio_text(ratio(tr, pr)), ratio_text(ratio(tr, nr)),
                     num(t.get("p50_ms"), 2), num(p.get("p50_ms"), 2), ratio_text(ratio(t.get("p50_ms"), p.get("p50_ms"))),
                     num(t.get("p99_ms"), 2), num(t.get("errors"))])
        chart.append([clients, tr, pr, nr])
        u = one(results, "throughput", "tideline-unbatched", clients=clients) or {}
        if clients == 32:
            r = ratio(tr, pr)
            targets.append(("1 command throughput", "≥ 1.0× pgbench at 32 clients on their own rooms", f"{num(tr)} commands/s",
                            f"pgbench {num(pr)} rows/s", ratio_text(r), None if r is None else r >= 1.0))
            r = ratio(tr, nr)
            targets.append(("1 command throughput", "≥ 3× pgbench with a NOTIFY per commit, at 32 clients",
                            f"{num(tr)} commands/s", f"pgbench + pg_notify {num(nr)} rows/s", ratio_text(r),
                            None if r is None else r >= 3))
        if clients == 1:
            r = ratio(t.get("p50_ms"), p.get("p50_ms"))
            latency_target = ("1 command latency", "p50 ≤ 3× pgbench's p50 at 1 client", f"p50 {num(t.get('p50_ms'), 2)} ms",
                            f"pgbench p50 {num(p.get('p50_ms'), 2)} ms", ratio_text(r), None if r is None else r <= 3)
            r = ratio(tr, u.get("per_second"))
            targets.append(("1 command throughput", "1 client: no worse than each command committed alone",
                            f"{num(tr)} commands/s", f"--command-batch 1: {num(u.get('per_second'))}/s", ratio_text(r),
                            None if r is None else r >= 0.95))
    one_room = one(results, "throughput", "tideline-one-room", clients=32) or {}
    one_room_alone = one(results, "throughput", "tideline-unbatched-one-room", clients=32) or {}
    if one_room:
        r = ratio(one_room.get("per_second"), one_room_alone.get("per_second"))
        targets.append(("1 command throughput", "32 clients on one room: no worse than each command committed alone",
                        f"{num(one_room.get('per_second'))} commands/s", f"--command-batch 1: {num(one_room_alone.get('per_second'))}/s",
                        ratio_text(r), None if r is None else r >= 0.95))
    if latency_target:
        targets.append(latency_target)
    out.append("## 1. Command throughput\n")
    out.append("REST `POST /v1/rooms/{id}/messages` driven by `wrk` (scripts/bench-wrk-post.lua): each "
               "connection posting, closed loop, to a room of its own, with projections and fan-out running. Baselines, same concurrency, same cluster: "
               "`pgbench` inserting one row per transaction into an equivalent `bench_messages` table, and the "
               "same insert with `SELECT pg_notify('bench_channel', '')` in its transaction (the ceiling of a "
               "design that notifies in every commit). pgbench's p50 is the median of its per-transaction log.\n")
    out.append("*What this shows:* how close a command gets to the rate and latency of the bare insert it "
               "stores, and whether it beats a NOTIFY-per-commit design.\n")
    out.append(table(["clients", "Tideline commands/s", "pgbench rows/s", "pgbench + notify rows/s", "÷ pgbench",
                      "÷ pgbench + notify", "Tideline p50 ms", "pgbench p50 ms", "p50 ratio", "Tideline p99 ms",
                      "errors"], rows) + "\n")
    variants = [r for r in pick(results, "throughput") if r.get("system", "").startswith("tideline")]
    if any(r.get("system") != "tideline" for r in variants):
        out.append("The same server in the same run, each client on its own room or all 32 on one room, with group "
                   "commit (the default) and with every command committed on its own (`--command-batch 1`). On one "
                   "room a process's commands go one at a time, so batching cannot help there.\n")
        out.append(table(["system", "clients", "rooms", "commands/s", "p50 ms", "p99 ms", "errors"], [
            [r.get("system"), r["clients"], r.get("rooms", r["clients"]), num(r.get("per_second")), num(r.get("p50_ms"), 2),
             num(r.get("p99_ms"), 2), num(r.get("errors"))]
            for r in sorted(variants, key=lambda r: (r.get("system"), r["clients"]))]) + "\n")
    cpu_rows = []
    for r in sorted(pick(results, "throughput"), key=lambda r: (r["clients"], r.get("system", ""))):
        if r.get("machine_cores") is None:
            continue
        rate, server, postgres = r.get("per_second"), r.get("server_cores"), r.get("postgres_cores")
        per = lambda cores: num(cores * 1000 / rate, 3) if rate and cores is not None else "–"
        is_server = r.get("system", "").startswith("tideline")
        machine = r.get("machine_cores")
        cpu_rows.append([r["clients"], r.get("system"), num(rate), num(server, 2) if is_server else "–",
                         num(postgres, 2), num(r.get("other_cores"), 2), num(r.get("idle_cores"), 2),
                         per(server) if is_server else "–", per(postgres), per(r.get("other_cores")), per(machine)])
    if cpu_rows:
        out.append("*Who used the CPU* (average cores over the measurement, scripts/bench-cpu.py): the server, "
                   "PostgreSQL (every backend), and the rest (mostly the load generator: `wrk` or "
                   "`pgbench`). Idle near 0 means the run was bound by the machine's CPU. On two cores, matching "
                   "pgbench's rate means all CPU per command within about 2 ÷ pgbench's rows/s.\n")
        out.append(table(["clients", "system", "per second", "server cores", "PostgreSQL cores", "load generator and rest",
                          "idle cores", "server ms per command", "PostgreSQL ms per command", "load generator ms per command",
                          "all CPU ms per command"], cpu_rows) + "\n")
    write_data(chart_dir, "throughput.dat", chart)
    if gnuplot(f"""set terminal pngcairo size 720,420
set output 'throughput.png'
set title 'Command throughput (higher is better)'
set xlabel 'concurrent clients'; set ylabel 'per second'; set logscale x 2; set key left top; set grid
plot 'throughput.dat' using 1:2 with linespoints lw 2 title 'Tideline POST message', \\
     'throughput.dat' using 1:3 with linespoints lw 2 title 'pgbench INSERT (baseline)', \\
     'throughput.dat' using 1:4 with linespoints lw 2 dt 2 title 'pgbench INSERT + pg_notify'
""", chart_dir):
        out.append(f"![Command throughput]({rel_charts}/throughput.png)\n")

    # 2. latency
    rows, chart = [], []
    for subscribers in sorted({r["subscribers"] for r in pick(results, "latency") if r.get("system") in ("tideline", "hub", "nats")}):
        t = one(results, "latency", "tideline", subscribers=subscribers) or {}
        h = one(results, "latency", "hub", subscribers=subscribers) or {}
        n = one(results, "latency", "nats", subscribers=subscribers) or {}
        rows.append([subscribers, num(t.get("p50_ms"), 2), num(t.get("p99_ms"), 2), num(t.get("max_ms"), 1),
                     f"{num(t.get('delivered'))}/{num(t.get('expected'))}", num(t.get("posts_per_second"), 1),
                     num(n.get("p50_ms"), 2), num(n.get("p99_ms"), 2), ratio_text(ratio(t.get("p50_ms"), n.get("p50_ms"))),
                     num(h.get("p50_ms"), 2), num(h.get("p99_ms"), 2), num(t.get("client_cpu_percent"))])
        chart.append([subscribers, t.get("p50_ms"), t.get("p99_ms"), n.get("p50_ms"), n.get("p99_ms"), h.get("p50_ms")])
    biggest = max((r[0] for r in chart), default=None)
    t = one(results, "latency", "tideline", subscribers=biggest) or {}
    if biggest is not None:
        n = one(results, "latency", "nats", subscribers=biggest) or {}
        ok = None if biggest < 1000 else (t.get("p50_ms", 1e9) <= 5 and t.get("p99_ms", 1e9) <= 20)
        targets.append(("2 end-to-end latency", "p50 ≤ 5 ms, p99 ≤ 20 ms at 1,000 subscribers",
                        f"p50 {num(t.get('p50_ms'), 2)} ms, p99 {num(t.get('p99_ms'), 2)} ms at {biggest:,}",
                        f"NATS p50 {num(n.get('p50_ms'), 2)} ms, p99 {num(n.get('p99_ms'), 2)} ms",
                        ratio_text(ratio(t.get("p99_ms"), n.get("p99_ms"))) + " (p99)", ok))
        below = None if not n or biggest < 1000 else (t.get("p50_ms", 1e9) < n["p50_ms"] and t.get("p99_ms", 1e9) < n["p99_ms"])
        targets.append(("2 end-to-end latency", "below NATS's p50 and p99 at 1,000 subscribers",
                        f"p50 {num(t.get('p50_ms'), 2)} ms, p99 {num(t.get('p99_ms'), 2)} ms",
                        f"NATS p50 {num(n.get('p50_ms'), 2)} ms, p99 {num(n.get('p99_ms'), 2)} ms",
                        ratio_text(ratio(t.get("p50_ms"), n.get("p50_ms"))) + " (p50)", below))
        accepted = t.get("posts_per_second")
        targets.append(("2 end-to-end latency", "every post accepted at 100/s with 1,000 subscribers",
                        f"{num(accepted, 1)} posts/s", f"NATS {num(n.get('posts_per_second'), 1)} publishes/s",
                        ratio_text(ratio(accepted, 100)) + " of offered", None if accepted is None else accepted >= 99))
    out.append("## 2. End-to-end latency\n")
    out.append("A REST post to WebSocket receipt, over every delivery, with N subscribers on one room and a "
               "steady 100 posts/s. Baselines, driven by the same client (`tideline-bench`, whose subscribers "
               "read frames in NIO channel handlers): nats-server 2.9 (Debian package) publishing the same-sized "
               "payload to a subject over its WebSocket listener, and `tideline-bench hub`, a bare broadcast hub "
               "on Tideline's stack (Hummingbird WebSocket) with no database. Posts/s is what Tideline accepted "
               "of the 100/s offered: a post that waits behind fan-out work waits in its latency too.\n")
    out.append(table(["subscribers", "p50 ms", "p99 ms", "max ms", "delivered", "posts/s", "NATS p50 ms", "NATS p99 ms",
                      "p50 ÷ NATS", "hub p50 ms", "hub p99 ms", "client CPU %"], rows) + "\n")
    write_data(chart_dir, "latency.dat", chart)
    if gnuplot(f"""set terminal pngcairo size 720,420
set output 'latency.png'
set title 'Post to WebSocket receipt at 100 posts/s (lower is better)'
set xlabel 'subscribers on the room'; set ylabel 'milliseconds'; set logscale xy; set key left top; set grid
plot 'latency.dat' using 1:2 with linespoints lw 2 title 'Tideline p50', \\
     'latency.dat' using 1:3 with linespoints lw 2 title 'Tideline p99', \\
     'latency.dat' using 1:4 with linespoints lw 2 dt 2 title 'NATS p50', \\
     'latency.dat' using 1:5 with linespoints lw 2 dt 2 title 'NATS p99', \\
     'latency.dat' using 1:6 with linespoints lw 1 dt 3 title 'bare hub p50'
""", chart_dir):
        out.append(f"![Latency]({rel_charts}/latency.png)\n")

    # 3. fan-out
    rows, chart = [], []
    per_cpu = lambda r: (r.get("deliveries_per_second") / r["server_cores"]
                         if r.get("deliveries_per_second") and r.get("server_cores") else None)
    for rooms in sorted({r["rooms"] for r in pick(results, "fanout")}, reverse=True):
        t = one(results, "fanout", "tideline", rooms=rooms) or {}
        h = one(results, "fanout", "hub", rooms=rooms) or {}
        n = one(results, "fanout", "nats", rooms=rooms) or {}
        tr, hr, nr = t.get("deliveries_per_second"), h.get("deliveries_per_second"), n.get("deliveries_per_second")
        label = "all on one room" if rooms == 1 else f"over {rooms} rooms"
        rows.append([f"{num(t.get('subscribers'))} {label}", num(t.get("posts")), num(tr),
                     f"{num(t.get('deliveries'))}/{num(t.get('expected_deliveries'))}", num(t.get("p99_ms"), 1),
                     num(per_cpu(t)), num(nr), num(n.get("p99_ms"), 1), num(per_cpu(n)), ratio_text(ratio(per_cpu(t), per_cpu(n))),
                     num(hr), num(t.get("client_cpu_percent"))])
        chart.append([f'"{label}"', tr, nr, hr])
        ok = None if (t.get("subscribers") or 0) < 10000 else (tr or 0) >= 200_000 and (t.get("p99_ms") or 1e9) <= 100
        targets.append((f"3 fan-out, {label}", "≥ 200,000 deliveries/s with 10,000 subscribers, p99 ≤ 100 ms",
                        f"{num(tr)}/s, p99 {num(t.get('p99_ms'), 1)} ms", f"NATS {num(nr)}/s, p99 {num(n.get('p99_ms'), 1)} ms",
                        ratio_text(ratio(tr, nr)), ok))
        r = ratio(per_cpu(t), per_cpu(n))
        targets.append((f"3 fan-out, {label}", "≥ NATS's deliveries per server CPU-second",
                        f"{num(per_cpu(t))} per CPU-s", f"NATS {num(per_cpu(n))} per CPU-s", ratio_text(r),
                        None if r is None else r >= 1))
    out.append("## 3. Fan-out\n")
    out.append("WebSocket subscribers, posts at a fixed offered rate (2,000/s over 100 rooms; 40/s on one room); "
               "deliveries per second counted by the load client, whose own CPU use is shown (100 % is one "
               "core); per CPU-s is deliveries per second of the server's own CPU time. Baselines: nats-server "
               "over WebSocket, one subject per room, and the bare hub.\n")
    out.append(table(["subscribers", "posts", "deliveries/s", "delivered", "p99 ms", "per server CPU-s", "NATS deliveries/s",
                      "NATS p99 ms", "NATS per CPU-s", "per CPU-s ÷ NATS", "hub deliveries/s", "client CPU %"], rows) + "\n")
    write_data(chart_dir, "fanout.dat", chart)
    if chart and gnuplot(f"""set terminal pngcairo size 720,420
set output 'fanout.png'
set title 'Fan-out deliveries per second (higher is better)'
set style data histograms; set style fill solid 0.8; set boxwidth 0.9; set grid ytics; set key left top
set ylabel 'deliveries/s'; set yrange [0:*]
plot 'fanout.dat' using 2:xtic(1) title 'Tideline', '' using 3 title 'NATS (baseline)', '' using 4 title 'bare hub'
""", chart_dir):
        out.append(f"![Fan-out]({rel_charts}/fanout.png)\n")

    # 4. connections
    rows = []
    hub_ws = one(results, "connections", "hub", kind="ws") or {}
    nats_ws = one(results, "connections", "nats", kind="ws") or {}
    kb = lambda r: r["bytes_per_connection"] / 1024 if r.get("bytes_per_connection") else None
    for kind in ("ws", "sse"):
        t = one(results, "connections", "tideline", kind=kind) or {}
        per = t.get("bytes_per_connection")
        rows.append([kind.upper() if kind == "sse" else "WebSocket", num(t.get("opened")), num(t.get("rss_before_kb")),
                     num(t.get("rss_after_kb")), num(kb(t), 1), num(kb(nats_ws), 1), ratio_text(ratio(per, nats_ws.get("bytes_per_connection"))),
                     num(kb(hub_ws), 1)])
        ok = None if (t.get("count") or 0) < 10000 or per is None else per <= 20 * 1024
        targets.append((f"4 connections, {kind}", "≤ 20 KB server memory per idle connection",
                        f"{num(kb(t), 1)} KB", f"NATS WebSocket {num(kb(nats_ws), 1)} KB",
                        ratio_text(ratio(per, nats_ws.get("bytes_per_connection"))), ok))
    out.append("## 4. Idle connections\n")
    out.append("Server resident memory (VmRSS) before and after opening the connections, each subscribed to one "
               "room. Baselines: nats-server holding the same number of WebSocket clients, each subscribed to one "
               "subject, and the bare hub.\n")
    out.append(table(["kind", "opened", "RSS before KB", "RSS after KB", "KB per connection", "NATS KB per WebSocket",
                      "÷ NATS", "bare hub KB per WebSocket"], rows) + "\n")

    # 5. replay
    rows = []
    sql = one(results, "replay-sql", "postgres") or {}
    for kind in ("ws", "sse"):
        t = one(results, "replay", "tideline", kind=kind) or {}
        rate = t.get("events_per_second")
        rows.append(["WebSocket" if kind == "ws" else "SSE", num(t.get("events")), num(t.get("seconds"), 1), num(rate),
                     num(sql.get("events_per_second")), ratio_text(ratio(rate, sql.get("events_per_second")))])
        ok = None if (t.get("events") or 0) < 1_000_000 else (rate or 0) >= 100_000
        targets.append((f"5 replay, {kind}", "≥ 100,000 events/s over 1,000,000 stored events", f"{num(rate)}/s",
                        f"PostgreSQL read {num(sql.get('events_per_second'))}/s", ratio_text(ratio(rate, sql.get("events_per_second"))), ok))
    # CPU of every fan-out row (scenarios 2, 3, 7)
    cpu_rows = []
    for scenario in ("latency", "fanout"):
        for r in pick(results, scenario):
            if r.get("machine_cores") is None:
                continue
            label = ("3 fan-out" if scenario == "fanout"
                     else "7 write path" if str(r.get("system", "")).endswith("one-connection") else "2 latency")
            seconds = r.get("window_seconds") or r.get("posting_seconds") or r.get("seconds")
            delivered = r.get("deliveries") if scenario == "fanout" else r.get("delivered")
            per_second = delivered / seconds if delivered and seconds else None
            server = r.get("server_cores")
            size = f"{num(r.get('subscribers'))} subscribers" + (f", {num(r.get('rooms'))} rooms" if scenario == "fanout" else "")
            cpu_rows.append([label, r.get("system"), size, num(per_second), num(server, 2), num(r.get("postgres_cores"), 2),
                             num(r.get("other_cores"), 2), num(r.get("idle_cores"), 2),
                             num(server * 1e6 / per_second, 1) if server is not None and per_second else "–"])
    if cpu_rows:
        out.append("### Who used the CPU in the delivery scenarios\n")
        out.append("Cores used on average over each measurement (scripts/bench-cpu.py): the server (Tideline or the "
                   "bare hub or nats-server), PostgreSQL, and the rest (mostly the load client). Server µs per delivery is the "
                   "server's CPU divided by the deliveries the client counted.\n")
        out.append(table(["scenario", "system", "size", "deliveries/s", "server cores", "PostgreSQL cores",
                          "load client and rest", "idle cores", "server µs per delivery"], cpu_rows) + "\n")

    out.append("## 5. Replay\n")
    out.append("One client resuming with `since=0` on a room holding the stored events. Baseline: reading the "
               "same rows straight from PostgreSQL with PostgresNIO and serialising each as an envelope "
               "(`tideline-bench replay-sql`).\n")
    out.append(table(["transport", "events", "seconds", "events/s", "PostgreSQL read events/s", "ratio"], rows) + "\n")

    # 6. scaling
    two = one(results, "latency", "tideline-2") or {}
    single = one(results, "latency", "tideline", subscribers=two.get("subscribers")) or {}
    out.append("## 6. Two server processes\n")
    out.append("Scenario 2 with the subscribers and the posts spread over two `tideline serve` processes on one "
               "database. Baseline: one process, same run.\n")
    out.append(table(["servers", "subscribers", "p50 ms", "p99 ms", "max ms", "delivered"], [
        [1, num(single.get("subscribers")), num(single.get("p50_ms"), 2), num(single.get("p99_ms"), 2), num(single.get("max_ms"), 1),
         f"{num(single.get('delivered'))}/{num(single.get('expected'))}"],
        [2, num(two.get("subscribers")), num(two.get("p50_ms"), 2), num(two.get("p99_ms"), 2), num(two.get("max_ms"), 1),
         f"{num(two.get('delivered'))}/{num(two.get('expected'))}"],
    ]) + "\n")

    # 7. write path under fan-out
    rows = []
    for system, label in (("tideline-one-connection", "Tideline"), ("hub-one-connection", "bare hub")):
        r = one(results, "latency", system)
        if not r:
            continue
        accepted = (r.get("posts_sent") or 0) - (r.get("post_errors") or 0)
        rows.append([label, num(r.get("subscribed")), num(r.get("rate")), num(r.get("posts_per_second"), 1),
                     f"{num(accepted)}/{num((r.get('rate') or 0) * (r.get('seconds') or 0))}",
                     f"{num(r.get('delivered'))}/{num(r.get('expected'))}", num(r.get("p50_ms"), 2),
                     num(r.get("p99_ms"), 2), num(r.get("server_cpu_percent")), num(r.get("client_cpu_percent"))])
    t = one(results, "latency", "tideline-one-connection")
    if t:
        h = one(results, "latency", "hub-one-connection") or {}
        pps, offered = t.get("posts_per_second"), t.get("rate")
        ok = None if (t.get("subscribers") or 0) < 1000 or pps is None else pps >= 0.99 * offered
        targets.append(("7 write path under fan-out", f"{num(offered)} posts/s on one keep-alive connection, "
                        f"1,000 subscribers on the room", f"{num(pps, 1)} posts/s accepted",
                        f"bare hub {num(h.get('posts_per_second'), 1)} posts/s", ratio_text(ratio(pps, offered)) + " of offered", ok))
    out.append("## 7. Write path under fan-out\n")
    out.append("1,000 WebSocket subscribers on one room; one poster offers 100 posts/s over exactly one keep-alive "
               "HTTP/1.1 connection. Without pipelining a connection carries one request at a time, so each post "
               "goes on its tick or as soon as the previous one is answered: a server that cannot keep up accepts "
               "fewer posts in the window. Delivery latency runs from the moment a post was sent to its receipt "
               "by each subscriber; server CPU is the server process's user + system time from the first post to "
               "the last delivery (100 % is one core). Baseline: the bare hub, same client.\n")
    out.append("*What this shows:* whether fan-out starves the command path: a room this busy should still "
               "accept every post a single client offers.\n")
    out.append(table(["server", "subscribers", "offered posts/s", "accepted posts/s", "accepted", "delivered",
                      "p50 ms", "p99 ms", "server CPU %", "client CPU %"], rows) + "\n")

    # 8. stages
    out.append(stages_section(results))

    summary = ["## Targets\n",
               "Targets are for a 2-core machine; a target measured at a smaller size than it names (quick mode) "
               "is marked –.\n",
               table(["scenario", "target", "measured", "baseline", "ratio", "verdict"],
                     [[s, t, m, b, r, verdict(ok)] for s, t, m, b, r, ok in targets]) + "\n"]
    with open(report_path, "w") as f:
        f.write("\n".join(out[:3] + summary + out[3:]))


if __name__ == "__main__":
    main()
