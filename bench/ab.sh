#!/bin/bash
# Runs lens_bench once with each given `lens` binary in turn, and prints
# the ingest figure of each run. Alternate them (A B A B) so that a VM that
# slows down mid-way shows as noise rather than as a difference.
#
#   bench/ab.sh LOG SCALE BINARY...
#   e.g. bench/ab.sh kafka 0.05 /tmp/old/lens build/server/lens /tmp/old/lens build/server/lens
#
# lens_bench starts build/server/lens, so each binary (copied aside first,
# build/server/lens included) is put there for its run, and the one that
# was there is put back at the end. Full results: /tmp/lens-ab/<n>.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n 2,10p "$0"; exit 2; }
log=$1 scale=$2
shift 2
work=/tmp/lens-ab
rm -rf "$work" && mkdir -p "$work/bin"
cp build/server/lens "$work/saved"
trap 'cp "$work/saved" build/server/lens.ab && mv -f build/server/lens.ab build/server/lens' EXIT
n=0
for binary in "$@"; do
  n=$((n + 1))
  cp "$binary" "$work/bin/$n"
done
n=0
for binary in "$@"; do
  n=$((n + 1))
  cp "$work/bin/$n" build/server/lens.ab && mv -f build/server/lens.ab build/server/lens
  build/bench/lens_bench --log "$log" --scale "$scale" --duration-seconds 2 \
    >"$work/$n.jsonl" 2>"$work/$n.err"
  python3 - "$binary" "$work/$n.jsonl" <<'PY'
import json, sys
d = json.loads(open(sys.argv[2]).readline())
print(f"{sys.argv[1]}: {d['value']:,.0f} commands/s, p50 {d['p50_ms']:.2f} ms, "
      f"p99 {d['p99_ms']:.2f} ms, {d['node_cpu_us_per_command']:.0f} µs CPU per command")
PY
done
