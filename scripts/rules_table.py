#!/usr/bin/env python3
"""Writes the README's table of built-in rules by provider, generated from rules/*.toml.

usage: scripts/rules_table.py            # rewrite the table in README.md
       scripts/rules_table.py --check    # exit 1 if README.md's table is out of date

The table sits between the markers <!-- rules-table --> and <!-- /rules-table -->.
"""
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- rules-table -->", "<!-- /rules-table -->"


def table() -> str:
    rows, total = [], 0
    for path in sorted((ROOT / "rules").glob("*.toml")):
        rules = tomllib.loads(path.read_text()).get("rules", [])
        total += len(rules)
        ids = ", ".join(f"`{r['id']}`" for r in rules)
        rows.append(f"| {path.stem} | {len(rules)} | {ids} |")
    head = f"{total} rules in {len(rows)} files.\n\n| file | rules | ids |\n|---|---:|---|"
    return "\n".join([head, *rows])


def main() -> int:
    readme = ROOT / "README.md"
    text = readme.read_text()
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    new = f"{before}{START}\n{table()}\n{END}{after}"
    if "--check" in sys.argv:
        if new != text:
            print("README.md's rules table is out of date: run scripts/rules_table.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
