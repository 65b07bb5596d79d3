#!/usr/bin/env python3
"""Runs one command several times and records its median wall time, CPU time and peak RSS.

Why not hyperfine: it does not report peak memory, and `/usr/bin/time -v` is one more parse.
`os.wait4` hands back the child's rusage directly (user + system CPU, max RSS), so one run
gives all three numbers. One untimed warm-up run fills the page cache first: every tool, the
floors included, is measured on warm caches.

usage: measure.py RESULTS.jsonl ROW TOOL RUNS [LONG [TIMEOUT]] -- COMMAND ...
LONG (seconds): a command whose warm-up run took longer than that is not run again; the warm-up
is its one measured run (on data this large, earlier tools have warmed the caches anyway).
TIMEOUT (seconds): a run still going then is stopped and recorded as timed out.
The load average before and after the timed runs is recorded too.
The command runs through `sh -c` (the floors are pipelines), in the current directory, with
stdout and stderr sent to /dev/null. Exit codes 0 and 1 (findings), and 200 and 205 (kingfisher's "findings"), count as success.
"""

import json
import os
import statistics
import subprocess
import sys
import time


def run_once(command, timeout=None):
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(["sh", "-c", command], stdout=null, stderr=null,
                                start_new_session=True)
        timer = None
        if timeout:
            import threading

            timer = threading.Timer(timeout, lambda: os.killpg(proc.pid, 9))
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        if timer:
            timer.cancel()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if timeout and wall >= timeout:
        code = "timeout"
    # ru_maxrss of `sh -c` covers the largest of its children (kilobytes on Linux).
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def main():
    dash = sys.argv.index("--")
    results, row, tool, runs, *limits = sys.argv[1:dash]
    long_run = float(limits[0]) if limits else None
    timeout = float(limits[1]) if len(limits) > 1 else None
    command = " ".join(sys.argv[dash + 1 :])
    runs = int(runs)
    load_before = loadavg()
    warm = run_once(command, timeout)
    code = warm[3]
    if code not in (0, 1, 200, 205):
        print(f"  {tool:<12} FAILED (exit {code}, {warm[0]:.0f} s): {command}", file=sys.stderr)
        with open(results, "a") as out:
            out.write(json.dumps({"row": row, "tool": tool, "command": command, "failed": str(code),
                                  "wall": warm[0], "load": [load_before, loadavg()]}) + "\n")
        return
    if long_run is not None and warm[0] > long_run:
        samples = [warm]
    else:
        samples = [run_once(command, timeout) for _ in range(runs)]
    bad = [s[3] for s in samples if s[3] != code]
    if bad:  # a timed run that failed or timed out is not a sample of the same work
        print(f"  {tool:<12} FAILED (exit {bad[0]} in a timed run): {command}", file=sys.stderr)
        with open(results, "a") as out:
            out.write(json.dumps({"row": row, "tool": tool, "command": command,
                                  "failed": str(bad[0]), "load": [load_before, loadavg()]}) + "\n")
        return
    entry = {
        "row": row,
        "tool": tool,
        "command": command,
        "runs": len(samples),
        "wall": statistics.median(s[0] for s in samples),
        "wall_min": min(s[0] for s in samples),
        "cpu": statistics.median(s[1] for s in samples),
        "rss": max(s[2] for s in samples),
        "exit": code,
        "load": [load_before, loadavg()],
    }
    with open(results, "a") as out:
        out.write(json.dumps(entry) + "\n")
    print(
        f"  {tool:<12} {entry['wall']:8.3f} s wall  {entry['cpu']:8.3f} s cpu  "
        f"{entry['rss'] / 2**20:7.1f} MB  ({entry['runs']} runs, load {load_before:.1f})",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
