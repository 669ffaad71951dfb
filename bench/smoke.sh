#!/usr/bin/env bash
# The benchmark harness at a toy scale, for CI: every lens figure is
# produced and the report renders. Not a measurement.
#   bench/smoke.sh LENS_BENCH FANOUT_BENCH
set -euo pipefail
lens_bench=$1 fanout_bench=$2
out=$(mktemp -d /tmp/lens-bench-smoke-XXXXXX)
trap 'rm -rf "$out"' EXIT
"$fanout_bench" 2000 >> "$out/results.jsonl"
"$lens_bench" --scale 0.005 --connections 2 --duration-seconds 1 --no-fsync >> "$out/results.jsonl" 2> "$out/lens.log" ||
  { cat "$out/lens.log"; exit 1; }
for metric in fanout_100k ingest feed_reads mixed_writes feed_curve freshness rebuild rss_mb; do
  grep -q "\"metric\":\"$metric\"" "$out/results.jsonl" || { echo "missing $metric"; cat "$out/results.jsonl"; exit 1; }
done
python3 "$(dirname "$0")/report.py" "$out" > /dev/null
grep -q "Command ingest" "$out/results.md"
echo "bench smoke: ok"
