#!/usr/bin/env bash
# Installs leakhound for the GitHub Action (action.yml): the released binary for the runner's
# OS and architecture, checked against the release's SHA256SUMS; built from source only when
# there is no release (the action used at a branch or a commit, or a tag not yet released).
#
#   action-install.sh resolve   pick version, target, install dir and cache key; put the
#                               install dir on GITHUB_PATH; write them to GITHUB_OUTPUT
#   action-install.sh install   download, verify and unpack (or build) into the install dir
#
# Environment: LEAKHOUND_VERSION (the action's `version` input, may be empty), ACTION_REF
# (github.action_ref), RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, GITHUB_ACTION_PATH, GITHUB_OUTPUT,
# GITHUB_PATH. For `install` also VERSION, TARGET and DIR as `resolve` wrote them.
# LEAKHOUND_RELEASE_URL replaces the GitHub releases URL (the tests serve a release on
# loopback); LEAKHOUND_BUILD_COMMAND replaces `cargo install` for the build from source (the
# tests use it so as not to compile leakhound again).
set -euo pipefail

RELEASES=${LEAKHOUND_RELEASE_URL:-https://github.com/leakhound/leakhound/releases/download}

# The release target for RUNNER_OS/RUNNER_ARCH; empty where no binary is released.
target_for() {
  case "$1/$2" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) echo "" ;;
  esac
}

# The version to install: the `version` input, else the action's own ref when it is a
# release tag (v1.2.3); empty for a branch or a commit.
version_for() {
  local version=${1#v} ref=$2
  if [ -z "$version" ] && [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
    version=${ref#v}
  fi
  echo "$version"
}

# A digest of the action's own source, for the cache key of a build from source.
source_digest() {
  local files
  files=$(cd "$GITHUB_ACTION_PATH" && find Cargo.toml Cargo.lock build.rs src rules -type f | LC_ALL=C sort)
  {
    echo "$files"
    while read -r file; do cat "$GITHUB_ACTION_PATH/$file"; done <<<"$files"
  } | sha256 | cut -c1-16
}

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

resolve() {
  local version target dir key
  version=$(version_for "${LEAKHOUND_VERSION:-}" "${ACTION_REF:-}")
  target=$(target_for "${RUNNER_OS:-}" "${RUNNER_ARCH:-}")
  dir="${RUNNER_TEMP:?}/leakhound-bin"
  if [ -n "$version" ]; then
    key="leakhound-$version-${target:-$RUNNER_OS-$RUNNER_ARCH}"
  else
    key="leakhound-source-$RUNNER_OS-$RUNNER_ARCH-$(source_digest)"
  fi
  echo "$dir" >>"$GITHUB_PATH"
  {
    echo "version=$version"
    echo "target=$target"
    echo "dir=$dir"
    echo "key=$key"
  } >>"$GITHUB_OUTPUT"
  echo "leakhound ${version:-from source} for ${target:-$RUNNER_OS/$RUNNER_ARCH} (cache key $key)"
}

# Prints the HTTP status of a download of URL to FILE (000: no answer).
fetch() {
  curl --silent --show-error --location --retry 3 --output "$2" --write-out '%{http_code}' "$1" ||
    true
}

install() {
  local version=${VERSION:-} target=${TARGET:-} dir=${DIR:?}
  mkdir -p "$dir"
  if [ -z "$version" ]; then
    echo "the action's ref is not a release: building leakhound from source"
    build "$dir" ""
  elif [ -z "$target" ]; then
    echo "no leakhound binary is released for $RUNNER_OS/$RUNNER_ARCH: building from source"
    build "$dir" "$version"
  else
    download "$dir" "$version" "$target"
  fi
}

download() {
  local dir=$1 version=$2 target=$3 tmp base archive status expected actual
  tmp=$(mktemp -d)
  base="$RELEASES/v$version"
  status=$(fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS")
  if [ "$status" = 404 ]; then
    echo "leakhound v$version has no release: building from source"
    build "$dir" "$version"
    return
  elif [ "$status" != 200 ]; then
    echo "::error title=leakhound::could not download $base/SHA256SUMS (HTTP $status)"
    exit 1
  fi
  archive="leakhound-$version-$target.tar.gz"
  if [ "$target" = x86_64-pc-windows-msvc ]; then archive="leakhound-$version-$target.zip"; fi
  expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
  if [ -z "$expected" ]; then
    echo "::error title=leakhound::$archive is not in the release's SHA256SUMS"
    exit 1
  fi
  status=$(fetch "$base/$archive" "$tmp/$archive")
  if [ "$status" != 200 ]; then
    echo "::error title=leakhound::could not download $base/$archive (HTTP $status)"
    exit 1
  fi
  actual=$(sha256 "$tmp/$archive" | cut -d' ' -f1)
  if [ "$actual" != "$expected" ]; then
    echo "::error title=leakhound::checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual"
    exit 1
  fi
  unpack "$tmp/$archive" "$tmp/unpacked"
  cp "$tmp/unpacked/leakhound-$version-$target"/leakhound* "$dir/"
  rm -rf "$tmp"
  echo "installed leakhound $version ($archive, sha256 $actual)"
}

unpack() {
  mkdir -p "$2"
  case "$1" in
    *.zip) if command -v unzip >/dev/null; then unzip -q "$1" -d "$2"; else 7z x -bd -o"$2" "$1" >/dev/null; fi ;;
    *) tar -xzf "$1" -C "$2" ;;
  esac
}

# Builds into DIR: the crates.io release VERSION when given, else the action's own source.
build() {
  local dir=$1 version=$2 root
  root=$(mktemp -d)
  if [ -n "${LEAKHOUND_BUILD_COMMAND:-}" ]; then
    LEAKHOUND_BUILD_ROOT=$root LEAKHOUND_BUILD_VERSION=$version bash -c "$LEAKHOUND_BUILD_COMMAND"
  elif [ -n "$version" ]; then
    cargo install --locked --root "$root" leakhound --version "$version"
  else
    cargo install --locked --root "$root" --path "$GITHUB_ACTION_PATH"
  fi
  cp "$root"/bin/leakhound* "$dir/"
  rm -rf "$root"
}

case "${1:-}" in
  resolve) resolve ;;
  install) install ;;
  *)
    echo "usage: action-install.sh resolve|install" >&2
    exit 2
    ;;
esac
