#!/usr/bin/env bash
# stop_peers.sh DIR — stops the PostgreSQL and Redis that start_peers.sh DIR
# started. Leaves DIR in place (remove it to drop the data).
set -uo pipefail

dir=${1:?usage: stop_peers.sh DIR}
pgbin=/usr/lib/postgresql/15/bin
as_owner=()
[ "$(id -u)" -eq 0 ] && as_owner=(runuser -u lensbench --)

status=0
if [ -f "$dir/pg/postmaster.pid" ]; then
  "${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m fast -w stop >&2 || status=1
fi
if [ -f "$dir/redis.port" ]; then
  # No persistence configured, so nothing to save.
  redis-cli -p "$(cat "$dir/redis.port")" shutdown nosave >/dev/null 2>&1 || true
  rm -f "$dir/redis.port"
fi
exit $status
