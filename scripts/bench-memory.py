#!/usr/bin/env python3
"""Splits heaptrack's peak memory (collapsed stacks, `heaptrack_print -F --flamegraph-cost-type
peak`) per connection: Swift async task stacks, by the innermost frame that is not the runtime,
and the rest of the heap, by allocating frame. Used by scripts/bench-memory.

    bench-memory.py STACKS RESULT_JSON
"""
import collections
import json
import subprocess
import sys

RUNTIME = ("swift::", "swift_", "_dispatch", "start_thread", "clone", "runJob", "malloc", "operator new", "calloc", "realloc")


def innermost_own_frame(frames):
    for frame in reversed(frames[:-1]):
        if not frame.startswith(RUNTIME) and not any(r in frame for r in RUNTIME):
            return frame.split(" ")[0]
    return "?"


def demangle(names):
    try:
        out = subprocess.run(["swift", "demangle", "--simplified", "--compact"], input="\n".join(names),
                             capture_output=True, text=True, check=True).stdout.splitlines()
        return out if len(out) == len(names) else names
    except (OSError, subprocess.CalledProcessError):
        return names


def main():
    stacks_path, result = sys.argv[1], json.loads(sys.argv[2])
    count = result.get("opened") or result.get("count")
    task_stacks, heap = collections.Counter(), collections.Counter()
    for line in open(stacks_path):
        stack, _, cost = line.rstrip().rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        target = task_stacks if "StackAllocator" in stack else heap
        target[innermost_own_frame(frames)] += int(cost)
    total = sum(task_stacks.values()) + sum(heap.values())
    print(f"# Memory per idle {result.get('kind', '?')} connection\n")
    print(f"{count:,} idle connections. Server RSS per connection: "
          f"{result.get('bytes_per_connection', 0) / 1024:.1f} KB; heaptrack's peak heap per connection: "
          f"{total / count / 1024:.1f} KB, of which async task stacks "
          f"{sum(task_stacks.values()) / count / 1024:.1f} KB and the rest of the heap {sum(heap.values()) / count / 1024:.1f} KB.\n")
    for title, counter in (("Async task stacks, by innermost frame", task_stacks), ("Rest of the heap, by allocating frame", heap)):
        top = counter.most_common(15)
        names = demangle([name for name, _ in top])
        print(f"## {title}\n")
        print("| bytes per connection | frame |")
        print("|---|---|")
        for (name, cost), readable in zip(top, names):
            print(f"| {cost / count:,.0f} | `{readable[:160]}` |")
        print()


if __name__ == "__main__":
    main()
