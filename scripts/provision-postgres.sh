#!/usr/bin/env bash
# Provision a local PostgreSQL with the pgmq extension, for tasker-app's tests,
# CI and users on Debian-like systems. Idempotent: run it as often as you like.
#
#   scripts/provision-postgres.sh            # prints DATABASE_URL=... on stdout
#   eval "$(scripts/provision-postgres.sh --export)"   # sets DATABASE_URL and
#                                            # TASKER_APP_TEST_DATABASE_URL
#
# What it does, each step skipped when already done:
#   1. installs PostgreSQL (apt) when no server binaries are found;
#   2. installs pgmq as an extension from the PyPI package `pgmq` (its wheel
#      ships the extension SQL): pip download, then pgmq/sql/pgmq.sql becomes
#      $(pg_config --sharedir)/extension/pgmq--<version>.sql plus pgmq.control;
#   3. starts a server: as root the distribution cluster (pg_ctlcluster),
#      otherwise a private cluster made with initdb under $TASKER_PG_DIR;
#   4. sets the password of role postgres, waits until it accepts connections;
#   5. serves TLS with a certificate for localhost, 127.0.0.1 and ::1 signed by
#      a private CA it makes once (openssl), so that sslmode=verify-full can be
#      used and tested; then prints the URL and the CA's path.
#
# Settings (environment):
#   TASKER_PG_PORT      port (default 5432)
#   TASKER_PG_PASSWORD  password for role postgres (default: postgres)
#   TASKER_PG_DIR       data folder for the non-root cluster
#                       (default: ${XDG_DATA_HOME:-$HOME/.local/share}/tasker-app/postgres)
#   TASKER_PGMQ_PYPI    version of the PyPI package pgmq (default 1.1.4, pgmq 1.13.0)
#   TASKER_PG_CLUSTER   name of the distribution cluster used as root (default main)
#   TASKER_PG_TLS_DIR   where the CA and server certificate go (default: as root
#                       /var/lib/postgresql/tasker-app-tls, otherwise
#                       ${XDG_DATA_HOME:-$HOME/.local/share}/tasker-app/tls)
#   TASKER_PG_STATS=1   also load pg_stat_statements (shared_preload_libraries;
#                       restarts the server once when it is not loaded yet), for
#                       scripts/bench-cost.sh
# All progress goes to stderr; stdout carries only the URL lines:
#   DATABASE_URL=postgresql://postgres:...@127.0.0.1:5432/postgres
#   SSLROOTCERT=/path/ca.crt   (the CA: ...@localhost:5432/postgres?sslmode=verify-full&sslrootcert=/path/ca.crt)
# With --export: DATABASE_URL, TASKER_APP_TEST_DATABASE_URL, TASKER_APP_TEST_SSLROOTCERT.
set -euo pipefail

PORT="${TASKER_PG_PORT:-5432}"
PASSWORD="${TASKER_PG_PASSWORD:-postgres}"
PGMQ_PYPI="${TASKER_PGMQ_PYPI:-1.1.4}"
CLUSTER="${TASKER_PG_CLUSTER:-main}"
EXPORT=0
[ "${1:-}" = "--export" ] && EXPORT=1

say()  { printf 'info: %s\n' "$*" >&2; }
warn() { printf 'warn: %s\n' "$*" >&2; }
err()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as root: directly, or through sudo when available.
as_root() {
    if is_root; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else err "need root for: $* (install sudo, or run this script as root)"
    fi
}

# The newest installed server version's bin folder (Debian layout), or the
# folder of a postgres found on PATH.
find_bindir() {
    local d=""
    local candidates=(/usr/lib/postgresql/*/bin)
    if [ -d "${candidates[0]}" ]; then
        d="$(printf '%s\n' "${candidates[@]}" | sort -V | tail -n 1)"
    fi
    if [ -n "$d" ] && [ -x "$d/postgres" ]; then echo "$d"; return; fi
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir)"
        if [ -x "$d/postgres" ]; then echo "$d"; return; fi
    fi
    if command -v postgres >/dev/null 2>&1; then dirname "$(command -v postgres)"; return; fi
}

install_postgres() {
    BINDIR="$(find_bindir)"
    if [ -n "$BINDIR" ]; then
        say "PostgreSQL found: $("$BINDIR/postgres" --version)"
        return
    fi
    command -v apt-get >/dev/null 2>&1 \
        || err "PostgreSQL is not installed and apt-get is not available. Install PostgreSQL 15+ (macOS: brew install postgresql@17; Docker: docker run -p 5432:5432 -e POSTGRES_PASSWORD=postgres ghcr.io/pgmq/pg17-pgmq)"
    say "installing PostgreSQL with apt-get"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >&2
    BINDIR="$(find_bindir)"
    [ -n "$BINDIR" ] || err "apt-get installed postgresql but no server binary was found under /usr/lib/postgresql"
}

install_pgmq() {
    local sharedir control
    sharedir="$("$BINDIR/pg_config" --sharedir 2>/dev/null || pg_config --sharedir)"
    control="$sharedir/extension/pgmq.control"
    if [ -f "$control" ] && ls "$sharedir"/extension/pgmq--*.sql >/dev/null 2>&1; then
        say "pgmq extension already installed in $sharedir/extension"
        return
    fi
    local py
    py="$(command -v python3 || true)"
    if [ -z "$py" ] || ! "$py" -m pip --version >/dev/null 2>&1; then
        say "installing python3-pip (needed to download the pgmq package)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >&2
        py="$(command -v python3)"
    fi
    local tmp
    tmp="$(mktemp -d)"
    say "downloading PyPI package pgmq==$PGMQ_PYPI (it ships the extension SQL)"
    "$py" -m pip download --quiet --no-deps --only-binary=:all: "pgmq==$PGMQ_PYPI" -d "$tmp" >&2 \
        || err "could not download pgmq==$PGMQ_PYPI from PyPI"
    local wheels=("$tmp"/pgmq-*.whl)
    local wheel="${wheels[0]}"
    [ -f "$wheel" ] || err "pip did not download a pgmq wheel"
    "$py" - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    open(out + "/pgmq.sql", "wb").write(z.read("pgmq/sql/pgmq.sql"))
    open(out + "/VERSION", "wb").write(z.read("pgmq/sql/VERSION"))
PY
    local version
    version="$(tr -d '[:space:]' < "$tmp/VERSION")"
    [ -n "$version" ] || err "the pgmq wheel has no pgmq/sql/VERSION"
    cat > "$tmp/pgmq.control" <<EOF
comment = 'pgmq: a lightweight message queue (installed by tasker-app from the PyPI package pgmq $PGMQ_PYPI)'
default_version = '$version'
schema = 'pgmq'
relocatable = false
superuser = false
EOF
    as_root install -m 0644 "$tmp/pgmq.sql" "$sharedir/extension/pgmq--$version.sql"
    as_root install -m 0644 "$tmp/pgmq.control" "$control"
    rm -rf "$tmp"
    say "installed pgmq $version into $sharedir/extension"
}

wait_ready() {
    local host="$1" _
    for _ in $(seq 1 60); do
        if "$BINDIR/pg_isready" -q -h "$host" -p "$PORT"; then return 0; fi
        sleep 0.5
    done
    err "PostgreSQL did not accept connections on $host:$PORT within 30 s"
}

sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }

start_root_cluster() {
    local version
    version="$(basename "$(dirname "$BINDIR")")"
    if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version $CLUSTER"; then
        say "creating cluster $version/$CLUSTER on port $PORT"
        pg_createcluster -p "$PORT" "$version" "$CLUSTER" >&2
    fi
    local cport
    cport="$(pg_lsclusters -h | awk -v v="$version" -v c="$CLUSTER" '$1==v && $2==c {print $3}')"
    [ "$cport" = "$PORT" ] || { warn "cluster $version/$CLUSTER uses port $cport; using that"; PORT="$cport"; }
    if pg_lsclusters -h | awk -v v="$version" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
        say "cluster $version/$CLUSTER already running on port $PORT"
    else
        say "starting cluster $version/$CLUSTER"
        pg_ctlcluster "$version" "$CLUSTER" start >&2
    fi
    wait_ready 127.0.0.1
    su postgres -c "psql -q -p $PORT -d postgres -c \"ALTER ROLE postgres PASSWORD $(sql_literal "$PASSWORD")\"" >&2 </dev/null
}

start_user_cluster() {
    local dir="${TASKER_PG_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/tasker-app/postgres}"
    if [ ! -f "$dir/PG_VERSION" ]; then
        say "creating a private cluster in $dir"
        mkdir -p "$dir"
        local pw
        pw="$(mktemp)"
        printf '%s\n' "$PASSWORD" > "$pw"
        "$BINDIR/initdb" -D "$dir" -U postgres --pwfile="$pw" --auth-local=scram-sha-256 \
            --auth-host=scram-sha-256 -E UTF8 >&2
        rm -f "$pw"
    fi
    if "$BINDIR/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        say "private cluster in $dir already running"
    else
        say "starting the private cluster in $dir on 127.0.0.1:$PORT"
        "$BINDIR/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -k $dir" start >&2
    fi
    wait_ready 127.0.0.1
    PGPASSWORD="$PASSWORD" "$BINDIR/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres \
        -c "ALTER ROLE postgres PASSWORD $(sql_literal "$PASSWORD")" >&2 </dev/null \
        || err "the private cluster in $dir does not accept the password; remove $dir or set TASKER_PG_PASSWORD"
}

# The private CA and the server's key and certificate, made once; remade when
# they are missing, do not match, or expire within a day.
make_tls_files() {
    local dir="$1"
    command -v openssl >/dev/null 2>&1 || err "openssl is needed to make the server's TLS certificate (apt-get install openssl)"
    mkdir -p "$dir"
    if [ -f "$dir/ca.crt" ] && [ -f "$dir/server.crt" ] && [ -f "$dir/server.key" ] \
        && openssl verify -CAfile "$dir/ca.crt" "$dir/server.crt" >/dev/null 2>&1 \
        && openssl x509 -checkend 86400 -noout -in "$dir/server.crt" >/dev/null 2>&1; then
        say "TLS certificate for localhost already made in $dir"
        return
    fi
    say "making a private CA and a TLS certificate for localhost, 127.0.0.1 and ::1 in $dir"
    if [ ! -f "$dir/ca.key" ] || [ ! -f "$dir/ca.crt" ] \
        || ! openssl x509 -checkend 86400 -noout -in "$dir/ca.crt" >/dev/null 2>&1; then
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
            -subj "/CN=tasker-app local PostgreSQL CA" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null \
            || err "openssl could not make the CA in $dir"
    fi
    local ext
    ext="$(mktemp)"
    printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" > "$ext"
    if ! openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
            -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null \
        || ! openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
            -CAcreateserial -days 825 -extfile "$ext" -out "$dir/server.crt" 2>/dev/null; then
        rm -f "$ext"
        err "openssl could not make the server certificate in $dir"
    fi
    rm -f "$ext" "$dir/server.csr"
    chmod 600 "$dir/ca.key" "$dir/server.key"
    chmod 644 "$dir/ca.crt" "$dir/server.crt"
}

# Makes the running server use that certificate (ALTER SYSTEM + reload: no
# restart), then proves it with psql and sslmode=verify-full.
serve_tls() {
    local dir="$1" _
    if is_root; then chown -R postgres:postgres "$dir"; chmod 755 "$dir"; fi
    PGPASSWORD="$PASSWORD" "$BINDIR/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres >/dev/null </dev/null \
        -c "ALTER SYSTEM SET ssl = on" \
        -c "ALTER SYSTEM SET ssl_cert_file = $(sql_literal "$dir/server.crt")" \
        -c "ALTER SYSTEM SET ssl_key_file = $(sql_literal "$dir/server.key")" \
        -c "SELECT pg_reload_conf()" \
        || err "could not turn TLS on (ALTER SYSTEM needs the superuser postgres)"
    for _ in $(seq 1 20); do
        if PGPASSWORD="$PASSWORD" "$BINDIR/psql" -qAt >/dev/null 2>&1 </dev/null \
            "host=localhost port=$PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$dir/ca.crt" \
            -c "SELECT 1"; then
            say "TLS on: sslmode=verify-full&sslrootcert=$dir/ca.crt works for host localhost"
            return
        fi
        sleep 0.25
    done
    err "the server does not accept sslmode=verify-full with $dir/ca.crt; see the server log"
}

# pg_stat_statements must be preloaded: ALTER SYSTEM, then one restart.
load_stat_statements() {
    local loaded
    loaded="$(PGPASSWORD="$PASSWORD" "$BINDIR/psql" -qAt -h 127.0.0.1 -p "$PORT" -U postgres -d postgres </dev/null \
        -c "SHOW shared_preload_libraries")"
    case ",${loaded// /}," in
        *,pg_stat_statements,*) say "pg_stat_statements already loaded"; return ;;
    esac
    local list="pg_stat_statements"
    [ -n "$loaded" ] && list="$loaded,pg_stat_statements"
    say "loading pg_stat_statements (restarts the server)"
    PGPASSWORD="$PASSWORD" "$BINDIR/psql" -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres >/dev/null </dev/null \
        -c "ALTER SYSTEM SET shared_preload_libraries = $(sql_literal "$list")" \
        || err "could not set shared_preload_libraries"
    if is_root && command -v pg_ctlcluster >/dev/null 2>&1; then
        pg_ctlcluster "$(basename "$(dirname "$BINDIR")")" "$CLUSTER" restart >&2
    else
        local dir="${TASKER_PG_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/tasker-app/postgres}"
        "$BINDIR/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
            -o "-p $PORT -c listen_addresses=127.0.0.1 -k $dir" restart >&2
    fi
    wait_ready 127.0.0.1
}

main() {
    install_postgres
    install_pgmq
    if is_root && command -v pg_ctlcluster >/dev/null 2>&1; then
        start_root_cluster
    else
        start_user_cluster
    fi
    local tls_dir
    if is_root; then
        tls_dir="${TASKER_PG_TLS_DIR:-/var/lib/postgresql/tasker-app-tls}"
    else
        tls_dir="${TASKER_PG_TLS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/tasker-app/tls}"
    fi
    make_tls_files "$tls_dir"
    serve_tls "$tls_dir"
    if [ "${TASKER_PG_STATS:-0}" = 1 ]; then load_stat_statements; fi
    local url="postgresql://postgres:${PASSWORD}@127.0.0.1:${PORT}/postgres"
    say "PostgreSQL with pgmq is ready on 127.0.0.1:$PORT (TLS: add ?sslmode=verify-full&sslrootcert=$tls_dir/ca.crt and use host localhost)"
    if [ "$EXPORT" -eq 1 ]; then
        printf 'export DATABASE_URL=%q\nexport TASKER_APP_TEST_DATABASE_URL=%q\nexport TASKER_APP_TEST_SSLROOTCERT=%q\n' "$url" "$url" "$tls_dir/ca.crt"
    else
        printf 'DATABASE_URL=%s\nSSLROOTCERT=%s\n' "$url" "$tls_dir/ca.crt"
    fi
}

main "$@"
