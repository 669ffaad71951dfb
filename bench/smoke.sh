#!/usr/bin/env bash
# The benchmark harness at a toy scale, for CI: every lens figure is
# produced and the report renders. Not a measurement.
#   bench/smoke.sh LENS_BENCH FANOUT_BENCH SEARCH_BENCH
set -euo pipefail
lens_bench=$1 fanout_bench=$2 search_bench=$3
out=$(mktemp -d /tmp/lens-bench-smoke-XXXXXX)
trap 'rm -rf "$out"' EXIT
"$fanout_bench" 2000 >> "$out/results.jsonl"
"$search_bench" 3000 500 20 >> "$out/results.jsonl" 2> "$out/search.log" || { cat "$out/search.log"; exit 1; }
"$lens_bench" --scale 0.005 --connections 2 --duration-seconds 1 --no-fsync >> "$out/results.jsonl" 2> "$out/lens.log" ||
  { cat "$out/lens.log"; exit 1; }
for metric in fanout_100k ingest feed_reads mixed_writes feed_curve freshness rebuild rss_mb \
              search_apply_events_per_s search_typeahead search_caption_1_word search_caption_2_words \
              search_hashtag_posts search_trending_24h; do
  grep -q "\"metric\":\"$metric\"" "$out/results.jsonl" || { echo "missing $metric"; cat "$out/results.jsonl"; exit 1; }
done
python3 "$(dirname "$0")/report.py" "$out" > /dev/null
grep -q "Command ingest" "$out/results.md"
echo "bench smoke: ok"
