#!/usr/bin/env bash
# The cost of one task (not a test: prints figures): where the SQL statements
# go, and the CPU-seconds each process spends, for the ecommerce workflow
# (5 steps, a diamond).
#
#   scripts/bench-cost.sh              # debug app, 100 tasks, 5 unfinished at once
#   scripts/bench-cost.sh --release    # the app built with --release
#   BENCH_TASKS=300 BENCH_CONCURRENCY=20 BENCH_IDLE_SECONDS=60 scripts/bench-cost.sh
#
# How statements are split by origin: `APP orchestration`, `APP worker` and the
# bench (`APP bench`: creates the tasks over REST, samples the queues twice a
# second, reads the results) run as separate processes, each connecting as a
# role of its own, and pg_stat_statements keeps the role of every statement.
# Within a process the statement's text says what it is: the queue (pgmq
# functions), transaction control, the app's own sweeps and worker marker, the
# steps' domain functions (the handlers), the engine's SQL.
#
# Phases, each after pg_stat_statements_reset():
#   idle  BENCH_IDLE_SECONDS (default 30) with the processes up and no task:
#         statements per second by origin (polling, sweeps, heartbeats);
#   load  BENCH_TASKS tasks, BENCH_CONCURRENCY unfinished at once: statements
#         and database time per task and per step by origin; the top statements.
# CPU: utime + stime from /proc for orchestration and worker; for PostgreSQL the
# postmaster, its live children and the children it has reaped (so backends
# that ended count too); per task, and the machine's limit as cores / CPU-s.
#
# Needs PostgreSQL with pgmq; pg_stat_statements is loaded by
# `TASKER_PG_STATS=1 scripts/provision-postgres.sh` (this script does it: one
# restart of the server the first time). Ports: free ones, never 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PROFILE=debug
[ "${1:-}" = "--release" ] && PROFILE=release
TASKS="${BENCH_TASKS:-100}"
CONCURRENCY="${BENCH_CONCURRENCY:-5}"
IDLE="${BENCH_IDLE_SECONDS:-30}"
WORK="$(mktemp -d)"
PIDS=()
# shellcheck source=scripts/lib-bench.sh
. "$ROOT/scripts/lib-bench.sh"
trap bench_cleanup EXIT

# One role per process, so pg_stat_statements (keyed by role) tells them apart.
bench_database "bench_cost_$$" tasker_cost_orchestration tasker_cost_worker tasker_cost_bench
bench_app costapp "$PROFILE"
qdb -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

API_PORT=$(free_port)
ORCH_PORT=$(free_port)
WORKER_PORT=$(free_port)
export API_BASE_URL="http://127.0.0.1:$API_PORT"
export TASKER_ORCHESTRATION_URL="http://127.0.0.1:$ORCH_PORT"
(cd "$APP" && exec "$BIN" fake-api --port "$API_PORT" >"$WORK/fake-api.log" 2>&1) & PIDS+=($!)
(cd "$APP" && DATABASE_URL="$(url_as tasker_cost_orchestration)" TASKER_WEB_BIND_ADDRESS="127.0.0.1:$ORCH_PORT" \
    exec "$BIN" orchestration >"$WORK/orchestration.log" 2>&1) & ORCH_PID=$!; PIDS+=("$ORCH_PID")
(cd "$APP" && DATABASE_URL="$(url_as tasker_cost_worker)" TASKER_INSTANCE_PORT="$WORKER_PORT" \
    exec "$BIN" worker >"$WORK/worker.log" 2>&1) & WORKER_PID=$!; PIDS+=("$WORKER_PID")
wait_up "$TASKER_ORCHESTRATION_URL/health" "http://127.0.0.1:$WORKER_PORT/health" "$API_BASE_URL/products/1"
bench() { (cd "$APP" && DATABASE_URL="$(url_as tasker_cost_bench)" "$BIN" bench ecommerce/order_processing "$@"); }
say "warming up: 10 tasks"
bench --tasks 10 --concurrency 5 --context '{"cart_id": 1, "customer_email": "warm{i}@example.com"}' >/dev/null
reset_stats() { qdb -c "SELECT pg_stat_statements_reset()" >/dev/null; }

# Origin of a statement: the role that sent it, then what its text is.
ORIGIN_SQL="
WITH s AS (
  SELECT CASE r.rolname WHEN 'tasker_cost_orchestration' THEN 'orchestration'
                        WHEN 'tasker_cost_worker' THEN 'worker'
                        WHEN 'tasker_cost_bench' THEN 'bench (create, sample, read)'
                        ELSE 'other: ' || r.rolname END AS process,
         CASE
           WHEN s.query ~* '^\\s*(begin|commit|rollback|start transaction|savepoint|release)' THEN 'transaction control'
           WHEN s.query ~* 'pg_try_advisory_lock_shared|pg_locks' THEN 'app: worker marker / lost-step sweep'
           WHEN s.query ~* 'steps_in_process|lost' AND s.query !~* 'pgmq' THEN 'app: sweeps'
           WHEN s.query ~* 'pgmq\\.(read|read_with_poll)|pgmq_read' THEN 'queue: read / poll'
           WHEN s.query ~* 'pgmq\\.send|pgmq_send' THEN 'queue: send'
           WHEN s.query ~* 'pgmq\\.(delete|archive)|pgmq_delete' THEN 'queue: delete / archive'
           WHEN s.query ~* 'pgmq' THEN 'queue: other'
           WHEN s.query ~* 'reserve_stock|register_customer|stock_reservations|customers' THEN 'handlers (domain SQL)'
           WHEN s.query ~* '^\\s*(set|show|select \\\$1|select 1|listen|unlisten)\\M' THEN 'session (set, listen, ping)'
           ELSE 'engine SQL'
         END AS kind,
         s.calls, s.total_exec_time, s.query
  FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
  WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND s.query !~* 'pg_stat_statements'
)"

say "idle: ${IDLE} s with no task"
reset_stats
o0=$(ticks "$ORCH_PID"); w0=$(ticks "$WORKER_PID"); p0=$(pg_ticks)
sleep "$IDLE"
o1=$(ticks "$ORCH_PID"); w1=$(ticks "$WORKER_PID"); p1=$(pg_ticks)
echo "== idle, ${IDLE} s, no task: statements per second"
qdb -F $'\t' -c "$ORIGIN_SQL
SELECT process, kind, round(sum(calls) / $IDLE.0, 2) FROM s GROUP BY 1, 2 ORDER BY 3 DESC" |
    awk -F'\t' '{ printf "  %-30s %-40s %8s/s\n", $1, $2, $3; t += $3 } END { printf "  %-71s %8.2f/s\n", "total", t }'
echo "  top statements (per minute):"
qdb -F $'\t' -c "$ORIGIN_SQL
SELECT round(calls * 60.0 / $IDLE, 1), process, left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
FROM s ORDER BY calls DESC LIMIT 10" |
    awk -F'\t' '{ printf "    %6s  %-14.14s %s\n", $1, $2, $3 }'
echo "  CPU while idle (% of one core): orchestration $(cpu_per $(((o1 - o0) * 100)) "$IDLE")," \
    "worker $(cpu_per $(((w1 - w0) * 100)) "$IDLE"), PostgreSQL $(cpu_per $(((p1 - p0) * 100)) "$IDLE")"

steps_before=$(qdb -c "SELECT count(*) FROM tasker.workflow_steps")
reset_stats
o0=$(ticks "$ORCH_PID"); w0=$(ticks "$WORKER_PID"); p0=$(pg_ticks)
say "load: $TASKS tasks, $CONCURRENCY unfinished at once"
bench --tasks "$TASKS" --concurrency "$CONCURRENCY" \
    --context '{"cart_id": 1, "customer_email": "cost{i}@example.com"}' >"$WORK/bench.txt"
o1=$(ticks "$ORCH_PID"); w1=$(ticks "$WORKER_PID"); p1=$(pg_ticks)
steps=$(( $(qdb -c "SELECT count(*) FROM tasker.workflow_steps") - steps_before ))
grep -E 'completed|tasks/s|p50' "$WORK/bench.txt" | sed 's/^/  /'
echo "== load: $TASKS tasks ($steps steps), $CONCURRENCY unfinished at once, $PROFILE build"
printf '  %-30s %-40s %10s %10s %12s\n' process kind "stmts/task" "stmts/step" "db ms/task"
qdb -F $'\t' -c "$ORIGIN_SQL
SELECT process, kind, round(sum(calls) / $TASKS.0, 1), round(sum(calls) / $steps.0, 1),
       round((sum(total_exec_time) / $TASKS)::numeric, 2)
FROM s GROUP BY 1, 2 ORDER BY sum(calls) DESC" |
    awk -F'\t' '{ printf "  %-30s %-40s %10s %10s %12s\n", $1, $2, $3, $4, $5; t += $3; u += $4; d += $5 }
        END { printf "  %-71s %10.1f %10.1f %12.2f\n", "total", t, u, d }'
echo "  by process (statements per step):"
qdb -F $'\t' -c "$ORIGIN_SQL
SELECT process, round(sum(calls) / $steps.0, 1),
       round(sum(calls) FILTER (WHERE kind <> 'transaction control') / $steps.0, 1)
FROM s GROUP BY 1 ORDER BY 2 DESC" |
    awk -F'\t' '{ printf "    %-30s %6s per step (%s without BEGIN/COMMIT)\n", $1, $2, $3 }'
echo "  top statements (calls per task):"
qdb -F $'\t' -c "$ORIGIN_SQL
SELECT round(calls / $TASKS.0, 1), process, left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
FROM s ORDER BY calls DESC LIMIT ${BENCH_TOP:-15}" |
    awk -F'\t' '{ printf "    %6s  %-14.14s %s\n", $1, $2, $3 }'

o=$(cpu_per $((o1 - o0)) "$TASKS"); w=$(cpu_per $((w1 - w0)) "$TASKS"); p=$(cpu_per $((p1 - p0)) "$TASKS")
total=$(awk -v a="$o" -v b="$w" -v c="$p" 'BEGIN { printf "%.4f", a + b + c }')
cores=$(nproc)
echo "== CPU-seconds per task ($PROFILE build)"
echo "  orchestration $o   worker $w   PostgreSQL $p   total $total"
awk -v t="$total" -v c="$cores" 'BEGIN { printf "  machine limit: %d cores / %.4f CPU-s = %.1f tasks/s (if nothing else ran)\n", c, t, c / t }'
