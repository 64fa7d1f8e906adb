#!/usr/bin/env bash
# The newcomer's path, timed phase by phase, from nothing: an EMPTY Cargo home
# (no crate downloaded yet), an empty target folder and a fresh HOME, as on a
# new machine. It follows the README:
#
#   1. install      sh install.sh --from-source -y     (cargo install, release)
#   2. build        tasker-app build shop -t ecommerce --database-url URL
#                   (files, engine crates fetched for their migrations, database)
#   3. compile      cargo build in the app              (the first, cold compile)
#   4. workflow     cargo run -- dev, wait for `ready:`, then from a "second
#                   terminal" cargo run -- run ecommerce/order_processing --wait
#
#   scripts/bench-newcomer.sh            # prints each phase and the total
#
# Needs PostgreSQL with pgmq (scripts/provision-postgres.sh provides it; the
# database URL comes from DATABASE_URL or that script) and protoc, as the
# README says. Uses the machine's Rust toolchain (RUSTUP_HOME is kept).
# Nothing here is a test: the figures are for the README and the issue notes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

say() { printf 'bench: %s\n' "$*" >&2; }

export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
work="$(mktemp -d -t tasker-app-newcomer-XXXXXX)"
dev_pid=""
cleanup() {
    if [ -n "$dev_pid" ]; then
        kill -INT "$dev_pid" 2>/dev/null || true
        wait "$dev_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

server_url="${DATABASE_URL:-$("$repo/scripts/provision-postgres.sh" | sed -n 's/^DATABASE_URL=//p')}"
db="newcomer_$$"
app_url="${server_url%/*}/$db"
psql "$server_url" -qc "DROP DATABASE IF EXISTS $db" >/dev/null

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

install() { sh "$repo/install.sh" --from-source "$repo" -y --no-modify-path >"$work/install.log" 2>&1; }
build_app() { (cd "$work" && tasker-app build shop -t ecommerce --database-url "$app_url" --yes) >"$work/build.log" 2>&1; }
compile() { (cd "$work/shop" && cargo build) >"$work/compile.log" 2>&1; }
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
trap cleanup EXIT

total=0
printf '\n%-10s %10s\n' phase seconds
for i in "${!names[@]}"; do
    printf '%-10s %10.1f\n' "${names[$i]}" "${secs[$i]}"
    total=$(awk -v a="$total" -v b="${secs[$i]}" 'BEGIN { print a + b }')
done
printf '%-10s %10.1f   (goal: 300 s)\n' total "$total"
printf 'cargo home after the run: %s\n' "$(du -sh "$CARGO_HOME" | cut -f1)"
psql "$server_url" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
