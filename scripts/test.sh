#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (protoc, shellcheck, tmux, Prometheus, PostgreSQL with pgmq), starts PostgreSQL, then runs
# lint, every cargo test (unit, CLI, database, generated-app end to end) and
# the installer suite. Safe to run again; each setup step is skipped when done.
#
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'info: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_packages() {
    local missing=()
    command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
    command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
    # tests/dashboard.rs: headless Chromium through its WebDriver
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    if [ "${#missing[@]}" -gt 0 ]; then
        say "installing ${missing[*]} (apt)"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

main() {
    need_packages
    say "provisioning PostgreSQL with pgmq"
    eval "$(scripts/provision-postgres.sh --export)"
    export TASKER_APP_TEST_DATABASE_URL DATABASE_URL TASKER_APP_TEST_SSLROOTCERT
    say "lint: rustfmt, clippy"
    cargo fmt --check
    cargo clippy --locked --workspace --all-targets -- -D warnings
    say "cargo test (unit, CLI, database, generated app end to end)"
    cargo test --locked --workspace --all-targets -- --test-threads="${TASKER_APP_TEST_THREADS:-2}"
    say "installer tests"
    sh tests/installer/run.sh
}

main "$@"
