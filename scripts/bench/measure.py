#!/usr/bin/env python3
"""Runs the commands of one benchmark row several times each, in turn, and records each one's
median wall time, CPU time and peak RSS.

Why not hyperfine: it does not report peak memory, and `/usr/bin/time -v` is one more parse.
`os.wait4` hands back the child's rusage directly (user + system CPU, max RSS), so one run
gives all three numbers. One untimed warm-up run of each fills the page cache first: every
tool, the floors included, is measured on warm caches. The timed runs go in turn (every
command once, then every command again): on a shared machine whose speed drifts within a row,
one tool timed after another would take the drift into the ratio.

usage: measure.py RESULTS.jsonl ROW RUNS [LONG [TIMEOUT]] -- TOOL COMMAND [-- TOOL COMMAND ...]
LONG (seconds): a command whose warm-up run took longer than that is not run again; the warm-up
is its one measured run (on data this large, earlier tools have warmed the caches anyway).
TIMEOUT (seconds): a run still going then is stopped and recorded as timed out.
The load average before and after each tool's runs is recorded too.
Each COMMAND is one string run through `sh -c` (the floors are pipelines), in the current
directory, with stdout and stderr sent to /dev/null. Exit codes 0 and 1 (findings), and 200
and 205 (kingfisher's "findings"), count as success.
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


def record(results, entry):
    with open(results, "a") as out:
        out.write(json.dumps(entry) + "\n")


def main():
    args = sys.argv[1:]
    dash = args.index("--")
    results, row, runs, *limits = args[:dash]
    long_run = float(limits[0]) if limits else None
    timeout = float(limits[1]) if len(limits) > 1 else None
    runs = int(runs)
    tools = []
    rest = args[dash:]
    while rest:
        # "--", TOOL, COMMAND: bench.sh passes each command as one string.
        tools.append({"tool": rest[1], "command": rest[2], "samples": []})
        rest = rest[3:]
    for t in tools:
        t["load_before"] = loadavg()
        warm = run_once(t["command"], timeout)
        t["code"] = warm[3]
        if t["code"] not in (0, 1, 200, 205):
            t["failed"] = str(t["code"])
            print(f"  {t['tool']:<12} FAILED (exit {t['code']}, {warm[0]:.0f} s): {t['command']}",
                  file=sys.stderr)
            record(results, {"row": row, "tool": t["tool"], "command": t["command"],
                             "failed": t["failed"], "wall": warm[0],
                             "load": [t["load_before"], loadavg()]})
        elif long_run is not None and warm[0] > long_run:
            t["samples"] = [warm]
            t["long"] = True
    timed = [t for t in tools if "failed" not in t and not t.get("long")]
    for _ in range(runs):
        for t in timed:
            t["samples"].append(run_once(t["command"], timeout))
    for t in tools:
        if "failed" in t:
            continue
        samples = t["samples"]
        bad = [s[3] for s in samples if s[3] != t["code"]]
        if bad:  # a timed run that failed or timed out is not a sample of the same work
            print(f"  {t['tool']:<12} FAILED (exit {bad[0]} in a timed run): {t['command']}",
                  file=sys.stderr)
            record(results, {"row": row, "tool": t["tool"], "command": t["command"],
                             "failed": str(bad[0]), "load": [t["load_before"], loadavg()]})
            continue
        entry = {
            "row": row,
            "tool": t["tool"],
            "command": t["command"],
            "runs": len(samples),
            "wall": statistics.median(s[0] for s in samples),
            "wall_min": min(s[0] for s in samples),
            "cpu": statistics.median(s[1] for s in samples),
            "rss": max(s[2] for s in samples),
            "exit": t["code"],
            "load": [t["load_before"], loadavg()],
        }
        record(results, entry)
        print(
            f"  {t['tool']:<12} {entry['wall']:8.3f} s wall  {entry['cpu']:8.3f} s cpu  "
            f"{entry['rss'] / 2**20:7.1f} MB  ({entry['runs']} runs, load {t['load_before']:.1f})",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
