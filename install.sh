#!/bin/sh
# shellcheck shell=sh
#
# install.sh: install tasker-app, its shell completions and a PATH entry.
#
#   curl -sSf https://raw.githubusercontent.com/tasker-systems/tasker-app/main/install.sh | sh
#   curl -sSf .../install.sh | sh -s -- --version 0.1.0 --prefix "$HOME/.local" -y
#   sh install.sh --from-source           # inside a checkout: cargo install --path .
#   sh install.sh --uninstall             # remove exactly what the receipt lists
#
# How it keeps its promises:
# - Every step is a function, and the one call of `main` sits in a { } block that
#   ends the file: the shell runs a block only once its closing brace has
#   arrived, so a download cut anywhere (even right after `main `) runs nothing.
# - One run at a time: a second install or uninstall waits for the first
#   (a lock folder in HOME), then works from the receipt the first one left.
# - Failures say why in the words of the tool or shell that failed (no raw
#   `sh:` lines), and a full TMPDIR is told apart from a missing release.
# - Release archives are checked against their .sha256 before anything is written
#   outside a private temp folder; no hashing tool means no install (unless
#   --no-verify). The temp folder is the only thing ever removed recursively.
# - The binary is copied next to its destination under a temp name, then renamed.
# - A receipt lists every file, folder and shell-startup line it added;
#   --uninstall removes exactly those.
# - It prompts only when a terminal can be opened (/dev/tty, so `curl | sh` works)
#   and never with -y.

set -u

APP=tasker-app
GITHUB_REPO=tasker-systems/tasker-app
RC_MARK='# added by the tasker-app installer'

usage() {
    cat <<EOF
tasker-app installer

Installs the tasker-app binary into PREFIX/bin, shell completions into your
user completion folders, and (unless PREFIX/bin is already on PATH) one marked
line in your shell startup files. A receipt records all of it for --uninstall.

USAGE:
    sh install.sh [OPTIONS]
    curl -sSf https://raw.githubusercontent.com/$GITHUB_REPO/main/install.sh | sh -s -- [OPTIONS]

OPTIONS:
        --prefix DIR          install into DIR/bin (default: ~/.local)
        --version V           release to install (default: latest)
        --from-source [PATH]  build with 'cargo install --locked --path PATH'
                              (default PATH: the checkout holding this script)
    -y, --yes                 never prompt; accept the defaults
        --no-modify-path      leave shell startup files alone
        --no-completions      do not install shell completions
        --no-verify           allow installing when no sha256 tool exists
                              (a checksum that can be checked is always checked)
        --uninstall           remove what the receipt lists and undo the PATH edit
    -h, --help                print this help

ENVIRONMENT:
    TASKER_APP_DOWNLOAD_URL   folder holding tasker-app-<V>-<TARGET>.tar.gz, its
                              .sha256 and LATEST (default: GitHub releases of
                              $GITHUB_REPO)
    TASKER_APP_TARGET         target triple to download (default: detected)
    TASKER_APP_DOWNLOADER     curl or wget (default: the first one found)

Without a terminal (or with -y) the defaults are used and nothing is asked.
EOF
}

# ---------------------------------------------------------------- messages

say() {
    printf 'info: %s\n' "$1" >&2
}

warn() {
    printf 'warn: %s\n' "$1" >&2
}

err() {
    printf 'error: %s\n' "$1" >&2
    exit 1
}

usage_err() {
    printf 'error: %s\n' "$1" >&2
    printf 'help: run with --help to see the options\n' >&2
    exit 2
}

check_cmd() {
    command -v "$1" >/dev/null 2>&1
}

need_cmd() {
    if ! check_cmd "$1"; then
        err "this installer needs '$1' (command not found)${2:+; $2}"
    fi
}

# The last line of a failed command's messages, without the shell's
# "sh: 12: " or "install.sh: line 12: " prefix: what went wrong, in its words.
reason_of() { # TEXT
    printf '%s\n' "$1" | sed -n '$p' | sed 's/^[^:]*: \(line \)\{0,1\}[0-9][0-9]*: //'
}

# Run a command; stop with its name and its own message if it fails.
ensure() {
    if ! _en_out=$("$@" 2>&1 >/dev/null); then
        err "command failed: $*${_en_out:+ ($(reason_of "$_en_out"))}"
    fi
}

# to_file new|append FILE COMMAND...: COMMAND's output into FILE. On failure
# $io_err says why: the shell's message when FILE cannot be opened (read-only,
# no such folder, no space), else the command's. Nothing reaches the terminal.
to_file() {
    _tf_mode=$1
    _tf_file=$2
    shift 2
    if [ "$_tf_mode" = append ]; then
        io_err=$({ "$@" >>"$_tf_file"; } 2>&1) && return 0
    else
        io_err=$({ "$@" >"$_tf_file"; } 2>&1) && return 0
    fi
    io_err=$(reason_of "$io_err")
    [ -n "$io_err" ] || io_err="the write failed"
    return 1
}

# ---------------------------------------------------------------- arguments

parse_args() {
    opt_prefix=
    opt_version=
    opt_yes=no
    opt_modify_path=yes
    opt_completions=yes
    opt_verify=yes
    opt_uninstall=no
    opt_source=no
    opt_source_path=

    while [ $# -gt 0 ]; do
        case $1 in
            --prefix)
                [ $# -ge 2 ] || usage_err "--prefix needs a folder"
                opt_prefix=$2
                shift
                ;;
            --prefix=*) opt_prefix=${1#--prefix=} ;;
            --version)
                [ $# -ge 2 ] || usage_err "--version needs a value (e.g. 0.1.0)"
                opt_version=$2
                shift
                ;;
            --version=*) opt_version=${1#--version=} ;;
            --from-source)
                opt_source=yes
                if [ $# -ge 2 ]; then
                    case $2 in
                        -*) ;;
                        *)
                            opt_source_path=$2
                            shift
                            ;;
                    esac
                fi
                ;;
            --from-source=*)
                opt_source=yes
                opt_source_path=${1#--from-source=}
                ;;
            -y | --yes) opt_yes=yes ;;
            --no-modify-path) opt_modify_path=no ;;
            --no-completions) opt_completions=no ;;
            --no-verify) opt_verify=no ;;
            --uninstall) opt_uninstall=yes ;;
            -h | --help)
                usage
                exit 0
                ;;
            *) usage_err "unknown option '$1'" ;;
        esac
        shift
    done

    if [ "$opt_source" = yes ] && [ -n "$opt_version" ]; then
        usage_err "--version picks a release; it cannot be combined with --from-source"
    fi
    if [ "$opt_uninstall" = yes ] && [ "$opt_source" = yes ]; then
        usage_err "--uninstall cannot be combined with --from-source"
    fi
    if [ -n "$opt_version" ]; then
        opt_version=${opt_version#v}
        case $opt_version in
            '' | *[!0-9A-Za-z.+-]*) usage_err "--version '$opt_version' is not a version (e.g. 0.1.0)" ;;
        esac
    fi
}

# ---------------------------------------------------------------- locations

no_newline() { # VALUE WHAT
    case $1 in
        *'
'*) err "$2 contains a newline; refusing to use it" ;;
    esac
}

set_locations() {
    [ -n "${HOME:-}" ] || err "HOME is not set"
    no_newline "$HOME" "HOME"

    prefix=${opt_prefix:-$HOME/.local}
    # shellcheck disable=SC2088 # a literal ~ (from --prefix=~/dir) is expanded here
    case $prefix in
        /*) ;;
        '~') prefix=$HOME ;;
        '~/'*) prefix=$HOME/${prefix#'~/'} ;;
        *) prefix=$(pwd)/$prefix ;;
    esac
    prefix=${prefix%/}
    no_newline "$prefix" "--prefix"
    bindir=$prefix/bin
    bin_path=$bindir/$APP

    data_home=${XDG_DATA_HOME:-$HOME/.local/share}
    config_home=${XDG_CONFIG_HOME:-$HOME/.config}
    receipt_dir=$data_home/$APP
    receipt=$receipt_dir/receipt
}

# ---------------------------------------------------------------- temp folder

cleanup() {
    if [ -n "${tmp_bin:-}" ] && [ -f "$tmp_bin" ]; then
        rm -f "$tmp_bin"
    fi
    if [ -n "${rc_tmp:-}" ] && [ -f "$rc_tmp" ]; then
        rm -f -- "$rc_tmp"
    fi
    # Only the folder mktemp made for us is ever removed recursively.
    if [ -n "${tmpdir:-}" ] && [ -d "$tmpdir" ]; then
        rm -rf "$tmpdir"
    fi
    release_lock
}

# ---------------------------------------------------------------- one run at a time

# A lock folder in HOME (it always exists; nothing is left when the run ends)
# holding the pid of its owner. A second run waits for the first, up to 10
# minutes; a lock whose owner is gone (killed) is taken over.
take_lock() {
    _tl_lock=$HOME/.$APP.install.lock
    _tl_waited=0
    while ! mkdir -- "$_tl_lock" 2>/dev/null; do
        [ -d "$_tl_lock" ] || err "cannot create the lock folder $_tl_lock (is HOME writable?); nothing was changed"
        _tl_pid=$(cat -- "$_tl_lock/pid" 2>/dev/null)
        case $_tl_pid in
            '' | *[!0-9]*) ;;
            *)
                if ! kill -0 "$_tl_pid" 2>/dev/null; then
                    rm -f -- "$_tl_lock/pid"
                    rmdir -- "$_tl_lock" 2>/dev/null
                    continue
                fi
                ;;
        esac
        if [ "$_tl_waited" -eq 0 ]; then
            say "another tasker-app install or uninstall is running${_tl_pid:+ (pid $_tl_pid)}; waiting for it to finish"
        fi
        if [ "$_tl_waited" -ge 600 ]; then
            err "another install still holds $_tl_lock after 10 minutes; nothing was changed.
help: if no install.sh is running, remove that folder and try again"
        fi
        sleep 1
        _tl_waited=$((_tl_waited + 1))
    done
    lock_dir=$_tl_lock
    to_file new "$lock_dir/pid" printf '%s\n' "$$" ||
        err "cannot write $lock_dir/pid: $io_err; nothing was changed"
}

release_lock() {
    if [ -n "${lock_dir:-}" ]; then
        rm -f -- "$lock_dir/pid"
        rmdir -- "$lock_dir" 2>/dev/null
        lock_dir=
    fi
}

make_tmpdir() {
    tmp_bin=
    tmpdir=$(mktemp -d 2>/dev/null || mktemp -d -t tasker-app.XXXXXXXX 2>&1) || {
        err "could not create a temp folder in ${TMPDIR:-/tmp}: $(reason_of "$tmpdir").
help: is TMPDIR full or not writable? Free some space there, or set TMPDIR to another folder"
    }
    if [ -z "$tmpdir" ] || [ ! -d "$tmpdir" ]; then
        err "mktemp did not create a folder"
    fi
    set_traps
}

# On any exit, remove what this run made in temp places (never anything else).
set_traps() {
    trap cleanup EXIT
    trap 'cleanup; exit 130' INT
    trap 'cleanup; exit 143' TERM HUP
}

# ---------------------------------------------------------------- prompting

# A terminal is usable when /dev/tty opens (it does not without a controlling
# terminal, e.g. in CI or under setsid).
can_prompt() {
    [ "$opt_yes" = no ] || return 1
    (: </dev/tty) 2>/dev/null
}

# ask QUESTION DEFAULT(y|n): true for yes. Reads /dev/tty, so piped installs work.
ask() {
    if [ "$2" = y ]; then _ask_hint='[Y/n]'; else _ask_hint='[y/N]'; fi
    printf '%s %s ' "$1" "$_ask_hint" >/dev/tty
    if ! IFS= read -r _ask_reply </dev/tty; then
        printf '\n' >/dev/tty
        err "no answer; nothing was changed"
    fi
    case ${_ask_reply:-$2} in
        y | Y | yes | YES | Yes) return 0 ;;
        *) return 1 ;;
    esac
}

# ---------------------------------------------------------------- lists

# Newline-separated lists of paths (paths never contain newlines: checked).
list_has() { # LIST ITEM
    case "
$1
" in
        *"
$2
"*) return 0 ;;
    esac
    return 1
}

list_add() { # LIST ITEM -> prints new list
    if [ -z "$1" ]; then
        printf '%s' "$2"
    elif list_has "$1" "$2"; then
        printf '%s' "$1"
    else
        printf '%s\n%s' "$1" "$2"
    fi
}

# ---------------------------------------------------------------- receipt

# Receipt lines: version=, source=, prefix=, file=PATH, dir=PATH (folders we
# created, parents first), rc=KIND:HOW:PATH (KIND sh|fish; HOW created|appended|
# appended-nl, the last meaning we added a newline before our line).
read_receipt() {
    old_version=
    old_prefix=
    old_files=
    old_dirs=
    old_rcs=
    [ -f "$receipt" ] || return 1
    while IFS= read -r _rr_line || [ -n "$_rr_line" ]; do
        case $_rr_line in
            version=*) old_version=${_rr_line#version=} ;;
            prefix=*) old_prefix=${_rr_line#prefix=} ;;
            file=*) old_files=$(list_add "$old_files" "${_rr_line#file=}") ;;
            dir=*) old_dirs=$(list_add "$old_dirs" "${_rr_line#dir=}") ;;
            rc=*) old_rcs=$(list_add "$old_rcs" "${_rr_line#rc=}") ;;
        esac
    done <"$receipt"
    return 0
}

# The receipt is rewritten after every step, so a failure part-way still leaves
# an accurate list for --uninstall.
write_receipt() {
    ensure_dir "$receipt_dir"
    _wr_tmp=$receipt_dir/.receipt.tmp.$$
    if ! to_file new "$_wr_tmp" receipt_text; then
        rm -f -- "$_wr_tmp"
        err "could not write the receipt in $receipt_dir: $io_err"
    fi
    ensure mv -f "$_wr_tmp" "$receipt"
}

receipt_text() {
    printf '# tasker-app install receipt: written by install.sh, read by install.sh --uninstall\n'
    printf 'version=%s\n' "$version"
    printf 'source=%s\n' "$install_source"
    printf 'prefix=%s\n' "$prefix"
    print_list file "$new_files"
    print_list dir "$new_dirs"
    print_list rc "$new_rcs"
}

print_list() { # KEY LIST
    [ -n "$2" ] || return 0
    printf '%s\n' "$2" | while IFS= read -r _pl_item; do
        printf '%s=%s\n' "$1" "$_pl_item"
    done
}

# mkdir -p that remembers which folders it created, so --uninstall can remove
# them again (only if empty) and never a folder that was already there.
ensure_dir() {
    [ -d "$1" ] && return 0
    _ed_missing=
    _ed_dir=$1
    while [ ! -d "$_ed_dir" ]; do
        _ed_missing="$_ed_dir
$_ed_missing"
        _ed_dir=$(dirname -- "$_ed_dir")
    done
    ensure mkdir -p -- "$1"
    while IFS= read -r _ed_item; do
        [ -n "$_ed_item" ] && new_dirs=$(list_add "$new_dirs" "$_ed_item")
    done <<EOF
$_ed_missing
EOF
}

# Start from the previous receipt (same prefix only): its folders and files stay
# ours as long as they exist.
load_previous_install() {
    if ! read_receipt; then
        return 0
    fi
    if [ -n "$old_prefix" ] && [ "$old_prefix" != "$prefix" ]; then
        err "tasker-app is already installed in $old_prefix (receipt: $receipt).
help: run 'sh install.sh --uninstall' first, or pass --prefix $old_prefix"
    fi
    say "updating the existing install (receipt: $receipt, version ${old_version:-unknown})"
    if [ -n "$old_dirs" ]; then
        while IFS= read -r _lp_d; do
            [ -d "$_lp_d" ] && new_dirs=$(list_add "$new_dirs" "$_lp_d")
        done <<EOF
$old_dirs
EOF
    fi
    if [ -n "$old_files" ]; then
        while IFS= read -r _lp_f; do
            [ -f "$_lp_f" ] && new_files=$(list_add "$new_files" "$_lp_f")
        done <<EOF
$old_files
EOF
    fi
}

# ---------------------------------------------------------------- downloading

pick_downloader() {
    downloader=${TASKER_APP_DOWNLOADER:-}
    case $downloader in
        curl | wget) need_cmd "$downloader" ;;
        '')
            if check_cmd curl; then
                downloader=curl
            elif check_cmd wget; then
                downloader=wget
            else
                err "this installer needs curl or wget to download tasker-app.
help: install one of them, or build from a checkout with 'sh install.sh --from-source'"
            fi
            ;;
        *) usage_err "TASKER_APP_DOWNLOADER must be curl or wget, not '$downloader'" ;;
    esac
}

# download URL FILE: 0 when FILE holds what URL serves. Otherwise $dl_kind
# says why: `missing` (the server answered 404 or 410), `write` (FILE could not
# be written: TMPDIR full or not writable) or `other`, and $dl_msg holds the
# tool's own words. The tool's messages never reach the terminal raw.
download() {
    dl_kind=
    dl_msg=
    case $downloader in
        curl)
            case $1 in
                https://*) dl_msg=$(curl --proto '=https' --tlsv1.2 --fail --silent --show-error \
                    --location --retry 3 --connect-timeout 30 --output "$2" "$1" 2>&1) ;;
                *) dl_msg=$(curl --fail --silent --show-error --location --retry 3 \
                    --connect-timeout 30 --output "$2" "$1" 2>&1) ;;
            esac
            _dl_rc=$?
            case $_dl_rc in
                0) return 0 ;;
                23) dl_kind='write' ;;
                22) case $dl_msg in *' 404'* | *' 410'*) dl_kind=missing ;; *) dl_kind=other ;; esac ;;
                *) dl_kind=other ;;
            esac
            ;;
        wget)
            _dl_https=
            case $1 in
                https://*)
                    if wget --help 2>&1 | grep -q -- --https-only; then
                        _dl_https=--https-only
                    fi
                    ;;
            esac
            dl_msg=$(wget ${_dl_https:+"$_dl_https"} --no-verbose --tries=3 --timeout=30 \
                --output-document="$2" "$1" 2>&1)
            _dl_rc=$?
            case $_dl_rc in
                0) return 0 ;;
                3) dl_kind='write' ;;
                8) case $dl_msg in *' 404'* | *' 410'*) dl_kind=missing ;; *) dl_kind=other ;; esac ;;
                *) dl_kind=other ;;
            esac
            ;;
    esac
    case $dl_msg in
        *'No space left'* | *'Failure writing'* | *'Read-only file system'*) dl_kind='write' ;;
    esac
    dl_msg=$(reason_of "$dl_msg")
    return 1
}

# Stops with the reason a download failed; WHAT names it, HELP is the hint
# for a file the server does not have.
download_failed() { # URL WHAT HELP
    case $dl_kind in
        write) err "could not save $2 in $tmpdir: ${dl_msg:-the write failed}. Nothing was installed.
help: TMPDIR is full or not writable: free some space there, or set TMPDIR to a folder with room" ;;
        missing) err "$2 was not found at $1 (${dl_msg:-404}).
help: $3" ;;
        *) err "could not download $2 from $1: ${dl_msg:-no reason given}.
help: check the network connection and try again; $3" ;;
    esac
}

detect_target() {
    if [ -n "${TASKER_APP_TARGET:-}" ]; then
        target=$TASKER_APP_TARGET
        return 0
    fi
    _dt_os=$(uname -s)
    _dt_arch=$(uname -m)
    case $_dt_arch in
        x86_64 | amd64) _dt_arch=x86_64 ;;
        aarch64 | arm64) _dt_arch=aarch64 ;;
        *) err "no release build for CPU '$_dt_arch'.
help: build it instead: sh install.sh --from-source (needs Rust, https://rustup.rs)" ;;
    esac
    case $_dt_os in
        Linux)
            if ldd --version 2>&1 | grep -qi musl; then
                target=$_dt_arch-unknown-linux-musl
            else
                target=$_dt_arch-unknown-linux-gnu
            fi
            ;;
        Darwin)
            # An x86_64 shell under Rosetta on Apple silicon still wants arm64.
            if [ "$_dt_arch" = x86_64 ] &&
                [ "$(sysctl -n sysctl.proc_translated 2>/dev/null)" = 1 ]; then
                _dt_arch=aarch64
            fi
            target=$_dt_arch-apple-darwin
            ;;
        *) err "no release build for '$_dt_os'.
help: build it instead: sh install.sh --from-source (needs Rust, https://rustup.rs)" ;;
    esac
}

base_url_for() { # VERSION
    if [ -n "${TASKER_APP_DOWNLOAD_URL:-}" ]; then
        printf '%s' "${TASKER_APP_DOWNLOAD_URL%/}"
    else
        printf 'https://github.com/%s/releases/download/v%s' "$GITHUB_REPO" "$1"
    fi
}

resolve_version() {
    if [ -n "$opt_version" ]; then
        version=$opt_version
        return 0
    fi
    _rv_file=$tmpdir/latest
    if [ -n "${TASKER_APP_DOWNLOAD_URL:-}" ]; then
        _rv_url=${TASKER_APP_DOWNLOAD_URL%/}/LATEST
        download "$_rv_url" "$_rv_file" ||
            download_failed "$_rv_url" "the latest version" "pass --version V"
        version=$(sed -n 1p "$_rv_file" | tr -d ' \t\r')
    else
        _rv_url=https://api.github.com/repos/$GITHUB_REPO/releases/latest
        download "$_rv_url" "$_rv_file" ||
            download_failed "$_rv_url" "the latest release" "pass --version V, or build from a checkout with --from-source"
        version=$(sed -n 's/.*"tag_name"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$_rv_file" | sed -n 1p)
    fi
    version=${version#v}
    case $version in
        '' | *[!0-9A-Za-z.+-]*) err "could not understand the latest version found at $_rv_url" ;;
    esac
}

# Prints the sha256 of FILE in lowercase hex, using whichever tool exists.
sha256_of() {
    case $hash_tool in
        sha256sum) _sh_out=$(sha256sum <"$1") || return 1 ;;
        shasum) _sh_out=$(shasum -a 256 <"$1") || return 1 ;;
        openssl) _sh_out=$(openssl dgst -sha256 <"$1") || return 1 ;;
        *) return 1 ;;
    esac
    case $hash_tool in
        openssl) _sh_out=${_sh_out##* } ;;
        *) _sh_out=${_sh_out%% *} ;;
    esac
    printf '%s' "$_sh_out" | tr 'ABCDEF' 'abcdef'
}

pick_hash_tool() {
    hash_tool=
    if check_cmd sha256sum; then
        hash_tool=sha256sum
    elif check_cmd shasum && shasum -a 256 </dev/null >/dev/null 2>&1; then
        hash_tool=shasum
    elif check_cmd openssl && openssl dgst -sha256 </dev/null >/dev/null 2>&1; then
        hash_tool=openssl
    fi
    if [ -z "$hash_tool" ] && [ "$opt_verify" = yes ]; then
        err "no sha256 tool found (sha256sum, shasum or openssl), so the download cannot be verified; nothing was installed.
help: install one of them (e.g. coreutils), or re-run with --no-verify to install without checking"
    fi
}

fetch_release() {
    _fr_base=$(base_url_for "$version")
    _fr_asset=$APP-$version-$target.tar.gz
    _fr_url=$_fr_base/$_fr_asset
    install_source="release $_fr_url"
    case $_fr_url in
        https://* | http://127.0.0.1[:/]* | http://localhost[:/]* | http://\[::1\][:/]*) ;;
        *) warn "$_fr_base is not https: the checksum comes from the same place, so it only guards against broken downloads" ;;
    esac
    say "downloading $_fr_url"
    download "$_fr_url" "$tmpdir/$_fr_asset" ||
        download_failed "$_fr_url" "release $version for $target" \
            "check that release $version exists for $target; or build it with --from-source"

    if [ -n "$hash_tool" ]; then
        download "$_fr_url.sha256" "$tmpdir/$_fr_asset.sha256" ||
            download_failed "$_fr_url.sha256" "the checksum of $_fr_asset" \
                "a release always has its .sha256 beside it; nothing was installed"
        _fr_line=$(sed -n 1p "$tmpdir/$_fr_asset.sha256")
        _fr_expected=$(printf '%s' "${_fr_line%% *}" | tr 'ABCDEF' 'abcdef')
        case $_fr_expected in
            *[!0-9a-f]* | '') err "$_fr_url.sha256 does not hold a sha256; nothing was installed" ;;
        esac
        [ ${#_fr_expected} -eq 64 ] || err "$_fr_url.sha256 does not hold a sha256; nothing was installed"
        _fr_actual=$(sha256_of "$tmpdir/$_fr_asset") || err "$hash_tool failed on the download"
        if [ "$_fr_actual" != "$_fr_expected" ]; then
            err "checksum mismatch for $_fr_asset: expected $_fr_expected, got $_fr_actual. The download is corrupt or was tampered with; nothing was installed."
        fi
        say "checksum verified ($hash_tool): $_fr_actual"
    else
        warn "NOT verifying $_fr_asset: no sha256 tool found and --no-verify was given"
    fi

    ensure mkdir "$tmpdir/unpacked"
    if ! _fr_msg=$(tar -xzf "$tmpdir/$_fr_asset" -C "$tmpdir/unpacked" 2>&1); then
        case $_fr_msg in
            *'No space left'* | *'Read-only file system'* | *'Cannot write'* | *'Cannot open'*)
                err "could not unpack $_fr_asset in $tmpdir: $(reason_of "$_fr_msg"). Nothing was installed.
help: TMPDIR is full or not writable: free some space there, or set TMPDIR to a folder with room" ;;
        esac
        err "could not unpack $_fr_asset: $(reason_of "$_fr_msg") (is it a .tar.gz?); nothing was installed"
    fi
    for _fr_candidate in \
        "$tmpdir/unpacked/$APP-$version-$target/$APP" \
        "$tmpdir/unpacked/$APP"; do
        if [ -f "$_fr_candidate" ]; then
            staged_bin=$_fr_candidate
            return 0
        fi
    done
    err "$_fr_asset has no $APP binary inside; nothing was installed"
}

# ---------------------------------------------------------------- from source

resolve_source_dir() {
    if [ -n "$opt_source_path" ]; then
        source_dir=$opt_source_path
    else
        # Run from a file ($0 is that file) rather than piped into sh.
        _rs_dir=
        if [ -f "$0" ]; then
            _rs_dir=$(cd -- "$(dirname -- "$0")" && pwd) || _rs_dir=
        fi
        if [ -z "$_rs_dir" ] || ! grep -q "^name = \"$APP\"" "$_rs_dir/Cargo.toml" 2>/dev/null; then
            usage_err "--from-source needs the path of a tasker-app checkout when install.sh is not run from one.
help: git clone https://github.com/$GITHUB_REPO && sh tasker-app/install.sh --from-source"
        fi
        source_dir=$_rs_dir
    fi
    [ -d "$source_dir" ] || err "--from-source: no folder at $source_dir"
    source_dir=$(cd -- "$source_dir" && pwd) || err "--from-source: cannot enter $source_dir"
    no_newline "$source_dir" "--from-source path"
    [ -f "$source_dir/Cargo.toml" ] ||
        err "--from-source: $source_dir has no Cargo.toml (expected a tasker-app checkout)"
}

build_from_source() {
    need_cmd cargo "install Rust with https://rustup.rs, then re-run"
    # cargo installs into a private root; we then place the binary ourselves, so
    # PREFIX gets no .crates.toml and the receipt covers everything. Reusing the
    # checkout's target/ makes a re-install incremental.
    if [ -n "${CARGO_TARGET_DIR:-}" ]; then
        set --
    else
        set -- --target-dir "$source_dir/target"
    fi
    say "building: cargo install --locked --path $source_dir${1:+ $*}"
    # (the private root on PATH only silences cargo's "add it to your PATH" hint)
    PATH="$tmpdir/root/bin:$PATH" cargo install --locked --path "$source_dir" \
        --root "$tmpdir/root" "$@" ||
        err "cargo install failed (see above); nothing was installed"
    staged_bin=$tmpdir/root/bin/$APP
    [ -f "$staged_bin" ] || err "cargo install did not produce $APP"
}

# ---------------------------------------------------------------- installing

check_binary_runs() {
    _cb_out=$("$staged_bin" --version 2>&1) ||
        err "the $APP binary does not run on this machine: $_cb_out
help: build it instead with --from-source"
    if [ "$opt_source" = yes ]; then
        # "tasker-app 0.1.0" -> 0.1.0
        version=${_cb_out##* }
    fi
}

# Copy beside the destination under a temp name, then rename over it.
install_binary() {
    ensure_dir "$bindir"
    if [ -e "$bin_path" ] && ! list_has "$new_files" "$bin_path"; then
        warn "replacing $bin_path (it was not installed by this installer)"
    fi
    tmp_bin=$bindir/.$APP.tmp.$$
    ensure cp -- "$staged_bin" "$tmp_bin"
    ensure chmod 755 "$tmp_bin"
    ensure mv -f -- "$tmp_bin" "$bin_path"
    tmp_bin=
    new_files=$(list_add "$new_files" "$bin_path")
    write_receipt
    say "installed $bin_path ($APP $version)"
}

# Which shells get completions: those installed or configured here.
completion_shells() {
    _cs=
    if check_cmd bash || [ -f "$HOME/.bashrc" ]; then _cs="$_cs bash"; fi
    if check_cmd zsh || [ -f "$HOME/.zshrc" ]; then _cs="$_cs zsh"; fi
    if check_cmd fish || [ -d "$config_home/fish" ]; then _cs="$_cs fish"; fi
    printf '%s' "${_cs# }"
}

completion_path() { # SHELL
    case $1 in
        bash) printf '%s' "$data_home/bash-completion/completions/$APP" ;;
        zsh)
            if [ -d "$HOME/.zfunc" ]; then
                printf '%s' "$HOME/.zfunc/_$APP"
            else
                printf '%s' "$data_home/zsh/site-functions/_$APP"
            fi
            ;;
        fish) printf '%s' "$config_home/fish/completions/$APP.fish" ;;
    esac
}

install_completions() {
    [ "$opt_completions" = yes ] || return 0
    for _ic_shell in $(completion_shells); do
        _ic_path=$(completion_path "$_ic_shell")
        _ic_dir=$(dirname -- "$_ic_path")
        _ic_tmp=$tmpdir/completion.$_ic_shell
        if ! to_file new "$_ic_tmp" "$bin_path" completions "$_ic_shell" || [ ! -s "$_ic_tmp" ]; then
            warn "'$APP completions $_ic_shell' failed${io_err:+ ($io_err)}; skipping $_ic_shell completions"
            io_err=
            continue
        fi
        ensure_dir "$_ic_dir"
        ensure cp -- "$_ic_tmp" "$_ic_dir/.$APP.completion.tmp.$$"
        ensure mv -f -- "$_ic_dir/.$APP.completion.tmp.$$" "$_ic_path"
        new_files=$(list_add "$new_files" "$_ic_path")
        write_receipt
        say "installed $_ic_shell completions: $_ic_path"
        if [ "$_ic_shell" = zsh ] && ! grep -qF "$_ic_dir" "$HOME/.zshrc" 2>/dev/null; then
            say "zsh: to load them, add this line to ~/.zshrc before 'compinit': fpath+=($_ic_dir)"
        fi
    done
}

# ---------------------------------------------------------------- PATH

# Quote for sh: 'it'\''s'
sh_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Quote for fish: 'it\'s' (and \\ for backslashes)
fish_quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g")"
}

# shellcheck disable=SC2016 # $PATH is meant to expand later, in the user's shell
rc_line() { # KIND
    case $1 in
        sh)
            _rl_q=$(sh_quote "$bindir")
            printf 'case ":${PATH}:" in *:%s:*) ;; *) export PATH=%s:"$PATH" ;; esac %s' \
                "$_rl_q" "$_rl_q" "$RC_MARK"
            ;;
        fish)
            _rl_q=$(fish_quote "$bindir")
            printf 'contains -- %s $PATH; or set -gx PATH %s $PATH %s' "$_rl_q" "$_rl_q" "$RC_MARK"
            ;;
    esac
}

# Startup files to edit, as KIND:PATH lines.
rc_candidates() {
    _rc_login=no
    for _rc_f in .profile .bash_profile .bash_login; do
        if [ -f "$HOME/$_rc_f" ]; then
            printf 'sh:%s\n' "$HOME/$_rc_f"
            _rc_login=yes
        fi
    done
    # Nothing for login shells yet: ~/.profile is the portable one to create.
    [ "$_rc_login" = yes ] || printf 'sh:%s\n' "$HOME/.profile"
    for _rc_f in .bashrc .zshrc; do
        [ -f "$HOME/$_rc_f" ] && printf 'sh:%s\n' "$HOME/$_rc_f"
    done
    if [ -d "$config_home/fish" ]; then
        printf 'fish:%s\n' "$config_home/fish/conf.d/$APP.fish"
    fi
}

on_path() {
    case ":${PATH:-}:" in
        *":$bindir:"* | *":$bindir/:"*) return 0 ;;
    esac
    return 1
}

# HOW a file got our line, as remembered by the previous receipt (or empty).
old_rc_how() { # PATH
    [ -n "$old_rcs" ] || return 0
    while IFS= read -r _or_entry; do
        _or_rest=${_or_entry#*:}
        if [ "${_or_rest#*:}" = "$1" ]; then
            printf '%s' "${_or_rest%%:*}"
            return 0
        fi
    done <<EOF
$old_rcs
EOF
}

# Our lines already present (from an earlier run) are kept in the receipt; new
# ones are appended only when PREFIX/bin is not on PATH yet.
modify_path() {
    _mp_wanted=$1
    _mp_list=$(rc_candidates)
    # Also look again at files an earlier run edited (if they still exist).
    if [ -n "$old_rcs" ]; then
        while IFS= read -r _mp_entry; do
            [ -f "${_mp_entry#*:*:}" ] || continue
            _mp_list=$(list_add "$_mp_list" "${_mp_entry%%:*}:${_mp_entry#*:*:}")
        done <<EOF
$old_rcs
EOF
    fi
    while IFS= read -r _mp_entry; do
        [ -n "$_mp_entry" ] || continue
        _mp_kind=${_mp_entry%%:*}
        _mp_file=${_mp_entry#*:}
        _mp_line=$(rc_line "$_mp_kind")
        if [ -f "$_mp_file" ] && grep -qxF -- "$_mp_line" "$_mp_file"; then
            _mp_how=$(old_rc_how "$_mp_file")
            new_rcs=$(list_add "$new_rcs" "$_mp_kind:${_mp_how:-appended}:$_mp_file")
            continue
        fi
        [ "$_mp_wanted" = yes ] || continue
        if [ -f "$_mp_file" ]; then
            rc_append "$_mp_file" "$_mp_line" no
        else
            ensure_dir "$(dirname -- "$_mp_file")"
            rc_append "$_mp_file" "$_mp_line" yes
        fi
        _mp_how=$rc_how
        new_rcs=$(list_add "$new_rcs" "$_mp_kind:$_mp_how:$_mp_file")
        write_receipt
        say "added $bindir to PATH in $_mp_file"
    done <<EOF
$_mp_list
EOF
    write_receipt
}

# Remove exactly our line from FILE (see rc_remove), keeping the file itself
# (and any symlink) in place; delete the file only if we created it and it is
# now empty.
remove_rc_line() { # KIND HOW FILE
    [ -f "$3" ] || return 0
    _rr_line=$(rc_line "$1")
    if ! grep -qxF -- "$_rr_line" "$3"; then
        warn "$3 no longer has the line this installer added; leaving it as it is"
        return 0
    fi
    rc_remove "$3" "$_rr_line" "$2"
    if [ "$2" = created ] && [ ! -s "$3" ]; then
        rm -f -- "$3"
    fi
    say "removed the PATH line from $3"
}

# ---------------------------------------------------------------- startup-file edits
#
# Every edit of a shell startup file (install and uninstall) goes the same way:
# copy the file to a temp file in the SAME folder (cp -p keeps its mode), write
# the new contents into that copy, verify it (line count and byte size are
# exactly what the edit should give), then rename it over the original. If any
# step fails, the temp file is removed, the original is untouched, and the
# installer stops with exit 1. A symlinked startup file (dotfiles managers) is
# edited where it points, so the symlink stays.

# The file a path finally points to (the path itself when it is no symlink).
real_path() { # PATH
    _rp_p=$1
    _rp_n=0
    while [ -L "$_rp_p" ]; do
        _rp_n=$((_rp_n + 1))
        [ "$_rp_n" -le 40 ] || return 1
        _rp_t=$(readlink -- "$_rp_p") || return 1
        case $_rp_t in
            /*) _rp_p=$_rp_t ;;
            *) _rp_p=$(dirname -- "$_rp_p")/$_rp_t ;;
        esac
    done
    printf '%s' "$_rp_p"
}

# Bytes and lines (a last line without a newline counts) of FILE.
byte_count() { wc -c <"$1" | tr -d ' '; }
line_count() { grep -c '' "$1" 2>/dev/null || true; }

# Does FILE end without a newline (and is not empty)?
lacks_final_newline() { # FILE
    [ -s "$1" ] && [ "$(tail -c 1 -- "$1")" != "" ]
}

# Start an edit of FILE: sets $rc_real (the file to replace) and $rc_tmp (its
# copy in the same folder). NEW=yes when FILE does not exist yet.
rc_begin() { # FILE NEW
    rc_real=$(real_path "$1") || err "cannot follow the symlink $1; it was not changed"
    _rb_dir=$(dirname -- "$rc_real")
    rc_tmp=
    # Said as it is, before trying: a read-only file is its owner's choice.
    if [ "$2" = no ] && [ ! -w "$rc_real" ]; then
        if [ "$rc_real" = "$1" ]; then
            rc_fail "$1" "it is read-only"
        fi
        rc_fail "$1" "it links to $rc_real, which is read-only"
    fi
    if [ ! -w "$_rb_dir" ]; then
        rc_fail "$1" "its folder $_rb_dir is not writable (the new version is written beside it, then renamed)"
    fi
    rc_tmp=$_rb_dir/.${rc_real##*/}.tasker-app.$$.tmp
    if [ "$2" = yes ]; then
        to_file new "$rc_tmp" true || rc_fail "$1" "cannot create a temp file in $_rb_dir: $io_err"
    elif ! _rb_msg=$(cp -p -- "$rc_real" "$rc_tmp" 2>&1); then
        rc_fail "$1" "cannot copy it to a temp file in $_rb_dir: $(reason_of "${_rb_msg:-cp failed}")"
    fi
}

rc_fail() { # FILE WHY
    [ -n "${rc_tmp:-}" ] && rm -f -- "$rc_tmp"
    rc_tmp=
    err "could not edit $1: $2; it was left unchanged.
help: fix that and run install.sh again, or pass --no-modify-path and put $bindir on PATH yourself"
}

# Verify the temp file against the expected byte and line counts, then rename it
# over the original.
rc_commit() { # FILE BYTES LINES
    _rc_b=$(byte_count "$rc_tmp") || rc_fail "$1" "cannot measure the new version"
    _rc_l=$(line_count "$rc_tmp")
    if [ "$_rc_b" != "$2" ] || [ "$_rc_l" != "$3" ]; then
        rc_fail "$1" "the new version has $_rc_b bytes and $_rc_l lines, expected $2 and $3 (a write was lost: is the disk full?)"
    fi
    _rc_msg=$(mv -f -- "$rc_tmp" "$rc_real" 2>&1) ||
        rc_fail "$1" "cannot rename the new version into place: $(reason_of "${_rc_msg:-mv failed}")"
    rc_tmp=
}

# Append LINE to FILE (creating FILE when NEW=yes); ensures the user's last line
# keeps ending with a newline. Prints appended, appended-nl or created.
rc_append() { # FILE LINE NEW
    rc_begin "$1" "$3"
    _ra_b=0
    _ra_l=0
    _ra_nl=
    if [ "$3" = no ]; then
        _ra_b=$(byte_count "$rc_real")
        _ra_l=$(line_count "$rc_real")
        lacks_final_newline "$rc_real" && _ra_nl='
'
    fi
    to_file append "$rc_tmp" printf '%s%s\n' "$_ra_nl" "$2" ||
        rc_fail "$1" "cannot write the new version: $io_err"
    _ra_add=$(printf '%s%s\n' "$_ra_nl" "$2" | wc -c | tr -d ' ')
    rc_commit "$1" $((_ra_b + _ra_add)) $((_ra_l + 1))
    if [ "$3" = yes ]; then
        rc_how=created
    elif [ -n "$_ra_nl" ]; then
        rc_how=appended-nl
    else
        rc_how=appended
    fi
}

# Remove every line that is exactly LINE from FILE. HOW=appended-nl: the install
# added a newline to end the user's last line; it is taken away again only when
# our line is still the file's last line. Every other byte stays as it was.
rc_remove() { # FILE LINE HOW
    rc_begin "$1" no
    _rm_k=$(grep -cxF -- "$2" "$rc_real")
    _rm_b=$(byte_count "$rc_real")
    _rm_l=$(line_count "$rc_real")
    _rm_last=$(tail -n 1 -- "$rc_real")
    _rm_final_nl=yes
    lacks_final_newline "$rc_real" && _rm_final_nl=no
    _rm_drop=0
    if [ "$_rm_last" = "$2" ]; then
        # Our line ends the file: what ends the file afterwards is the user's
        # line, with its newline unless the install had to add that newline.
        [ "$3" = appended-nl ] && _rm_final_nl=no && _rm_drop=1
        [ "$_rm_final_nl" = yes ] || [ "$3" = appended-nl ] || _rm_final_nl=yes
    fi
    # shellcheck disable=SC2016 # an awk program, not shell
    to_file new "$rc_tmp" env TA_LINE="$2" TA_FINAL_NL="$_rm_final_nl" awk '
        BEGIN { line = ENVIRON["TA_LINE"]; final_nl = ENVIRON["TA_FINAL_NL"] }
        $0 == line { next }
        { kept[++n] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                printf "%s", kept[i]
                if (i < n || final_nl == "yes") printf "\n"
            }
        }' "$rc_real" || rc_fail "$1" "cannot write the new version: $io_err"
    _rm_len=$(printf '%s\n' "$2" | wc -c | tr -d ' ')
    # Each of our lines took its text and a newline; the last one may lack its
    # newline (edited by hand), which the final-newline rules above account for.
    _rm_expect=$((_rm_b - _rm_k * _rm_len - _rm_drop))
    if [ "$_rm_last" = "$2" ] && lacks_final_newline "$rc_real"; then
        _rm_expect=$((_rm_expect + 1))
    fi
    rc_commit "$1" "$_rm_expect" $((_rm_l - _rm_k))
}

# ---------------------------------------------------------------- the plan

show_plan() {
    say "this will install $APP:"
    if [ "$opt_source" = yes ]; then
        printf '    from:         source %s (cargo install --locked)\n' "$source_dir" >&2
    else
        printf '    from:         release %s for %s\n' "$version" "$target" >&2
        printf '                  %s\n' "$(base_url_for "$version")" >&2
    fi
    printf '    binary:       %s\n' "$bin_path" >&2
    if [ "$opt_completions" = yes ]; then
        printf '    completions:  %s\n' "$(completion_shells)" >&2
    fi
    if [ "$opt_modify_path" = no ]; then
        printf '    PATH:         not changed (--no-modify-path)\n' >&2
    elif on_path; then
        printf '    PATH:         %s is already on PATH\n' "$bindir" >&2
    else
        printf '    PATH:         add %s in:' "$bindir" >&2
        rc_candidates | while IFS= read -r _sp_e; do
            printf ' %s' "${_sp_e#*:}" >&2
        done
        printf '\n' >&2
    fi
    printf '    receipt:      %s\n' "$receipt" >&2
}

confirm_install() {
    path_change=$opt_modify_path
    on_path && path_change=no
    show_plan
    if can_prompt; then
        ask "Proceed?" y || err "cancelled; nothing was changed"
        if [ "$path_change" = yes ]; then
            ask "Add $bindir to PATH in your shell startup files?" y || path_change=no
        fi
    elif [ "$opt_yes" = no ]; then
        say "no terminal to ask on; going ahead with the defaults (as with -y)"
    fi
}

finish_message() {
    say "done: $APP $version is installed"
    if ! on_path; then
        # shellcheck disable=SC2016 # $PATH is for the user's shell to expand
        say "to use it in this shell now, run:  export PATH=$(sh_quote "$bindir"):\"\$PATH\""
        if [ "$path_change" = no ]; then
            say "(your shell startup files were not changed)"
        else
            say "(new shells get it from your startup files)"
        fi
    fi
}

# ---------------------------------------------------------------- uninstall

removable_name() { # PATH: only files this installer could have made
    case ${1##*/} in
        "$APP" | "_$APP" | "$APP.fish") return 0 ;;
    esac
    return 1
}

do_uninstall() {
    set_traps
    take_lock
    if ! read_receipt; then
        err "no receipt at $receipt, so there is nothing this installer can remove.
help: if you installed with cargo, use 'cargo uninstall $APP'"
    fi
    if [ -n "$opt_prefix" ] && [ "$old_prefix" != "$prefix" ]; then
        err "the receipt is for $old_prefix, not $prefix; nothing was removed"
    fi
    prefix=$old_prefix
    bindir=$prefix/bin
    say "this will remove $APP ${old_version:-} installed in $old_prefix:"
    if [ -n "$old_files" ]; then
        printf '%s\n' "$old_files" | sed 's/^/    remove:   /' >&2
    fi
    if [ -n "$old_rcs" ]; then
        printf '%s\n' "$old_rcs" | sed 's/^[^:]*:[^:]*:/    PATH line from: /' >&2
    fi
    printf '    receipt:  %s\n' "$receipt" >&2
    if can_prompt; then
        ask "Proceed?" y || err "cancelled; nothing was changed"
    fi

    # Startup files are edited through temp files beside them, not in TMPDIR
    # (a full TMPDIR must never cost the user a file).
    set_traps
    if [ -n "$old_rcs" ]; then
        while IFS= read -r _du_entry; do
            _du_kind=${_du_entry%%:*}
            _du_rest=${_du_entry#*:}
            remove_rc_line "$_du_kind" "${_du_rest%%:*}" "${_du_rest#*:}"
        done <<EOF
$old_rcs
EOF
    fi
    if [ -n "$old_files" ]; then
        while IFS= read -r _du_file; do
            if ! removable_name "$_du_file"; then
                warn "the receipt lists $_du_file, which this installer never creates; leaving it"
            elif [ -f "$_du_file" ] || [ -L "$_du_file" ]; then
                rm -f -- "$_du_file" && say "removed $_du_file"
            fi
        done <<EOF
$old_files
EOF
    fi
    rm -f -- "$receipt"
    # Folders we created, deepest first, only if they are empty now.
    if [ -n "$old_dirs" ]; then
        printf '%s\n' "$old_dirs" | sed -n '1!G;h;$p' | while IFS= read -r _du_dir; do
            [ -d "$_du_dir" ] && rmdir -- "$_du_dir" 2>/dev/null
        done
    fi
    say "$APP is uninstalled"
}

# ---------------------------------------------------------------- main

main() {
    parse_args "$@"
    set_locations

    for _m_cmd in uname mktemp mkdir rm cp mv chmod rmdir dirname sed grep tr tail cat awk wc readlink; do
        need_cmd "$_m_cmd"
    done

    new_files=
    new_dirs=
    new_rcs=
    lock_dir=
    if [ "$opt_uninstall" = yes ]; then
        do_uninstall
        return 0
    fi

    make_tmpdir
    take_lock
    load_previous_install
    if [ "$opt_source" = yes ]; then
        resolve_source_dir
        install_source="source $source_dir"
        version=unknown
    else
        need_cmd tar
        pick_downloader
        pick_hash_tool
        detect_target
        resolve_version
    fi

    confirm_install

    if [ "$opt_source" = yes ]; then
        build_from_source
    else
        fetch_release
    fi
    check_binary_runs

    install_binary
    install_completions
    modify_path "$path_change"
    finish_message
}

# The only command this file runs. Inside { }, it runs only once the closing
# brace has been read: a download cut short, even right after `main `, ends in
# a syntax error instead of an install with the defaults.
{
    main "$@"
}
