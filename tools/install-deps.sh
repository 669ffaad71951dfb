#!/usr/bin/env bash
# Installs every system package lens needs to build, test and run on a fresh
# Debian 12 machine. Runs as root (uses sudo when not root). Idempotent.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache git
  librdkafka-dev librocksdb-dev libboost-dev libboost-system-dev
  nlohmann-json3-dev libabsl-dev libgtest-dev libgmock-dev libbenchmark-dev
  libargon2-dev libssl-dev libutf8proc-dev libjemalloc-dev
  kcat curl python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
