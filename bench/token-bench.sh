#!/usr/bin/env bash
# Token-endpoint benchmark of custos (method: shared/spec/performance.md §6).
#
# Builds the release binary, initialises a fresh data directory, provisions one resource
# (api://bench) and 1 + N clients through the Graph API, then drives
# POST /{tenant}/oauth2/v2.0/token over HTTPS keep-alive with wrk: client_secret_post and
# client_secret_basic, 1 client and N clients, -c16 and -c64 (plus one -c1 row), then
# private_key_jwt (1 certificate client, a pre-generated pool of single-use RS256 + x5t
# assertions) at -c16 and -c64, then the refresh_token grant (a confidential web client, one user,
# many independent grants started with the password grant; each answer's rotated refresh token is
# the next request's) with and without an ID token at -c16 and -c64; a 5 s warm-up and a 20 s
# --latency run per row, restarting the server before every row. It records req/s,
# p50/p95/p99, non-200 responses, socket errors, server CPU (utime+stime), box busy cores, the
# server's peak RSS (VmHWM), and the ratio to `openssl speed -multi NPROC rsa2048` sign/s measured
# in the same run. Writes a Markdown report to stdout and to bench/results/latest.md.
#
# Environment (defaults in brackets):
#   BENCH_PROFILE [release]  `debug` reuses target/debug/custos: only to check the harness
#   BENCH_SUITE [full]       `refresh` runs only the rows the refresh-token ratio needs
#                            (client_secret_post with 1 client and the refresh_token rows);
#                            `signinlog` runs client_secret_post (1 client, c16 and c64) with
#                            sign-in logging on and off (`serve --sign-in-log off`), alternating,
#                            twice each, and reports off ÷ on; `peer` runs client_secret_post (1
#                            client, c16 and c64) against custos and against node-oidc-provider
#                            (bench/peer: a cluster of one worker per core, RS256 JWT access tokens,
#                            client_secret_post, HTTPS) and reports custos ÷ peer; `full` includes it;
#                            `pkjwt` runs client_secret_post and private_key_jwt (1 client, c16 and
#                            c64) and reports private_key_jwt ÷ client_secret_post; `backends` runs
#                            client_secret_post and private_key_jwt at c64 with the server on SQLite
#                            and on PostgreSQL (a fresh database per run, see BENCH_POSTGRES_URL),
#                            alternating, and reports PostgreSQL ÷ SQLite;
#                            `es256` runs client_secret_post (1 client, c16 and c64) for the RS256
#                            resource api://bench and for its ES256 copy api://bench-es256,
#                            alternating, two passes, and reports ES256 ÷ RS256 per pass (goal ≥ 5)
#   BENCH_CLIENTS [1000]     distinct clients for the many-clients rows
#   BENCH_ASSERTIONS [200000] private_key_jwt assertions to pre-generate (rounded up to even; about
#                            1.5 min on 2 idle cores; enough for two rows at ~4,000 tokens/s); for
#                            `pkjwt` and `backends` the default is 5,000/s over every row's seconds
#   BENCH_POSTGRES_URL [$CUSTOS_TEST_POSTGRES_URL or postgres://postgres@127.0.0.1:5432/test]
#                            `backends`: the server that gets a fresh database custos_bench_* (created
#                            with psql next to the URL's database, dropped at the end)
#   BENCH_WARMUP [5], BENCH_DURATION [20]   seconds
#   BENCH_KEEP [0]           1 keeps the work directory (it holds client secrets)
#   CUSTOS_LOG [info]        the server's log filter
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$PWD
PROFILE="${BENCH_PROFILE:-release}"
SUITE="${BENCH_SUITE:-full}"
case "$SUITE" in
    full | refresh | signinlog | peer | pkjwt | backends | es256) ;;
    *) echo "BENCH_SUITE must be full, refresh, signinlog, peer, pkjwt, backends or es256" >&2; exit 1 ;;
esac
SIGN_IN_LOG=on # the server's --sign-in-log of the next row
CLIENTS="${BENCH_CLIENTS:-1000}"
WARMUP_S="${BENCH_WARMUP:-5}"
DURATION_S="${BENCH_DURATION:-20}"
case "$SUITE" in
    pkjwt) ASSERTIONS="${BENCH_ASSERTIONS:-$((2 * (WARMUP_S + DURATION_S) * 5000))}" ;; # two rows
    backends) ASSERTIONS="${BENCH_ASSERTIONS:-$(((WARMUP_S + DURATION_S) * 5000))}" ;;  # one row per backend
    *) ASSERTIONS="${BENCH_ASSERTIONS:-200000}" ;;
esac
POSTGRES_URL="${BENCH_POSTGRES_URL:-${CUSTOS_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}}"
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
"$PYTHON" -c 'import requests, cryptography' 2>/dev/null ||
    die "$PYTHON lacks the requests or cryptography package (run .ci/run or pip install requests cryptography)"

if [[ "$SUITE" == full || "$SUITE" == peer ]]; then
    command -v node >/dev/null || die "node is required for the peer rows (node-oidc-provider)"
    log "npm ci (bench/peer: node-oidc-provider)"
    (cd "$REPO_ROOT/bench/peer" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
fi

# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
custos_binary

# ---- server lifecycle ------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/custos-bench.XXXXXX)
DATA="$WORK/data"      # the backend in use (use_backend): data directory,
INPUTS="$WORK/inputs"  # wrk's inputs,
DB_ARGS=()             # and serve's database option (none: SQLite in DATA)
BENCH_DB=""            # the PostgreSQL database this run created
SERVER_PID=""
PORT=$(free_port)
PUBLIC_URL="https://localhost:$PORT"
export NO_COLOR=1 CUSTOS_LOG="${CUSTOS_LOG:-info}"

cleanup() {
    stop_server
    if [[ -n "${PEER_PID:-}" ]]; then kill -TERM "$PEER_PID" $(pgrep -P "$PEER_PID" || true) 2>/dev/null || true; fi
    if [[ -n "$BENCH_DB" ]]; then psql -q "$POSTGRES_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null 2>&1 || true; fi
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_server() {
    local log_file="$WORK/serve-$1.log"
    "$BIN" serve --data-dir "$DATA" "${DB_ARGS[@]}" --listen "127.0.0.1:$PORT" --public-url "$PUBLIC_URL" \
        --sign-in-log "$SIGN_IN_LOG" >"$log_file" 2>&1 </dev/null &
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
# Refresh rows run wrk twice (warm-up, measure) with one grant per connection plus one spare per
# wrk thread (bench/wrk/token.lua says why): 2 kinds × 2 runs × ((16 + 2) + (64 + 2)).
REFRESH_FAMILIES=$((2 * 2 * (16 + 2 + 64 + 2)))
declare -A BACKEND_URL=() BACKEND_POOL=()
BACKEND=sqlite

# use_backend NAME: the next rows run against backend NAME (sqlite, or postgres), set up by
# provision_backend.
use_backend() {
    BACKEND=$1
    if [[ "$1" == sqlite ]]; then DATA="$WORK/data" INPUTS="$WORK/inputs"; else DATA="$WORK/data-$1" INPUTS="$WORK/inputs-$1"; fi
    DB_ARGS=()
    [[ -z "${BACKEND_URL[$1]:-}" ]] || DB_ARGS=(--database-url "${BACKEND_URL[$1]}")
    POOL_FILE="$INPUTS/pkjwt-pool.txt"
    POOL_OFFSET=${BACKEND_POOL[$1]:-0}
    if [[ -f "$INPUTS/tenant.txt" ]]; then
        TENANT=$(<"$INPUTS/tenant.txt")
        TOKEN_URL="https://127.0.0.1:$PORT/$TENANT/oauth2/v2.0/token"
    fi
}

# provision_backend NAME [DATABASE_URL]: custos init (SQLite in its data directory unless a URL
# is given), then the clients through the Graph API.
provision_backend() {
    BACKEND_URL[$1]=${2:-}
    use_backend "$1"
    log "custos init ($1: $DATA)"
    "$BIN" init --data-dir "$DATA" "${DB_ARGS[@]}" --json --public-url "$PUBLIC_URL" >"$WORK/init-$1.json"
    start_server "provision-$1"
    log "provisioning 1 resource and $CLIENTS clients ($1)"
    "$PYTHON" "$REPO_ROOT/bench/provision.py" --admin "$DATA/admin.json" --clients "$CLIENTS" --out "$INPUTS" \
        --refresh-tokens "$REFRESH_FAMILIES"
    stop_server
    use_backend "$1"
}

provision_backend sqlite
if [[ "$SUITE" == backends ]]; then
    command -v psql >/dev/null || die "psql is required for the PostgreSQL rows"
    BENCH_DB="custos_bench_$$_$RANDOM"
    psql -q "$POSTGRES_URL" -c "CREATE DATABASE $BENCH_DB" >/dev/null || die "cannot create a database at $POSTGRES_URL"
    provision_backend postgres "${POSTGRES_URL%/*}/$BENCH_DB"
    use_backend sqlite
fi

log "openssl speed -multi $NPROC -seconds 3 rsa2048"
SIGN_PER_S=$(openssl speed -multi "$NPROC" -seconds 3 rsa2048 2>/dev/null | awk '/^rsa *2048 bits/ { print $6 }' | tail -n 1)
[[ -n "$SIGN_PER_S" ]] || die "could not read openssl's rsa2048 sign/s"
ECDSA_SIGN_PER_S=""
if [[ "$SUITE" == es256 ]]; then
    log "openssl speed -multi $NPROC -seconds 3 ecdsap256"
    ECDSA_SIGN_PER_S=$(openssl speed -multi "$NPROC" -seconds 3 ecdsap256 2>/dev/null | awk '/256 bits ecdsa \(nistp256\)/ { print $(NF - 1) }' | tail -n 1)
fi

# ---- rows ------------------------------------------------------------------------------------
ROWS=()
declare -A RPS=()
POOL_SIZE=0 # POOL_OFFSET (use_backend): the next unused line of its pool; beyond POOL_SIZE, lines are re-sent
REFRESH_OFFSET=0 # the next unused refresh token (each starts its own grant)

# wrk_args AUTH CLIENT_COUNT THREADS CONNECTIONS: sets WRK_ARGS, the arguments after `--` for
# bench/wrk/token.lua.
wrk_args() {
    case "$1" in
        post) WRK_ARGS=(post "$INPUTS/post-$2.txt") ;;
        post-es256) WRK_ARGS=(post "$INPUTS/post-es256-$2.txt") ;;
        basic) WRK_ARGS=(basic "$INPUTS/basic-$2.txt" "$INPUTS/basic-body.txt") ;;
        pkjwt) WRK_ARGS=(pool "$POOL_FILE" "$POOL_OFFSET" "$3") ;;
        refresh-id | refresh-access)
            WRK_ARGS=(refresh "$INPUTS/refresh-tokens.txt" "$REFRESH_OFFSET" "$(($4 + $3))" "$3" "$INPUTS/${1}.txt") ;;
        *) die "unknown auth $1" ;;
    esac
}

# run_wrk OUTPUT AUTH CLIENT_COUNT THREADS CONNECTIONS SECONDS [--latency]: one wrk run; in pool
# mode it moves POOL_OFFSET past the assertions the run consumed, in refresh mode REFRESH_OFFSET
# past the grants it used.
run_wrk() {
    local output=$1 auth=$2 clients=$3 threads=$4 conns=$5 seconds=$6
    shift 6
    wrk_args "$auth" "$clients" "$threads" "$conns"
    wrk -t"$threads" -c"$conns" -d"${seconds}s" "$@" -s "$LUA" "$TOKEN_URL" -- "${WRK_ARGS[@]}" >"$output"
    if [[ "$auth" == pkjwt ]]; then
        POOL_OFFSET=$(awk '/^CUSTOS_POOL / { for (i = 2; i <= NF; i++) { split($i, p, "="); if (p[1] == "pool_used") print p[2] } }' "$output")
        [[ -n "$POOL_OFFSET" ]] || { cat "$output" >&2; die "wrk printed no pool usage in $output"; }
        BACKEND_POOL[$BACKEND]=$POOL_OFFSET
    fi
    if [[ "$auth" == refresh-* ]]; then
        REFRESH_OFFSET=$((REFRESH_OFFSET + conns + threads))
    fi
}

# add_row LABEL METHOD CLIENTS CONNECTIONS TICKS_BEFORE TICKS_AFTER BOX_BEFORE BOX_AFTER RSS: reads
# wrk's result line of LABEL, appends the report row and records RPS[LABEL].
add_row() {
    local label=$1 method=$2 clients=$3 conns=$4 tb=$5 ta=$6 bb=$7 ba=$8 rss=$9
    local result
    result=$(grep '^CUSTOS_RESULT ' "$WORK/wrk-$label.txt") || { cat "$WORK/wrk-$label.txt" >&2; die "wrk printed no result for $label"; }
    ROWS+=("$(awk -v r="$result" -v method="$method" -v clients="$clients" -v conns="$conns" \
        -v tb="$tb" -v ta="$ta" -v hz="$CLK_TCK" -v bb="$bb" -v ba="$ba" -v rss="$rss" -v sign="$SIGN_PER_S" -v ncpu="$NPROC" '
        BEGIN {
            n = split(r, kv, " ")
            for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
            secs = v["duration_us"] / 1e6
            rps = v["requests"] / secs
            split(bb, b0, " "); split(ba, b1, " ")
            busy = (b1[2] - b0[2]) > 0 ? ncpu * (b1[1] - b0[1]) / (b1[2] - b0[2]) : 0
            sock = v["connect"] + v["read"] + v["write"] + v["timeout"]
            printf "| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %d | %d | %.2f | %.2f | %d | %.3f |\n",
                method, clients, conns, rps, v["p50_us"] / 1000, v["p95_us"] / 1000, v["p99_us"] / 1000,
                v["non200"], sock, (ta - tb) / hz / secs, busy, rss, rps / sign
        }')")
    RPS[$label]=$(awk -v r="$result" 'BEGIN {
        n = split(r, kv, " ")
        for (i = 2; i <= n; i++) { split(kv[i], p, "="); v[p[1]] = p[2] }
        printf "%.0f", v["requests"] / (v["duration_us"] / 1e6)
    }')
}

# run_row AUTH CLIENT_COUNT THREADS CONNECTIONS
run_row() {
    local auth=$1 clients=$2 threads=$3 conns=$4
    local label="$auth-$clients-c$conns${ROW_SUFFIX:-}"
    log "row $label: warm-up ${WARMUP_S}s, measure ${DURATION_S}s"
    start_server "$label"
    run_wrk "$WORK/warmup-$label.txt" "$auth" "$clients" "$threads" "$conns" "$WARMUP_S"

    local ticks_before box_before ticks_after box_after
    ticks_before=$(proc_ticks "$SERVER_PID")
    box_before=$(box_jiffies)
    run_wrk "$WORK/wrk-$label.txt" "$auth" "$clients" "$threads" "$conns" "$DURATION_S" --latency
    ticks_after=$(proc_ticks "$SERVER_PID")
    box_after=$(box_jiffies)
    local rss
    rss=$(peak_rss_mib "$SERVER_PID")
    stop_server

    local method
    case "$auth" in
        post) method=client_secret_post ;;
        post-es256) method="client_secret_post, ES256 resource" ;;
        basic) method=client_secret_basic ;;
        pkjwt) method=private_key_jwt ;;
        refresh-id) method="refresh_token + ID token" ;;
        *) method=refresh_token ;;
    esac
    add_row "$label" "$method${METHOD_SUFFIX:-}" "$clients" "$conns" "$ticks_before" "$ticks_after" "$box_before" "$box_after" "$rss"
    log "row $label: ${ROWS[-1]}"
}

# The peer: node-oidc-provider, one worker per core, on its own port with custos' development
# certificate; one client_secret_post client (a wrk body file of one line).
PEER_PORT=$(free_port)
PEER_URL="https://127.0.0.1:$PEER_PORT/token"
PEER_PID=""

# The peer's processes: the primary and its workers.
peer_pids() {
    echo "$PEER_PID" $(pgrep -P "$PEER_PID" || true)
}

# run_peer_row CONNECTIONS: as run_row, against the peer; CPU and peak RSS summed over its processes.
run_peer_row() {
    local conns=$1 label="peer-c$1"
    log "row $label: warm-up ${WARMUP_S}s, measure ${DURATION_S}s"
    printf 'grant_type=client_credentials&client_id=bench-peer&client_secret=bench-peer-secret-0123456789abcdef\n' \
        >"$INPUTS/peer-post.txt"
    node "$REPO_ROOT/bench/peer/server.mjs" "$PEER_PORT" "$DATA/tls/server.pem" "$DATA/tls/server.key" \
        bench-peer bench-peer-secret-0123456789abcdef "$NPROC" >"$WORK/peer-$label.log" 2>&1 </dev/null &
    PEER_PID=$!
    for _ in $(seq 1 100); do
        curl -sk -o /dev/null "https://127.0.0.1:$PEER_PORT/.well-known/openid-configuration" && break
        sleep 0.1
    done
    wrk -t2 -c"$conns" -d"${WARMUP_S}s" -s "$LUA" "$PEER_URL" -- post "$INPUTS/peer-post.txt" >"$WORK/warmup-$label.txt"
    local ticks_before=0 ticks_after=0 rss=0 box_before box_after pid
    for pid in $(peer_pids); do ticks_before=$((ticks_before + $(proc_ticks "$pid"))); done
    box_before=$(box_jiffies)
    wrk -t2 -c"$conns" -d"${DURATION_S}s" --latency -s "$LUA" "$PEER_URL" -- post "$INPUTS/peer-post.txt" >"$WORK/wrk-$label.txt"
    for pid in $(peer_pids); do
        ticks_after=$((ticks_after + $(proc_ticks "$pid")))
        rss=$((rss + $(peak_rss_mib "$pid")))
    done
    box_after=$(box_jiffies)
    kill -TERM $(peer_pids) 2>/dev/null || true
    wait "$PEER_PID" 2>/dev/null || true
    PEER_PID=""
    add_row "$label" "node-oidc-provider (peer, $NPROC workers)" 1 "$conns" "$ticks_before" "$ticks_after" "$box_before" "$box_after" "$rss"
    log "row $label: ${ROWS[-1]}"
}

# sign_pool: signs the assertion pool of the backend in use. Done with the server stopped, just
# before its rows, so that exp = signing time + 3000 s covers them; two wrk threads share it, so
# its size is even.
sign_pool() {
    POOL_SIZE=$(( (ASSERTIONS + 1) / 2 * 2 ))
    log "signing $POOL_SIZE private_key_jwt assertions ($BACKEND)"
    "$PYTHON" "$REPO_ROOT/bench/assertions.py" --key "$INPUTS/pkjwt-key.pem" --cert "$INPUTS/pkjwt-cert.der" \
        --client-id "$(<"$INPUTS/pkjwt-client.txt")" --audience "$(<"$INPUTS/pkjwt-audience.txt")" \
        --count "$POOL_SIZE" --out "$POOL_FILE"
}

if [[ "$SUITE" == signinlog ]]; then
    # On and off alternate, twice each, so that drift on a shared box hits both alike.
    for round in 1 2; do
        for conns in 16 64; do
            for mode in on off; do
                SIGN_IN_LOG=$mode ROW_SUFFIX="-log$mode-$round" METHOD_SUFFIX=" (sign-in log $mode)" \
                    run_row post 1 2 "$conns"
            done
        done
    done
    SIGN_IN_LOG=on
elif [[ "$SUITE" == es256 ]]; then
    # RS256 and ES256 rows alternate, two passes, so that drift on a shared box hits both alike.
    for pass in 1 2; do
        for conns in 16 64; do
            for auth in post post-es256; do
                ROW_SUFFIX="-pass$pass" METHOD_SUFFIX=" (pass $pass)" run_row "$auth" 1 2 "$conns"
            done
        done
    done
elif [[ "$SUITE" == full ]]; then
    for clients in 1 "$CLIENTS"; do
        for auth in post basic; do
            for conns in 16 64; do
                run_row "$auth" "$clients" 2 "$conns"
            done
        done
    done
    run_row post 1 1 1

    # private_key_jwt: the pool is signed just before its rows (server stopped), so that its
    # exp = signing time + 3000 s covers them; two wrk threads share it, so its size is even.
    sign_pool
    for conns in 16 64; do
        run_row pkjwt 1 2 "$conns"
    done
elif [[ "$SUITE" == pkjwt ]]; then
    sign_pool
    for conns in 16 64; do
        run_row post 1 2 "$conns"
        run_row pkjwt 1 2 "$conns"
    done
elif [[ "$SUITE" == backends ]]; then
    # c64 rows, the backends alternating: SQLite, PostgreSQL, SQLite, PostgreSQL.
    for backend in postgres sqlite; do
        use_backend "$backend"
        sign_pool
    done
    for auth in post pkjwt; do
        for backend in sqlite postgres; do
            use_backend "$backend"
            label=SQLite
            [[ "$backend" == sqlite ]] || label=PostgreSQL
            ROW_SUFFIX="-$backend" METHOD_SUFFIX=" ($label)" run_row "$auth" 1 2 64
        done
    done
    use_backend sqlite
else
    for conns in 16 64; do
        run_row post 1 2 "$conns"
    done
fi

if [[ "$SUITE" == full || "$SUITE" == peer ]]; then
    for conns in 16 64; do
        run_peer_row "$conns"
    done
fi

if [[ "$SUITE" == full || "$SUITE" == refresh ]]; then
    for auth in refresh-id refresh-access; do
        for conns in 16 64; do
            run_row "$auth" 1 2 "$conns"
        done
    done
fi

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
    echo "- toolchain: $(rustc --version); build profile: $PROFILE; crypto: aws-lc-rs; database: $([[ "$SUITE" == backends ]] && echo "SQLite and PostgreSQL $(psql -tA "$POSTGRES_URL" -c 'SHOW server_version' 2>/dev/null) on the same machine (rows say which)" || echo "SQLite (default)"); server log filter: $CUSTOS_LOG"
    echo "- load: wrk $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }') on the same $NPROC vCPUs (it competes with the server), HTTPS keep-alive to 127.0.0.1, ${WARMUP_S} s warm-up + ${DURATION_S} s --latency per row, server restarted for every row"
    echo "- openssl speed -multi $NPROC -seconds 3 rsa2048: **$SIGN_PER_S sign/s** (same run); ratio = tokens/s ÷ sign/s"
    echo "- server CPU = utime+stime of the server over the measured window, in cores; box busy = whole machine (of $NPROC); peak RSS = VmHWM at the end of the row"
    echo
    echo "| client auth | clients | conns | tokens/s | p50 ms | p95 ms | p99 ms | non-200 | socket errors | server CPU | box busy | peak RSS MiB | ratio |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
    echo
    ratio() { # LABEL ROW_PREFIX GOAL: ROW_PREFIX ÷ client_secret_post (1 client) at c16 and c64
        awk -v label="$1" -v goal="$3" -v a16="${RPS[$2-c16]:-0}" -v s16="${RPS[post-1-c16]:-0}" \
            -v a64="${RPS[$2-c64]:-0}" -v s64="${RPS[post-1-c64]:-0}" 'BEGIN {
            printf "- %s ÷ client_secret_post (1 client, same run): **%.2f** at c16, **%.2f** at c64%s\n",
                label, (s16 > 0 ? a16 / s16 : 0), (s64 > 0 ? a64 / s64 : 0), goal
        }'
    }
    if [[ "$SUITE" == backends ]]; then
        for auth in post pkjwt; do
            awk -v auth="$auth" -v s="${RPS[$auth-1-c64-sqlite]:-0}" -v p="${RPS[$auth-1-c64-postgres]:-0}" 'BEGIN {
                printf "- %s, c64: PostgreSQL ÷ SQLite **%.2f** (goal ≥ 0.90)\n",
                    (auth == "post" ? "client_secret_post" : "private_key_jwt"), (s > 0 ? p / s : 0)
            }'
        done
        for backend in sqlite postgres; do
            awk -v b="$backend" -v a="${RPS[pkjwt-1-c64-$backend]:-0}" -v s="${RPS[post-1-c64-$backend]:-0}" 'BEGIN {
                printf "- %s: private_key_jwt ÷ client_secret_post at c64 **%.2f**\n", b, (s > 0 ? a / s : 0)
            }'
        done
        for backend in sqlite postgres; do
            used=${BACKEND_POOL[$backend]:-0}
            echo "- $backend assertion pool: $POOL_SIZE signed, $used used$( ((used > POOL_SIZE)) && echo ': **the pool wrapped, the private_key_jwt row is invalid**')"
        done
    fi
    if [[ "$SUITE" == full || "$SUITE" == pkjwt ]]; then
        ratio private_key_jwt pkjwt-1 " (goal ≥ 0.80)"
        echo "- private_key_jwt: $POOL_SIZE pre-generated assertions (RS256 + x5t, unique jti, aud = the v2 token endpoint, exp = signing time + 3000 s); every request takes the next unused one across warm-ups and rows; the runs consumed $POOL_OFFSET"
        if ((POOL_OFFSET > POOL_SIZE)); then
            echo "- **the pool wrapped: $((POOL_OFFSET - POOL_SIZE)) requests re-sent an assertion already used**; custos refuses them (AADSTS7000290, counted as non-200: compat mode lets a byte-identical assertion be reused only when it lives at most 600 s), so the private_key_jwt rows are invalid: raise BENCH_ASSERTIONS"
        else
            echo "- no assertion was sent twice"
        fi
    fi
    if [[ "$SUITE" == es256 ]]; then
        echo "- openssl speed -multi $NPROC -seconds 3 ecdsap256: **$ECDSA_SIGN_PER_S sign/s** (same run; the ES256 signing ceiling)"
        for pass in 1 2; do
            awk -v p="$pass" -v r16="${RPS[post-1-c16-pass$pass]:-0}" -v e16="${RPS[post-es256-1-c16-pass$pass]:-0}" \
                -v r64="${RPS[post-1-c64-pass$pass]:-0}" -v e64="${RPS[post-es256-1-c64-pass$pass]:-0}" 'BEGIN {
                printf "- pass %s: ES256 ÷ RS256 tokens/s (client_secret_post, 1 client, same run): **%.2f** at c16, **%.2f** at c64 (goal ≥ 5)\n",
                    p, (r16 > 0 ? e16 / r16 : 0), (r64 > 0 ? e64 / r64 : 0)
            }'
        done
    fi
    if [[ "$SUITE" == signinlog ]]; then
        for conns in 16 64; do
            awk -v c="$conns" -v on1="${RPS[post-1-c$conns-logon-1]:-0}" -v on2="${RPS[post-1-c$conns-logon-2]:-0}" \
                -v off1="${RPS[post-1-c$conns-logoff-1]:-0}" -v off2="${RPS[post-1-c$conns-logoff-2]:-0}" 'BEGIN {
                on = (on1 + on2) / 2; off = (off1 + off2) / 2
                printf "- c%s: sign-in log on %.0f tokens/s, off %.0f tokens/s (means of two rows each): on is **%.1f %%** %s than off (goal: at most 5 %% lower)\n",
                    c, on, off, (off > 0 ? 100 * (off - on) / off : 0) * (off >= on ? 1 : -1), (off >= on ? "lower" : "higher")
            }'
        done
    fi
    if [[ "$SUITE" == full || "$SUITE" == peer ]]; then
        awk -v c16="${RPS[post-1-c16]:-0}" -v p16="${RPS[peer-c16]:-0}" -v c64="${RPS[post-1-c64]:-0}" -v p64="${RPS[peer-c64]:-0}" 'BEGIN {
            printf "- custos ÷ node-oidc-provider (client_secret_post, 1 client, same run): **%.2f** at c16, **%.2f** at c64\n",
                (p16 > 0 ? c16 / p16 : 0), (p64 > 0 ? c64 / p64 : 0)
        }'
        echo "- the peer: node-oidc-provider $(node -p 'require("'"$REPO_ROOT"'/bench/peer/node_modules/oidc-provider/package.json").version' 2>/dev/null || echo '?') on node $(node --version), one worker per vCPU (node:cluster), RS256 JWT access tokens for the client-credentials grant (resource indicators), client_secret_post, HTTPS with the same certificate; CPU and RSS summed over its processes"
    fi
    if [[ "$SUITE" == full || "$SUITE" == refresh ]]; then
    ratio "refresh_token + ID token" refresh-id-1 " (two signatures per answer)"
    ratio "refresh_token" refresh-access-1 " (one signature per answer)"
    echo "- refresh_token rows: a confidential web client (client_secret_post) and one user; one grant per connection, started with the password grant before the run; each answer's rotated refresh token is that grant's next request, so every request spends a live token once and writes its successor durably (SQLite)"
    fi
    if [[ "$PROFILE" != release ]]; then
        echo
        echo "**Debug build: these numbers only check the harness.**"
    fi
} | tee "$REPORT"
log "wrote $REPORT"
