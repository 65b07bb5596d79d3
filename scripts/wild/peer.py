#!/usr/bin/env python3
"""Recall against a peer on the wild corpus: what kingfisher finds there, set beside
leakhound's labelled findings (wild-work/findings.jsonl from run.sh, labels.csv).

usage: scripts/wild/peer.py [KINGFISHER_JSON]

Without an argument it runs kingfisher (KF=path, default: the one scripts/bench.sh installs in
bench-work/venv) over wild-work/pkgs and writes wild-work/kingfisher.json. A peer finding is
"shared" when leakhound has a finding in the same file whose lines are within one of it. The
peer's other findings are listed by rule and place (no secret is printed) to be read by hand;
leakhound's real findings the peer has nothing near are counted by rule.
"""
import collections
import csv
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
WILD = os.path.join(ROOT, "wild-work")
PKGS = os.path.join(WILD, "pkgs")



def named(finding):
    """A finding inside an archive, at `archive!member` as labels.csv names it."""
    if finding.get("member"):
        finding["path"] = f'{finding["path"]}!{finding["member"]}'
    return finding

def kingfisher():
    kf = os.environ.get("KF") or next(
        iter(glob.glob(os.path.join(ROOT, "bench-work/venv/**/kingfisher/bin/kingfisher"),
                       recursive=True)), None)
    if not kf:
        sys.exit("no kingfisher: set KF, or run scripts/bench.sh once to install it")
    out = os.path.join(WILD, "kingfisher.json")
    subprocess.run([kf, "scan", PKGS, "--no-validate", "--no-update-check", "-q",
                    "-f", "json", "-o", out], check=False, stdout=subprocess.DEVNULL)
    return out


def main():
    report = sys.argv[1] if len(sys.argv) > 1 else kingfisher()
    peer = json.load(open(report))["findings"]
    ours = [named(json.loads(line)) for line in open(os.path.join(WILD, "findings.jsonl"))]
    labels = {}
    for row in csv.DictReader(open(os.path.join(ROOT, "scripts/wild/labels.csv"))):
        key = (row["package"], row["path"], int(row["line"]), row["rule_id"])
        labels[key] = row["verdict"]
    by_file = collections.defaultdict(list)
    for f in ours:
        by_file[(f["package"], f["path"])].append(f)

    def place(p):
        rel = os.path.relpath(os.path.abspath(p["finding"]["path"]), PKGS)
        package, _, path = rel.partition(os.sep)
        return package, path, p["finding"]["line"]

    def near(f, line):
        return f["line"] - 1 <= line <= f["end_line"] + 1

    shared, alone = [], []
    for p in peer:
        package, path, line = place(p)
        mine = [f for f in by_file[(package, path)] if near(f, line)]
        (shared if mine else alone).append((p, mine))
    verdicts = collections.Counter(
        "real" if any(labels.get((f["package"], f["path"], f["line"], f["rule_id"])) == "real"
                      for f in mine) else "false"
        for _, mine in shared)
    print(f"kingfisher: {len(peer)} findings; {len(shared)} where leakhound reports too "
          f"({verdicts['real']} at a line labelled real, {verdicts['false']} false); "
          f"{len(alone)} leakhound has nothing near")
    for p, _ in alone:
        package, path, line = place(p)
        print(f"  only kingfisher: {p['rule']['id']}  {package}/{path}:{line}")
    peer_at = collections.defaultdict(list)
    for p in peer:
        package, path, line = place(p)
        peer_at[(package, path)].append(line)
    for level in ("medium", "low"):
        keep = {"medium": ("medium", "high"), "low": ("low", "medium", "high")}[level]
        real = [f for f in ours if f["confidence"] in keep
                and labels.get((f["package"], f["path"], f["line"], f["rule_id"])) == "real"]
        missed = [f for f in real
                  if not any(near(f, line) for line in peer_at[(f["package"], f["path"])])]
        rules = collections.Counter(f["rule_id"] for f in missed)
        print(f"leakhound at confidence >= {level}: {len(real)} real findings, "
              f"{len(real) - len(missed)} also found by kingfisher, {len(missed)} not "
              f"({', '.join(f'{r} {n}' for r, n in rules.most_common())})")


if __name__ == "__main__":
    main()
