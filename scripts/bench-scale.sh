#!/usr/bin/env bash
# Scale-out on the engine itself (not a test: prints figures): one
# `APP orchestration` and K `APP worker` processes (K = 1, 2, 3) on one
# PostgreSQL, `APP bench` against each setup. The bench's "steps by worker"
# line (the engine's tasker.workflow_step_result_audit.worker_uuid) shows how
# the steps spread across the workers.
#
#   scripts/bench-scale.sh                 # K = 1 2 3, 200 tasks, 50 unfinished at once
#   BENCH_TASKS=500 BENCH_WORKERS="1 2" scripts/bench-scale.sh
# Needs PostgreSQL with pgmq (scripts/provision-postgres.sh) and protoc.
# Uses ports 8080 (orchestration), 8081.. (workers) and a free port for fake-api.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

TASKS="${BENCH_TASKS:-200}"
CONCURRENCY="${BENCH_CONCURRENCY:-50}"
WORKERS="${BENCH_WORKERS:-1 2 3}"
TARGET="${TASKER_APP_E2E_TARGET_DIR:-$ROOT/target/apps}"
WORK="$(mktemp -d)"
PIDS=()

stop_all() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    PIDS=()
}
cleanup() {
    stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT

eval "$(scripts/provision-postgres.sh --export)"
BASE_URL="$TASKER_APP_TEST_DATABASE_URL"
DB="bench_scale_$$"
psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
DATABASE_URL="${BASE_URL%/*}/$DB"
export DATABASE_URL

cargo build --release --locked -q
NO_COLOR=1 target/release/tasker-app build scaleapp -o "$WORK" -t ecommerce \
    --database-url "$DATABASE_URL" --yes 2>/dev/null
APP="$WORK/scaleapp"
(cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} \
    CARGO_TARGET_DIR="$TARGET" cargo build --locked -q)
BIN="$TARGET/debug/scaleapp"

API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export API_BASE_URL="http://127.0.0.1:$API_PORT"

for k in $WORKERS; do
    (cd "$APP" && exec "$BIN" fake-api --port "$API_PORT" >"$WORK/fake-api.log" 2>&1) & PIDS+=($!)
    (cd "$APP" && exec "$BIN" orchestration >"$WORK/orchestration.log" 2>&1) & PIDS+=($!)
    for i in $(seq 1 "$k"); do
        (cd "$APP" && TASKER_INSTANCE_PORT="$((8080 + i))" \
            exec "$BIN" worker >"$WORK/worker-$i.log" 2>&1) & PIDS+=($!)
    done
    until curl -sf http://127.0.0.1:8080/health >/dev/null; do sleep 0.2; done
    for i in $(seq 1 "$k"); do
        until curl -sf "http://127.0.0.1:$((8080 + i))/health" >/dev/null; do sleep 0.2; done
    done
    until curl -sf "$API_BASE_URL/products/1" >/dev/null; do sleep 0.2; done
    echo "== orchestration + $k worker(s)"
    (cd "$APP" && "$BIN" bench ecommerce/order_processing --tasks "$TASKS" --concurrency "$CONCURRENCY" \
        --context "{\"cart_id\": 1, \"customer_email\": \"k$k-{i}@example.com\"}")
    stop_all
done
psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
