#!/bin/bash
# Profiles our check-only pass (the parse-only benchmark) on the benchmark's own workload:
# perf (hot spots, with the kernel's share) where linux-perf is installed, callgrind always.
#   scripts/bench-profile.sh [CONNECTIONS]     (default 10000; reports under target/bench-profile)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
out=target/bench-profile
bench=target/release/ipsecauto-bench
cargo build --release --bin ipsecauto-bench
mkdir -p "$out"
conf="$out/parse-$n.conf"
"$bench" --child gen "$n" "$conf"
echo "== ipsec addconn --checkconfig, for reference"
/usr/bin/time -f "%e s, peak %M KiB" ipsec addconn --checkconfig --config "$conf"
echo "== ours"
"$bench" --child check "$conf"
if command -v perf >/dev/null; then
    perf record -q -g -o "$out/perf.data" "$bench" --child check "$conf" >/dev/null
    perf report -i "$out/perf.data" --no-children --stdio 2>/dev/null \
        | grep -E '^ +[0-9]+\.[0-9]+%' | head -30 | tee "$out/perf.txt"
fi
valgrind -q --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
    "$bench" --child check "$conf" >/dev/null
callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null \
    | grep -E '^ *[0-9,]+ \(' | sed 's|/rustc/[0-9a-f]*/library/||' | head -60 \
    | tee "$out/callgrind.txt"
echo "reports in $out/"
