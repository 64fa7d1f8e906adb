#!/usr/bin/env bash
# Benchmarks of a generated app (not a test: prints figures).
#
#   scripts/bench-app.sh            # warm: reuses the shared target folder
#   scripts/bench-app.sh --cold     # cold: empties it first (a full engine compile)
#
# Measures:
#   1. time from `tasker-app build` (all templates, with a database) to the first
#      completed ecommerce workflow: build + cargo build + start fake-api and
#      serve + `run --wait`;
#   2. the edit loop: `cargo build` after a one-line change to one step
#      (src/handlers/ecommerce/create_order.rs), three times;
#   3. `APP bench`: created->complete latency one task at a time (30 tasks), then
#      TASKS (default 200) tasks with BENCH_CONCURRENCY (default 50) unfinished at
#      once: p50/p95/p99 and completed tasks per second.
# Needs PostgreSQL with pgmq (scripts/provision-postgres.sh) and protoc.
# Uses ports 8080/8081 (serve) and a free port for fake-api.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

COLD=0
[ "${1:-}" = "--cold" ] && COLD=1
TASKS="${BENCH_TASKS:-200}"
TARGET="${TASKER_APP_E2E_TARGET_DIR:-$ROOT/target/apps}"
WORK="$(mktemp -d)"
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

eval "$(scripts/provision-postgres.sh --export)"
BASE_URL="$TASKER_APP_TEST_DATABASE_URL"
DB="bench_app_$$"
psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
DATABASE_URL="${BASE_URL%/*}/$DB"
export DATABASE_URL

cargo build --release --locked -q
TASKER_APP="$ROOT/target/release/tasker-app"
if [ "$COLD" = 1 ]; then rm -rf "$TARGET"; fi

API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export API_BASE_URL="http://127.0.0.1:$API_PORT"
APP="$WORK/benchapp"

t0=$(now)
NO_COLOR=1 "$TASKER_APP" build benchapp -o "$WORK" --database-url "$DATABASE_URL" --yes 2>/dev/null
t_build=$(now)
# A clean environment, as tests/e2e_app.rs uses, so both share the warm target folder.
(cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} \
    CARGO_TARGET_DIR="$TARGET" CARGO_BUILD_BUILD_DIR="$TARGET" cargo build --locked -q)
t_compile=$(now)
EDITS=()
for i in 1 2 3; do
    echo "// edit $i" >> "$APP/src/handlers/ecommerce/create_order.rs"
    e0=$(now)
    (cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} \
        CARGO_TARGET_DIR="$TARGET" CARGO_BUILD_BUILD_DIR="$TARGET" cargo build --locked -q)
    EDITS+=("$(elapsed "$e0" "$(now)")")
done
BIN="$TARGET/debug/benchapp"
(cd "$APP" && exec "$BIN" fake-api --port "$API_PORT" >"$WORK/fake-api.log" 2>&1) & PIDS+=($!)
(cd "$APP" && exec "$BIN" serve >"$WORK/serve.log" 2>&1) & PIDS+=($!)
until curl -sf http://127.0.0.1:8080/health >/dev/null; do sleep 0.2; done
until curl -sf "$API_BASE_URL/products/1" >/dev/null; do sleep 0.2; done
t_up=$(now)
(cd "$APP" && "$BIN" run ecommerce/order_processing --context '{"cart_id": 1, "customer_email": "bench@example.com"}' --wait >/dev/null 2>&1)
t_done=$(now)

label=warm; [ "$COLD" = 1 ] && label=cold
echo "first workflow ($label): $(elapsed "$t0" "$t_done") s total"
echo "  tasker-app build + database: $(elapsed "$t0" "$t_build") s"
echo "  cargo build of the app:      $(elapsed "$t_build" "$t_compile") s"
echo "  fake-api + serve ready:      $(elapsed "$t_compile" "$t_up") s"
echo "  run --wait (ecommerce):      $(elapsed "$t_up" "$t_done") s"
echo "edit loop: cargo build after a one-line change to one step: ${EDITS[*]} s"

# Latency (one task at a time) and throughput (TASKS tasks, CONCURRENCY unfinished
# at once), both measured by the app's own `bench` from the engine's tables.
CONCURRENCY="${BENCH_CONCURRENCY:-50}"
(cd "$APP" && "$BIN" bench ecommerce/order_processing --tasks 30 --concurrency 1 \
    --context '{"cart_id": 1, "customer_email": "latency{i}@example.com"}')
(cd "$APP" && "$BIN" bench ecommerce/order_processing --tasks "$TASKS" --concurrency "$CONCURRENCY" \
    --context '{"cart_id": 2, "customer_email": "load{i}@example.com"}')
psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
