#!/usr/bin/env bash
# Load shedding under overload (issue 16 item 5): the token endpoint at 1x, 2x and 4x its saturation
# rate, with shedding on (the defaults: --token-max-concurrent 256, --token-max-queued 1024,
# --token-max-wait-ms 250) and off (--token-max-concurrent 1000000 --token-max-wait-ms 60000: nothing
# waits for a turn, and only a minute-deep runtime queue would be shed).
#
# Builds the release binary and the open-loop generator (crates/custos-testkit/examples/open_loop.rs),
# initialises a fresh data directory (SQLite), provisions one client_secret_post client
# (bench/provision.py --clients 1), measures the saturation rate with wrk (closed loop, -t2 -c64,
# 5 s warm-up + 20 s), then for each mode and multiple restarts the server, warms it up at half the
# saturation rate for 5 s and offers the multiple of the saturation rate open-loop for 20 s: fixed
# arrival times, latency measured from each request's due time (no coordinated omission). Reports
# per row the 200s per second, p50/p99/max latency of the 200 answers, the share of 503s and how
# many of them carried Retry-After, other statuses, connection errors and requests never sent.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]      `debug` reuses target/debug: only to check the harness
#   BENCH_DURATION [20]          seconds per open-loop row
#   BENCH_CONNECTIONS [2048]     open-loop connections (more than the 256 + 1024 the server admits)
#   BENCH_SATURATION [measured]  skip the wrk run and use this rate (tokens/s)
#   BENCH_MULTIPLES [1 2 4]      the rows' multiples of the saturation rate
#   OPEN_LOOP_BIN                with BENCH_PROFILE=debug: the generator to use [target/debug/examples/open_loop]
#   BENCH_SERVER_CPUS [0], BENCH_LOAD_CPUS [1..N-1]   the CPUs (taskset -c) of the server and of the load
#                                (wrk and the generator). Overload is only overload when the load does not
#                                take the server's CPU: an open-loop generator offering 4x the rate needs a
#                                core of its own. With one CPU, both run unpinned.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
DURATION_S="${BENCH_DURATION:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-2048}"
MULTIPLES="${BENCH_MULTIPLES:-1 2 4}"
LUA="$REPO_ROOT/bench/wrk/token.lua"

log() { printf '[overload-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

command -v wrk >/dev/null || die "wrk is required (apt-get install wrk)"
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null || die "$PYTHON lacks requests or cryptography"

case "$PROFILE" in
    release)
        log "cargo build --release -p custos; the open-loop generator"
        cargo build --release --locked -p custos >&2
        cargo build --release --locked -p custos-testkit --example open_loop >&2
        BIN="$REPO_ROOT/target/release/custos"
        GEN="$REPO_ROOT/target/release/examples/open_loop"
        ;;
    debug)
        BIN="${CUSTOS_BIN:-$REPO_ROOT/target/debug/custos}"
        GEN="${OPEN_LOOP_BIN:-$REPO_ROOT/target/debug/examples/open_loop}"
        log "BENCH_PROFILE=debug: numbers are NOT representative"
        ;;
    *) die "BENCH_PROFILE must be release or debug" ;;
esac
[[ -x "$BIN" && -x "$GEN" ]] || die "no binary at $BIN or $GEN"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (($(nproc) > 1)); then
    SERVER_CPUS="${BENCH_SERVER_CPUS:-0}"
    LOAD_CPUS="${BENCH_LOAD_CPUS:-1-$(($(nproc) - 1))}"
    PIN_SERVER=(taskset -c "$SERVER_CPUS")
    PIN_LOAD=(taskset -c "$LOAD_CPUS")
else
    SERVER_CPUS=all LOAD_CPUS=all PIN_SERVER=() PIN_LOAD=()
fi

WORK=$(mktemp -d /tmp/custos-overload.XXXXXX)
DATA="$WORK/data"
PORT=$(free_port)
PUBLIC_URL="https://localhost:$PORT"
SERVER_PID=""
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

start_server() { # LABEL EXTRA...
    local label=$1
    shift
    local log_file="$WORK/serve-$label.log"
    # All load comes from one address: let it open the generator's connections.
    "${PIN_SERVER[@]}" "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
        --max-connections 8192 --max-connections-per-address 8192 "$@" >"$log_file" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        grep -q "listening on https://127.0.0.1:$PORT" "$log_file" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; die "server exited during start"; }
        sleep 0.1
    done
    die "server not ready within 60 s"
}

log "custos init ($DATA)"
"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" >"$WORK/init.json"
start_server provision
"$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients 1 --out "$WORK/inputs" 2>&1 |
    grep -v '^provision: [0-9]*/' >&2
stop_server
TENANT=$(<"$WORK/inputs/tenant.txt")
TOKEN_URL="https://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token"
BODIES="$WORK/inputs/post-1.txt"

if [[ -n "${BENCH_SATURATION:-}" ]]; then
    SATURATION=$BENCH_SATURATION
    log "saturation rate given: $SATURATION tokens/s"
else
    log "saturation: wrk -t2 -c64, 5 s warm-up + 20 s (closed loop)"
    start_server saturation
    "${PIN_LOAD[@]}" wrk -t2 -c64 -d5s -s "$LUA" "$TOKEN_URL" -- post "$BODIES" >/dev/null
    "${PIN_LOAD[@]}" wrk -t2 -c64 -d20s --latency -s "$LUA" "$TOKEN_URL" -- post "$BODIES" >"$WORK/wrk-saturation.txt"
    stop_server
    read -r SATURATION SAT_P99 SAT_NON200 < <(awk '/^CUSTOS_RESULT / {
        for (i = 2; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] }
        printf "%.0f %.2f %d\n", v["requests"] / (v["duration_us"] / 1e6), v["p99_us"] / 1000, v["non200"] }' \
        "$WORK/wrk-saturation.txt")
    log "saturation: $SATURATION tokens/s (p99 $SAT_P99 ms, non-200 $SAT_NON200)"
fi

ROWS=()
for mode in on off; do
    extra=()
    [[ "$mode" == off ]] && extra=(--token-max-concurrent 1000000 --token-max-wait-ms 60000)
    for multiple in $MULTIPLES; do
        rate=$((SATURATION * multiple))
        label="$mode-${multiple}x"
        log "row $label: $rate requests/s offered for ${DURATION_S}s over $CONNECTIONS connections"
        start_server "$label" "${extra[@]}"
        "${PIN_LOAD[@]}" "$GEN" --url "$TOKEN_URL" --ca "$DATA/tls/ca.pem" --body-file "$BODIES" --rate $((SATURATION / 2)) \
            --duration 5 --connections "$CONNECTIONS" --grace 2 >"$WORK/warmup-$label.txt"
        "${PIN_LOAD[@]}" "$GEN" --url "$TOKEN_URL" --ca "$DATA/tls/ca.pem" --body-file "$BODIES" --rate "$rate" \
            --duration "$DURATION_S" --connections "$CONNECTIONS" --grace 5 >"$WORK/open-$label.txt"
        stop_server
        result=$(grep '^OPEN_LOOP ' "$WORK/open-$label.txt") || die "no result for $label"
        ROWS+=("$(awk -v r="$result" -v mode="$mode" -v m="$multiple" 'BEGIN {
            n = split(r, kv, " ")
            for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
            due = v["answered"] + v["errors"] + v["unsent"]
            printf "| %s | %sx | %d | %.0f | %.1f | %.1f | %.1f | %.1f %% | %d of %d | %d | %d | %d |\n",
                mode, m, v["offered_rate"], v["ok_rate"], v["ok_p50_ms"], v["ok_p99_ms"], v["ok_max_ms"],
                (due > 0 ? 100 * v["shed"] / due : 0), v["shed_retry_after"], v["shed"], v["other"],
                v["errors"], v["unsent"] }')")
        log "row $label: ${ROWS[-1]}"
    done
done

echo "# Load shedding at 1x, 2x and 4x the saturation rate"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown); build profile: $PROFILE"
echo "- machine: $(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }'), $(nproc) vCPUs; SQLite store; client_secret_post, one client"
echo "- CPUs: server on $SERVER_CPUS, load (wrk and the generator) on $LOAD_CPUS (taskset)"
echo "- saturation (wrk -t2 -c64 closed loop, 20 s): **$SATURATION tokens/s**${SAT_P99:+ (p99 $SAT_P99 ms, non-200 $SAT_NON200)}"
echo "- open loop: crates/custos-testkit/examples/open_loop.rs on the same machine, $CONNECTIONS HTTPS keep-alive connections opened before the clock starts, ${DURATION_S} s per row after a 5 s warm-up at half the saturation rate, server restarted per row; latency from each request's due time"
echo "- shedding on = the defaults (256 issuing, 1,024 waiting, 250 ms longest wait); off = --token-max-concurrent 1000000 --token-max-wait-ms 60000"
echo
echo "| shedding | offered | offered/s | 200/s | 200 p50 ms | 200 p99 ms | 200 max ms | 503 share | 503 with Retry-After | other | conn errors | unsent |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
