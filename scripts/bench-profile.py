#!/usr/bin/env python3
"""scripts/bench-profile.py FOLDER CLIENTS WINDOW: the report of scripts/bench-profile.

FOLDER holds, for each system (tideline, pgbench): SYSTEM.result (the load's output),
SYSTEM.cpu.json (scripts/bench-cpu.py), SYSTEM.timehist (`perf sched timehist -g`),
SYSTEM.samples (`perf script -F comm,pid,tid,ip,sym -G`), SYSTEM.postgres-pids, SYSTEM.client-pid; and
server-pid. Prints markdown.
"""
import collections
import json
import re
import sys

SYSTEMS = ("tideline", "pgbench")
COMPONENTS = ("server", "postgres", "client", "other")
# A timehist line: time [cpu] task[tid/pid] wait sch-delay run callchain
TIMEHIST = re.compile(r"^\s*\d+\.\d+\s+\[\d+\]\s+(.+?)\[(\d+)(?:/(\d+))?\]\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*(.*)$")
# Kernel paths a thread sleeps in, from the innermost frame outwards: the first match names it.
SLEEPS = (
    ("ep_poll", "epoll_wait: an idle event loop or backend, waiting for a socket"),
    ("do_epoll_wait", "epoll_wait: an idle event loop or backend, waiting for a socket"),
    ("futex", "futex: a lock, condition or semaphore (PostgreSQL's lwlocks: WAL, buffers)"),
    ("file_write_and_wait", "fsync / fdatasync: WAL flush to disk"),
    ("do_fsync", "fsync / fdatasync: WAL flush to disk"),
    ("jbd2", "fsync / fdatasync: WAL flush to disk"),
    ("nanosleep", "sleep"),
    ("sock_read", "socket read"),
    ("unix_stream", "socket read"),
    ("tcp_recv", "socket read"),
    ("pipe_read", "pipe read"),
    ("do_select", "select/poll"),
    ("do_sys_poll", "select/poll"),
    ("exit_to_user_mode", "preempted (still runnable)"),
    ("irqentry_exit", "preempted (still runnable)"),
    ("__cond_resched", "preempted (still runnable)"),
)


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def load_result(folder, system):
    text = read(f"{folder}/{system}.result")
    if system == "tideline":
        last = [line for line in text.splitlines() if line.startswith("{")]
        result = json.loads(last[-1]) if last else {}
        return result.get("per_second"), result.get("p50_ms"), result.get("client_cpu_percent")
    tps = re.search(r"^tps = ([\d.]+)", text, re.M)
    latency = re.search(r"latency average = ([\d.]+) ms", text)
    return (float(tps.group(1)) if tps else None), (float(latency.group(1)) if latency else None), None


def sleep_reason(callchain):
    for needle, reason in SLEEPS:
        if needle in callchain:
            return reason
    frames = [f.strip() for f in callchain.split("<-")]
    return " <- ".join(frames[:2]) if frames and frames[0] else "(no kernel stack)"


def scheduler(folder, system, server_pid):
    postgres = {int(p) for p in read(f"{folder}/{system}.postgres-pids").split()}
    client = int(read(f"{folder}/{system}.client-pid", "0").strip() or 0)
    totals = {c: collections.Counter() for c in COMPONENTS}
    reasons = {c: collections.Counter() for c in ("server", "postgres")}
    last_chain = {}
    threads = {c: set() for c in COMPONENTS}
    for line in read(f"{folder}/{system}.timehist").splitlines():
        m = TIMEHIST.match(line)
        if not m:
            continue
        comm, tid, pid = m.group(1), int(m.group(2)), int(m.group(3) or m.group(2))
        wait, delay, run, chain = float(m.group(4)), float(m.group(5)), float(m.group(6)), m.group(7)
        if comm.strip() == "<idle>":
            continue
        if pid == server_pid:
            component = "server"
        elif pid in postgres or comm.strip().startswith("postgres"):
            component = "postgres"
        elif pid == client:
            component = "client"
        else:
            component = "other"
        threads[component].add(tid)
        totals[component].update(run=run, delay=delay, wait=wait)
        if component in reasons and tid in last_chain and wait > 0:
            reasons[component][sleep_reason(last_chain[tid])] += wait
        last_chain[tid] = chain
    return totals, reasons, threads


def on_cpu(folder, system, server_pid):
    """Shares of cpu-clock samples by component, and the top symbols of each."""
    postgres = {int(p) for p in read(f"{folder}/{system}.postgres-pids").split()}
    client = int(read(f"{folder}/{system}.client-pid", "0").strip() or 0)
    counts = collections.Counter()
    symbols = {c: collections.Counter() for c in COMPONENTS + ("idle",)}
    # One line a sample: comm pid/tid ip symbol
    for line in read(f"{folder}/{system}.samples").splitlines():
        m = re.match(r"^\s*(.+?)\s+(\d+)/(\d+)\s+[0-9a-f]+\s+(.*)$", line)
        if not m:
            continue
        comm, pid, symbol = m.group(1).strip(), int(m.group(2)), m.group(4).strip()
        if pid == 0:
            component = "idle"
        elif pid == server_pid:
            component = "server"
        elif pid in postgres or comm.startswith("postgres"):
            component = "postgres"
        elif pid == client:
            component = "client"
        else:
            component = "other"
        counts[component] += 1
        symbols[component][symbol] += 1
    total = sum(counts.values()) or 1
    shares = collections.Counter({c: n * 100 / total for c, n in counts.items()})
    symbols = {c: collections.Counter({s: n * 100 / total for s, n in syms.items()}) for c, syms in symbols.items()}
    return shares, symbols


# Server samples by who was running: the module of the innermost frame that is not the Swift
# runtime or standard library, libc or the kernel. Swift symbols are mangled `$s<length><module>`.
MODULE_GROUPS = (
    ("HTTP (Hummingbird, NIOHTTP1)", ("Hummingbird", "HummingbirdCore", "HummingbirdRouter", "NIOHTTP1", "HTTPTypes",
                                      "NIOHTTPTypes", "NIOHTTPTypesHTTP1", "HummingbirdWebSocket", "HummingbirdWSCore")),
    ("network I/O (SwiftNIO)", ("NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOEmbedded", "_NIODataStructures",
                                "NIOExtras", "NIOWebSocket")),
    ("PostgreSQL client (PostgresNIO, its pool)", ("PostgresNIO", "_ConnectionPoolModule")),
    ("Foundation (JSON coding, UUID, dates)", ("FoundationEssentials", "Foundation", "FoundationInternationalization")),
    ("JWT and crypto", ("JWTKit", "Crypto", "_CryptoExtras", "CryptoBoringWrapper", "X509", "SwiftASN1")),
    ("logging, metrics, lifecycle", ("Logging", "Metrics", "CoreMetrics", "Prometheus", "ServiceLifecycle",
                                     "Tracing", "Instrumentation", "ServiceContextModule", "UnixSignals")),
    ("Tideline (API, Commands, Domain, EventStore, Projections, Realtime)", ("API", "Commands", "Domain", "EventStore",
                                                                         "Projections", "Realtime", "tideline")),
)
MODULE_GROUP = {module: group for group, modules in MODULE_GROUPS for module in modules}


def swift_module(symbol):
    m = re.match(r"^\$s(\d+)(\w+)", symbol)
    if not m:
        return None
    length = int(m.group(1))
    return m.group(2)[:length]


def server_by_module(folder, system):
    """Shares of the server's samples by the group of the innermost frame of a known module."""
    counts = collections.Counter()
    stack = []

    def flush():
        if not stack:
            return
        group = "Swift runtime, libc and kernel only (task scheduling, allocation, syscalls)"
        for symbol in stack:
            module = swift_module(symbol)
            if module in MODULE_GROUP:
                group = MODULE_GROUP[module]
                break
            if module:
                group = f"other Swift module {module}"
                break
        counts[group] += 1
        stack.clear()

    for line in read(f"{folder}/{system}.server-stacks").splitlines():
        if not line.strip():
            flush()
        elif line.startswith(("\t", " ")) and re.match(r"^\s+[0-9a-f]+\s", line):
            parts = line.split(None, 1)
            stack.append(parts[1].strip() if len(parts) > 1 else "")
        else:
            flush()
    flush()
    total = sum(counts.values()) or 1
    return [(group, n * 100 / total) for group, n in counts.most_common()]


def main():
    folder, clients, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    server_pid = int(read(f"{folder}/server-pid", "0").strip() or 0)
    out = [f"# Where the time goes at {clients} clients\n",
           f"Produced by `scripts/bench-profile --clients {clients} --seconds {window}`: each system under load, "
           "three windows of that many seconds (CPU accounting, `perf sched`, `perf record -e cpu-clock`).\n"]
    rows = []
    for system in SYSTEMS:
        _, latency, client_cpu = load_result(folder, system)
        cpu = json.loads(read(f"{folder}/{system}.cpu.json", "{}") or "{}")
        written = read(f"{folder}/{system}.rows", "").strip()
        rate = int(written) / cpu["seconds"] if written and cpu.get("seconds") else None
        rows.append((system, rate, latency, cpu, client_cpu))
    out.append("## CPU\n")
    out.append("| system | per second (this window) | latency (whole load, perf windows included) | server cores | PostgreSQL cores | load generator and rest | idle cores "
               "| server CPU per command | PostgreSQL CPU per command |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for system, rate, latency, cpu, _ in rows:
        per = lambda cores: f"{cores * 1000 / rate:.2f} ms" if rate else "–"
        label = "p50" if system == "tideline" else "mean"
        out.append(f"| {system} | {rate or 0:,.0f} | {label} {latency or 0:.2f} ms | {cpu.get('server_cores', 0):.2f} "
                   f"| {cpu.get('postgres_cores', 0):.2f} | {cpu.get('other_cores', 0):.2f} | {cpu.get('idle_cores', 0):.2f} "
                   f"| {per(cpu.get('server_cores', 0)) if system == 'tideline' else '–'} | {per(cpu.get('postgres_cores', 0))} |")
    out.append(f"\nThe machine has {rows[0][3].get('cores', '?')} cores. During pgbench the server is idle but running.\n")

    out.append("## Scheduler (off-CPU)\n")
    out.append("Per component, summed over its threads and divided by the window: threads *running*, threads "
               "*runnable but waiting for a core* (the CPU is what they lack), threads *asleep* (waiting on a "
               "socket, a lock or the disk).\n")
    out.append("| system | component | threads seen | running | waiting for a core | asleep |")
    out.append("|---|---|---|---|---|---|")
    sleeps = {}
    for system in SYSTEMS:
        totals, reasons, threads = scheduler(folder, system, server_pid)
        sleeps[system] = reasons
        for component in COMPONENTS:
            t = totals[component]
            if not threads[component]:
                continue
            ms = window * 1000
            out.append(f"| {system} | {component} | {len(threads[component])} | {t['run'] / ms:.2f} "
                       f"| {t['delay'] / ms:.2f} | {t['wait'] / ms:.2f} |")
    for system in SYSTEMS:
        for component, reasons in sleeps[system].items():
            total = sum(reasons.values())
            if not total:
                continue
            out.append(f"\n**{system}, {component}: where its threads sleep** (share of its sleeping time)\n")
            for reason, ms in reasons.most_common(6):
                out.append(f"- {ms / total * 100:.1f} % {reason}")

    out.append("\n## On-CPU (cpu-clock samples, whole machine)\n")
    for system in SYSTEMS:
        shares, symbols = on_cpu(folder, system, server_pid)
        split = ", ".join(f"{c} {shares[c]:.1f} %" for c in COMPONENTS + ("idle",) if shares[c])
        out.append(f"**{system}**: {split}\n")
        for component in ("server", "postgres", "client"):
            if not symbols[component]:
                continue
            top = "; ".join(f"`{s[:70]}` {v:.1f} %" for s, v in symbols[component].most_common(8))
            out.append(f"- {component}, top functions: {top}")
        out.append("")
        modules = server_by_module(folder, system)
        if modules and system == "tideline":
            out.append("The server's samples by whose code was running (innermost frame outside the Swift runtime, "
                       "standard library, libc and kernel):\n")
            for group, share in modules:
                out.append(f"- {share:.1f} % {group}")
            out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
