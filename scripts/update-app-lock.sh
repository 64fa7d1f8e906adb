#!/usr/bin/env bash
# Refresh templates/skeleton/Cargo.lock, the dependency tree every generated app
# builds with. Run it after changing the skeleton's Cargo.toml.tera or the
# engine version (plan.rs TASKER_VERSION), then commit the lock and the golden
# listing (UPDATE_SNAPSHOTS=1 cargo test --test cli golden).
#   scripts/update-app-lock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cargo build -q
NO_COLOR=1 target/debug/tasker-app build lockgen --skip-db --yes -o "$WORK" >/dev/null 2>&1
rm -f "$WORK/lockgen/Cargo.lock"
(cd "$WORK/lockgen" && cargo generate-lockfile -q)
sed 's/^name = "lockgen"$/name = "tasker-app-generated"/' "$WORK/lockgen/Cargo.lock" > templates/skeleton/Cargo.lock
grep -c '^name = ' templates/skeleton/Cargo.lock | xargs printf 'info: %s packages pinned in templates/skeleton/Cargo.lock\n' >&2
