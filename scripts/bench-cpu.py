#!/usr/bin/env python3
"""scripts/bench-cpu.py: who used the CPU during a measurement (Linux /proc only).

    bench-cpu.py mark --server PID --postgres PID > MARK.json
    bench-cpu.py since MARK.json --server PID --postgres PID     prints a JSON object

`since` reports cores used on average since the mark:
  server_cores    the server process, all its threads
  postgres_cores  the postmaster and every backend: live children, plus the children it reaped
                  (a connection that closed during the window still counts, through cutime/cstime)
  machine_cores   every CPU-busy jiffy of the machine (/proc/stat), the load generator included
  other_cores     machine minus server minus PostgreSQL: the load generator and anything else
  idle_cores      the cores nobody used
On a machine with 2 cores, idle near 0 means the run was CPU-bound, whoever the user was.
"""
import argparse
import json
import os
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_seconds(pid, with_reaped_children=False):
    # After "pid (comm) ": state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14].
    fields = stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields is not None and fields[1] == str(pid):
                found.append(int(entry))
    return found


def postgres_seconds(postmaster):
    return process_seconds(postmaster, with_reaped_children=True) + sum(
        process_seconds(child) for child in children(postmaster))


def machine_jiffies():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]   # idle + iowait
    return sum(values) - idle, sum(values)


def mark(args):
    busy, total = machine_jiffies()
    return {"wall": time.monotonic(), "server": process_seconds(args.server),
            "postgres": postgres_seconds(args.postgres), "machine_busy": busy, "machine_total": total}


def since(args):
    with open(args.mark) as f:
        start = json.load(f)
    now = mark(args)
    wall = now["wall"] - start["wall"]
    cores = os.cpu_count()
    busy_share = (now["machine_busy"] - start["machine_busy"]) / max(now["machine_total"] - start["machine_total"], 1)
    server = (now["server"] - start["server"]) / wall
    postgres = (now["postgres"] - start["postgres"]) / wall
    machine = busy_share * cores
    r = lambda v: round(v, 3)
    return {"seconds": r(wall), "cores": cores, "server_cores": r(server), "postgres_cores": r(postgres),
            "machine_cores": r(machine), "other_cores": r(max(machine - server - postgres, 0)),
            "idle_cores": r(cores - machine)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb in ("mark", "since"):
        p = sub.add_parser(verb)
        if verb == "since":
            p.add_argument("mark")
        p.add_argument("--server", type=int, default=0, help="the server's pid (0: none)")
        p.add_argument("--postgres", type=int, required=True, help="the postmaster's pid")
    args = parser.parse_args()
    print(json.dumps(mark(args) if args.verb == "mark" else since(args)))


if __name__ == "__main__":
    sys.exit(main())
