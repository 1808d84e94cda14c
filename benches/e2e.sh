#!/usr/bin/env bash
# End-to-end benchmark of `trig run`: whole-process throughput (events per
# second) and peak memory (maximum resident set size) on synthetic streams.
#
# What it measures, each as one `trig run … --out /dev/null` process over a
# 1 M event stream from `trig gen` (seed 1, 100 k customers; SYNTHETIC data,
# see src/cli/gen.rs for its shape):
#
#   1. parse floor   no rules (benches/rules/empty/) over the shop stream:
#                    reading, decoding and ordering events, nothing else;
#   2. seed rules    benches/rules/seed.trig (a `for 2h and not` wait and a
#                    `3 times within 1d` count) over the shop stream;
#   3. 1000 rules    1,000 generated `N times within 1h` rules over the
#                    many-events stream (200 event names, Zipf), for
#                    rule-count scaling;
#   4, 5.            the parse floor and the seed rules with --threads 2.
#
# events/s is what `trig run` reports in its summary on stderr
# (`…, events/s: 1,234,567`, timed by trig itself) when it does; otherwise
# it is events / wall-clock time of the whole process (start-up, rule
# compilation and output included), marked "(wall)".
# Peak RSS comes from GNU `/usr/bin/time -v` ("Maximum resident set size"),
# or BSD `/usr/bin/time -l`; without either it is shown as "n/a".
#
# Usage:  benches/e2e.sh            (from anywhere in the repository)
# Environment:
#   TRIG_BENCH_DIR        folder for the generated streams, rules and logs
#                         (kept afterwards); default: a temporary folder,
#                         removed at the end
#   TRIG_BENCH_EVENTS     events per stream (default 1000000)
#   TRIG_BENCH_CUSTOMERS  customers (default 100000)
#   TRIG_BENCH_RUNS       runs of each case; the median rate is shown
#                         (default 3: this machine's speed varies by
#                         ±20 % from run to run)
#   TRIG_BIN              a trig binary to use instead of building
#                         `cargo build --release`
#
# Exit status: 0 when every case ran, 1 when a case failed (its stderr is
# shown), 2 on a setup problem (build, generation, rules that do not check).

set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)

EVENTS=${TRIG_BENCH_EVENTS:-1000000}
CUSTOMERS=${TRIG_BENCH_CUSTOMERS:-100000}
RUNS=${TRIG_BENCH_RUNS:-3}
SEED=1
EVENT_NAMES=200
GENERATED_RULES=1000
CONFIG=benches/trig.toml

say() { printf '==> %s\n' "$*" >&2; }
die() {
    printf 'e2e.sh: %s\n' "$*" >&2
    exit 2
}

for n in "$EVENTS" "$CUSTOMERS" "$RUNS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "TRIG_BENCH_EVENTS and TRIG_BENCH_CUSTOMERS and TRIG_BENCH_RUNS must be positive whole numbers (got '$n')"
done

# --- the binary -------------------------------------------------------------

if [[ -n ${TRIG_BIN:-} ]]; then
    TRIG=$TRIG_BIN
    [[ -x $TRIG ]] || die "TRIG_BIN=$TRIG is not an executable file"
    say "using $TRIG (TRIG_BIN; not building)"
else
    command -v cargo >/dev/null || die "cargo not found; install Rust or set TRIG_BIN"
    say "cargo build --release"
    cargo build --release || die "cargo build --release failed"
    TRIG="${CARGO_TARGET_DIR:-$ROOT/target}/release/trig"
    [[ $TRIG = /* ]] || TRIG="$ROOT/$TRIG"
    [[ -x $TRIG ]] || die "built, but $TRIG is missing"
fi

# --- the work folder ----------------------------------------------------------

if [[ -n ${TRIG_BENCH_DIR:-} ]]; then
    DIR=$TRIG_BENCH_DIR
    mkdir -p "$DIR" || die "cannot create TRIG_BENCH_DIR=$DIR"
    DIR=$(cd "$DIR" && pwd)
else
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/trig-bench.XXXXXX") || die "mktemp failed"
    trap 'rm -rf "$DIR"' EXIT
fi
say "work folder: $DIR"

# --- the inputs ---------------------------------------------------------------

SHOP="$DIR/shop.ndjson"
MANY="$DIR/many-events.ndjson"
say "trig gen: $EVENTS shop events, $CUSTOMERS customers, seed $SEED"
"$TRIG" gen --events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" \
    --scenario shop -o "$SHOP" || die "trig gen (shop) failed"
say "trig gen: $EVENTS many-events events ($EVENT_NAMES names), seed $SEED"
"$TRIG" gen --events "$EVENTS" --customers "$CUSTOMERS" --seed "$SEED" \
    --scenario many-events --event-names "$EVENT_NAMES" -o "$MANY" ||
    die "trig gen (many-events) failed"

# 1,000 rules r0001…r1000; rule i counts event ev.(17 i mod 200), so each of
# the 200 names has 5 rules. Event names whose parts start with a digit
# cannot be written as dotted names, hence the quotes (same event).
RULES1000="$DIR/rules-$GENERATED_RULES"
mkdir -p "$RULES1000"
say "writing $GENERATED_RULES rules to $RULES1000/generated.trig"
{
    for ((i = 1; i <= GENERATED_RULES; i++)); do
        ((i == 1)) || echo
        printf 'rule r%04d:\n  when "ev.%03d" 3 times within 1h\n  then send sms "hi {event.customer} Reply STOP to opt out"\n' \
            "$i" $(((17 * i) % EVENT_NAMES))
    done
} >"$RULES1000/generated.trig"

# Every rule must check without errors, or `trig run` would silently run
# fewer rules than the case claims.
expect_rules() { # expect_rules COUNT PATH…
    local want=$1 summary ready
    shift
    summary=$("$TRIG" check --config "$CONFIG" "$@" 2>&1 >/dev/null | grep 'rule(s) ready to run' || true)
    ready=$(sed -n 's/.*: \([0-9][0-9]*\) rule(s) ready to run.*/\1/p' <<<"$summary")
    [[ $ready == "$want" ]] ||
        die "expected $want rule(s) ready to run in $*, trig check says: ${summary:-nothing}"
}
expect_rules 0 benches/rules/empty/
expect_rules 2 benches/rules/seed.trig
expect_rules "$GENERATED_RULES" "$RULES1000"

# --- measuring ------------------------------------------------------------------

TIME_MODE=none
if [[ -x /usr/bin/time ]]; then
    if /usr/bin/time -v true >/dev/null 2>&1; then
        TIME_MODE=gnu
    elif /usr/bin/time -l true >/dev/null 2>&1; then
        TIME_MODE=bsd
    fi
fi
[[ $TIME_MODE != none ]] || say "no /usr/bin/time with -v or -l: peak RSS will be n/a"

now_ns() {
    if [[ -n ${EPOCHREALTIME:-} ]]; then
        local t=${EPOCHREALTIME/[.,]/}
        echo "${t}000"
    else
        date +%s%N
    fi
}

ROWS=()
RATES=()
FAILED=0

# run_once LABEL RULES EVENTS_FILE RULE_PATH…: one run, into LAST_ROW and
# LAST_RATE.
run_once() {
    local label=$1 nrules=$2 events=$3
    shift 3
    local slug=${label//[^A-Za-z0-9]/_}
    local err="$DIR/$slug.stderr" tim="$DIR/$slug.time"
    local cmd=("$TRIG" run --config "$CONFIG" "$@" --events "$events" --out /dev/null)
    say "$label: ${cmd[*]}"
    local start end status=0
    start=$(now_ns)
    case $TIME_MODE in
    gnu) /usr/bin/time -v -o "$tim" "${cmd[@]}" >/dev/null 2>"$err" || status=$? ;;
    bsd) /usr/bin/time -l -o "$tim" "${cmd[@]}" >/dev/null 2>"$err" || status=$? ;;
    none) "${cmd[@]}" >/dev/null 2>"$err" || status=$? ;;
    esac
    end=$(now_ns)
    local wall
    wall=$(awk -v ns=$((end - start)) 'BEGIN { printf "%.2f", ns / 1e9 }')

    if ((status != 0)); then
        FAILED=1
        printf 'e2e.sh: %s failed (exit %d); last lines of its stderr:\n' "$label" "$status" >&2
        tail -n 15 "$err" | sed 's/^/    /' >&2
        LAST_ROW="$(printf '%-28s %6s %10s %16s %12s %9s' "$label" "$nrules" "$EVENTS" "FAILED" "-" "${wall}s")"
        LAST_RATE=0
        return 0
    fi

    local rate
    # `events/s: 1,234,567` anywhere on a line (the last one wins).
    rate=$(grep -oE 'events/s:[[:space:]]*[0-9][0-9,_]*(\.[0-9]+)?' "$err" | tail -n 1 |
        sed 's/^events\/s:[[:space:]]*//; s/[,_]//g' || true)
    if [[ $rate =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        rate=$(awk -v r="$rate" 'BEGIN { printf "%.0f", r }')
    else
        rate="$(awk -v n="$EVENTS" -v ns=$((end - start)) 'BEGIN { printf "%.0f", (ns > 0 ? n / (ns / 1e9) : 0) }') (wall)"
    fi

    local rss="n/a" kb
    case $TIME_MODE in
    gnu)
        kb=$(sed -n 's/.*Maximum resident set size (kbytes): *\([0-9][0-9]*\).*/\1/p' "$tim")
        if [[ -n $kb ]]; then
            rss=$(awk -v k="$kb" 'BEGIN { printf "%.1f MiB", k / 1024 }')
        fi
        ;;
    bsd) # bytes on macOS
        kb=$(awk '/maximum resident set size/ { print $1 }' "$tim")
        if [[ -n $kb ]]; then
            rss=$(awk -v b="$kb" 'BEGIN { printf "%.1f MiB", b / 1048576 }')
        fi
        ;;
    esac
    LAST_ROW="$(printf '%-28s %6s %10s %16s %12s %9s' "$label" "$nrules" "$EVENTS" "$rate" "$rss" "${wall}s")"
    LAST_RATE="${rate%% *}"
}

# run_case LABEL RULES EVENTS_FILE RULE_PATH…: RUNS runs; the row of the
# median rate is kept.
run_case() {
    local rows=() i
    for ((i = 0; i < RUNS; i++)); do
        run_once "$@"
        rows+=("$LAST_RATE	$LAST_ROW")
    done
    local median
    median=$(printf '%s\n' "${rows[@]}" | sort -n -k1,1 | sed -n "$(((RUNS + 1) / 2))p")
    RATES+=("${median%%	*}")
    ROWS+=("${median#*	}")
}

# ratio A B: A/B as a percentage, or "n/a" when either failed.
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.0f %%", 100 * a / b; else printf "n/a" }'
}

run_case "1 parse floor (no rules)" 0 "$SHOP" benches/rules/empty/
run_case "2 seed rules (shop)" 2 "$SHOP" benches/rules/seed.trig
run_case "3 1000 rules (many-events)" "$GENERATED_RULES" "$MANY" "$RULES1000"
# Options go through to `trig run` with the rule paths.
run_case "4 parse floor, --threads 2" 0 "$SHOP" benches/rules/empty/ --threads 2
run_case "5 seed rules, --threads 2" 2 "$SHOP" benches/rules/seed.trig --threads 2

# --- the report -------------------------------------------------------------------

echo
echo "trig end-to-end benchmark: $("$TRIG" --version 2>/dev/null || echo trig), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "machine: $(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo '?') CPU(s), $(uname -sm)"
echo "streams: synthetic (trig gen --seed $SEED), $EVENTS events, $CUSTOMERS customers"
echo
printf '%-28s %6s %10s %16s %12s %9s\n' "case" "rules" "events" "events/s" "peak RSS" "wall"
printf '%s\n' "${ROWS[@]}"
echo
echo "issue 6 targets (one thread):"
printf '  %-44s %8s   target\n' "ratio" "measured"
printf '  %-44s %8s   >= 70 %%\n' "seed rules / parse floor" "$(ratio "${RATES[1]}" "${RATES[0]}")"
printf '  %-44s %8s   >= 50 %%\n' "1000 rules / seed rules" "$(ratio "${RATES[2]}" "${RATES[1]}")"
printf '  %-44s %8s   >= 3,000,000\n' "seed rules, events/s" "${RATES[1]}"
printf '  %-44s %8s   >= 170 %%\n' "seed rules, 2 threads / 1 thread" "$(ratio "${RATES[4]}" "${RATES[1]}")"
printf '  %-44s %8s\n' "parse floor, 2 threads / 1 thread" "$(ratio "${RATES[3]}" "${RATES[0]}")"
if [[ -n ${TRIG_BENCH_DIR:-} ]]; then
    echo
    echo "streams, rules and each run's stderr are in $DIR"
fi
exit "$FAILED"
