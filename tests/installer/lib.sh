# shellcheck shell=sh
# shellcheck disable=SC2154,SC2034,SC2016 # variables cross files (set in run.sh, read in cases.sh); sh -c scripts take $1 on purpose
#
# tests/installer/lib.sh: the harness behind tests/installer/run.sh.
#
# Every case runs in its own sandbox (a fresh HOME, TMPDIR and spare folder) with
# a clean environment (env -i), stdin from /dev/null and no controlling terminal
# (setsid), under a timeout, so a prompt can never hang the suite.

# ---------------------------------------------------------------- reporting

note() {
    printf '%s\n' "$*" >&2
}

# Record a failed expectation in the current case (the case keeps going).
fail() {
    printf '    not ok: %s\n' "$*" >>"$t_log/report"
    t_failed=yes
}

# check DESCRIPTION COMMAND...: fail with DESCRIPTION unless COMMAND succeeds.
check() {
    _ck_desc=$1
    shift
    "$@" >/dev/null 2>&1 || fail "$_ck_desc"
}

check_not() {
    _ck_desc=$1
    shift
    if "$@" >/dev/null 2>&1; then fail "$_ck_desc"; fi
}

# Lines in FILE that are exactly LINE.
count_lines() { # FILE LINE
    if [ -f "$1" ]; then grep -cxF -- "$2" "$1"; else echo 0; fi
}

check_count() { # DESCRIPTION FILE LINE EXPECTED
    _cc_n=$(count_lines "$2" "$3")
    [ "$_cc_n" = "$4" ] || fail "$1 (found $_cc_n, expected $4)"
}

# ---------------------------------------------------------------- sandbox

# Folder tree as text: type, path, and sha256 of each file.
snapshot() { # DIR
    (cd "$1" && find . -print | LC_ALL=C sort | while IFS= read -r _sn_p; do
        if [ -L "$_sn_p" ]; then
            printf 'L %s -> %s\n' "$_sn_p" "$(readlink "$_sn_p")"
        elif [ -d "$_sn_p" ]; then
            printf 'D %s\n' "$_sn_p"
        else
            printf 'F %s %s\n' "$_sn_p" "$(sha256sum <"$_sn_p" | cut -c1-64)"
        fi
    done)
}

# snapshot_same DESCRIPTION BEFORE_FILE: fail unless the sandbox still matches.
snapshot_same() {
    snapshot "$t_root" >"$t_log/snap.now"
    if ! diff -u "$2" "$t_log/snap.now" >"$t_log/snap.diff"; then
        fail "$1; changes:"
        sed 's/^/        /' "$t_log/snap.diff" >>"$t_log/report"
    fi
}

new_sandbox() { # NAME
    t_name=$1
    t_dir=$work/cases/$1
    t_root=$t_dir/root        # everything the installer may touch
    t_home=$t_root/home
    t_spare=$t_root/spare     # for --prefix and decoys outside HOME
    t_log=$t_dir/log
    t_tmp=$t_dir/tmp          # TMPDIR: must be empty after every run
    mkdir -p "$t_home" "$t_spare" "$t_log" "$t_tmp"
    : >"$t_log/report"
    : >"$t_log/runs"
    t_failed=no
    t_runs=0
    T_PATH=$base_path
    T_URL=$base_url/good
    T_DL=
    T_SH=/bin/sh
    T_SCRIPT=$repo/install.sh
    T_CWD=$t_spare
    T_AS=     # e.g. "setpriv --reuid=65534 ...": run the installer as another user
    T_OUT=    # log name prefix, for runs at the same time
}

# inst ARGS...: run $T_SCRIPT (install.sh of the checkout) from $T_CWD, no
# terminal, stdin /dev/null (as $T_AS when set).
# Sets $rc; stdout/stderr in $t_log/${T_OUT}out and $t_log/${T_OUT}err.
inst() {
    t_runs=$((t_runs + 1))
    # shellcheck disable=SC2086 # T_AS is a command and its arguments
    (cd "$T_CWD" && exec env -i HOME="$t_home" PATH="$T_PATH" TMPDIR="$t_tmp" TERM=dumb LANG=C \
        TASKER_APP_DOWNLOAD_URL="$T_URL" TASKER_APP_DOWNLOADER="$T_DL" \
        CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" CARGO_TARGET_DIR="$target_dir" \
        "$timeout_bin" 600 "$setsid_bin" -w $T_AS "$T_SH" "$T_SCRIPT" "$@") \
        </dev/null >"$t_log/${T_OUT}out" 2>"$t_log/${T_OUT}err"
    rc=$?
    log_run "(in $T_CWD) sh $T_SCRIPT $*"
}

# inst_piped ARGS...: `cat install.sh | sh -s -- ARGS`, no terminal.
inst_piped() {
    t_runs=$((t_runs + 1))
    env -i HOME="$t_home" PATH="$T_PATH" TMPDIR="$t_tmp" TERM=dumb LANG=C \
        TASKER_APP_DOWNLOAD_URL="$T_URL" TASKER_APP_DOWNLOADER="$T_DL" \
        CARGO_HOME="$cargo_home" RUSTUP_HOME="$rustup_home" CARGO_TARGET_DIR="$target_dir" \
        "$timeout_bin" 120 "$setsid_bin" -w "$T_SH" -c 'f=$1 s=$2; shift 2; cat "$f" | "$s" -s -- "$@"' \
        sh "$repo/install.sh" "$T_SH" "$@" \
        </dev/null >"$t_log/out" 2>"$t_log/err"
    rc=$?
    log_run "cat install.sh | sh -s -- $*"
}

log_run() {
    {
        printf -- '--- run %s: %s (exit %s)\n' "$t_runs" "$1" "$rc"
        sed 's/^/    /' "$t_log/${T_OUT}err"
    } >>"$t_log/runs"
}

expect_rc() { # EXPECTED DESCRIPTION
    [ "$rc" = "$1" ] || fail "$2: exit $rc, expected $1"
}

expect_err() { # TEXT DESCRIPTION
    grep -qF -- "$1" "$t_log/err" || fail "$2: stderr lacks '$1'"
}

tmp_is_clean() {
    _tc_left=$(find "$t_tmp" -mindepth 1 -maxdepth 1 | tr '\n' ' ')
    [ -z "$_tc_left" ] || fail "temp folder left behind in TMPDIR: $_tc_left"
}

receipt_of() { # HOME
    printf '%s' "$1/.local/share/tasker-app/receipt"
}

# ---------------------------------------------------------------- the server

# python3 http.server on 127.0.0.1 and a port the kernel picks; the port is read
# back from its first line.
start_server() { # DIR
    python3 -u -m http.server --bind 127.0.0.1 0 --directory "$1" \
        >"$work/server.log" 2>&1 &
    server_pid=$!
    _ss_i=0
    while [ $_ss_i -lt 100 ]; do
        server_port=$(sed -n 's/^Serving HTTP on .* port \([0-9][0-9]*\).*/\1/p' "$work/server.log")
        [ -n "$server_port" ] && break
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
        _ss_i=$((_ss_i + 1))
    done
    [ -n "${server_port:-}" ] || {
        cat "$work/server.log" >&2
        return 1
    }
    base_url=http://127.0.0.1:$server_port
}

stop_server() {
    if [ -n "${server_pid:-}" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}

# ---------------------------------------------------------------- running

run_case() { # NAME
    new_sandbox "$1"
    _rc_start=$(date +%s)
    "t_$1"
    _rc_secs=$(($(date +%s) - _rc_start))
    if [ "$t_failed" = no ]; then
        passed=$((passed + 1))
        printf 'ok    %-36s %3ss\n' "$1" "$_rc_secs"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $1"
        printf 'FAIL  %-36s %3ss\n' "$1" "$_rc_secs"
        cat "$t_log/report"
        printf '    installer runs (stderr):\n'
        sed 's/^/    /' "$t_log/runs"
    fi
}
