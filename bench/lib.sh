# Shared by the bench scripts (sourced, not run). The caller defines `log` and `die` and sets
# REPO_ROOT, PYTHON and, for custos_binary, PROFILE (BENCH_PROFILE: release or debug).

# Sets BIN to the custos binary of PROFILE: a fresh release build, or the debug binary already
# built (CUSTOS_BIN overrides it), whose figures are only a harness check.
custos_binary() {
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
}

# A free TCP port on 127.0.0.1.
free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Stops the server SERVER_PID (if any): SIGTERM, up to 10 s to drain, then SIGKILL.
stop_server() {
    [[ -n "${SERVER_PID:-}" ]] || return 0
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
