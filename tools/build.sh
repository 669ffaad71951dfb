#!/usr/bin/env bash
# Configures and builds lens in ./build (installing the system packages
# first when any is missing). Usage: tools/build.sh [ninja targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
# Two cores here: more jobs only thrash memory.
cmake --build build -j "${LENS_BUILD_JOBS:-2}" ${1:+--target "$@"}
