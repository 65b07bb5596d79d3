#!/usr/bin/env python3
"""Runs one tool once with JSON output and prints a checksum of what it found.

The checksum is a sha256 of the sorted (rule, path, line) tuples, so a change in what a
leakhound build detects on a corpus shows as a different checksum between two runs of the
benchmark. The tools differ from one another by design: compare a tool only with itself.

usage: findings.py RESULTS.jsonl ROW TOOL ROOT REPORT -- COMMAND ...
COMMAND writes its JSON report to REPORT (or to stdout when REPORT is `-`); paths are made
relative to ROOT. The count and checksum are appended to RESULTS as a `findings` entry.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

RULE = ("rule", "rule_id", "RuleID", "id")
PATH = ("path", "file", "File", "filename")
LINE = ("line", "start_line", "StartLine", "line_number")


def first(obj, keys):
    for key in keys:
        if isinstance(obj, dict) and key in obj and not isinstance(obj[key], (dict, list)):
            return obj[key]
    return None


def flat(obj, out, depth=0):
    """Every scalar under nested dicts, first occurrence of each key (shallowest first)."""
    if depth > 4 or not isinstance(obj, dict):
        return out
    for k, v in obj.items():
        if not isinstance(v, (dict, list)):
            out.setdefault(k, v)
    for k, v in obj.items():
        if isinstance(v, dict):
            flat(v, out, depth + 1)
        elif isinstance(v, list) and v and isinstance(v[0], dict) and k in ("locations", "matches"):
            flat(v[0], out, depth + 1)
    return out


def findings(doc):
    """The list of findings in a report: leakhound's {findings: [...]}, kingfisher's and
    betterleaks' top-level lists (or their `findings`/`matches`)."""
    if isinstance(doc, dict):
        for key in ("findings", "matches", "results"):
            if isinstance(doc.get(key), list):
                return doc[key]
        return []
    return doc if isinstance(doc, list) else []


def tuples(doc, root):
    out = []
    for f in findings(doc):
        fields = flat(f, {})
        rule = first(fields, RULE)
        if isinstance(f.get("rule"), dict):  # kingfisher: {rule: {id, name}, finding: {...}}
            rule = f["rule"].get("id") or f["rule"].get("name")
        path = str(first(fields, PATH) or "")
        if root and path.startswith(root):
            path = os.path.relpath(path, root)
        line = first(fields, LINE)
        out.append((str(rule), path, int(line) if str(line).isdigit() else 0))
    return sorted(out)


def load(text):
    text = text.strip()
    if not text:
        return []
    try:
        return json.loads(text)
    except json.JSONDecodeError:  # JSON lines
        return [json.loads(line) for line in text.splitlines() if line.strip().startswith("{")]


def main():
    results, row, tool, root, report = sys.argv[1:6]
    command = " ".join(sys.argv[sys.argv.index("--") + 1 :])
    root = os.path.abspath(root) if root != "-" else ""
    with tempfile.TemporaryFile() as out:
        code = subprocess.run(["sh", "-c", command], stdout=out, stderr=subprocess.DEVNULL).returncode
        out.seek(0)
        text = out.read().decode(errors="replace") if report == "-" else ""
    def failed(why):
        """A run without a usable report is recorded as such, never as a checksum of []."""
        print(f"  {tool:<12} findings: {why}", file=sys.stderr)
        with open(results, "a") as f:
            f.write(json.dumps({"row": row, "tool": tool, "kind": "findings", "count": None,
                                "sha256": why, "exit": code, "command": command}) + "\n")

    if code == 124:  # stopped by `timeout`
        return failed("timed out")
    # 0 and 1: clean and found (leakhound, gitleaks, betterleaks); 200 and 205: kingfisher.
    if code not in (0, 1, 200, 205):
        return failed(f"failed (exit {code})")
    if report != "-":
        try:
            with open(report, errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return failed(f"no report written (exit {code})")
    try:
        found = tuples(load(text), root)
    except (ValueError, AttributeError) as e:
        return failed(f"unreadable report (exit {code}): {e}")
    digest = hashlib.sha256(json.dumps(found).encode()).hexdigest()
    entry = {"row": row, "tool": tool, "kind": "findings", "count": len(found), "sha256": digest,
             "exit": code, "command": command}
    with open(results, "a") as f:
        f.write(json.dumps(entry) + "\n")
    print(f"  {tool:<12} findings: {len(found)}  sha256 {digest[:16]}", file=sys.stderr)


if __name__ == "__main__":
    main()
