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
    rows, found, failed = {}, [], []
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("kind") == "findings":
                found.append(e)
            elif "failed" in e:
                failed.append(e)
            else:
                rows.setdefault(e["row"], {})[e["tool"]] = e
    return rows, found, failed


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
        load = "–".join(f"{x:.1f}" for x in tool.get("load", []))
        print(
            f"| {name} | {tool['tool']} | {tool['wall']:.3f} | {tool['cpu']:.3f} | "
            f"{tool['rss'] / 2**20:.0f} | {vs_floor} | {vs_peer} | {tool.get('runs', '')} | {load} |"
        )


def main():
    rows, found, failed = load(sys.argv[1])
    print("| corpus, mode | tool | wall s (median) | CPU s | peak RSS MB | / floor | leakhound / fastest peer | runs | load avg before–after |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for name, tools in rows.items():
        print_row(name, tools)
    for e in failed:
        print(f"| {e['row']} | {e['tool']} | failed ({e['failed']}) after {e['wall']:.0f} s | | | | | | |")
    if found:
        print()
        print("| corpus, mode | tool | findings | sha256 of sorted (rule, path, line) |")
        print("|---|---|---:|---|")
        for e in found:
            digest = e["sha256"] if e["count"] is None else f"`{e['sha256'][:16]}`"
            print(f"| {e['row']} | {e['tool']} | {e['count']} | {digest} |")


if __name__ == "__main__":
    main()
