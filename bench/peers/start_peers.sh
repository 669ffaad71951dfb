#!/usr/bin/env bash
# start_peers.sh DIR — starts a throwaway PostgreSQL 15 and Redis for
# peer_bench, both on loopback, with their data, sockets and logs in DIR.
# Prints, for eval, the two lines peer_bench needs:
#   PG="host=127.0.0.1 port=... dbname=bench user=..."
#   REDIS=127.0.0.1:...
# Everything else goes to stderr. Stop them with stop_peers.sh DIR.
#
# PostgreSQL is durable the way lens's log is (fsync and synchronous_commit
# on) with shared_buffers at 512MB so the scale-1 working set stays cached.
# Redis keeps no persistence: the timelines are a cache rebuilt from
# PostgreSQL, which is how fan-out-on-write deployments run it.
set -euo pipefail

dir=${1:?usage: start_peers.sh DIR}
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL 15 missing: run bench/peers/install-peers.sh" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server missing: run bench/peers/install-peers.sh" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
dbuser=$(whoami)

# initdb refuses to run as root: then the servers run as a dedicated system
# user, which must be able to reach DIR (so DIR should not be under /root).
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  id lensbench >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin lensbench
  chown lensbench "$dir"
  as_owner=(runuser -u lensbench --)
fi

# A free TCP port on loopback: random, and not in the listening set.
free_port() {
  local used port
  used=$(ss -Htln | awk '{print $4}' | sed 's/.*://')
  while :; do
    port=$((20000 + RANDOM % 30000))
    grep -qx "$port" <<<"$used" || { echo "$port"; return; }
  done
}

pg_port=$(free_port)
"${as_owner[@]}" "$pgbin/initdb" -D "$dir/pg" --username="$dbuser" --auth=trust \
  --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
cat >>"$dir/pg/postgresql.conf" <<CONF
# peer_bench (start_peers.sh)
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$dir'
shared_buffers = 512MB
fsync = on
synchronous_commit = on
max_connections = 100
CONF
"${as_owner[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 start >&2
"${as_owner[@]}" "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U "$dbuser" bench

redis_port=$(free_port)
"${as_owner[@]}" redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
echo "$redis_port" >"$dir/redis.port"
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "redis-server did not start" >&2; exit 1; }

echo "PG=\"host=127.0.0.1 port=$pg_port dbname=bench user=$dbuser\""
echo "REDIS=127.0.0.1:$redis_port"
