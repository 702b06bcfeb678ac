#!/usr/bin/env bash
# Gateway benchmark (issue 17 goal 4: `custos gateway` keeps >= 0.90 of nginx's proxy rate, nginx
# with no authentication at all, and adds <= 0.3 ms to the p50 of a bare proxy; issue 5 compared it
# with the upstream directly).
#
# Builds custos, the trivial upstream (crates/custos-gateway/examples/echo_upstream.rs: `200 ok`
# to everything) and the bare pass-through proxy (examples/bare_proxy.rs: the gateway's hyper
# server and client without guard or header rewriting, i.e. the cost of any proxy hop here),
# initialises a fresh data directory, provisions api://bench (role Bench.Read) and one client
# through Graph (bench/provision.py --clients 1), acquires one client-credentials token (valid
# for the whole run), starts the upstream and `custos gateway` in front of it (Authority = the
# server, CaFile = its CA, ServiceAuthRole = Bench.Read), then in the same run: a warm-up and a
# measured `wrk --latency` of GET /api/ping against the upstream directly, then BENCH_ROUNDS
# rounds of the bare proxy, nginx as a peer proxy (when installed: `nginx-light`, one worker per
# core, keep-alive upstream pool) and the gateway in turn, all with the same Authorization
# header. Every gateway request is validated (signature and claims on first sight, then the
# verified-token cache; route policy every time). Prints a Markdown report (every round's req/s,
# p50, p99, gateway ÷ nginx and the gateway's p50 over the bare proxy, then the medians) to
# stdout and to bench/results/gateway-latest.md.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]   `debug` uses target/debug: only to check the harness
#   BENCH_CONNECTIONS [64], BENCH_THREADS [2]
#   BENCH_WARMUP [5], BENCH_DURATION [20]   seconds
#   BENCH_ROUNDS [3]          rounds of bare proxy, nginx and gateway in turn (the report gives each, and the median)
#   BENCH_KEEP [0]            1 keeps the work directory (it holds a client secret and a token)
#   BENCH_NGINX [1]           0 skips the nginx peer measurement (skipped anyway without nginx)
#   BENCH_PERF [0]            1 records `perf record -g` of the gateway during its measured run and
#                             writes the top of `perf report` to bench/results/gateway-perf.txt
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
CONNS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-20}"
ROUNDS="${BENCH_ROUNDS:-3}"
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
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
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
log "cargo build ${CARGO_PROFILE[*]} -p custos, and the echo_upstream and bare_proxy examples"
cargo build "${CARGO_PROFILE[@]}" --locked -p custos >&2
cargo build "${CARGO_PROFILE[@]}" --locked -p custos-gateway --example echo_upstream --example bare_proxy >&2
BIN="$TARGET_DIR/custos"
UPSTREAM_BIN="$TARGET_DIR/examples/echo_upstream"
BARE_BIN="$TARGET_DIR/examples/bare_proxy"
[[ -x "$BIN" && -x "$UPSTREAM_BIN" && -x "$BARE_BIN" ]] || die "binaries missing under $TARGET_DIR"
NGINX_BIN=""
if [[ "${BENCH_NGINX:-1}" == 1 ]]; then NGINX_BIN=$(command -v nginx || true); fi
[[ -n "$NGINX_BIN" ]] || log "nginx not measured (install nginx-light for the peer figure)"

# ---- processes -------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/custos-gateway-bench.XXXXXX)
DATA="$WORK/data"
PIDS=()
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

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
GATEWAY_PID=${PIDS[-1]}
BARE_PORT=$(free_port)
start bare "bare proxy listening on" "$BARE_BIN" "127.0.0.1:$BARE_PORT" "127.0.0.1:$UPSTREAM_PORT"
if [[ -n "$NGINX_BIN" ]]; then
    NGINX_PORT=$(free_port)
    mkdir -p "$WORK/nginx/logs"
    # The usual reverse-proxy setup: one worker per core, keep-alive connections to the upstream.
    cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    upstream echo { server 127.0.0.1:$UPSTREAM_PORT; keepalive 128; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://echo;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
    "$NGINX_BIN" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 </dev/null &
    PIDS+=("$!")
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/api/ping" && break
        sleep 0.1
    done
fi

DIRECT_URL="http://127.0.0.1:$UPSTREAM_PORT/api/ping"
BARE_URL="http://127.0.0.1:$BARE_PORT/api/ping"
GATEWAY_URL="http://127.0.0.1:$GATEWAY_PORT/api/ping"
AUTH_HEADER="Authorization: Bearer $TOKEN"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH_HEADER" "$GATEWAY_URL")
[[ "$status" == 200 ]] || die "a request through the gateway answered $status, not 200"
status=$(curl -s -o /dev/null -w '%{http_code}' "$GATEWAY_URL")
[[ "$status" == 401 ]] || die "a request without a token answered $status, not 401"
status=$(curl -s -o /dev/null -w '%{http_code}' "$BARE_URL")
[[ "$status" == 200 ]] || die "a request through the bare proxy answered $status, not 200"

# ---- measurement -----------------------------------------------------------------------------
# measure LABEL URL: warm-up, then a measured wrk run; prints "rps p50_ms p99_ms non2xx socket_errors".
measure() {
    local label=$1 url=$2
    log "$label: warm-up ${WARMUP_S}s, measure ${DURATION_S}s (-t$THREADS -c$CONNS)"
    wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP_S}s" -H "$AUTH_HEADER" "$url" >"$WORK/warmup-$label.txt"
    local perf_pid=""
    if [[ "$label" == gateway && "${BENCH_PERF:-0}" == 1 ]]; then
        perf record -q -g -F 499 -p "$GATEWAY_PID" -o "$WORK/perf.data" -- sleep "$DURATION_S" \
            >"$WORK/perf.log" 2>&1 &
        perf_pid=$!
    fi
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION_S}s" --latency -H "$AUTH_HEADER" "$url" >"$WORK/wrk-$label.txt"
    if [[ -n "$perf_pid" ]]; then
        wait "$perf_pid" || true
        mkdir -p "$RESULTS_DIR"
        perf report -i "$WORK/perf.data" --no-children --percent-limit 0.5 --stdio -g none \
            >"$RESULTS_DIR/gateway-perf.txt" 2>/dev/null || true
        log "perf profile written to $RESULTS_DIR/gateway-perf.txt"
    fi
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

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
read -r D_RPS D_P50 D_P99 D_NON2XX D_SOCK < <(measure direct "$DIRECT_URL")
# The proxies take turns, round after round, so that each ratio compares runs under the same load
# (this machine's rate drifts by ±15 % over minutes); the report gives every round and the median.
ROWS=()
INVALID=$((D_NON2XX + D_SOCK))
for round in $(seq 1 "$ROUNDS"); do
    read -r B_RPS B_P50 B_P99 B_NON2XX B_SOCK < <(measure bare "$BARE_URL")
    N_RPS=0 N_P50=0 N_P99=0 N_NON2XX=0 N_SOCK=0
    if [[ -n "$NGINX_BIN" ]]; then
        read -r N_RPS N_P50 N_P99 N_NON2XX N_SOCK < <(measure nginx "http://127.0.0.1:$NGINX_PORT/api/ping")
    fi
    read -r G_RPS G_P50 G_P99 G_NON2XX G_SOCK < <(measure gateway "$GATEWAY_URL")
    INVALID=$((INVALID + B_NON2XX + B_SOCK + N_NON2XX + N_SOCK + G_NON2XX + G_SOCK))
    ROWS+=("$round $B_RPS $B_P50 $B_P99 $N_RPS $N_P50 $N_P99 $G_RPS $G_P50 $G_P99")
done
(( INVALID == 0 )) || log "WARNING: non-2xx responses or socket errors: the run is not valid"

# ---- report ----------------------------------------------------------------------------------
CPU_MODEL=$(lscpu | awk -F: '/^Model name/ { gsub(/^[ \t]+/, "", $2); print $2; exit }')
mkdir -p "$RESULTS_DIR"
REPORT="$RESULTS_DIR/gateway-latest.md"
{
    echo "## custos gateway vs nginx and a bare proxy ($(date -u +%Y-%m-%dT%H:%MZ), $PROFILE build)"
    echo
    echo "Machine: $(nproc) cores, $CPU_MODEL. wrk -t$THREADS -c$CONNS, ${WARMUP_S} s warm-up, ${DURATION_S} s measured," \
        "GET /api/ping with a ${#TOKEN}-byte bearer token; upstream = echo_upstream example (\`200 ok\`)." \
        "wrk, the proxies and the upstream share the machine; $ROUNDS rounds of bare proxy, nginx, gateway in turn." \
        "Load average before the run: $LOAD_BEFORE. Non-2xx responses and socket errors in all runs: $INVALID."
    echo
    echo "Upstream directly: $D_RPS req/s, p50 $D_P50 ms, p99 $D_P99 ms."
    echo
    echo "| round | bare proxy req/s | p50 ms | p99 ms | nginx req/s | p50 ms | p99 ms | gateway req/s | p50 ms | p99 ms | gateway ÷ nginx | gateway p50 − bare p50 ms |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${ROWS[@]}" | awk '{
        printf "| %d | %d | %.3f | %.3f | %d | %.3f | %.3f | %d | %.3f | %.3f | %.3f | %.3f |\n",
            $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, ($5 > 0 ? $8 / $5 : 0), $9 - $3
    }'
    echo
    printf '%s\n' "${ROWS[@]}" | awk -v d="$D_RPS" '
        function median(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        { n++; vs_nginx[n] = ($5 > 0 ? $8 / $5 : 0); added[n] = $9 - $3; vs_direct[n] = (d > 0 ? $8 / d : 0); bare[n] = (d > 0 ? $2 / d : 0) }
        END {
            r = median(vs_nginx, n); a = median(added, n)
            printf "Median over %d rounds: gateway ÷ nginx **%.3f** (goal ≥ 0.90: %s); gateway p50 − bare proxy p50 **%.3f ms** (goal ≤ 0.3 ms: %s).\n",
                n, r, (r >= 0.90 ? "met" : "NOT met"), a, (a <= 0.3 ? "met" : "NOT met")
            printf "Gateway ÷ direct %.3f; bare proxy ÷ direct %.3f (the ceiling of any proxy hop here).\n", median(vs_direct, n), median(bare, n)
        }'
} | tee "$REPORT"
log "report written to $REPORT"
