#!/usr/bin/env python3
"""Precision of leakhound on the wild corpus: joins wild-work/findings.jsonl (run.sh) with the
hand labels in scripts/wild/labels.csv by (package, path, line, rule_id).

Prints the overall precision (real / labelled findings), the precision per rule and per
confidence level (when findings carry `confidence`), the count per reason class, the
unlabelled findings (a rule change that makes new findings shows here) and the labels that no
finding matches any more (a rule change that removed a finding, good or bad).

Exit status: 0 when every finding is labelled and the precision is at least --min-precision;
1 otherwise; 2 on bad input.

usage: scripts/wild/precision.py [MIN_PRECISION] [--confidence low|medium|high]
                                 [--findings FILE] [--labels FILE] [--stale-fails]
  MIN_PRECISION   e.g. 0.5 (default 0: only the labels are checked)
  --confidence L  only findings at confidence L or above (as `leakhound --confidence L` would
                  report them); ignored, with a note, when findings carry no confidence
"""
import argparse
import collections
import csv
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEVELS = {"low": 0, "medium": 1, "high": 2}
VERDICTS = {"real", "false"}
REASONS = {"test-fixture", "docs-example", "commented-out", "reference", "placeholder",
           "elided-key", "not-k8s-yaml", "expression", "word", "wrong-extraction", "hash",
           "public-by-design", "real"}



def named(finding):
    """A finding inside an archive is labelled at `archive!member`, as its fingerprint names it."""
    if finding.get("member"):
        finding["path"] = f'{finding["path"]}!{finding["member"]}'
    return finding

def load_labels(path):
    labels = {}
    with open(path, newline="") as f:
        rows = csv.DictReader(f)
        want = ["package", "path", "line", "rule_id", "verdict", "reason"]
        if rows.fieldnames != want:
            sys.exit(f"{path}: columns must be {','.join(want)}")
        for n, r in enumerate(rows, start=2):
            if r["verdict"] not in VERDICTS:
                sys.exit(f"{path}:{n}: verdict must be real or false, not {r['verdict']!r}")
            if r["reason"] not in REASONS:
                print(f"note: {path}:{n}: reason {r['reason']!r} is not one of the classes",
                      file=sys.stderr)
            key = (r["package"], r["path"], int(r["line"]), r["rule_id"])
            if key in labels and labels[key] != (r["verdict"], r["reason"]):
                sys.exit(f"{path}:{n}: labelled twice, differently: {key}")
            labels[key] = (r["verdict"], r["reason"])
    return labels


def held_out_sets(lock):
    """Folder names of the packages after each of the lock file's `# Held out` lines, by set
    (1, 2, ...): each set was added after the rules were tuned on everything before it, so its
    first figure is the one the rules were not fitted to."""
    sets, current = {}, 0
    with open(lock) as f:
        for line in f:
            if line.startswith("# Held out"):
                current += 1
            elif current and line.strip() and not line.startswith("#"):
                eco, name, version = line.split("\t")[:3]
                folder = f"{eco}-{name.replace('@', '').replace('/', '+')}-{version.replace(':', '_')}"
                sets[folder] = current
    return sets


def pct(real, n):
    return f"{100.0 * real / n:5.1f}%" if n else "    -"


def table(title, rows, head):
    print(f"\n{title}")
    w = max([len(head)] + [len(str(k)) for k, _, _ in rows])
    print(f"  {head:<{w}}  findings   real  precision")
    for k, n, real in rows:
        print(f"  {str(k):<{w}}  {n:8d}  {real:5d}  {pct(real, n)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("min_precision", nargs="?", type=float, default=0.0)
    ap.add_argument("--confidence", choices=sorted(LEVELS, key=LEVELS.get))
    ap.add_argument("--findings", default=os.path.join(ROOT, "wild-work", "findings.jsonl"))
    ap.add_argument("--labels", default=os.path.join(ROOT, "scripts", "wild", "labels.csv"))
    ap.add_argument("--part", choices=["all", "tuned", "held-out", "held-out-2", "held-out-3", "held-out-4"],
                    default="all",
                    help="held-out, held-out-2 .. held-out-4: only the packages after packages.tsv's "
                         "first, second, third or fourth '# Held out' line; tuned: only those "
                         "before the first")
    ap.add_argument("--stale-fails", action="store_true",
                    help="also fail when a label matches no finding")
    a = ap.parse_args()

    labels = load_labels(a.labels)
    findings = []
    with open(a.findings) as f:
        for line in f:
            if line.strip():
                findings.append(named(json.loads(line)))
    if a.part != "all":
        sets = held_out_sets(os.path.join(ROOT, "scripts", "wild", "packages.tsv"))
        want = {"tuned": 0, "held-out": 1, "held-out-2": 2, "held-out-3": 3, "held-out-4": 4}[a.part]
        findings = [x for x in findings if sets.get(x["package"], 0) == want]
        labels = {k: v for k, v in labels.items() if sets.get(k[0], 0) == want}
    has_conf = any("confidence" in x for x in findings)
    if a.confidence and not has_conf:
        print(f"note: the findings carry no confidence; --confidence {a.confidence} ignored")
    all_findings = findings
    if a.confidence and has_conf:
        floor = LEVELS[a.confidence]
        findings = [x for x in findings if LEVELS.get(x.get("confidence"), 0) >= floor]

    by_rule = collections.defaultdict(lambda: [0, 0])
    by_conf = collections.defaultdict(lambda: [0, 0])
    by_reason = collections.Counter()
    by_pkg = collections.defaultdict(lambda: [0, 0])
    unlabelled = []
    seen = set()
    real = total = 0
    for x in findings:
        key = (x["package"], x["path"], int(x["line"]), x["rule_id"])
        if key not in labels:
            unlabelled.append(x)
            continue
        seen.add(key)
        verdict, reason = labels[key]
        ok = verdict == "real"
        total += 1
        real += ok
        for d, k in ((by_rule, x["rule_id"]), (by_conf, x.get("confidence", "-")),
                     (by_pkg, x["package"])):
            d[k][0] += 1
            d[k][1] += ok
        by_reason[(reason, verdict)] += 1
    matched_any = {(x["package"], x["path"], int(x["line"]), x["rule_id"]) for x in all_findings}
    stale = sorted(k for k in labels if k not in matched_any)

    scope = f" at confidence >= {a.confidence}" if a.confidence and has_conf else ""
    if a.part != "all":
        scope += f" ({a.part} packages)"
    print(f"wild corpus{scope}: {len(findings)} findings, {total} labelled, "
          f"{real} real, {total - real} false")
    print(f"overall precision: {pct(real, total).strip()}")
    table("per rule", sorted(((k, n, r) for k, (n, r) in by_rule.items()),
                             key=lambda t: (-t[1], t[0])), "rule")
    if has_conf:
        table("per confidence", sorted(((k, n, r) for k, (n, r) in by_conf.items()),
                                       key=lambda t: -LEVELS.get(t[0], -1)), "confidence")
    table("per package", sorted(((k, n, r) for k, (n, r) in by_pkg.items()),
                                key=lambda t: (-t[1], t[0])), "package")
    print("\nper reason class")
    for (reason, verdict), n in sorted(by_reason.items(), key=lambda t: (-t[1], t[0])):
        print(f"  {reason:<18} {verdict:<5} {n:6d}")

    if unlabelled:
        print(f"\n{len(unlabelled)} unlabelled findings (label them in {os.path.relpath(a.labels)}):")
        for x in unlabelled:
            print(f"  {x['package']},{x['path']},{x['line']},{x['rule_id']}"
                  f"  [{x.get('confidence', '-')}]")
    if stale:
        print(f"\n{len(stale)} labels match no finding any more:")
        for k in stale:
            print(f"  {k[0]},{k[1]},{k[2]},{k[3]}  ({labels[k][0]}, {labels[k][1]})")

    fail = bool(unlabelled) or (stale and a.stale_fails)
    if total and real / total < a.min_precision:
        print(f"\nprecision {real / total:.3f} is below {a.min_precision}")
        fail = True
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
