#!/usr/bin/env python3
"""Fetches the pinned packages of a corpus list into a cache, through the registries' own clients.

Each line of a list names one released package and the files it brings, with their sha256:
    KIND NAME VERSION FILE=SHA256 [FILE=SHA256 ...]
KIND is `deb` (a Debian source package: `apt-get source --download-only`, with a private
source list made from the machine's own, so nothing of the system's apt state changes), `npm`
(`npm pack`), `pypi` (a wheel: `pip download --only-binary`) or `crate` (`cargo fetch` in a
throwaway manifest, then the .crate from cargo's cache). Blank lines and `#` comments are
skipped. Files already in the cache with the right digest are not fetched again; a digest
that differs is an error, so a corpus built from a list is the same everywhere.

A line with no FILE=SHA256 is pinned: fetched, and with --pin the list is rewritten with what
came (how the lists were made: `fetch.py --pin LIST CACHE`).

usage: fetch.py [--pin] [--jobs N] LIST CACHE
Prints the cached paths, one per file, in the list's order, prefixed by the line's index.
"""

import concurrent.futures
import threading
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def parse(path):
    entries = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            kind, name, version, *files = line
            entries.append((kind, name, version, dict(x.split("=", 1) for x in files)))
    return entries


class Apt:
    """apt-get with its own state under CACHE/apt: the machine's Debian sources as deb-src."""

    def __init__(self, cache):
        self.root = os.path.join(cache, "apt")
        parts = os.path.join(self.root, "sources.list.d")
        os.makedirs(parts, exist_ok=True)
        for sub in ("lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        srcs = sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
        with open(os.path.join(parts, "src.sources"), "w") as out:
            for src in srcs:
                with open(src) as f:
                    for line in f:
                        if line.startswith("Types:"):
                            line = "Types: deb-src\n"
                        out.write(line)
                out.write("\n")
        self.opts = [
            "-o", "Dir::Etc::SourceList=/dev/null",
            "-o", f"Dir::Etc::SourceParts={parts}",
            "-o", f"Dir::State::Lists={self.root}/lists",
            "-o", f"Dir::Cache={self.root}/cache",
            "-o", "Debug::NoLocking=1",
        ]
        self.updated = False

    def source(self, name, version, dest):
        if not self.updated:
            subprocess.run(["apt-get", "-qq", *self.opts, "update"], check=True)
            self.updated = True
        subprocess.run(
            ["apt-get", "-qq", *self.opts, "source", "--download-only", f"{name}={version}"],
            cwd=dest, check=True, stdout=subprocess.DEVNULL,
        )


def fetch_one(kind, name, version, dest, apt, cache):
    """Fetches one package into the empty directory dest."""
    if kind == "deb":
        apt.source(name, version, dest)
    elif kind == "npm":
        subprocess.run(["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", dest],
                       check=True, stdout=subprocess.DEVNULL)
    elif kind == "pypi":
        subprocess.run(["pip", "download", "-q", "--no-deps", "--only-binary", ":all:", "-d", dest,
                        f"{name}=={version}"], check=True)
    elif kind == "crate":
        # One at a time: the fetches share a cargo home, and each clears what cargo unpacked
        # there, which would pull the files from under another fetch's unpacking.
        with CARGO:
            fetch_crate(name, version, dest, cache)
    else:
        raise SystemExit(f"unknown kind {kind}")


CARGO = threading.Lock()


def fetch_crate(name, version, dest, cache):
    home = os.path.join(cache, "cargo-home")
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "src"))
        open(os.path.join(tmp, "src", "lib.rs"), "w").close()
        with open(os.path.join(tmp, "Cargo.toml"), "w") as f:
            f.write('[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n'
                    f'[dependencies]\ndep = {{ package = "{name}", version = "={version}" }}\n')
        # A cargo home of its own: no waiting on the lock of the user's builds.
        env = dict(os.environ, CARGO_HOME=home)
        subprocess.run(["cargo", "fetch", "-q"], cwd=tmp, env=env, check=True)
    found = glob.glob(os.path.join(home, "registry/cache/*", f"{name}-{version}.crate"))
    if not found:  # a version pinned without its build metadata (111.25.0 for 111.25.0+1.1.1t)
        found = glob.glob(os.path.join(home, "registry/cache/*", f"{name}-{version}+*.crate"))
    shutil.copy(found[0], dest)
    # cargo also unpacked it (and its dependencies): keep only our copy of the .crate.
    for unpacked in glob.glob(os.path.join(home, "registry/src/*/*")):
        shutil.rmtree(unpacked, ignore_errors=True)
    os.remove(found[0])


def ensure(entry, cache, apt):
    kind, name, version, files = entry
    where = os.path.join(cache, kind, name.replace("/", "_").lstrip("@"), version.replace(":", "_"))
    if files and all(os.path.exists(os.path.join(where, f)) for f in files):
        got = {f: sha256(os.path.join(where, f)) for f in files}
    else:
        tmp = where + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        try:
            fetch_one(kind, name, version, tmp, apt, cache)
        except subprocess.CalledProcessError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if files:
                raise SystemExit(f"{kind} {name} {version}: could not fetch ({e})")
            print(f"{kind} {name} {version}: could not fetch, left out", file=sys.stderr)
            return None
        got = {f: sha256(os.path.join(tmp, f)) for f in sorted(os.listdir(tmp))}
        shutil.rmtree(where, ignore_errors=True)
        os.rename(tmp, where)
    for f, digest in files.items():
        if got.get(f) != digest:
            raise SystemExit(f"{kind} {name} {version}: {f} has sha256 {got.get(f)}, pinned {digest}")
    return where, got


def main():
    args = sys.argv[1:]
    pin = "--pin" in args
    jobs = 4
    if "--jobs" in args:
        jobs = int(args[args.index("--jobs") + 1])
        del args[args.index("--jobs") : args.index("--jobs") + 2]
    args = [a for a in args if a != "--pin"]
    listfile, cache = args[0], os.path.abspath(args[1])
    entries = parse(listfile)
    apt = Apt(cache) if any(e[0] == "deb" for e in entries) else None
    # apt keeps one state: Debian packages one at a time; the others in parallel.
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(ensure, e, cache, apt) for e in entries if e[0] != "deb"]
        debs = [ensure(e, cache, apt) for e in entries if e[0] == "deb"]
        others = [f.result() for f in futures]
    results = iter(debs), iter(others)
    done = [next(results[0] if e[0] == "deb" else results[1]) for e in entries]
    for i, result in enumerate(done):
        if result is None:
            continue
        where, got = result
        for f in got:
            print(i, os.path.join(where, f))
    if pin:
        # Rewrite the list in place: comments stay, each entry gets what came.
        pinned = iter(zip(entries, done))
        with open(listfile) as f:
            lines = f.readlines()
        with open(listfile, "w") as out:
            for line in lines:
                if not line.split("#", 1)[0].split():
                    out.write(line)
                    continue
                (kind, name, version, _), result = next(pinned)
                if result is not None:
                    files = [f"{f}={d}" for f, d in result[1].items()]
                    out.write(" ".join([kind, name, version] + files) + "\n")


if __name__ == "__main__":
    main()
