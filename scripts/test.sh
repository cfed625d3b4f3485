#!/usr/bin/env bash
# The README's test command: install everything, then lint, typecheck, build (publint + attw),
# every test, then 20 seeds of the fault harness. The last line printed is the harness's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1
bash scripts/bootstrap.sh --browser --postgres
pnpm test
