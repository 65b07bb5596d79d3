#!/usr/bin/env python3
"""Turns the measurements of one benchmark run into a markdown table.

usage: table.py RESULTS.jsonl
Each row (a corpus and mode) lists leakhound, the floor for that data and every peer measured,
with two ratios: against the floor (how close to reading the data at all) and, for leakhound,
against the fastest peer (the issue's target is at most 0.5).
"""

import json
import sys

FLOORS = {"cat", "cat-file", "git-log-p", "git-diff"}
ORDER = ["leakhound", "cat", "cat-file", "git-log-p", "git-diff"]


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            rows.setdefault(e["row"], {})[e["tool"]] = e
    return rows


def rank(tool):
    return ORDER.index(tool) if tool in ORDER else len(ORDER)


def ratio(a, b):
    return f"{a / b:.2f}×" if b else ""


def print_row(name, tools):
    floor = next((t for t in tools.values() if t["tool"] in FLOORS), None)
    peers = [t for t in tools.values() if t["tool"] not in FLOORS | {"leakhound"}]
    fastest = min(peers, key=lambda t: t["wall"], default=None)
    for tool in sorted(tools.values(), key=lambda t: (rank(t["tool"]), t["wall"])):
        vs_floor = ratio(tool["wall"], floor["wall"]) if floor and tool is not floor else ""
        vs_peer = ""
        if tool["tool"] == "leakhound" and fastest:
            vs_peer = f"{ratio(tool['wall'], fastest['wall'])} ({fastest['tool']})"
        print(
            f"| {name} | {tool['tool']} | {tool['wall']:.3f} | {tool['cpu']:.3f} | "
            f"{tool['rss'] / 2**20:.0f} | {vs_floor} | {vs_peer} |"
        )


def main():
    rows = load(sys.argv[1])
    print("| corpus, mode | tool | wall s (median) | CPU s | peak RSS MB | / floor | leakhound / fastest peer |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, tools in rows.items():
        print_row(name, tools)


if __name__ == "__main__":
    main()
