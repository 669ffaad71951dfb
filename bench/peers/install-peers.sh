#!/usr/bin/env bash
# Installs what the peer benchmark needs (Debian 12): PostgreSQL 15, Redis,
# and the client libraries peer_bench links (libpq, hiredis). Idempotent:
# packages already installed are skipped, and nothing runs when all are.
set -euo pipefail

packages=(postgresql redis-server libpq-dev libhiredis-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The packages start their own system services; start_peers.sh runs private
# instances instead, so those stay as Debian leaves them.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
