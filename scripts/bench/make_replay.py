#!/usr/bin/env python3
"""Writes a `git fast-import` stream that replays released versions of real projects as a history.

Each project is a directory of the repository (PREFIX) and a list of its release archives in
version order (.crate or .tar.* with one top directory, or a wheel). Going from one release to
the next (the first is imported in one commit), the files that changed, appeared or went away are committed in small commits of 1 to
MAX_FILES files each (most of one or two, as in a project worked on a little at a time), the
files of one directory together, by authors drawn from a fixed set (a few of them most of the
time), with dates that only increase. The projects' releases are interleaved in proportion, as
if their histories had run side by side. Seeded: the same archives always give the same history.

usage: make_replay.py [--max-files N] [--filter all|yaml] PREFIX=LIST [PREFIX=LIST ...] | git fast-import
LIST is a file of archive paths, one a line, oldest first. PREFIX may be empty (`=LIST`).
--filter yaml keeps YAML, Markdown, Jinja templates and JSON/INI/TOML/text configuration only.
"""

import hashlib
import io
import os
import random
import re
import sys
import tarfile
import zipfile

EPOCH = 1_388_534_400  # 2014-01-01: 60,000 commits at about an hour apart end before today
YAML_KINDS = (".yml", ".yaml", ".md", ".j2", ".json", ".txt", ".cfg", ".ini", ".toml", ".tpl")
FIRST = ("Alex Anna Ben Carla Dmitri Elena Farid Grace Hiroshi Ines Jonas Kate Lars Maria Nikhil "
         "Olga Pablo Qiang Rosa Sven Tomas Uma Viktor Wei Yusuf Zoe").split()
LAST = ("Berg Chen Dubois Eriksen Fischer Garcia Hansen Ivanova Jensen Kowalski Lopez Moreau "
        "Nakamura Okafor Petrov Rossi Schmidt Tanaka Weber Novak").split()


def plain(path):
    """Paths fast-import takes unquoted: no quotes, newlines, backslashes or spaces."""
    return not any(c in path for c in '"\n\\ ') and path.isprintable() and ".." not in path.split("/")


def read_archive(path, keep):
    """{relative path: (mode, bytes)} of an archive's regular files, top directory stripped."""
    files = {}
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                name = info.filename
                if info.is_dir() or ".dist-info/" in name or ".data/" in name:
                    continue
                name = name.removeprefix("ansible_collections/")
                if plain(name) and keep(name):
                    executable = (info.external_attr >> 16) & 0o111
                    files[name] = ("100755" if executable else "100644", z.read(info))
        return files
    with tarfile.open(path) as t:
        for member in t:
            if not member.isfile():
                continue
            parts = member.name.split("/", 1)
            if len(parts) < 2:
                continue
            name = parts[1]
            if plain(name) and keep(name) and name != ".cargo_vcs_info.json":
                mode = "100755" if member.mode & 0o111 else "100644"
                files[name] = (mode, t.extractfile(member).read())
    return files


def version_of(path):
    """The release's version: the upstream one for a -src/-sys crate (300.0.1+3.0.0 -> 3.0.0)."""
    base = os.path.basename(path)
    m = re.search(r"-(\d[^-]*?)(?:-py\d.*)?\.(?:crate|whl|tar\.\w+|tgz)$", base)
    return (m.group(1) if m else base).split("+")[-1]


class Replay:
    def __init__(self, out, max_files, seed=14):
        self.out = out
        self.max_files = max_files
        self.rng = random.Random(seed)
        self.when = EPOCH
        self.commits = 0
        names = [f"{f} {l}" for f in FIRST for l in LAST]
        self.rng.shuffle(names)
        self.authors = names[:60]
        # A few people make most commits: weights fall off as 1/rank.
        self.weights = [1 / (i + 1) for i in range(len(self.authors))]

    def write(self, data):
        self.out.write(data if isinstance(data, bytes) else data.encode())

    def size(self):
        # Mostly one or two files, sometimes up to max_files.
        sizes = list(range(1, self.max_files + 1))
        return self.rng.choices(sizes, weights=[1 / s**1.5 for s in sizes])[0]

    def commit(self, message, changes):
        self.when += self.rng.randint(60, 7200)
        name = self.rng.choices(self.authors, self.weights)[0]
        email = name.lower().replace(" ", ".") + "@example.org"
        tz = self.rng.choice(["+0000", "+0100", "+0200", "-0500", "-0800", "+0900", "+0530"])
        msg = message.encode()
        self.write(f"commit refs/heads/main\nauthor {name} <{email}> {self.when} {tz}\n"
                   f"committer {name} <{email}> {self.when} {tz}\ndata {len(msg)}\n")
        self.write(msg + b"\n")
        for path, entry in changes:
            if entry is None:
                self.write(f"D {path}\n")
            else:
                mode, data = entry
                self.write(f"M {mode} inline {path}\ndata {len(data)}\n")
                self.write(data + b"\n")
        self.write("\n")
        self.commits += 1

    def release(self, prefix, project, version, old, new):
        """Commits the difference from old to new ({path: digest}) in small steps."""
        if not old:  # the first release is imported whole, in one commit
            self.commit(f"Import {project} {version}\n",
                        [(prefix + p, new[p][1]) for p in sorted(new)])
            self.when += self.rng.randint(86400, 5 * 86400)
            return
        changed = sorted(p for p in new if old.get(p) != new[p][0])
        gone = sorted(p for p in old if p not in new)
        # Group by directory, shuffle the directories, cut each into commits of a few files.
        by_dir = {}
        for p in changed + gone:
            by_dir.setdefault(os.path.dirname(p), []).append(p)
        dirs = sorted(by_dir)
        self.rng.shuffle(dirs)
        for d in dirs:
            paths = by_dir[d]
            while paths:
                n = self.size()
                chunk, paths = paths[:n], paths[n:]
                verb = "remove" if all(p not in new for p in chunk) else (
                    "add" if all(p not in old for p in chunk) else "update")
                what = os.path.basename(chunk[0]) + (f" and {len(chunk) - 1} more" if len(chunk) > 1 else "")
                where = (prefix + d).rstrip("/") or project
                message = f"{where}: {verb} {what}\n\nPart of {project} {version}.\n"
                self.commit(message, [(prefix + p, None if p not in new else new[p][1]) for p in chunk])
        self.when += self.rng.randint(86400, 5 * 86400)  # a pause between releases


def main():
    args = sys.argv[1:]
    max_files, keep = 3, lambda name: True
    while args and args[0].startswith("--"):
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--max-files":
            max_files = int(value)
        elif flag == "--filter" and value == "yaml":
            keep = lambda name: name.lower().endswith(YAML_KINDS)
    projects = []
    for arg in args:
        prefix, listfile = arg.split("=", 1)
        with open(listfile) as f:
            archives = [line.strip() for line in f if line.strip()]
        projects.append((prefix, archives))
    # Interleave: the next release is the one furthest behind its share of the whole.
    steps = []
    pos = [0] * len(projects)
    while any(pos[i] < len(p[1]) for i, p in enumerate(projects)):
        i = min((i for i, p in enumerate(projects) if pos[i] < len(p[1])),
                key=lambda i: (pos[i] + 1) / len(projects[i][1]))
        steps.append((i, projects[i][1][pos[i]]))
        pos[i] += 1
    replay = Replay(sys.stdout.buffer, max_files)
    state = [{} for _ in projects]
    for i, archive in steps:
        prefix = projects[i][0]
        files = read_archive(archive, keep)
        new = {p: (hashlib.sha1(d).digest() + m.encode(), (m, d)) for p, (m, d) in files.items()}
        project = os.path.basename(prefix.rstrip("/")) or re.sub(r"-\d.*", "", os.path.basename(archive))
        replay.release(prefix, project, version_of(archive), state[i], new)
        state[i] = {p: v[0] for p, v in new.items()}
        print(f"{archive}: {replay.commits} commits", file=sys.stderr)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
