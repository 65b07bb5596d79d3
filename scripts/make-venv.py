#!/usr/bin/env python3
"""Make (or reuse) a virtual environment with the given packages from PyPI.

    python3 scripts/make-venv.py DIR PACKAGE...

Tests and .ci/run use it instead of the system pip, which fresh Debian and Ubuntu refuse to
use (PEP 668). The environment is reused while DIR/leakhound-packages.txt lists the same
packages. Where the venv module has no pip (Debian without python3-venv), the environment
is made without pip and pip's own wheel from PyPI installs it. Prints DIR/bin (Scripts on
Windows), where the packages' commands are.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv

STAMP = "leakhound-packages.txt"


def bin_dir(env):
    return os.path.join(env, "Scripts" if os.name == "nt" else "bin")


def python(env):
    return os.path.join(bin_dir(env), "python.exe" if os.name == "nt" else "python")


def has_pip(env):
    probe = [python(env), "-m", "pip", "--version"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def bootstrap_pip(env):
    """Installs pip into a venv made without it, from pip's wheel on PyPI."""
    index = os.environ.get("LEAKHOUND_PYPI_JSON", "https://pypi.org/pypi/pip/json")
    with urllib.request.urlopen(index, timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["filename"].endswith(".whl"))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, wheel["filename"])
        url = urllib.parse.urljoin(index, wheel["url"])
        with urllib.request.urlopen(url, timeout=120) as response:
            with open(path, "wb") as out:
                shutil.copyfileobj(response, out)
        # A pip wheel runs itself: python pip.whl/pip install pip.whl
        pip = os.path.join(path, "pip")
        run([python(env), pip, "install", "-q", "--no-index", path])


def create(env):
    shutil.rmtree(env, ignore_errors=True)
    try:
        venv.EnvBuilder(with_pip=True).create(env)
    except (subprocess.CalledProcessError, OSError, SystemExit):
        venv.EnvBuilder(with_pip=False).create(env)
    if not has_pip(env):
        bootstrap_pip(env)


def run(cmd):
    result = subprocess.run(cmd, stdout=sys.stderr)
    if result.returncode != 0:
        sys.exit(f"make-venv.py: {' '.join(cmd)} exited {result.returncode}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    env, packages = os.path.abspath(sys.argv[1]), sys.argv[2:]
    stamp = os.path.join(env, STAMP)
    wanted = "\n".join(packages) + "\n"
    try:
        with open(stamp) as f:
            if f.read() == wanted and os.path.exists(python(env)):
                print(bin_dir(env))
                return
    except OSError:
        pass
    create(env)
    run([python(env), "-m", "pip", "install", "-q", *packages])
    with open(stamp, "w") as f:
        f.write(wanted)
    print(bin_dir(env))


if __name__ == "__main__":
    main()
