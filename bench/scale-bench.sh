#!/usr/bin/env bash
# Scale benchmark of custos (issue 17 goal 5): many tenants and clients on the token path, and a
# directory of 100,000 applications for start-up, memory and Graph list latency.
#
# 1. Builds the release binary, `custos init` into a fresh data directory (SQLite unless
#    BENCH_DATABASE_URL names a PostgreSQL database, which must be empty), starts the server.
# 2. Tokens: bench/scale_provision.py creates BENCH_TENANTS tenants (admin API) with
#    BENCH_TENANT_CLIENTS clients each (own secret, service principal and role assignment on the
#    tenant's `api://bench`), through Graph $batch. Rows, each on a freshly started server with a
#    5 s warm-up and a --latency run: client_secret_post `-t2 -c64` with the first client alone,
#    then cycling over all clients of all tenants (tenants interleaved; bench/wrk/token.lua `paths`
#    mode), alternating, BENCH_PASSES times. Reports each pass's many ÷ one ratio (goal ≥ 0.90).
# 3. Directory: scale_provision.py creates BENCH_APPS applications, each with its service
#    principal, in the home tenant (Graph $batch, 20 per batch, 4 concurrent clients). Then, per
#    pass: restart the server and time spawn → `/readyz` 200 (goal < 5 s), RSS after start; Graph list
#    probes with wrk (bench/wrk/get.lua) at -c1 and -c8 for BENCH_PROBE seconds each, with a token
#    taken before the restart: `GET /v1.0/applications` (first page, default size), `$top=999`, the
#    second page by `@odata.nextLink`, `$filter=appId eq '…'`, `$filter=startswith(displayName,'…')`
#    (10 matches), and the same on servicePrincipals (goal p99 < 50 ms); RSS and peak RSS after the
#    probes (goal < 256 MiB); then one token request in the big tenant (the token path's tenant
#    snapshot is built on first use after a start or write) with its latency and the peak RSS after it.
# Writes a Markdown report to stdout and to bench/results/scale-latest.md.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]      `debug` uses target/debug/custos: only to check the harness
#   BENCH_DATABASE_URL []        postgres://… (an empty database) instead of SQLite
#   BENCH_TENANTS [100], BENCH_TENANT_CLIENTS [100], BENCH_APPS [100000], BENCH_PASSES [2]
#   BENCH_WARMUP [5], BENCH_DURATION [15], BENCH_PROBE [8]   seconds
#   BENCH_PARTS [tokens directory]   which parts to run, in this order
#   BENCH_KEEP [0]               1 keeps the work directory (it holds secrets)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
TENANTS="${BENCH_TENANTS:-100}"
TENANT_CLIENTS="${BENCH_TENANT_CLIENTS:-100}"
APPS="${BENCH_APPS:-100000}"
PASSES="${BENCH_PASSES:-2}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-15}"
PROBE_S="${BENCH_PROBE:-8}"
RESULTS_DIR="$REPO_ROOT/bench/results"
TOKEN_LUA="$REPO_ROOT/bench/wrk/token.lua"
GET_LUA="$REPO_ROOT/bench/wrk/get.lua"

log() { printf '[scale %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

if ! command -v wrk >/dev/null; then
    log "installing wrk"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null || die "$PYTHON lacks requests or cryptography"

# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
custos_binary

WORK=$(mktemp -d /tmp/custos-scale.XXXXXX)
DATA="$WORK/data"
SERVER_PID=""
PORT=$(free_port)
PUBLIC_URL="https://localhost:$PORT"
BASE="https://127.0.0.1:$PORT"
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-warn}"
if [[ -n "${BENCH_DATABASE_URL:-}" ]]; then export CUSTOS_DATABASE_URL="$BENCH_DATABASE_URL"; fi
BACKEND=$([[ -n "${BENCH_DATABASE_URL:-}" ]] && echo PostgreSQL || echo SQLite)

cleanup() {
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_server NAME: starts the server and waits for /readyz; sets READY_MS (spawn → first 200).
# Graph's and the admin API's per-caller rate limits are off: the probes measure latency and memory
# at thousands of requests a second from one caller, which the default limits answer with 429.
start_server() {
    local log_file="$WORK/serve-$1.log" t0 now
    t0=$(date +%s%N)
    "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
        --graph-rate-limit 0 --admin-rate-limit 0 >"$log_file" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 6000); do
        if curl -sfk -o /dev/null "$BASE/readyz"; then
            now=$(date +%s%N)
            READY_MS=$(((now - t0) / 1000000))
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; die "server exited during start"; }
        sleep 0.01
    done
    die "server not ready within 60 s"
}

rss_mib() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
busy_cores() { awk -v c="$(nproc)" '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }

# result FILE KEY: one value of wrk's CUSTOS_RESULT line.
result() { grep '^CUSTOS_RESULT ' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
rate() { awk -v r="$(result "$1" requests)" -v d="$(result "$1" duration_us)" 'BEGIN { printf "%.0f", r / (d / 1e6) }'; }
ms() { awk -v u="$(result "$1" "$2")" 'BEGIN { printf "%.2f", u / 1000 }'; }

"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" >"$WORK/init.json"
ADMIN="$DATA/admin.json"
CA=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["caCertPath"])' "$ADMIN")
HOME_TENANT=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tenantId"])' "$ADMIN")
load() { cut -d' ' -f1-3 /proc/loadavg; }
REPORT=()
emit() { REPORT+=("$*"); }

# ---- tokens: many tenants and clients ---------------------------------------------------------
part_tokens() {
start_server provision
log "provisioning $TENANTS tenants x $TENANT_CLIENTS clients"
t0=$(date +%s)
"$PYTHON" "$REPO_ROOT/bench/scale_provision.py" --admin "$ADMIN" --out "$WORK/inputs" tenants \
    --tenants "$TENANTS" --clients "$TENANT_CLIENTS"
TENANT_PROVISION_S=$(($(date +%s) - t0))
stop_server

emit "### Tokens: $((TENANTS * TENANT_CLIENTS)) clients in $TENANTS tenants ($BACKEND, provisioned in ${TENANT_PROVISION_S} s)"
emit ""
emit "| pass | clients | conns | tokens/s | p50 ms | p99 ms | non-200 | socket errors | box busy | peak RSS MiB | load before |"
emit "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
RATIOS=()
for pass in $(seq 1 "$PASSES"); do
    declare -A RPS=()
    for which in 1 many; do
        label="tokens-$which-$pass"
        before_load=$(load)
        start_server "$label"
        wrk -t2 -c64 -d"${WARMUP_S}s" -s "$TOKEN_LUA" "$BASE/" -- paths "$WORK/inputs/paths-$which.txt" >/dev/null
        b0=$(busy_cores)
        wrk -t2 -c64 -d"${DURATION_S}s" --latency -s "$TOKEN_LUA" "$BASE/" -- paths "$WORK/inputs/paths-$which.txt" >"$WORK/wrk-$label.txt"
        b1=$(busy_cores)
        peak=$(rss_mib "$SERVER_PID" VmHWM)
        stop_server
        out="$WORK/wrk-$label.txt"
        busy=$(awk -v a="$b0" -v b="$b1" -v c="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.2f", c * (y[1] - x[1]) / (y[2] - x[2]) }')
        sock=$(( $(result "$out" connect) + $(result "$out" read) + $(result "$out" write) + $(result "$out" timeout) ))
        count=$([[ $which == 1 ]] && echo 1 || echo $((TENANTS * TENANT_CLIENTS)))
        RPS[$which]=$(rate "$out")
        emit "| $pass | $count | 64 | ${RPS[$which]} | $(ms "$out" p50_us) | $(ms "$out" p99_us) | $(result "$out" non200) | $sock | $busy | $peak | $before_load |"
        log "tokens pass $pass, $which: ${RPS[$which]}/s"
    done
    RATIOS+=("$(awk -v m="${RPS[many]}" -v o="${RPS[1]}" 'BEGIN { printf "%.3f", m / o }')")
    unset RPS
done
emit ""
emit "many ÷ one client, per pass: ${RATIOS[*]} (goal ≥ 0.90)"
emit ""

}

# ---- directory: 100,000 applications -----------------------------------------------------------
part_directory() {
start_server apps
log "provisioning $APPS applications with service principals"
t0=$(date +%s)
"$PYTHON" "$REPO_ROOT/bench/scale_provision.py" --admin "$ADMIN" --out "$WORK/inputs" apps --apps "$APPS"
APPS_PROVISION_S=$(($(date +%s) - t0))
# A Graph token taken before the restarts, so the probes do not build the tenant's token snapshot.
"$PYTHON" - "$ADMIN" >"$WORK/graph-token.txt" <<'PY'
import json, sys, requests
a = json.load(open(sys.argv[1]))
s = requests.Session(); s.trust_env = False; s.verify = a["caCertPath"]
r = s.post(f"{a['publicUrl']}/{a['tenantId']}/oauth2/v2.0/token", data={"grant_type": "client_credentials",
    "client_id": a["adminClientId"], "client_secret": a["adminClientSecret"], "scope": "https://graph.microsoft.com/.default"})
r.raise_for_status(); print(r.json()["access_token"])
PY
stop_server
DB_SIZE=$(du -sm "$DATA" | cut -f1)
MID=$(sed -n "$((APPS / 2 + 1))p" "$WORK/inputs/apps.txt")
MID_APP_ID=$(cut -d' ' -f2 <<<"$MID")
PREFIX=$(cut -d' ' -f3 <<<"$MID" | sed 's/.$//') # 10 matches: scale-app-05000x

emit "### Directory: $APPS applications with service principals in one tenant ($BACKEND, $DB_SIZE MiB data directory, provisioned in ${APPS_PROVISION_S} s)"
emit ""
START_ROWS=()
for pass in $(seq 1 "$PASSES"); do
    before_load=$(load)
    start_server "directory-$pass"
    started_rss=$(rss_mib "$SERVER_PID" VmRSS)
    started_hwm=$(rss_mib "$SERVER_PID" VmHWM)
    ready=$READY_MS
    next=$(curl -sk -H "Authorization: Bearer $(<"$WORK/graph-token.txt")" "$BASE/v1.0/applications" |
        "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["@odata.nextLink"])')
    next=${next/$PUBLIC_URL/$BASE}
    enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
    probes=(
        "applications (first page, 100)|$BASE/v1.0/applications"
        "applications \$top=999|$BASE/v1.0/applications?\$top=999"
        "applications next page (nextLink)|$next"
        "applications appId eq|$BASE/v1.0/applications?\$filter=$(enc "appId eq '$MID_APP_ID'")"
        "applications startswith(displayName) (10 matches)|$BASE/v1.0/applications?\$filter=$(enc "startswith(displayName,'$PREFIX')")"
        "servicePrincipals (first page, 100)|$BASE/v1.0/servicePrincipals"
        "servicePrincipals \$top=999|$BASE/v1.0/servicePrincipals?\$top=999"
        "servicePrincipals appId eq|$BASE/v1.0/servicePrincipals?\$filter=$(enc "appId eq '$MID_APP_ID'")"
        "servicePrincipals startswith(displayName) (10 matches)|$BASE/v1.0/servicePrincipals?\$filter=$(enc "startswith(displayName,'$PREFIX')")"
    )
    emit "Pass $pass: ready in **${READY_MS} ms**, RSS after start $started_rss MiB (peak $started_hwm MiB), load before: $before_load"
    emit ""
    emit "| probe | conns | req/s | p50 ms | p99 ms | max ms | non-200 |"
    emit "|---|---:|---:|---:|---:|---:|---:|"
    for probe in "${probes[@]}"; do
        name=${probe%%|*}
        url=${probe#*|}
        for conns in 1 8; do
            out="$WORK/probe-$pass-$conns-$RANDOM.txt"
            wrk -t1 -c"$conns" -d"${PROBE_S}s" --latency --timeout 30s -s "$GET_LUA" "$url" -- "$WORK/graph-token.txt" >"$out"
            emit "| $name | $conns | $(rate "$out") | $(ms "$out" p50_us) | $(ms "$out" p99_us) | $(ms "$out" max_us) | $(result "$out" non200) |"
        done
        log "probe pass $pass: $name"
    done
    after_rss=$(rss_mib "$SERVER_PID" VmRSS)
    after_hwm=$(rss_mib "$SERVER_PID" VmHWM)
    t0=$(date +%s%N)
    "$PYTHON" - "$ADMIN" "$BASE" <<'PY' >/dev/null
import json, sys, requests
a = json.load(open(sys.argv[1]))
s = requests.Session(); s.trust_env = False; s.verify = False
r = s.post(f"{sys.argv[2]}/{a['tenantId']}/oauth2/v2.0/token", data={"grant_type": "client_credentials",
    "client_id": a["adminClientId"], "client_secret": a["adminClientSecret"], "scope": "https://graph.microsoft.com/.default"})
r.raise_for_status()
PY
    first_token_ms=$((($(date +%s%N) - t0) / 1000000))
    token_hwm=$(rss_mib "$SERVER_PID" VmHWM)
    token_rss=$(rss_mib "$SERVER_PID" VmRSS)
    stop_server
    emit ""
    emit "After the probes: RSS $after_rss MiB, peak $after_hwm MiB. First token in this tenant afterwards: ${first_token_ms} ms (incl. Python start-up), then RSS $token_rss MiB, peak $token_hwm MiB."
    emit ""
done

}

for part in ${BENCH_PARTS:-tokens directory}; do
    case "$part" in
        tokens) part_tokens ;;
        directory) part_directory ;;
        *) die "BENCH_PARTS takes tokens and directory" ;;
    esac
done

mkdir -p "$RESULTS_DIR"
{
    echo "## Scale benchmark ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$REPO_ROOT" rev-parse --short HEAD), $(nproc) vCPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
    echo ""
    printf '%s\n' "${REPORT[@]}"
} | tee "$RESULTS_DIR/scale-latest.md"
