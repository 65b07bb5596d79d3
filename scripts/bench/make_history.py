#!/usr/bin/env python3
"""Writes a `git fast-import` stream that builds a history from a tree of real source code.

The tree's top-level directories (one per crate or package) are committed in STEPS commits;
every commit after the first also edits some files already committed (a line appended), renames
one and deletes one, so the history has many versions of the same file, renames and deletions,
as a real one does. Seeded, so the same tree always gives the same history.

usage: make_history.py TREE STEPS EDITS_PER_STEP | git fast-import
"""

import os
import random
import sys

EPOCH = 1_600_000_000


def source_files(tree):
    """Top-level directories, each with its regular files (relative paths), sorted."""
    groups = []
    for top in sorted(os.listdir(tree)):
        files = []
        for dirpath, dirnames, filenames in os.walk(os.path.join(tree, top)):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, tree)
                if os.path.isfile(full) and not os.path.islink(full) and plain(rel):
                    files.append(rel)
        if files:
            groups.append(files)
    return groups


def plain(path):
    """Paths fast-import takes unquoted: no quotes, newlines, backslashes or spaces."""
    return not any(c in path for c in '"\n\\ ') and path.isprintable()


class History:
    def __init__(self, tree, out):
        self.tree = tree
        self.out = out
        self.live = {}  # path in history -> (path on disk, appended lines)
        self.mark = 0

    def write(self, data):
        self.out.write(data if isinstance(data, bytes) else data.encode())

    def content(self, path):
        disk, extra = self.live[path]
        with open(os.path.join(self.tree, disk), "rb") as f:
            return f.read() + extra

    def modify(self, path):
        data = self.content(path)
        self.write(f"M 100644 inline {path}\ndata {len(data)}\n")
        self.write(data + b"\n")

    def commit(self, step, message, changes):
        when = EPOCH + step * 3600
        self.write("commit refs/heads/main\n")
        self.write(f"author Bench <bench@example.com> {when} +0000\n")
        self.write(f"committer Bench <bench@example.com> {when} +0000\n")
        msg = message.encode()
        self.write(f"data {len(msg)}\n".encode() + msg + b"\n")
        changes()
        self.write("\n")


def step_changes(h, rng, step, group, edits):
    def apply():
        for rel in group:
            h.live[rel] = (rel, b"")
            h.modify(rel)
        if step == 0:
            return
        candidates = sorted(p for p in h.live if p not in group)
        for path in rng.sample(candidates, min(edits, len(candidates))):
            disk, extra = h.live[path]
            h.live[path] = (disk, extra + f"// edited in step {step}\n".encode())
            h.modify(path)
        if len(candidates) > 2 * edits:
            old, gone = rng.sample(candidates, 2)
            new = f"moved/{step}/{os.path.basename(old)}"
            h.write(f"R {old} {new}\n")
            h.live[new] = h.live.pop(old)
            h.write(f"D {gone}\n")
            del h.live[gone]

    return apply


def main():
    tree, steps, edits = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    groups = source_files(tree)
    per_step = max(1, -(-len(groups) // steps))
    rng = random.Random(6)
    h = History(tree, sys.stdout.buffer)
    for step in range(steps):
        chunk = [f for g in groups[step * per_step : (step + 1) * per_step] for f in g]
        h.commit(step, f"step {step}\n", step_changes(h, rng, step, chunk, edits))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
