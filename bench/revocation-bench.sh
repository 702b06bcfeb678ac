#!/usr/bin/env bash
# Revocation across nodes under load (issue 16 item 3): how long node B keeps issuing tokens to a
# client after node A revoked it.
#
# Builds the release binary, creates a schema of its own in the PostgreSQL database, initialises one
# installation on it and starts two servers (A and B: the same data directory, database and public
# URL, their own ports), provisions a load client (bench/provision.py --clients 1), puts both servers
# under wrk load of client_secret_post tokens at the same time, then runs bench/revocation.py: N
# revocations through A (alternately a secret removed, a service principal disabled, an application
# deleted), each timed from A's answer until B refuses. Prints p50 / p99 / max (goal: p99 <= 1 s) and
# the load both servers carried meanwhile. Drops the schema at the end.
#
# Environment (defaults in brackets):
#   CUSTOS_TEST_POSTGRES_URL [postgres://postgres@127.0.0.1:5432/test]  the database
#   BENCH_PROFILE [release]   `debug` reuses target/debug/custos: only to check the harness
#   BENCH_REVOCATIONS [50]    revocations to time
#   BENCH_CONNS [16]          wrk connections per server (one wrk thread each)
#   BENCH_KEEP [0]            1 keeps the work directory (it holds secrets) and the schema
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
REVOCATIONS="${BENCH_REVOCATIONS:-50}"
CONNS="${BENCH_CONNS:-16}"
DATABASE="${CUSTOS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
LUA="$REPO_ROOT/bench/wrk/token.lua"

log() { printf '[revocation-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

command -v wrk >/dev/null || die "wrk is required (apt-get install wrk)"
command -v psql >/dev/null || die "psql is required"
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null || die "$PYTHON lacks requests or cryptography"

# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
custos_binary

WORK=$(mktemp -d /tmp/custos-revocation.XXXXXX)
DATA="$WORK/data"
SCHEMA="custos_revocation_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
SEPARATOR='?'
[[ "$DATABASE" == *\?* ]] && SEPARATOR='&'
SCHEMA_URL="${DATABASE}${SEPARATOR}options=-c%20search_path%3D${SCHEMA}"
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_A=$(free_port)
PORT_B=$(free_port)
PUBLIC_URL="https://localhost:$PORT_A"
PIDS=()
WRK_PIDS=()
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

cleanup() {
    for pid in "${WRK_PIDS[@]}" "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${WRK_PIDS[@]}" "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        log "kept $WORK and schema $SCHEMA"
    else
        psql "$DATABASE" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

start_server() { # NAME PORT
    local log_file="$WORK/serve-$1.log"
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$2" --public-url "$PUBLIC_URL" \
        --database-url "$SCHEMA_URL" >"$log_file" 2>&1 </dev/null &
    PIDS+=($!)
    for _ in $(seq 1 600); do
        grep -q "listening on https://127.0.0.1:$2" "$log_file" 2>/dev/null && return 0
        kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$log_file" >&2; die "server $1 exited during start"; }
        sleep 0.1
    done
    die "server $1 not ready within 60 s"
}

log "schema $SCHEMA; custos init ($DATA)"
psql "$DATABASE" -v ON_ERROR_STOP=1 -qc "CREATE SCHEMA $SCHEMA" >/dev/null
"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" --database-url "$SCHEMA_URL" >"$WORK/init.json"
start_server a "$PORT_A"
start_server b "$PORT_B"
log "A on $PORT_A, B on $PORT_B; provisioning the load client"
"$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients 1 --out "$WORK/inputs" 2>&1 |
    grep -v '^provision: [0-9]*/' >&2
TENANT=$(<"$WORK/inputs/tenant.txt")

log "wrk -t1 -c$CONNS on each server (client_secret_post, one client), then $REVOCATIONS revocations through A"
for port in "$PORT_A" "$PORT_B"; do
    wrk -t1 -c"$CONNS" -d3600s --latency -s "$LUA" "https://127.0.0.1:$port/$TENANT/oauth2/v2.0/token" \
        -- post "$WORK/inputs/post-1.txt" >"$WORK/wrk-$port.txt" 2>&1 &
    WRK_PIDS+=($!)
done
sleep 3 # let the load settle
BOX_BEFORE=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
STARTED=$(date +%s.%N)
(cd "$REPO_ROOT/bench" && "$PYTHON" revocation.py --admin "$DATA/admin.json" --node-b "https://localhost:$PORT_B" \
    --count "$REVOCATIONS") >"$WORK/revocation.txt"
ENDED=$(date +%s.%N)
BOX_AFTER=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
for pid in "${WRK_PIDS[@]}"; do kill -INT "$pid"; done
for pid in "${WRK_PIDS[@]}"; do wait "$pid" || true; done
WRK_PIDS=()

echo "# Revocation across two nodes under load"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); build profile: $PROFILE"
echo "- machine: $(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }'), $(nproc) vCPUs; PostgreSQL $(psql "$DATABASE" -Atc 'SHOW server_version') on the same machine"
echo "- load: wrk -t1 -c$CONNS on each server at once (client_secret_post, one client, HTTPS keep-alive), for the whole measurement"
for port in "$PORT_A" "$PORT_B"; do
    name=A
    [[ "$port" == "$PORT_B" ]] && name=B
    awk -v name="$name" '/^CUSTOS_RESULT / {
        for (i = 2; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] }
        printf "- server %s carried %.0f tokens/s (p50 %.1f ms, p99 %.1f ms, non-200 %d)\n", name,
            v["requests"] / (v["duration_us"] / 1e6), v["p50_us"] / 1000, v["p99_us"] / 1000, v["non200"] }' "$WORK/wrk-$port.txt"
done
awk -v b="$BOX_BEFORE" -v a="$BOX_AFTER" -v n="$(nproc)" 'BEGIN { split(b, x, " "); split(a, y, " ");
    printf "- box busy during the measurement: %.2f of %d cores\n", n * (y[1] - x[1]) / (y[2] - x[2]), n }'
awk -v s="$STARTED" -v e="$ENDED" -v n="$REVOCATIONS" 'BEGIN { printf "- %d revocations in %.0f s\n", n, e - s }'
echo
sed -n 's/^REVOCATION /- /p' "$WORK/revocation.txt"
