#!/usr/bin/env bash
# The newcomer's path, timed phase by phase, from nothing: an EMPTY Cargo home
# (no crate downloaded yet), an empty target folder and a fresh HOME, as on a
# new machine. It follows the README:
#
#   1. install      archive (default): the release archive scripts/package.sh
#                   makes, served over loopback HTTP (python3 -m http.server),
#                   fetched the way a newcomer runs it:
#                     curl -sSf http://127.0.0.1:PORT/install.sh | sh -s -- -y
#                   with TASKER_APP_DOWNLOAD_URL pointing at that server;
#                   --from-source: sh install.sh --from-source -y (cargo install,
#                   release, in the empty Cargo home)
#   2. build        tasker-app build shop -t ecommerce --database-url URL
#                   (files, engine crates fetched for their migrations, database)
#   3. compile      cargo build in the app              (the first, cold compile)
#   4. workflow     cargo run -- dev, wait for `ready:`, then from a "second
#                   terminal" cargo run -- run ecommerce/order_processing --wait
#
# Then, outside the total: a second app (`market`, --skip-db) built and
# compiled on the same machine, where the engine's crates are compiled already
# (the build folder apps share, in the Cargo home: README, "Figures: the first
# build of a generated app").
#
#   scripts/bench-newcomer.sh                 # archive mode; each phase and the total
#   scripts/bench-newcomer.sh --from-source   # install from this checkout instead
#
# Archive mode first runs scripts/package.sh (a release build of this checkout
# with the caller's Cargo home and target; not timed: that is the publisher's
# work) and needs python3 and curl. Both modes need PostgreSQL with pgmq
# (scripts/provision-postgres.sh provides it; the database URL comes from
# DATABASE_URL or that script) and protoc, as the README says. Uses the
# machine's Rust toolchain (RUSTUP_HOME is kept).
# Nothing here is a test: the figures are for the README and the issue notes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf 'bench: %s\n' "$*" >&2; }

mode=archive
for arg in "$@"; do
    case $arg in
        --from-source) mode=source ;;
        --archive) mode=archive ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            say "unknown option '$arg' (use --from-source, --archive or --help)"
            exit 2
            ;;
    esac
done

export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
work="$(mktemp -d -t tasker-app-newcomer-XXXXXX)"
dev_pid=""
http_pid=""
stop_dev() {
    if [ -n "$dev_pid" ]; then
        kill -INT "$dev_pid" 2>/dev/null || true
        wait "$dev_pid" 2>/dev/null || true
        dev_pid=""
    fi
}
cleanup() {
    stop_dev
    if [ -n "$http_pid" ]; then
        kill "$http_pid" 2>/dev/null || true
        wait "$http_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

server_url="${DATABASE_URL:-$("$repo/scripts/provision-postgres.sh" | sed -n 's/^DATABASE_URL=//p')}"
db="newcomer_$$"
app_url="${server_url%/*}/$db"
psql "$server_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null

# The publisher's part, before the newcomer's machine exists: the release
# archive, served on a free loopback port with the installer beside it.
download_url=""
if [ "$mode" = archive ]; then
    for tool in python3 curl; do
        command -v "$tool" >/dev/null || { say "archive mode needs $tool"; exit 1; }
    done
    say "packaging: scripts/package.sh (release build of this checkout; not timed)"
    mkdir -p "$work/dist"
    sh "$repo/scripts/package.sh" "$work/dist" >"$work/package.log" 2>&1 || {
        cat "$work/package.log" >&2
        exit 1
    }
    cp "$repo/install.sh" "$work/dist/install.sh"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    python3 -m http.server --bind 127.0.0.1 --directory "$work/dist" "$port" >"$work/http.log" 2>&1 &
    http_pid=$!
    download_url="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -sSf -o /dev/null "$download_url/LATEST" 2>/dev/null && break
        sleep 0.1
    done
    curl -sSf -o /dev/null "$download_url/LATEST" || { say "the HTTP server on port $port did not answer"; exit 1; }
    say "serving $work/dist at $download_url"
fi

export HOME="$work/home" CARGO_HOME="$work/cargo-home"
mkdir -p "$HOME" "$CARGO_HOME"
unset CARGO_TARGET_DIR DATABASE_URL
export PATH="$HOME/.local/bin:$PATH"

declare -a names=() secs=()
phase() {
    local name="$1"
    shift
    say "phase $name: $*"
    local start end
    start=$(date +%s.%N)
    "$@"
    end=$(date +%s.%N)
    names+=("$name")
    secs+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
    say "phase $name: $(printf '%.1f' "${secs[-1]}") s"
}

install() {
    if [ "$mode" = archive ]; then
        # As `curl -sSf https://.../install.sh | sh` would run it.
        curl -sSf "$download_url/install.sh" |
            TASKER_APP_DOWNLOAD_URL="$download_url" sh -s -- -y --no-modify-path >"$work/install.log" 2>&1
    else
        sh "$repo/install.sh" --from-source "$repo" -y --no-modify-path >"$work/install.log" 2>&1
    fi
}
build_app() { (cd "$work" && tasker-app build shop -t ecommerce --database-url "$app_url" --yes) >"$work/build.log" 2>&1; }
compile() { (cd "$work/shop" && cargo build) >"$work/compile.log" 2>&1; }
build_second() { (cd "$work" && tasker-app build market -t ecommerce --skip-db --yes) >"$work/build2.log" 2>&1; }
compile_second() { (cd "$work/market" && cargo build) >"$work/compile2.log" 2>&1; }
first_workflow() {
    : >"$work/dev.log"
    (cd "$work/shop" && exec cargo run -q -- dev) >>"$work/dev.log" 2>&1 &
    dev_pid=$!
    local waited=0
    until grep -q '^ready:' "$work/dev.log"; do
        if ! kill -0 "$dev_pid" 2>/dev/null || [ "$waited" -ge 1200 ]; then
            cat "$work/dev.log" >&2
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    (cd "$work/shop" && cargo run -q -- run ecommerce/order_processing \
        --context '{"cart_id": 1, "customer_email": "ada@example.com"}' --wait) >"$work/run.log" 2>&1
}

trap 'echo "bench: phase failed; logs in $work" >&2; trap - EXIT; exit 1' ERR
phase install install
phase build build_app
phase compile compile
phase workflow first_workflow
stop_dev
newcomer=${#names[@]}
phase build2 build_second
phase compile2 compile_second
trap cleanup EXIT

total=0
printf '\nmode: %s\n%-10s %10s\n' "$mode" phase seconds
for i in "${!names[@]}"; do
    if [ "$i" -eq "$newcomer" ]; then
        printf '%-10s %10.1f   (goal: 300 s)\n' total "$total"
        printf 'then a second app, engine compiled already:\n'
    fi
    printf '%-10s %10.1f\n' "${names[$i]}" "${secs[$i]}"
    [ "$i" -ge "$newcomer" ] || total=$(awk -v a="$total" -v b="${secs[$i]}" 'BEGIN { print a + b }')
done
printf 'cargo home after the run: %s (of which the shared build folder %s); shop/target %s\n' \
    "$(du -sh "$CARGO_HOME" | cut -f1)" "$(du -sh "$CARGO_HOME/tasker-app/build" 2>/dev/null | cut -f1)" \
    "$(du -sh "$work/shop/target" | cut -f1)"
psql "$server_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
