#!/bin/sh
# shellcheck shell=sh
#
# tests/installer/run.sh [CASE...]: end-to-end tests of install.sh and
# scripts/package.sh (issue 5).
#
# Builds the release archive once with scripts/package.sh, serves it (and a
# tampered copy) from python3's http.server on 127.0.0.1, then runs each case in
# its own sandbox HOME. The last line is "N passed, N failed"; the exit status is
# 1 when any case failed.
#
# Needs: shellcheck, python3, cargo, rustc, sha256sum, curl, setsid, timeout,
# tar (optional: wget for the wget case, script(1) for the /dev/tty prompt case).
# Environment: TASKER_APP_REPO   checkout to test (default: the one holding this file)
#              CARGO_TARGET_DIR  shared with package.sh and the --from-source case
#                                (default: <checkout>/target, so nothing builds twice)
#              KEEP=1            keep the work folder and print where it is

set -u

here=$(cd "$(dirname -- "$0")" && pwd)
repo=${TASKER_APP_REPO:-$(cd "$here/../.." && pwd)}
repo=$(cd "$repo" && pwd)

# shellcheck source=tests/installer/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/installer/cases.sh
. "$here/cases.sh"

ALL_CASES="shellcheck package usage truncated_script release_install latest_with_wget
twice_is_harmless tampered_refused no_hash_tool uninstall_exact
uninstall_ignores_foreign_entries already_on_path
no_modify_path piped_without_tty prompts_on_tty source_install source_needs_checkout
other_prefix_refused odd_prefix_under_bash uninstall_keeps_trailing_newlines
rc_edit_failure_loses_nothing path_hint_is_quoted concurrent_installs full_tmpdir
read_only_startup_file"

passed=0
failed=0
failed_names=
server_pid=

cleanup() {
    stop_server
    if [ "${KEEP:-}" = 1 ]; then
        note "work folder kept: $work"
    elif [ -n "${work:-}" ] && [ -d "$work" ]; then
        rm -rf "$work"
    fi
}

setup_failed() {
    note "setup failed: $1"
    printf '0 passed, 1 failed\n'
    exit 1
}

need_tools() {
    for _nt in shellcheck python3 cargo rustc sha256sum curl setsid timeout tar gzip; do
        command -v "$_nt" >/dev/null 2>&1 || setup_failed "'$_nt' is not installed"
    done
    timeout_bin=$(command -v timeout)
    setsid_bin=$(command -v setsid)
}

# The real archive, built once; a tampered one under the same name whose
# binary is a script, next to the genuine .sha256.
make_dist() {
    dist_good=$work/dist/good
    note "packaging: scripts/package.sh (cargo build --release --locked, CARGO_TARGET_DIR=$target_dir)"
    archive=$(CARGO_TARGET_DIR=$target_dir sh "$repo/scripts/package.sh" "$dist_good" 2>"$work/package.log") || {
        cat "$work/package.log" >&2
        setup_failed "scripts/package.sh failed"
    }
    archive_name=${archive##*/}
    pkg_dir=${archive_name%.tar.gz}
    version=$(cat "$dist_good/LATEST")
    host=$(rustc -vV | sed -n 's/^host: //p')

    mkdir -p "$work/dist/tampered" "$work/evil/$pkg_dir"
    cp "$dist_good/LATEST" "$dist_good/$archive_name.sha256" "$work/dist/tampered/"
    printf '#!/bin/sh\necho tampered\n' >"$work/evil/$pkg_dir/tasker-app"
    chmod 755 "$work/evil/$pkg_dir/tasker-app"
    tar -czf "$work/dist/tampered/$archive_name" -C "$work/evil" "$pkg_dir"
}

main() {
    _m_start=$(date +%s)
    need_tools
    work=$(mktemp -d) || setup_failed "mktemp -d"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    cargo_home=${CARGO_HOME:-$HOME/.cargo}
    rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
    target_dir=${CARGO_TARGET_DIR:-$repo/target}
    base_path=$PATH

    make_dist
    start_server "$work/dist" || setup_failed "the HTTP server did not start"
    note "serving $work/dist at $base_url; testing $repo (tasker-app $version, $host)"

    _m_cases=${*:-$ALL_CASES}
    for _m_case in $_m_cases; do
        run_case "$_m_case"
    done

    stop_server
    note "took $(($(date +%s) - _m_start))s${failed_names:+; failed:$failed_names}"
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [ "$failed" -eq 0 ]
}

main "$@"
