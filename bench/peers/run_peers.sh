#!/usr/bin/env bash
# run_peers.sh PEER_BENCH [peer_bench args...] — runs peer_bench for both
# peer systems, each against freshly started servers (start_peers.sh in a
# temporary directory, removed afterwards), and prints their JSON lines.
#   bench/peers/run_peers.sh /tmp/build-peers/bench/peers/peer_bench \
#       --scale 1 --connections 16 --duration-seconds 20 > results.jsonl
set -euo pipefail

bench=${1:?usage: run_peers.sh PEER_BENCH [peer_bench args...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
status=0
for system in postgres postgres-redis; do
  # Not under /root or $HOME: the servers may run as another user.
  dir=$(mktemp -d /tmp/lens-peers.XXXXXX)
  chmod 755 "$dir"
  trap '"$here/stop_peers.sh" "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  eval "$("$here/start_peers.sh" "$dir" 2>/dev/null)"
  echo "== $system (load average: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  "$bench" --system "$system" --pg "$PG" --redis "$REDIS" "$@" || status=$?
  "$here/stop_peers.sh" "$dir" >/dev/null 2>&1 || true
  rm -rf "$dir"
  trap - EXIT
done
exit $status
