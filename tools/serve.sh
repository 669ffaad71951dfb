#!/usr/bin/env bash
# Builds lens and starts the whole system in one process (`lens serve`) with
# the embedded event log, data in ./lens-data, on http://127.0.0.1:8080.
# Extra arguments go to `lens serve` (e.g. --port 9000, --data-dir /srv/lens).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh lens
exec ./build/server/lens serve --data-dir ./lens-data --port 8080 "$@"
