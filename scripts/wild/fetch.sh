#!/usr/bin/env bash
# Downloads the wild corpus: pinned third-party packages from the package registries (PyPI
# sdists, npm tarballs, crates, Debian source packages), verifies each archive's sha256 against
# scripts/wild/packages.tsv and unpacks it into wild-work/pkgs/<ecosystem>-<name>-<version>/.
# wild-work/ is git-ignored and reused: a package already unpacked is not fetched again.
#
# usage: scripts/wild/fetch.sh [--lock] [PACKAGE-DIR-NAME ...]
#   --lock   fill in the sha256 of lock-file rows whose sha256 is "-" (adding a package:
#            write its row with "-", run with --lock once, check and commit the lock file)
#   names    only these packages (e.g. pypi-Django-6.1.3); default: every row
#
# Lock file columns (tab-separated, '#' comments):
#   ecosystem  name  version  sha256  file
# ecosystem: pypi (sha256 of the sdist), npm (of the `npm pack` tarball), crate (of the .crate,
# as in Cargo.lock), debian (of the .dsc, which itself pins the sha256 of every source archive;
# dpkg-source checks those on unpacking).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
W=$ROOT/wild-work
LOCK=$ROOT/scripts/wild/packages.tsv
HERE=$ROOT/scripts/wild
LOCKMODE=0
if [ "${1:-}" = --lock ]; then LOCKMODE=1; shift; fi
ONLY=" $* "
mkdir -p "$W/dl" "$W/pkgs"

say() { printf '== %s\n' "$*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
pkgdir() { printf '%s-%s-%s' "$1" "$(printf '%s' "$2" | tr -d @ | tr / +)" "$(printf '%s' "$3" | tr : _)"; }

# Debian source packages: apt's own sources, turned into deb-src, with a private state dir so
# the machine's apt setup is left as it is.
APT_READY=0
apt_src() {
  apt-get -q -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$W/apt/sources" \
    -o Dir::State::Lists="$W/apt/lists" -o Dir::Cache="$W/apt/cache" "$@"
}
apt_setup() {
  [ $APT_READY = 1 ] && return
  mkdir -p "$W/apt/sources" "$W/apt/lists/partial" "$W/apt/cache/archives/partial"
  rm -f "$W/apt/sources/"*
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" >"$W/apt/sources/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$W/apt/sources/main.list" || true
  fi
  apt_src update >/dev/null
  APT_READY=1
}

# unpack ARCHIVE DEST: into DEST, with the archive's single top folder stripped
unpack() {
  local a=$1 d=$2 tmp
  tmp=$(mktemp -d "$W/pkgs/.unpack.XXXXXX")
  case $a in
    *.zip) (cd "$tmp" && python3 -m zipfile -e "$a" .) ;;
    *.crate | *.tgz | *.tar.gz) tar -xzf "$a" -C "$tmp" ;;
    *) tar -xf "$a" -C "$tmp" ;;
  esac
  local top=("$tmp"/*)
  if [ ${#top[@]} = 1 ] && [ -d "${top[0]}" ]; then mv "${top[0]}" "$d"; rmdir "$tmp"; else mv "$tmp" "$d"; fi
}

fetch_pypi() { # name version sha -> archive path
  python3 "$HERE/pypi.py" fetch "$1" "$2" "$3" "$W/dl/pypi"
}

fetch_npm() {
  local out=$W/dl/npm f
  mkdir -p "$out"
  f=$(cd "$out" && npm pack --silent "$1@$2" 2>/dev/null | tail -1)
  printf '%s/%s\n' "$out" "$f"
}

fetch_crate() {
  local name=$1 version=$2 proj=$W/dl/crate-proj/$1-$2 home=${CARGO_HOME:-$HOME/.cargo} f
  mkdir -p "$proj/src" "$W/dl/crate"
  printf '[package]\nname = "wild-fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\n%s = { version = "=%s", default-features = false }\n' \
    "$name" "$version" >"$proj/Cargo.toml"
  : >"$proj/src/lib.rs"
  (cd "$proj" && cargo fetch --quiet) >&2
  f=$(ls "$home"/registry/cache/*/"$name-$version.crate" | head -1)
  cp "$f" "$W/dl/crate/"
  printf '%s\n' "$W/dl/crate/$name-$version.crate"
}

fetch_debian() { # -> the .dsc; dpkg-source unpacks from it
  local out=$W/dl/debian/$1-$2
  apt_setup
  mkdir -p "$out"
  (cd "$out" && apt_src source --download-only "$1=$2" >/dev/null)
  ls "$out"/*.dsc | head -1
}

NEWLOCK=$(mktemp)
trap 'rm -f "$NEWLOCK"' EXIT
while IFS= read -r line; do
  case $line in '#'* | '') printf '%s\n' "$line" >>"$NEWLOCK"; continue ;; esac
  IFS=$'\t' read -r eco name version want file <<<"$line"
  dir=$(pkgdir "$eco" "$name" "$version")
  if [ "$ONLY" != "  " ] && [[ $ONLY != *" $dir "* ]]; then printf '%s\n' "$line" >>"$NEWLOCK"; continue; fi
  if [ -d "$W/pkgs/$dir" ] && [ "$want" != - ]; then printf '%s\n' "$line" >>"$NEWLOCK"; continue; fi
  say "$dir"
  case $eco in
    pypi) a=$(fetch_pypi "$name" "$version" "$want") ;;
    npm) a=$(fetch_npm "$name" "$version") ;;
    crate) a=$(fetch_crate "$name" "$version") ;;
    debian) a=$(fetch_debian "$name" "$version") ;;
    *) echo "unknown ecosystem $eco" >&2; exit 2 ;;
  esac
  got=$(sha "$a")
  if [ "$want" = - ]; then
    if [ $LOCKMODE = 0 ]; then echo "$dir: no sha256 in the lock file; run with --lock" >&2; exit 1; fi
    want=$got
  elif [ "$got" != "$want" ]; then
    echo "$dir: sha256 mismatch: lock $want, downloaded $got" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$eco" "$name" "$version" "$want" "$(basename "$a")" >>"$NEWLOCK"
  rm -rf "$W/pkgs/$dir"
  if [ "$eco" = debian ]; then
    # dpkg-source checks each archive against the .dsc and leaves links to the upstream
    # tarball beside the target: unpack in the download folder, then move the tree.
    rm -rf "$(dirname "$a")/src"
    (cd "$(dirname "$a")" && dpkg-source -x "$(basename "$a")" src >/dev/null)
    mv "$(dirname "$a")/src" "$W/pkgs/$dir"
  else
    unpack "$a" "$W/pkgs/$dir"
  fi
done <"$LOCK"
if [ $LOCKMODE = 1 ]; then cp "$NEWLOCK" "$LOCK"; fi

n=$(find "$W/pkgs" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l)
files=$(find "$W/pkgs" -type f | wc -l)
mb=$(du -sm "$W/pkgs" | cut -f1)
say "corpus: $n packages, $files files, $mb MB in wild-work/pkgs"
