#!/usr/bin/env bash
# Scans every package of the wild corpus (wild-work/pkgs/, made by fetch.sh) with
# `leakhound scan --no-redact -f json` and writes one finding per line, each with a "package"
# field (the package's folder name), to wild-work/findings.jsonl; paths are relative to the
# package folder. The unredacted secrets stay in wild-work/ (git-ignored); labels.csv never
# carries them. Then: scripts/wild/precision.py
#
# usage: scripts/wild/run.sh
#   LH=path/to/leakhound      the binary (default target/release/leakhound)
#   CONFIDENCE=low|medium|high  the lowest confidence collected (default low: every finding, so
#                             precision.py can report each level; the CLI's default is medium)
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
W=$ROOT/wild-work
LH=${LH:-$ROOT/target/release/leakhound}
CONFIDENCE=${CONFIDENCE:-low}
OUT=$W/findings.jsonl
[ -x "$LH" ] || { echo "no leakhound binary at $LH (build it, or set LH)" >&2; exit 2; }
[ -d "$W/pkgs" ] || { echo "no corpus in $W/pkgs: run scripts/wild/fetch.sh first" >&2; exit 2; }

# --confidence is in the contract; a binary that predates it reports everything it finds.
CONF=()
if "$LH" scan --help 2>/dev/null | grep -q -- --confidence; then CONF=(--confidence "$CONFIDENCE"); fi

mkdir -p "$W/reports"
rm -f "$W/reports/"*.json
start=$(date +%s)
for dir in "$W"/pkgs/*/; do
  pkg=$(basename "$dir")
  rc=0
  (cd "$dir" && "$LH" scan --no-redact "${CONF[@]}" -q -f json \
    -o "$W/reports/$pkg.json" .) || rc=$?
  # 2 with a report: the scan completed but a file could not be read (openldap's test data
  # holds a dangling symlink); leakhound named it above. 2 without one is a failure.
  if [ $rc -gt 1 ] && { [ $rc -ne 2 ] || [ ! -s "$W/reports/$pkg.json" ]; }; then
    echo "$pkg: leakhound exited $rc" >&2; exit $rc
  fi
done
end=$(date +%s)

python3 - "$W/reports" "$OUT" "$((end - start))" <<'EOF'
import json, os, sys
reports, out, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = files = size = 0
with open(out, "w") as o:
    for name in sorted(os.listdir(reports)):
        doc = json.load(open(os.path.join(reports, name)))
        pkg = name[:-len(".json")]
        s = doc["summary"]
        files += s["files_scanned"]; size += s["bytes_scanned"]
        for f in doc["findings"]:
            f = {"package": pkg, **f}
            o.write(json.dumps(f, sort_keys=True) + "\n")
            n += 1
print(f"{n} findings in {files} files ({size / 1e6:.0f} MB) scanned in {secs} s -> {out}",
      file=sys.stderr)
EOF
