#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a bounded time; prints a summary.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; the targets default to all of them
# (`cargo fuzz list`), run one after the other. Environment:
#   FORK=1      keep going after a crash, timeout or OOM (libFuzzer fork
#               mode, one worker) instead of stopping at the first one
#   TIMEOUT=N   seconds one input may take before it counts as a hang (10)
#   MAX_LEN=N   the longest input libFuzzer generates (default: its own
#               guess from the corpus, at least 4096 bytes)
#   TRIG_FUZZ_SKIP_KNOWN=1  do not run inputs that show a known, still
#               unfixed bug (tests/fuzz_regressions/*/pending/), so a long
#               run can find other things
#
# Inputs found are kept in fuzz/corpus/<target>/ and the seeds are read
# from fuzz/seeds/<target>/ (never written); crashes go to
# fuzz/artifacts/<target>/ and the full libFuzzer log of the last run to
# fuzz/artifacts/<target>.log. Exits 1 when anything was found.
# Not part of CI (.ci/run): fuzzing is slow and needs a sanitizer runtime.
#
# cargo-fuzz passes `-Z` flags to rustc, which a stable toolchain refuses
# unless RUSTC_BOOTSTRAP=1 is set (see fuzz/README.md); nightly works too.

set -uo pipefail

secs="${1:-60}"
shift || true
case "$secs" in
    '' | *[!0-9]*)
        echo "usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
        exit 2
        ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/.." || exit 2
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 2
fi

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

echo "building ${targets[*]} (release, debug assertions, AddressSanitizer)..." >&2
for t in "${targets[@]}"; do
    cargo fuzz build "$t" || exit 2
done

extra=()
if [ "${FORK:-0}" = 1 ]; then
    extra+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
if [ -n "${MAX_LEN:-}" ]; then
    extra+=("-max_len=$MAX_LEN")
fi

# Artifacts, counted before and after a run.
count_findings() {
    find "fuzz/artifacts/$1" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) 2>/dev/null | wc -l
}

summary=()
found_any=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "fuzz/seeds/$t"
    log="fuzz/artifacts/$t.log"
    before=$(count_findings "$t")
    start=$(date +%s)
    echo "fuzzing $t for ${secs}s (log: $log)..." >&2
    cargo fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout="${TIMEOUT:-10}" \
        -print_final_stats=1 "${extra[@]}" >"$log" 2>&1
    status=$?
    took=$(($(date +%s) - start))
    # Executions: the final stats of a plain run, else the last status line
    # (fork mode, or a run that died before printing its stats).
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    if [ -z "$execs" ]; then
        execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi
    new=$(($(count_findings "$t") - before))
    if [ "$new" -gt 0 ] || { [ "$status" -ne 0 ] && [ "${FORK:-0}" != 1 ]; }; then
        found_any=1
        if [ "$new" -eq 0 ]; then
            new="? (exit $status, see $log)"
        fi
    fi
    summary+=("$(printf '%-14s %8s %12s   %s' "$t" "$took" "${execs:-?}" "$new")")
done

printf '\n%-14s %8s %12s   %s\n' target seconds executions findings
for line in "${summary[@]}"; do
    echo "$line"
done
if [ "$found_any" = 1 ]; then
    echo
    echo "findings are in fuzz/artifacts/<target>/; see fuzz/README.md (\"When a target finds something\")"
    exit 1
fi
