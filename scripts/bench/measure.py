#!/usr/bin/env python3
"""Runs one command several times and records its median wall time, CPU time and peak RSS.

Why not hyperfine: it does not report peak memory, and `/usr/bin/time -v` is one more parse.
`os.wait4` hands back the child's rusage directly (user + system CPU, max RSS), so one run
gives all three numbers. One untimed warm-up run fills the page cache first: every tool, the
floors included, is measured on warm caches.

usage: measure.py RESULTS.jsonl ROW TOOL RUNS -- COMMAND ...
The command runs through `sh -c` (the floors are pipelines), in the current directory, with
stdout and stderr sent to /dev/null. Exit codes 0 and 1 (findings), and 200 and 205 (kingfisher's "findings"), count as success.
"""

import json
import os
import statistics
import subprocess
import sys
import time


def run_once(command):
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(["sh", "-c", command], stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    # ru_maxrss of `sh -c` covers the largest of its children (kilobytes on Linux).
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code


def main():
    results, row, tool, runs = sys.argv[1:5]
    command = " ".join(sys.argv[sys.argv.index("--") + 1 :])
    runs = int(runs)
    _, _, _, code = run_once(command)
    if code not in (0, 1, 200, 205):
        print(f"  {tool:<12} FAILED (exit {code}): {command}", file=sys.stderr)
        return
    samples = [run_once(command) for _ in range(runs)]
    entry = {
        "row": row,
        "tool": tool,
        "command": command,
        "runs": runs,
        "wall": statistics.median(s[0] for s in samples),
        "wall_min": min(s[0] for s in samples),
        "cpu": statistics.median(s[1] for s in samples),
        "rss": max(s[2] for s in samples),
        "exit": code,
    }
    with open(results, "a") as out:
        out.write(json.dumps(entry) + "\n")
    print(
        f"  {tool:<12} {entry['wall']:8.3f} s wall  {entry['cpu']:8.3f} s cpu  "
        f"{entry['rss'] / 2**20:7.1f} MB",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
