#!/usr/bin/env bash
# Scale-out on the engine itself (not a test: prints figures): R `APP
# orchestration` replicas and K `APP worker` processes on one PostgreSQL, then
# `APP bench` creating the tasks round-robin through the replicas' APIs.
#
#   scripts/bench-scale.sh                     # release; setups 1:1 2:1 3:1 1:2 2:2 3:3
#   scripts/bench-scale.sh --debug
#   BENCH_SETUPS="1:1 3:3" BENCH_TASKS=500 BENCH_CONCURRENCY=50 scripts/bench-scale.sh
#   BENCH_ASYNC_COMMIT=1 scripts/bench-scale.sh   # the database with synchronous_commit = off
#
# A setup is R:K. For each: tasks/s and p50/p95 (the bench, from the engine's
# tables); steps per worker (the engine's result audit) and task transitions
# per orchestration replica (its processor_uuid): how the work spread; work
# done twice (a step with two results, a step or a task completed twice: 0
# when the engine's claims held) and tasks that did not complete; CPU-seconds
# per task of the replicas, the workers and PostgreSQL (/proc), and so the
# machine's limit: cores / CPU-s per task.
# Each process connects with a pool of BENCH_POOL (default 20) connections, so
# that 3 + 3 processes stay under PostgreSQL's max_connections (100).
# Needs PostgreSQL with pgmq (scripts/provision-postgres.sh). Free ports only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PROFILE=release
[ "${1:-}" = "--debug" ] && PROFILE=debug
TASKS="${BENCH_TASKS:-200}"
CONCURRENCY="${BENCH_CONCURRENCY:-50}"
SETUPS="${BENCH_SETUPS:-1:1 2:1 3:1 1:2 2:2 3:3}"
POOL="${BENCH_POOL:-20}"
WORK="$(mktemp -d)"
PIDS=()
# shellcheck source=scripts/lib-bench.sh
. "$ROOT/scripts/lib-bench.sh"
trap bench_cleanup EXIT

bench_database "bench_scale_$$"
if [ "${BENCH_ASYNC_COMMIT:-0}" = 1 ]; then
    q -c "ALTER DATABASE $DB SET synchronous_commit = off" >/dev/null
fi
# The bench's own app: smaller pools, so that six processes fit the server.
BENCH_CONFIG="common.database.pool max_connections $POOL${BENCH_CONFIG:+; $BENCH_CONFIG}"
bench_app scaleapp "$PROFILE"

API_PORT=$(free_port)
export API_BASE_URL="http://127.0.0.1:$API_PORT"
(cd "$APP" && exec "$BIN" fake-api --port "$API_PORT" >"$WORK/fake-api.log" 2>&1) & FAKE_PID=$!
wait_up "$API_BASE_URL/products/1"

printf '%-6s %8s %8s %8s %10s %10s %10s %8s  %s\n' "R:K" tasks/s p50_ms p95_ms "orch_cpu" "work_cpu" "pg_cpu" "limit" "spread / twice"
for setup in $SETUPS; do
    replicas="${setup%%:*}"
    workers="${setup##*:}"
    ORCH=()
    WORKERS=()
    urls=()
    health=()
    for i in $(seq 1 "$replicas"); do
        port=$(free_port)
        (cd "$APP" && TASKER_WEB_BIND_ADDRESS="127.0.0.1:$port" \
            exec "$BIN" orchestration >"$WORK/orchestration-$i.log" 2>&1) & ORCH+=($!)
        urls+=("http://127.0.0.1:$port")
        health+=("http://127.0.0.1:$port/health")
    done
    for i in $(seq 1 "$workers"); do
        port=$(free_port)
        (cd "$APP" && TASKER_INSTANCE_PORT="$port" exec "$BIN" worker >"$WORK/worker-$i.log" 2>&1) & WORKERS+=($!)
        health+=("http://127.0.0.1:$port/health")
    done
    PIDS=("$FAKE_PID" "${ORCH[@]}" "${WORKERS[@]}")
    wait_up "${health[@]}"
    url_list=$(IFS=,; echo "${urls[*]}")
    # Warm: connections open, templates cached.
    (cd "$APP" && "$BIN" bench ecommerce/order_processing --tasks 10 --concurrency 10 \
        --orchestration-url "$url_list" --context '{"cart_id": 1, "customer_email": "warm{i}@example.com"}') >/dev/null
    o0=$(ticks "${ORCH[@]}"); w0=$(ticks "${WORKERS[@]}"); p0=$(pg_ticks)
    (cd "$APP" && "$BIN" bench ecommerce/order_processing --tasks "$TASKS" --concurrency "$CONCURRENCY" \
        --orchestration-url "$url_list" --format json \
        --context "{\"cart_id\": 1, \"customer_email\": \"s$replicas-$workers-{i}@example.com\"}") >"$WORK/bench-$setup.json"
    o1=$(ticks "${ORCH[@]}"); w1=$(ticks "${WORKERS[@]}"); p1=$(pg_ticks)
    oc=$(cpu_per $((o1 - o0)) "$TASKS"); wc=$(cpu_per $((w1 - w0)) "$TASKS"); pc=$(cpu_per $((p1 - p0)) "$TASKS")
    python3 - "$WORK/bench-$setup.json" "$setup" "$oc" "$wc" "$pc" "$(nproc)" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
setup, oc, wc, pc, cores = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
limit = cores / (oc + wc + pc)
spread = "orch " + "/".join(str(n) for p, n in sorted(r["transitions_by_orchestration"].items()) if p != "none")
spread += ", workers " + "/".join(str(n) for _, n in sorted(r["steps_by_worker"].items()))
t = r["twice"]
twice = f'{t["steps_with_several_results"]}/{t["steps_completed_twice"]}/{t["tasks_completed_twice"]}'
lost = r["tasks"] - r["completed"]
print(f'{setup:<6} {r["tasks_per_second"]:8.1f} {r["latency_ms"]["p50"]:8.0f} {r["latency_ms"]["p95"]:8.0f} '
      f'{oc:10.4f} {wc:10.4f} {pc:10.4f} {limit:8.1f}  {spread}; twice {twice}; not completed {lost}'
      + (f' {r["failures"]}' if r["failures"] else ''))
EOF
    for p in "${ORCH[@]}" "${WORKERS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${ORCH[@]}" "${WORKERS[@]}"; do wait "$p" 2>/dev/null || true; done
done
echo "(CPU columns: CPU-seconds per task of all replicas, all workers, PostgreSQL; limit = $(nproc) cores / their sum, tasks/s;"
echo " spread: task transitions per replica, steps per worker; twice: steps with several results / steps / tasks completed twice)"
