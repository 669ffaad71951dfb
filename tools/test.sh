#!/usr/bin/env bash
# Builds lens and runs every test (unit, event-log conformance on both
# backends, crash, HTTP and end-to-end tests against the real binary).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
cd build
ctest --output-on-failure -j "${LENS_TEST_JOBS:-2}" "$@"
