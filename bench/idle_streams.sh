#!/usr/bin/env bash
# Memory cost of idle live-stream connections: starts `lens serve` on a
# scratch directory, opens N server-sent-event streams for one user and
# reports the server's RSS growth per connection.
# Usage: bench/idle_streams.sh [N=2000] [path to lens binary]
set -euo pipefail
N="${1:-2000}"
LENS="${2:-$(dirname "$0")/../build/server/lens}"
ulimit -n $((N + 1024))
DIR=$(mktemp -d)
PORT=$((20000 + RANDOM % 10000))
"$LENS" serve --data-dir "$DIR" --port "$PORT" --argon2-memory-kib 64 --argon2-time-cost 1 \
  --no-access-log > "$DIR/lens.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT
B="http://127.0.0.1:$PORT/api/v1"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf -XPOST "$B/accounts" -d '{"username":"idle","email":"idle@example.com","password":"password-idle"}' >/dev/null
TOKEN=$(curl -sf -XPOST "$B/sessions" -d '{"username":"idle","password":"password-idle"}' |
  python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
python3 - "$TOKEN" "$PID" "$PORT" "$N" <<'PY'
import socket, sys, time
token, pid, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
time.sleep(0.5)
before = rss_kib()
socks = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall((f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
               "Accept: text/event-stream\r\n\r\n").encode())
    socks.append(s)
ok = 0
for s in socks:
    s.settimeout(10)
    if b"200 OK" in s.recv(4096):
        ok += 1
time.sleep(1.0)
after = rss_kib()
print(f"idle streams open: {ok}/{n}")
print(f"server RSS: {before} KiB before, {after} KiB after: "
      f"{(after - before) * 1024 / n:.0f} bytes per idle stream")
PY
