#!/usr/bin/env bash
# Token-endpoint benchmark of custos (method: shared/spec/performance.md §6).
#
# Builds the release binary, initialises a fresh data directory, provisions one resource
# (api://bench) and 1 + N clients through the Graph API, then drives
# POST /{tenant}/oauth2/v2.0/token over HTTPS keep-alive with wrk: client_secret_post and
# client_secret_basic, 1 client and N clients, -c16 and -c64 (plus one -c1 row), a 5 s warm-up
# and a 20 s --latency run per row, restarting the server before every row. It records req/s,
# p50/p95/p99, non-200 responses, socket errors, server CPU (utime+stime), box busy cores, the
# server's peak RSS (VmHWM), and the ratio to `openssl speed -multi NPROC rsa2048` sign/s measured
# in the same run. Writes a Markdown report to stdout and to bench/results/latest.md.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]  `debug` reuses target/debug/custos: only to check the harness
#   BENCH_CLIENTS [1000]     distinct clients for the many-clients rows
#   BENCH_WARMUP [5], BENCH_DURATION [20]   seconds
#   BENCH_KEEP [0]           1 keeps the work directory (it holds client secrets)
#   CUSTOS_LOG [info]        the server's log filter
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
CLIENTS="${BENCH_CLIENTS:-1000}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-20}"
NPROC=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
RESULTS_DIR="$REPO_ROOT/bench/results"
LUA="$REPO_ROOT/bench/wrk/token.lua"

log() {
    printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
    log "FATAL: $*"
    exit 1
}

# ---- prerequisites ---------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    log "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
command -v openssl >/dev/null || die "openssl is required"
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
"$PYTHON" -c 'import requests' 2>/dev/null || die "$PYTHON lacks the requests package (run .ci/run or pip install requests)"

case "$PROFILE" in
    release)
        log "cargo build --release -p custos"
        cargo build --release --locked -p custos >&2
        BIN="$REPO_ROOT/target/release/custos"
        ;;
    debug)
        BIN="${CUSTOS_BIN:-$REPO_ROOT/target/debug/custos}"
        log "BENCH_PROFILE=debug: numbers are NOT representative"
        ;;
    *) die "BENCH_PROFILE must be release or debug" ;;
esac
[[ -x "$BIN" ]] || die "no binary at $BIN"

# ---- server lifecycle ------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/custos-bench.XXXXXX)
DATA="$WORK/data"
SERVER_PID=""
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PUBLIC_URL="https://localhost:$PORT"
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        log "server $SERVER_PID ignored SIGTERM for 10 s; killing it"
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

cleanup() {
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_server() {
    local log_file="$WORK/serve-$1.log"
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
        >"$log_file" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        grep -q "listening on https://127.0.0.1:$PORT" "$log_file" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; die "server exited during start"; }
        sleep 0.1
    done
    cat "$log_file" >&2
    die "server not ready within 60 s"
}

# utime+stime of a process, in clock ticks (fields 14 and 15 after the `(comm)` field).
proc_ticks() {
    local stat
    stat=$(<"/proc/$1/stat")
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# busy and total jiffies of the whole machine from /proc/stat.
box_jiffies() {
    awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6; print busy, total }' /proc/stat
}

peak_rss_mib() {
    awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# ---- setup -----------------------------------------------------------------------------------
log "custos init ($DATA)"
"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" >"$WORK/init.json"
start_server provision
log "provisioning 1 resource and $CLIENTS clients"
"$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients "$CLIENTS" --out "$WORK/inputs"
stop_server
TENANT=$(<"$WORK/inputs/tenant.txt")
TOKEN_URL="https://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token"

log "openssl speed -multi $NPROC -seconds 3 rsa2048"
SIGN_PER_S=$(openssl speed -multi "$NPROC" -seconds 3 rsa2048 2>/dev/null | awk '/^rsa *2048 bits/ { print $6 }' | tail -n 1)
[[ -n "$SIGN_PER_S" ]] || die "could not read openssl's rsa2048 sign/s"

# ---- rows ------------------------------------------------------------------------------------
ROWS=()

# run_row AUTH CLIENT_COUNT THREADS CONNECTIONS
run_row() {
    local auth=$1 clients=$2 threads=$3 conns=$4
    local label="$auth-$clients-c$conns"
    local args=("$auth")
    if [[ "$auth" == post ]]; then
        args+=("$WORK/inputs/post-$clients.txt")
    else
        args+=("$WORK/inputs/basic-$clients.txt" "$WORK/inputs/basic-body.txt")
    fi
    log "row $label: warm-up ${WARMUP_S}s, measure ${DURATION_S}s"
    start_server "$label"
    wrk -t"$threads" -c"$conns" -d"${WARMUP_S}s" -s "$LUA" "$TOKEN_URL" -- "${args[@]}" >"$WORK/warmup-$label.txt"

    local ticks_before box_before ticks_after box_after
    ticks_before=$(proc_ticks "$SERVER_PID")
    box_before=$(box_jiffies)
    wrk -t"$threads" -c"$conns" -d"${DURATION_S}s" --latency -s "$LUA" "$TOKEN_URL" -- "${args[@]}" >"$WORK/wrk-$label.txt"
    ticks_after=$(proc_ticks "$SERVER_PID")
    box_after=$(box_jiffies)
    local rss
    rss=$(peak_rss_mib "$SERVER_PID")
    stop_server

    local result
    result=$(grep '^CUSTOS_RESULT ' "$WORK/wrk-$label.txt") || { cat "$WORK/wrk-$label.txt" >&2; die "wrk printed no result for $label"; }
    ROWS+=("$(awk -v r="$result" -v auth="$auth" -v clients="$clients" -v conns="$conns" \
        -v tb="$ticks_before" -v ta="$ticks_after" -v hz="$CLK_TCK" \
        -v bb="$box_before" -v ba="$box_after" -v rss="$rss" -v sign="$SIGN_PER_S" -v ncpu="$NPROC" '
        BEGIN {
            n = split(r, kv, " ")
            for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
            secs = v["duration_us"] / 1e6
            rps = v["requests"] / secs
            split(bb, b0, " "); split(ba, b1, " ")
            busy = (b1[2] - b0[2]) > 0 ? ncpu * (b1[1] - b0[1]) / (b1[2] - b0[2]) : 0
            sock = v["connect"] + v["read"] + v["write"] + v["timeout"]
            method = auth == "post" ? "client_secret_post" : "client_secret_basic"
            printf "| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %.2f | %.2f | %d | %.3f |\n",
                method, clients, conns, rps, v["p50_us"] / 1000, v["p95_us"] / 1000, v["p99_us"] / 1000,
                v["non200"], sock, (ta - tb) / hz / secs, busy, rss, rps / sign
        }')")
    log "row $label: ${ROWS[-1]}"
}

for clients in 1 "$CLIENTS"; do
    for auth in post basic; do
        for conns in 16 64; do
            run_row "$auth" "$clients" 2 "$conns"
        done
    done
done
run_row post 1 1 1

# ---- report ----------------------------------------------------------------------------------
CPU_MODEL=$(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }')
HYPERVISOR=$(lscpu | awk -F: '/^Hypervisor vendor/ { gsub(/^[ \t]+/, "", $2); print $2; exit }')
MEM=$(free -g | awk '/^Mem:/ { print $2 " GiB" }')
mkdir -p "$RESULTS_DIR"
REPORT="$RESULTS_DIR/latest.md"
{
    echo "# custos token endpoint benchmark"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- machine: ${CPU_MODEL:-unknown CPU}, $NPROC vCPUs, $MEM RAM, kernel $(uname -r)${HYPERVISOR:+, hypervisor $HYPERVISOR}"
    echo "- toolchain: $(rustc --version); build profile: $PROFILE; crypto: aws-lc-rs; database: SQLite (default); server log filter: $CUSTOS_LOG"
    echo "- load: wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') on the same $NPROC vCPUs (it competes with the server), HTTPS keep-alive to 127.0.0.1, ${WARMUP_S} s warm-up + ${DURATION_S} s --latency per row, server restarted for every row"
    echo "- openssl speed -multi $NPROC -seconds 3 rsa2048: **$SIGN_PER_S sign/s** (same run); ratio = tokens/s ÷ sign/s"
    echo "- server CPU = utime+stime of the server over the measured window, in cores; box busy = whole machine (of $NPROC); peak RSS = VmHWM at the end of the row"
    echo
    echo "| client auth | clients | conns | tokens/s | p50 ms | p95 ms | p99 ms | non-200 | socket errors | server CPU | box busy | peak RSS MiB | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    if [[ "$PROFILE" != release ]]; then
        echo
        echo "**Debug build: these numbers only check the harness.**"
    fi
} | tee "$REPORT"
log "wrote $REPORT"
