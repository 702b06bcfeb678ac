#!/usr/bin/env bash
# Gateway overhead benchmark (issue 5 goal: through `custos gateway` keeps >= 0.80 of the direct
# requests/s at 64 connections and adds <= 0.3 ms to p50).
#
# Builds custos and the trivial upstream (crates/custos-gateway/examples/echo_upstream.rs: `200 ok`
# to everything), initialises a fresh data directory, provisions api://bench (role Bench.Read) and one
# client through Graph (bench/provision.py --clients 1), acquires one client-credentials token (valid
# for the whole run), starts the upstream and `custos gateway` in front of it (Authority = the server,
# CaFile = its CA, ServiceAuthRole = Bench.Read), then in the same run: a warm-up and a measured
# `wrk --latency` of GET /api/ping against the upstream directly, then the same through the gateway,
# both with the same Authorization header. Every gateway request is fully validated (signature,
# claims, role). Prints a Markdown report (req/s, p50, p99, non-2xx, socket errors, ratio, p50 added)
# to stdout and to bench/results/gateway-latest.md.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]   `debug` uses target/debug: only to check the harness
#   BENCH_CONNECTIONS [64], BENCH_THREADS [2]
#   BENCH_WARMUP [5], BENCH_DURATION [20]   seconds
#   BENCH_KEEP [0]            1 keeps the work directory (it holds a client secret and a token)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
CONNS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-20}"
RESULTS_DIR="$REPO_ROOT/bench/results"

log() {
    printf '[gateway-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
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
command -v curl >/dev/null || die "curl is required"
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
"$PYTHON" -c 'import requests' 2>/dev/null || die "$PYTHON lacks the requests package (run .ci/run or pip install requests)"

case "$PROFILE" in
    release) CARGO_PROFILE=(--release); TARGET_DIR="$REPO_ROOT/target/release" ;;
    debug)
        CARGO_PROFILE=()
        TARGET_DIR="$REPO_ROOT/target/debug"
        log "BENCH_PROFILE=debug: numbers are NOT representative"
        ;;
    *) die "BENCH_PROFILE must be release or debug" ;;
esac
log "cargo build ${CARGO_PROFILE[*]} -p custos, and the echo_upstream example"
cargo build "${CARGO_PROFILE[@]}" --locked -p custos >&2
cargo build "${CARGO_PROFILE[@]}" --locked -p custos-gateway --example echo_upstream >&2
BIN="$TARGET_DIR/custos"
UPSTREAM_BIN="$TARGET_DIR/examples/echo_upstream"
[[ -x "$BIN" && -x "$UPSTREAM_BIN" ]] || die "binaries missing under $TARGET_DIR"

# ---- processes -------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/custos-gateway-bench.XXXXXX)
DATA="$WORK/data"
PIDS=()
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start NAME READY_TEXT COMMAND...: runs COMMAND in the background, logging to $WORK/NAME.log,
# and waits (60 s at most) until the log contains READY_TEXT.
start() {
    local name=$1 ready=$2
    shift 2
    "$@" >"$WORK/$name.log" 2>&1 </dev/null &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        grep -qF "$ready" "$WORK/$name.log" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/$name.log" >&2; die "$name exited during start"; }
        sleep 0.1
    done
    cat "$WORK/$name.log" >&2
    die "$name not ready within 60 s"
}

# ---- setup -----------------------------------------------------------------------------------
AUTH_PORT=$(free_port)
PUBLIC_URL="https://localhost:$AUTH_PORT"
log "custos init ($DATA) and serve on $PUBLIC_URL"
"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" >"$WORK/init.json"
start custos "listening on https://127.0.0.1:$AUTH_PORT" \
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$AUTH_PORT" --public-url "$PUBLIC_URL"
log "provisioning api://bench and one client"
"$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients 1 --out "$WORK/inputs" >&2
TENANT=$(<"$WORK/inputs/tenant.txt")
CA="$DATA/tls/ca.pem"
curl -sS --fail-with-body --cacert "$CA" --data "@$WORK/inputs/post-1.txt" \
    "$PUBLIC_URL/$TENANT/oauth2/v2.0/token" >"$WORK/token.json" || die "token request failed: $(cat "$WORK/token.json")"
read -r TOKEN AUDIENCE < <("$PYTHON" - "$WORK/token.json" <<'EOF'
import base64, json, sys
token = json.load(open(sys.argv[1]))["access_token"]
payload = token.split(".")[1]
claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
assert "Bench.Read" in claims.get("roles", []), claims
print(token, claims["aud"])
EOF
)

UPSTREAM_PORT=$(free_port)
start upstream "echo upstream listening on" "$UPSTREAM_BIN" "127.0.0.1:$UPSTREAM_PORT"
GATEWAY_PORT=$(free_port)
cat >"$WORK/gateway.toml" <<EOF
listen = "127.0.0.1:$GATEWAY_PORT"

[guard]
Authority = "$PUBLIC_URL"
CaFile = "$CA"
ServiceAuthTenantId = "$TENANT"
ServiceAuthAudience = "api://bench;$AUDIENCE"
ServiceAuthRole = "Bench.Read"

[[routes]]
prefix = "/api/"
upstream = "http://127.0.0.1:$UPSTREAM_PORT"
EOF
start gateway "gateway listening on http://127.0.0.1:$GATEWAY_PORT" "$BIN" gateway --config "$WORK/gateway.toml"

DIRECT_URL="http://127.0.0.1:$UPSTREAM_PORT/api/ping"
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT/api/ping"
AUTH_HEADER="Authorization: Bearer $TOKEN"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH_HEADER" "$GATEWAY_URL")
[[ "$status" == 200 ]] || die "a request through the gateway answered $status, not 200"
status=$(curl -s -o /dev/null -w '%{http_code}' "$GATEWAY_URL")
[[ "$status" == 401 ]] || die "a request without a token answered $status, not 401"

# ---- measurement -----------------------------------------------------------------------------
# measure LABEL URL: warm-up, then a measured wrk run; prints "rps p50_ms p99_ms non2xx socket_errors".
measure() {
    local label=$1 url=$2
    log "$label: warm-up ${WARMUP_S}s, measure ${DURATION_S}s (-t$THREADS -c$CONNS)"
    wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP_S}s" -H "$AUTH_HEADER" "$url" >"$WORK/warmup-$label.txt"
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION_S}s" --latency -H "$AUTH_HEADER" "$url" >"$WORK/wrk-$label.txt"
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v
        }
        /^Requests\/sec:/ { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(",", ""); sock = $4 + $6 + $8 + $10 }
        END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, non2xx, sock }
    ' "$WORK/wrk-$label.txt"
}

read -r D_RPS D_P50 D_P99 D_NON2XX D_SOCK < <(measure direct "$DIRECT_URL")
read -r G_RPS G_P50 G_P99 G_NON2XX G_SOCK < <(measure gateway "$GATEWAY_URL")
(( D_NON2XX + D_SOCK + G_NON2XX + G_SOCK == 0 )) || log "WARNING: non-2xx responses or socket errors: the run is not valid"

# ---- report ----------------------------------------------------------------------------------
CPU_MODEL=$(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }')
mkdir -p "$RESULTS_DIR"
REPORT="$RESULTS_DIR/gateway-latest.md"
{
    echo "## custos gateway vs direct upstream ($(date -u +%Y-%m-%dT%H:%MZ), $PROFILE build)"
    echo
    echo "Machine: $(nproc) cores, $CPU_MODEL. wrk -t$THREADS -c$CONNS, ${WARMUP_S} s warm-up, ${DURATION_S} s measured," \
        "GET /api/ping with a ${#TOKEN}-byte bearer token; upstream = echo_upstream example (\`200 ok\`)." \
        "wrk, the gateway and the upstream share the machine."
    echo
    echo "| target | req/s | p50 ms | p99 ms | non-2xx | socket errors |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    echo "| upstream directly | $D_RPS | $D_P50 | $D_P99 | $D_NON2XX | $D_SOCK |"
    echo "| through custos gateway | $G_RPS | $G_P50 | $G_P99 | $G_NON2XX | $G_SOCK |"
    echo
    awk -v d="$D_RPS" -v g="$G_RPS" -v dp="$D_P50" -v gp="$G_P50" 'BEGIN {
        ratio = d > 0 ? g / d : 0
        added = gp - dp
        printf "Ratio gateway/direct req/s: **%.3f** (goal >= 0.80: %s). p50 added: **%.3f ms** (goal <= 0.3 ms: %s).\n",
            ratio, ratio >= 0.80 ? "met" : "NOT met", added, added <= 0.3 ? "met" : "NOT met"
    }'
} | tee "$REPORT"
log "report written to $REPORT"
