# shellcheck shell=bash
# What scripts/bench-cost.sh and scripts/bench-scale.sh share: a database with a
# role per process, an ecommerce app compiled in a profile, processes on free
# ports, and CPU time read from /proc. Sourced, not run. Needs ROOT, WORK and a
# PIDS array from the caller; sets DB, BASE_URL, DATABASE_URL, APP, BIN.

say() { printf '%s: %s\n' "$(basename "$0" .sh)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
q() { psql "$BASE_URL" -qAtX -v ON_ERROR_STOP=1 "$@"; }
qdb() { psql "${BASE_URL%/*}/$DB" -qAtX -v ON_ERROR_STOP=1 "$@"; }

# bench_database NAME ROLE...: PostgreSQL with pgmq and pg_stat_statements, a
# new database NAME and one login role per process (superusers like the app's
# own: the benches count work, not grants).
BENCH_ROLES=()
bench_database() {
    DB="$1"
    shift
    eval "$(TASKER_PG_STATS=1 "$ROOT/scripts/provision-postgres.sh" --export 2>/dev/null)"
    BASE_URL="$TASKER_APP_TEST_DATABASE_URL"
    q -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
    BENCH_ROLES=("$@")
    for r in "$@"; do
        q -c "DROP ROLE IF EXISTS $r" -c "CREATE ROLE $r LOGIN SUPERUSER PASSWORD 'bench'" 2>/dev/null
    done
    DATABASE_URL="${BASE_URL%/*}/$DB"
    export DATABASE_URL
}

# url_as ROLE: the bench database's URL for that role.
url_as() {
    local hostport="${BASE_URL#*@}"
    printf 'postgresql://%s:bench@%s/%s' "$1" "${hostport%%/*}" "$DB"
}

bench_cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
    if [ -n "${DB:-}" ]; then q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; fi
    for r in "${BENCH_ROLES[@]}"; do q -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
    rm -rf "$WORK"
}

# bench_app NAME PROFILE: the ecommerce app, built with the database, compiled
# (debug or release) into the target folder the tests share (CARGO_BUILD_BUILD_DIR
# too: never into the build folder apps share in the Cargo home).
bench_app() {
    local name="$1" profile="$2"
    local target="${TASKER_APP_E2E_TARGET_DIR:-$ROOT/target/apps}"
    (cd "$ROOT" && cargo build --release --locked -q)
    NO_COLOR=1 "$ROOT/target/release/tasker-app" build "$name" -o "$WORK" -t ecommerce \
        --database-url "$DATABASE_URL" --yes >/dev/null 2>&1
    APP="$WORK/$name"
    local flags=(--locked -q)
    [ "$profile" = release ] && flags+=(--release)
    say "compiling the app ($profile)"
    (cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} \
        ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} CARGO_TARGET_DIR="$target" CARGO_BUILD_BUILD_DIR="$target" cargo build "${flags[@]}")
    # shellcheck disable=SC2034 # used by the scripts that source this
    BIN="$target/$profile/$name"
    bench_config "$APP/config/tasker/development.toml"
}

# bench_config FILE: applies BENCH_CONFIG, "section key value" entries separated
# by ';', to the engine config of the bench's app (levers measured by command):
#   BENCH_CONFIG='orchestration.event_systems.task_readiness deployment_mode "PollingOnly"'
bench_config() {
    [ -n "${BENCH_CONFIG:-}" ] || return 0
    python3 - "$1" "$BENCH_CONFIG" <<'PY'
import re, sys
path, spec = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
for entry in filter(None, (e.strip() for e in spec.split(";"))):
    section, key, value = entry.split(None, 2)
    start = next((i for i, l in enumerate(lines) if l.strip() == f"[{section}]"), None)
    if start is None:
        sys.exit(f"BENCH_CONFIG: no [{section}] in {path}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
    at = next((i for i in range(start + 1, end) if re.match(rf"{re.escape(key)}\s*=", lines[i])), None)
    if at is None:
        lines.insert(end, f"{key} = {value}")
    else:
        lines[at] = f"{key} = {value}"
    print(f"config: [{section}] {key} = {value}", file=sys.stderr)
open(path, "w").write("\n".join(lines))
PY
}

# wait_up URL...: each answers, or the logs are shown and the script ends.
wait_up() {
    local url
    for url in "$@"; do
        for _ in $(seq 1 600); do curl -sf "$url" >/dev/null && break; sleep 0.2; done
        curl -sf "$url" >/dev/null || { say "not up: $url"; tail -20 "$WORK"/*.log >&2; exit 1; }
    done
}

# CPU ticks of processes, summed: utime + stime (fields 14 and 15 of
# /proc/PID/stat); a process that is gone counts 0.
ticks() {
    local total=0 pid
    for pid in "$@"; do
        total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
# Of PostgreSQL: the postmaster with the children it reaped (ended backends),
# and its live children.
pg_ticks() {
    local pm reaped
    pm=$(head -1 "$(q -c "SHOW data_directory")/postmaster.pid")
    reaped=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$pm/stat")
    # shellcheck disable=SC2046 # one PID per word
    echo $((reaped + $(ticks $(pgrep -P "$pm"))))
}
# cpu_per TICKS N: CPU-seconds per item.
cpu_per() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" 'BEGIN { printf "%.4f", t / hz / n }'; }
