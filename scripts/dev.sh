#!/usr/bin/env bash
# The README's first command: install, then start the playground on the embedded emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/bootstrap.sh
exec pnpm dev
