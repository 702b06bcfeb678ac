#!/usr/bin/env bash
# Instruction profile of the token endpoint (issue 17 goals 1 and 6): where a client-credentials
# request spends its CPU besides the signature. `valgrind --tool=callgrind` counts instructions,
# not seconds, so the profile repeats on a busy machine (performance.md).
#
# Builds custos (release, with line tables), initialises a fresh data directory, provisions one
# RS256 resource, one ES256 resource and one client (bench/provision.py --clients 1), starts the
# server under callgrind with instrumentation off, warms up over HTTPS keep-alive, then collects
# exactly the measured requests (wrk -t1 -cCONNECTIONS, client_secret_post) and writes:
#   bench/results/profile-token-<alg>.out   the raw callgrind output (callgrind_annotate, kcachegrind)
#   bench/results/profile-token-<alg>.md    instructions per request and the top functions, self
#                                           and inclusive
# for alg = rs256 and es256 (the ES256 lane shows everything but an RSA signature).
#
# Environment: BENCH_CONNECTIONS [4], BENCH_WARMUP [5], BENCH_DURATION [20] seconds under valgrind,
# BENCH_TOP [40] functions per table, BENCH_KEEP [0].
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE=release
SUITE=profile
CONNS="${BENCH_CONNECTIONS:-4}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-20}"
TOP="${BENCH_TOP:-40}"
RESULTS_DIR="$REPO_ROOT/bench/results"

log() { printf '[profile-token %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

command -v valgrind >/dev/null || die "valgrind is required"
command -v callgrind_control >/dev/null || die "callgrind_control is required (valgrind)"
command -v wrk >/dev/null || die "wrk is required (apt-get install wrk)"
if [[ -x "$REPO_ROOT/.venv/bin/python" ]]; then PYTHON="$REPO_ROOT/.venv/bin/python"; else PYTHON=python3; fi
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
custos_binary

WORK=$(mktemp -d /tmp/custos-profile.XXXXXX)
DATA="$WORK/data"
INPUTS="$WORK/inputs"
SERVER_PID=""
PORT=$(free_port)
PUBLIC_URL="https://localhost:$PORT"
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

cleanup() {
    stop_server
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_server LABEL [WRAPPER...]: serve on PORT, wait until it listens.
start_server() {
    local label=$1 log_file="$WORK/serve-$1.log"
    shift
    # Load shedding off: valgrind slows the runtime's scheduling past the default wait limit.
    "$@" "$BIN" serve --data-dir "$DATA" --listen "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
        --token-max-concurrent 1000000 --token-max-wait-ms 60000 >"$log_file" 2>&1 </dev/null &
    SERVER_PID=$!
    for _ in $(seq 1 1200); do
        grep -q "listening on https://127.0.0.1:$PORT" "$log_file" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log_file" >&2; die "server exited during start ($label)"; }
        sleep 0.1
    done
    cat "$log_file" >&2
    die "server not ready within 120 s ($label)"
}

log "custos init ($DATA)"
"$BIN" init --data-dir "$DATA" --json --public-url "$PUBLIC_URL" >"$WORK/init.json"
start_server provision
log "provisioning 1 resource and 1 client"
"$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients 1 --out "$INPUTS"
stop_server
TENANT=$(<"$INPUTS/tenant.txt")
TOKEN_URL="https://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token"
mkdir -p "$RESULTS_DIR"

# wrk_run SECONDS INPUT: client_secret_post requests from INPUT; prints the request count.
wrk_run() {
    wrk -t1 -c"$CONNS" -d"${1}s" --timeout 10s -s "$REPO_ROOT/bench/wrk/token.lua" "$TOKEN_URL" -- post "$2" \
        >"$WORK/wrk.txt"
    local result
    result=$(grep '^CUSTOS_RESULT ' "$WORK/wrk.txt") || { cat "$WORK/wrk.txt" >&2; die "wrk printed no result"; }
    grep -q ' non200=0 ' <<<"$result " || { cat "$WORK/wrk.txt" >&2; die "non-200 answers: $result"; }
    awk '/requests in/ { print $1 }' "$WORK/wrk.txt"
}

for alg in rs256 es256; do
    input="$INPUTS/post-1.txt"
    [[ "$alg" == rs256 ]] || input="$INPUTS/post-es256-1.txt"
    [[ -f "$input" ]] || die "provision.py wrote no $input"
    out="$RESULTS_DIR/profile-token-$alg.out"
    start_server "callgrind-$alg" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out"
    log "$alg: warm-up ${WARMUP_S}s (not collected)"
    wrk_run "$WARMUP_S" "$input" >/dev/null
    callgrind_control -i on "$SERVER_PID" >/dev/null
    log "$alg: measuring ${DURATION_S}s"
    requests=$(wrk_run "$DURATION_S" "$input")
    callgrind_control -i off "$SERVER_PID" >/dev/null
    stop_server
    callgrind_annotate --threshold=100 "$out" >"$WORK/self.txt" 2>/dev/null
    callgrind_annotate --inclusive=yes --threshold=100 "$out" >"$WORK/inclusive.txt" 2>/dev/null
    total=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$WORK/self.txt")
    {
        echo "# Token endpoint instruction profile: $alg, client_secret_post"
        echo
        echo "commit $(git -C "$REPO_ROOT" rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), wrk -t1 -c$CONNS over HTTPS keep-alive"
        echo
        echo "requests: $requests; instructions: $total; **per request: $((total / requests))**"
        echo
        echo '## Self (exclusive), top functions'
        echo '```'
        awk -v top="$TOP" '/^Ir/ { on = 1 } on && shown++ < top + 8' "$WORK/self.txt"
        echo '```'
        echo
        echo '## Inclusive, top functions'
        echo '```'
        awk -v top="$TOP" '/^Ir/ { on = 1 } on && shown++ < top + 8' "$WORK/inclusive.txt"
        echo '```'
    } >"$RESULTS_DIR/profile-token-$alg.md"
    log "$alg: $requests requests, $((total / requests)) instructions each -> bench/results/profile-token-$alg.md"
done
