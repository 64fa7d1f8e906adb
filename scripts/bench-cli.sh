#!/usr/bin/env bash
# Benchmarks of the tasker-app CLI itself (not a test: prints figures).
#   scripts/bench-cli.sh
# Measures, with the release binary:
#   - `tasker-app --help`
#   - `tasker-app build bench --skip-db` of all three templates into a fresh folder
#   - `tasker-app build` re-run over an existing app (everything identical)
#   - the size of the release binary
# Uses hyperfine when installed (apt-get install hyperfine), else a shell loop.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -q
BIN="$PWD/target/release/tasker-app"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export NO_COLOR=1
unset DATABASE_URL

if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N --warmup 5 --runs 50 "$BIN --help"
    hyperfine --warmup 3 --runs 30 --prepare "rm -rf $WORK/fresh" \
        "$BIN build bench --skip-db --yes -o $WORK/fresh"
    "$BIN" build bench --skip-db --yes -o "$WORK/again" 2>/dev/null
    hyperfine --warmup 3 --runs 30 "$BIN build bench --skip-db --yes -o $WORK/again"
else
    loop() {
        local n=$1; shift
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$n"); do "$@" >/dev/null 2>&1; done
        end=$(date +%s%N)
        echo "$* : $(( (end - start) / n / 1000 )) us mean over $n runs"
    }
    loop 50 "$BIN" --help
    loop 30 sh -c "rm -rf $WORK/fresh && $BIN build bench --skip-db --yes -o $WORK/fresh"
fi
files=$(find "$WORK/again/bench" -type f | wc -l)
echo "generated files: $files"
echo "release binary: $(stat -c %s "$BIN") bytes ($(( $(stat -c %s "$BIN") / 1024 / 1024 )) MiB)"
