#!/usr/bin/env bash
# Figures of the dashboard (issue 19); not a test, prints numbers.
#
#   scripts/bench-dashboard.sh              # page times and the SSE delay
#   scripts/bench-dashboard.sh --compile    # also: the dashboard's share of the app's compile
#
# 1. The runs list with BENCH_TASKS (default 100000) tasks in tasker.tasks (five
#    steps each, written straight into the engine's tables as finished tasks):
#    p50/p95 of 20 loads of the first page, of a page deep in the list (keyset
#    cursor), filtered by state, and searched by a context value.
# 2. One run page of a 50-step task (a chain, four transitions a step): p50/p95
#    of 20 loads, and of its live part alone (what the page fetches on a change).
# 3. The SSE delay: a page's event stream is open; a step transition is
#    committed; the time until the `change` event arrives (20 times, p50/p95).
# 4. With --compile: `cargo build` of the app after touching the runtime, with
#    the dashboard and with it stubbed out (the two extra dependencies are in
#    the engine's tree either way): what the dashboard adds to the app's first
#    compile beyond the engine.
# The app is a generated ecommerce app under `APP dev` (real engine, free ports),
# compiled into the shared target folder (target/apps), as the tests do.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMPILE=0
[ "${1:-}" = "--compile" ] && COMPILE=1
TASKS="${BENCH_TASKS:-100000}"
TARGET="${TASKER_APP_E2E_TARGET_DIR:-$ROOT/target/apps}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ -n "${BASE_URL:-}" ]; then
        psql "$BASE_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
say() { echo "info: $*" >&2; }
app_cargo() {
    (cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} \
        ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} CARGO_TARGET_DIR="$TARGET" CARGO_BUILD_BUILD_DIR="$TARGET" cargo "$@")
}

eval "$(scripts/provision-postgres.sh --export)"
BASE_URL="$TASKER_APP_TEST_DATABASE_URL"
DB="bench_dashboard_$$"
psql "$BASE_URL" -qc "CREATE DATABASE $DB"
DATABASE_URL="${BASE_URL%/*}/$DB"
export DATABASE_URL

cargo build --locked -q
APP="$WORK/benchdash"
NO_COLOR=1 target/debug/tasker-app build benchdash -t ecommerce -o "$WORK" --database-url "$DATABASE_URL" --yes 2>/dev/null
say "compiling the app (shared target folder $TARGET)"
app_cargo build --locked -q
BIN="$TARGET/debug/benchdash"

# The engine's config with free ports (as tests/app_support does).
ORCH=$(free_port); WORKER=$(free_port); API=$(free_port)
sed -e "s|\"\${TASKER_WEB_BIND_ADDRESS:-127.0.0.1:8080}\"|\"127.0.0.1:$ORCH\"|" \
    -e "s|bind_address = \"127.0.0.1:\${TASKER_INSTANCE_PORT:-8081}\"|bind_address = \"127.0.0.1:$WORKER\"|" \
    -e "s|base_url = \"http://127.0.0.1:8080\"|base_url = \"http://127.0.0.1:$ORCH\"|" \
    "$APP/config/tasker/development.toml" > "$APP/config/tasker/bench.toml"
export TASKER_CONFIG_PATH="$APP/config/tasker/bench.toml" API_BASE_URL="http://127.0.0.1:$API"
export TASKER_ORCHESTRATION_URL="http://127.0.0.1:$ORCH"
(cd "$APP" && exec "$BIN" dev --fake-api-port "$API" --dashboard-port 0 >"$WORK/dev.log" 2>&1) & PIDS+=($!)
for _ in $(seq 600); do grep -q '^ready:' "$WORK/dev.log" && break; sleep 0.2; done
DASH=$(sed -n 's/^ready: dashboard \(http[^ ]*\).*/\1/p' "$WORK/dev.log")
[ -n "$DASH" ] || { cat "$WORK/dev.log"; exit 1; }
say "dashboard at $DASH"

# One real run, so the engine knows the workflow and its steps.
(cd "$APP" && "$BIN" run ecommerce/order_processing --context '{"cart_id": 1, "customer_email": "seed@example.com"}' --wait >/dev/null 2>&1)

say "writing $TASKS finished tasks (five steps each) into the engine's tables"
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -v tasks="$TASKS" <<'SQL'
SET search_path = tasker, public;
CREATE TEMP TABLE seed AS
  SELECT t.named_task_uuid, array_agg(ws.named_step_uuid ORDER BY ws.created_at) AS steps
    FROM tasks t JOIN workflow_steps ws USING (task_uuid) GROUP BY 1 LIMIT 1;
CREATE TEMP TABLE fake AS
  SELECT uuidv7() AS task_uuid, g AS n,
         (now() AT TIME ZONE 'UTC') - make_interval(secs => (:tasks - g)) AS at
    FROM generate_series(1, :tasks) g;
INSERT INTO tasks (task_uuid, named_task_uuid, complete, requested_at, completed_at, initiator,
                   source_system, reason, context, identity_hash, created_at, updated_at, correlation_id)
  SELECT f.task_uuid, s.named_task_uuid, true, f.at, f.at + interval '400 ms', 'bench', 'bench', 'bench',
         jsonb_build_object('cart_id', 1 + f.n % 20, 'customer_email', 'buyer' || f.n || '@example.com'),
         'bench-' || f.task_uuid, f.at, f.at, f.task_uuid
    FROM fake f CROSS JOIN seed s;
INSERT INTO task_transitions (task_uuid, to_state, from_state, sort_key, most_recent, created_at, updated_at)
  SELECT task_uuid, CASE WHEN n % 50 = 0 THEN 'error' ELSE 'complete' END, 'evaluating_results', 1, true,
         at + interval '400 ms', at + interval '400 ms' FROM fake;
INSERT INTO workflow_steps (task_uuid, named_step_uuid, processed, attempts, created_at, updated_at)
  SELECT f.task_uuid, s.steps[i], true, 1, f.at, f.at FROM fake f CROSS JOIN seed s, generate_series(1, 5) i;
INSERT INTO workflow_step_transitions (workflow_step_uuid, to_state, sort_key, most_recent, created_at, updated_at)
  SELECT ws.workflow_step_uuid, 'complete', 1, true, ws.created_at, ws.created_at
    FROM workflow_steps ws JOIN fake f USING (task_uuid);
ANALYZE tasks; ANALYZE task_transitions; ANALYZE workflow_steps; ANALYZE workflow_step_transitions;

-- A 50-step task: a chain, four transitions a step, a result each.
CREATE TEMP TABLE big AS SELECT uuidv7() AS task_uuid;
INSERT INTO named_steps (name, created_at, updated_at)
  SELECT 'bench_step_' || i, now(), now() FROM generate_series(1, 50) i;
INSERT INTO tasks (task_uuid, named_task_uuid, complete, requested_at, initiator, source_system, reason,
                   context, identity_hash, created_at, updated_at, correlation_id)
  SELECT b.task_uuid, s.named_task_uuid, false, now() AT TIME ZONE 'UTC', 'bench', 'bench', 'bench-50',
         '{"note": "50 steps", "api_token": "not shown"}', 'bench-big', now() AT TIME ZONE 'UTC',
         now() AT TIME ZONE 'UTC', b.task_uuid
    FROM big b CROSS JOIN seed s;
INSERT INTO task_transitions (task_uuid, to_state, sort_key, most_recent, created_at, updated_at)
  SELECT task_uuid, 'steps_in_process', 1, true, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM big;
INSERT INTO workflow_steps (task_uuid, named_step_uuid, processed, attempts, results, created_at, updated_at)
  SELECT b.task_uuid, ns.named_step_uuid, true, 1,
         jsonb_build_object('success', true, 'result', jsonb_build_object('n', i)),
         (now() AT TIME ZONE 'UTC') + make_interval(secs => i / 1000.0), now() AT TIME ZONE 'UTC'
    FROM big b, generate_series(1, 50) i JOIN named_steps ns ON ns.name = 'bench_step_' || i;
INSERT INTO workflow_step_edges (from_step_uuid, to_step_uuid, name, created_at, updated_at)
  SELECT a.workflow_step_uuid, b.workflow_step_uuid, 'provides', now(), now()
    FROM workflow_steps a JOIN named_steps na ON na.named_step_uuid = a.named_step_uuid
    JOIN workflow_steps b ON b.task_uuid = a.task_uuid
    JOIN named_steps nb ON nb.named_step_uuid = b.named_step_uuid
   WHERE a.task_uuid = (SELECT task_uuid FROM big)
     AND substr(nb.name, 12)::int = substr(na.name, 12)::int + 1;
INSERT INTO workflow_step_transitions (workflow_step_uuid, to_state, sort_key, most_recent, created_at, updated_at)
  SELECT ws.workflow_step_uuid, st.state, st.k, st.k = 4, ws.created_at + make_interval(secs => st.k / 10.0),
         ws.created_at
    FROM workflow_steps ws JOIN big USING (task_uuid),
         (VALUES ('enqueued', 1), ('in_progress', 2), ('enqueued_for_orchestration', 3), ('complete', 4)) st(state, k);
\copy (SELECT task_uuid FROM big) TO 'big.txt'
SQL
BIG=$(cat big.txt); rm -f big.txt

python3 - "$DASH" "$BIG" "$DATABASE_URL" <<'PY'
import statistics, subprocess, sys, time, urllib.request
dash, big, db = sys.argv[1:4]

def load(url):
    t = time.perf_counter()
    with urllib.request.urlopen(url) as r:
        body = r.read()
        assert r.status == 200, r.status
    return (time.perf_counter() - t) * 1000, body

def figure(name, url, n=20):
    load(url)  # one warm-up
    times = sorted(load(url)[0] for _ in range(n))
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"{name:<44} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({n} loads)")

_, first = load(dash + "/")
cursor = None
url = dash + "/"
for _ in range(200):  # 200 pages down: task 10,000 of the list
    _, body = load(url)
    i = body.find(b'id="older" href="/?before=')
    if i < 0:
        break
    cursor = body[i + len(b'id="older" href="/?before='):].split(b'"')[0].decode()
    url = dash + "/?before=" + cursor
figure("runs list, first page", dash + "/")
figure("runs list, page 201 (keyset cursor)", dash + "/?before=" + cursor)
figure("runs list, state=error", dash + "/?state=error")
figure("runs list, search a context value", dash + "/?q=buyer77777%40")
figure("runs list, live part only (?fragment)", dash + "/?fragment=live")
figure("run page, 50-step task", dash + "/runs/" + big)
figure("run page, 50-step task, live part only", dash + "/runs/" + big + "?fragment=live")

# SSE delay: open the run's stream, commit a step transition, time the event.
import http.client, urllib.parse
u = urllib.parse.urlparse(dash)
delays = []
for k in range(20):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    conn.request("GET", f"/runs/{big}/events")
    resp = conn.getresponse()
    def next_event():
        while True:
            line = resp.fp.readline()
            if line.startswith(b"event: change"):
                return
    next_event()  # the one sent on connecting
    time.sleep(0.3 + (k % 5) * 0.037)  # land at different points of the server's poll
    sql = ("UPDATE tasker.workflow_steps SET updated_at = clock_timestamp() AT TIME ZONE 'UTC' "
           f"WHERE workflow_step_uuid = (SELECT workflow_step_uuid FROM tasker.workflow_steps "
           f"WHERE task_uuid = '{big}' ORDER BY created_at LIMIT 1)")
    subprocess.run(["psql", db, "-qc", sql], check=True)
    committed = time.perf_counter()
    next_event()
    delays.append((time.perf_counter() - committed) * 1000)
    conn.close()
delays.sort()
print(f"{'SSE delay, commit -> change event':<44} p50 {statistics.median(delays):7.1f} ms   "
      f"p95 {delays[int(0.95 * len(delays)) - 1]:7.1f} ms   max {delays[-1]:.1f} ms (20 changes)")
PY
echo "(tasks in tasker.tasks: $(psql "$DATABASE_URL" -tAc 'SELECT count(*) FROM tasker.tasks'))"

if [ "$COMPILE" = 1 ]; then
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    RT="$APP/vendor/tasker-app-runtime/src"
    # Non-incremental, so each build compiles the runtime crate whole, as a first build does.
    build_time() {
        touch "$RT/lib.rs"
        local t0; t0=$(date +%s.%N)
        (cd "$APP" && env -i PATH="$PATH" HOME="$HOME" ${CARGO_HOME:+CARGO_HOME="$CARGO_HOME"} \
            ${RUSTUP_HOME:+RUSTUP_HOME="$RUSTUP_HOME"} CARGO_TARGET_DIR="$TARGET" CARGO_BUILD_BUILD_DIR="$TARGET" CARGO_INCREMENTAL=0 \
            cargo build --locked -q)
        awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
    }
    build_time >/dev/null   # the first non-incremental build settles the profile
    with=$(build_time)
    # The dashboard stubbed out: the same public items, no pages.
    mv "$RT/dashboard" "$WORK/dashboard.full"
    mkdir "$RT/dashboard"
    cat > "$RT/dashboard/mod.rs" <<'RS'
pub const DEV_PORT: u16 = 8082;
pub struct Dashboard { pub addr: std::net::SocketAddr }
impl Dashboard {
    pub fn url(&self) -> String { String::new() }
    pub async fn start(_: &crate::settings::Settings, addr: std::net::SocketAddr) -> anyhow::Result<Dashboard> { Ok(Dashboard { addr }) }
    pub async fn stop(self) {}
}
pub async fn start_if_enabled(_: &crate::settings::Settings) -> anyhow::Result<Option<Dashboard>> { Ok(None) }
RS
    without=$(build_time)
    rm -rf "$RT/dashboard"; mv "$WORK/dashboard.full" "$RT/dashboard"
    with_again=$(build_time)
    echo "cargo build of the runtime crate and the app, whole (non-incremental, debug, $(nproc) cores):" \
        "with the dashboard $with s and $with_again s, with it stubbed out $without s"
fi
