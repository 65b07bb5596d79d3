#!/usr/bin/env python3
"""Find and download a PyPI source distribution through pip's own index (PEP 691 JSON).

`pip download --no-binary :all:` builds each sdist's metadata, which fails for packages whose
build backend is not installed; the corpus wants the archive, not an install. So this asks the
index pip uses (pip's configured index-url, else its default) for the project's files and takes
the sdist of the pinned version.

usage: pypi.py resolve NAME [VERSION]      -> prints "NAME<TAB>VERSION<TAB>SHA256<TAB>FILE"
       pypi.py fetch NAME VERSION SHA256 DEST_DIR   -> downloads, verifies, prints the path
"""
import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.request


def index_url():
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        out = ""
    if out:
        return out.rstrip("/")
    from pip._internal.models.index import PyPI  # pip's default index, named by pip
    return PyPI.simple_url.rstrip("/")


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def project(name):
    req = urllib.request.Request(
        f"{index_url()}/{norm(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.load(r)


def sdist_version(filename, name):
    base = filename
    for ext in (".tar.gz", ".zip", ".tar.bz2"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    else:
        return None
    # "<name>-<version>" where name may use - _ . interchangeably
    m = re.match(r"^(.+)-([0-9][^-]*)$", base)
    if not m or norm(m.group(1)) != norm(name):
        return None
    return m.group(2)


def sdists(name):
    data = project(name)
    out = []
    for f in data.get("files", []):
        v = sdist_version(f["filename"], name)
        if v is None or f.get("yanked"):
            continue
        out.append((v, f))
    return out


def resolve(name, version=None):
    files = sdists(name)
    if version is None:
        from pip._vendor.packaging.version import InvalidVersion, Version

        def key(item):
            try:
                return Version(item[0])
            except InvalidVersion:
                return Version("0")

        stable = [i for i in files if not key(i).is_prerelease]
        if not stable:
            sys.exit(f"{name}: no sdist on the index")
        version, f = max(stable, key=key)
    else:
        match = [f for v, f in files if v == version]
        if not match:
            sys.exit(f"{name} {version}: no sdist on the index")
        f = match[0]
    return version, f


def main():
    cmd = sys.argv[1]
    if cmd == "resolve":
        name = sys.argv[2]
        version, f = resolve(name, sys.argv[3] if len(sys.argv) > 3 else None)
        print(f"{name}\t{version}\t{f['hashes']['sha256']}\t{f['filename']}")
    elif cmd == "fetch":
        name, version, sha, dest = sys.argv[2:6]
        version, f = resolve(name, version)
        if sha != "-" and f["hashes"].get("sha256") != sha:
            sys.exit(f"{name} {version}: the index now lists another sha256 than the lock file")
        os.makedirs(dest, exist_ok=True)
        path = os.path.join(dest, f["filename"])
        if not os.path.exists(path):
            with urllib.request.urlopen(f["url"], timeout=600) as r, open(path + ".part", "wb") as o:
                while chunk := r.read(1 << 20):
                    o.write(chunk)
            os.replace(path + ".part", path)
        got = hashlib.sha256(open(path, "rb").read()).hexdigest()
        want = f["hashes"]["sha256"] if sha == "-" else sha
        if got != want:
            os.remove(path)
            sys.exit(f"{name} {version}: sha256 mismatch ({got})")
        print(path)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
