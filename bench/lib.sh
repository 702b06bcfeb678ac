# Shared by the bench scripts (sourced, not run). The caller defines `log` and `die` and sets
# REPO_ROOT and PROFILE (BENCH_PROFILE: release or debug).

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
