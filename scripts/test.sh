#!/usr/bin/env bash
# The README's test command: install everything, then lint, typecheck, build (publint + attw),
# and every test. The last line printed is Vitest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/bootstrap.sh --browser --postgres
pnpm test
