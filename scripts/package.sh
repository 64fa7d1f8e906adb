#!/bin/sh
# shellcheck shell=sh
#
# scripts/package.sh OUTDIR: build tasker-app for this machine and pack a release
# the way install.sh downloads it:
#
#   OUTDIR/tasker-app-<version>-<host>.tar.gz          tasker-app-<version>-<host>/{tasker-app,README.md,LICENSE*}
#   OUTDIR/tasker-app-<version>-<host>.tar.gz.sha256   "<hex>  <archive name>" (sha256sum format)
#   OUTDIR/LATEST                                      <version> (how install.sh finds "latest"
#                                                      when TASKER_APP_DOWNLOAD_URL points here)
#
# <version> comes from Cargo.toml, <host> from `rustc -vV`. The archive path is
# printed on stdout; progress goes to stderr. Honours CARGO_TARGET_DIR.

set -u

APP=tasker-app

say() {
    printf 'info: %s\n' "$1" >&2
}

err() {
    printf 'error: %s\n' "$1" >&2
    exit 1
}

need_cmd() {
    command -v "$1" >/dev/null 2>&1 || err "package.sh needs '$1' (command not found)"
}

ensure() {
    if ! "$@"; then
        err "command failed: $*"
    fi
}

usage() {
    printf 'usage: scripts/package.sh OUTDIR\n' >&2
    printf '  builds the release binary and writes %s-<version>-<host>.tar.gz, its .sha256 and LATEST into OUTDIR\n' "$APP" >&2
}

cleanup() {
    if [ -n "${stage:-}" ] && [ -d "$stage" ]; then
        rm -rf "$stage"
    fi
}

# version = "x" from [package], or from [workspace.package] when inherited.
read_version() {
    _rv=$(sed -n '/^\[package\]/,/^\[/s/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | sed -n 1p)
    if [ -z "$_rv" ]; then
        _rv=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | sed -n 1p)
    fi
    [ -n "$_rv" ] || err "could not find the package version in $root/Cargo.toml"
    version=$_rv
}

read_host() {
    host=$(rustc -vV | sed -n 's/^host:[[:space:]]*//p')
    [ -n "$host" ] || err "could not read the host triple from 'rustc -vV'"
}

sha256_line() { # FILE NAME
    if command -v sha256sum >/dev/null 2>&1; then
        _sl=$(sha256sum <"$1") || return 1
    elif command -v shasum >/dev/null 2>&1; then
        _sl=$(shasum -a 256 <"$1") || return 1
    else
        err "package.sh needs sha256sum or shasum"
    fi
    printf '%s  %s\n' "${_sl%% *}" "$2"
}

build() {
    say "building: cargo build --release --locked (in $root)"
    (cd "$root" && cargo build --release --locked) || err "cargo build failed"
    binary=${CARGO_TARGET_DIR:-$root/target}/release/$APP
    case $binary in
        /*) ;;
        *) binary=$root/$binary ;;
    esac
    [ -x "$binary" ] || err "the build did not produce $binary"
}

pack() {
    name=$APP-$version-$host
    archive=$outdir/$name.tar.gz
    stage=$(mktemp -d 2>/dev/null || mktemp -d -t tasker-package.XXXXXXXX) ||
        err "could not create a temp folder"
    trap cleanup EXIT
    trap 'cleanup; exit 130' INT
    trap 'cleanup; exit 143' TERM HUP

    ensure mkdir "$stage/$name"
    ensure cp "$binary" "$stage/$name/$APP"
    ensure chmod 755 "$stage/$name/$APP"
    for _pk_doc in README.md LICENSE LICENSE-MIT LICENSE-APACHE LICENSE.md; do
        if [ -f "$root/$_pk_doc" ]; then
            ensure cp "$root/$_pk_doc" "$stage/$name/$_pk_doc"
        fi
    done

    # Same bytes for the same inputs where GNU tar allows it.
    if tar --version 2>/dev/null | grep -q 'GNU tar'; then
        set -- --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0
    else
        set --
    fi
    (cd "$stage" && tar -cf - "$@" "$name") | gzip -n -9 >"$stage/$name.tar.gz" ||
        err "could not create the archive"
    sha256_line "$stage/$name.tar.gz" "$name.tar.gz" >"$stage/$name.tar.gz.sha256" ||
        err "could not checksum the archive"
    printf '%s\n' "$version" >"$stage/LATEST"

    # Move into place: the archive first, its checksum after, LATEST last.
    ensure mv -f "$stage/$name.tar.gz" "$archive"
    ensure mv -f "$stage/$name.tar.gz.sha256" "$archive.sha256"
    ensure mv -f "$stage/LATEST" "$outdir/LATEST"
    say "wrote $archive"
    say "wrote $archive.sha256"
    printf '%s\n' "$archive"
}

main() {
    if [ $# -ne 1 ] || [ -z "$1" ]; then
        usage
        exit 2
    fi
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
    esac
    for _m_cmd in cargo rustc tar gzip sed mktemp; do
        need_cmd "$_m_cmd"
    done
    root=$(cd "$(dirname -- "$0")/.." && pwd) || err "cannot find the repository root"
    [ -f "$root/Cargo.toml" ] || err "no Cargo.toml in $root"
    ensure mkdir -p "$1"
    outdir=$(cd "$1" && pwd) || err "cannot enter $1"

    read_version
    read_host
    build
    pack
}

# Run only once the closing brace has been read (a cut file does nothing).
{
    main "$@"
}
