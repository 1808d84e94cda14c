#!/usr/bin/env bash
# Memory bounds of `trig run` (issue 4, point 7), as peak resident memory
# from GNU `/usr/bin/time -v`:
#
#   1. many customers, each with a pending wait: N customers each abandon a
#      cart once (benches/rules/pending.trig: `for 30d`), so at the end N
#      waits are pending. Reports bytes per pending wait
#      ((RSS(N) - RSS(0 rules)) / N).
#   2. one customer sending M events (the two seed rules: a restarting
#      wait and a `3 times within 1d` count): memory must not grow with M.
#
# Synthetic events are generated on the fly (python3) and piped in, so no
# large file is written. Usage: benches/memory.sh [N_CUSTOMERS] [M_EVENTS]
# (defaults 1000000 and 10000000). Not part of .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-1000000}
M=${2:-10000000}
cargo build --release -q
TRIG=target/release/trig
command -v /usr/bin/time >/dev/null || { echo "needs GNU /usr/bin/time" >&2; exit 2; }

customers() {  # one cart per customer, one second apart
    python3 -c "
import sys
w = sys.stdout.write
for i in range($1):
    w('{\"customer\":\"c%d\",\"event\":\"cart.abandoned\",\"time\":%d,\"props\":{\"url\":\"https://shop.example/c/%d\"}}\n' % (i, 1700000000 + i, i))
"
}

one_customer() {  # page views and carts from one customer, 1 s apart
    python3 -c "
import sys
w = sys.stdout.write
for i in range($1):
    e = 'cart.abandoned' if i % 10 == 0 else 'page.viewed'
    w('{\"customer\":\"c1\",\"event\":\"%s\",\"time\":%d,\"props\":{\"url\":\"u%d\"}}\n' % (e, 1700000000 + i, i % 100))
"
}

rss() {  # peak RSS in KiB of: trig run RULES < stdin
    /usr/bin/time -v "$TRIG" run --config benches/trig.toml "$1" --events - --out /dev/null 2>&1 \
        | awk -F': ' '/Maximum resident set size/ {print $2}'
}

base=$(customers "$N" | rss benches/rules/empty/)
waits=$(customers "$N" | rss benches/rules/pending.trig)
per_wait=$(( (waits - base) * 1024 / N ))
printf '%-44s %12s\n' "case" "peak RSS"
printf '%-44s %9s KiB\n' "$N customers, no rules" "$base"
printf '%-44s %9s KiB   (%s bytes per pending wait)\n' "$N customers, each with a pending wait" "$waits" "$per_wait"
small=$(( M / 10 ))
a=$(one_customer "$small" | rss benches/rules/seed.trig)
b=$(one_customer "$M" | rss benches/rules/seed.trig)
printf '%-44s %9s KiB\n' "1 customer, $small events, seed rules" "$a"
printf '%-44s %9s KiB\n' "1 customer, $M events, seed rules" "$b"
