#!/usr/bin/env bash
# Benchmark (not a test: prints figures): `tasker-app build` of all three
# templates with a local database, from start to "database ready", each run on
# a fresh database and a fresh folder. Target: under 3 s when the engine crates
# are already in Cargo's registry.
#
#   scripts/bench-db.sh [RUNS]          (default 5)
#
# Needs PostgreSQL with pgmq: uses $TASKER_APP_TEST_DATABASE_URL, else runs
# scripts/provision-postgres.sh. Also times the pieces: a second build over
# the same database (nothing to apply), install-database-objects alone, and
# `--check`.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${1:-5}"
cargo build --release --locked -q
BIN="$PWD/target/release/tasker-app"
WORK="$(mktemp -d)"
export NO_COLOR=1
unset DATABASE_URL

if [ -z "${TASKER_APP_TEST_DATABASE_URL:-}" ]; then
    eval "$(scripts/provision-postgres.sh --export)"
fi
SERVER="$TASKER_APP_TEST_DATABASE_URL"
# postgresql://user:pw@host:port/db -> same server, database $1
db_url() { printf '%s/%s\n' "${SERVER%/*}" "$1"; }
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql "$SERVER" -qAt -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }

DBS=()
cleanup() {
    for d in "${DBS[@]}"; do psql_admin "DROP DATABASE IF EXISTS $d WITH (FORCE)" || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# Prints the milliseconds one command took; fails if the command fails.
time_ms() {
    local start end
    start=$(now_ms)
    if ! "$@" >"$WORK/out.log" 2>&1; then
        echo "failed: $*" >&2
        sed 's/:[^:@]*@/:****@/' "$WORK/out.log" >&2
        exit 1
    fi
    end=$(now_ms)
    echo $((end - start))
}

stats() { # name, then numbers
    local name="$1"; shift
    printf '%s\n' "$@" | sort -n | awk -v name="$name" '
        { v[NR] = $1; sum += $1 }
        END { printf "%-44s min %5d ms  median %5d ms  max %5d ms  (%d runs)\n",
              name, v[1], v[int((NR + 1) / 2)], v[NR], NR }'
}

# Until build's database step is wired, build = `build --skip-db` followed by
# `install-database-objects` on the new app (the same work, two processes).
build_db() { # dir, url
    if [ "$WIRED" = 1 ]; then
        "$BIN" build bench -o "$1" --yes --database-url "$2"
    else
        "$BIN" build bench -o "$1" --yes --skip-db && "$BIN" install-database-objects "$1/bench" --database-url "$2"
    fi
}
WIRED=1
psql_admin "DROP DATABASE IF EXISTS tapp_bench_probe_$$"
DBS+=("tapp_bench_probe_$$")
if ! "$BIN" build bench -o "$WORK/probe" --yes --database-url "$(db_url "tapp_bench_probe_$$")" >"$WORK/probe.log" 2>&1; then
    if grep -q "not wired" "$WORK/probe.log"; then
        WIRED=0
        echo "note: build's database step is not wired in this revision; timing build --skip-db + install-database-objects" >&2
    else
        cat "$WORK/probe.log" >&2
        exit 1
    fi
fi

build_fresh=() build_again=() install_fresh=() check_ms=()
for i in $(seq "$RUNS"); do
    db="tapp_bench_$$_$i"
    DBS+=("$db" "${db}_i")
    psql_admin "DROP DATABASE IF EXISTS $db"
    # build creates the database itself when it does not exist.
    build_fresh+=("$(time_ms build_db "$WORK/b$i" "$(db_url "$db")")")
    build_again+=("$(time_ms build_db "$WORK/b$i" "$(db_url "$db")")")
    check_ms+=("$(time_ms "$BIN" install-database-objects "$WORK/b$i/bench" --check --database-url "$(db_url "$db")")")
    psql_admin "DROP DATABASE IF EXISTS ${db}_i"
    install_fresh+=("$(time_ms "$BIN" install-database-objects "$WORK/i$i" --database-url "$(db_url "${db}_i")")")
done

echo "PostgreSQL: $(psql "$SERVER" -qAt -c 'show server_version')   cores: $(nproc)"
stats "build (3 templates) + fresh database ready" "${build_fresh[@]}"
stats "build again (database: nothing to apply)" "${build_again[@]}"
stats "install-database-objects, fresh database" "${install_fresh[@]}"
stats "install-database-objects --check" "${check_ms[@]}"
