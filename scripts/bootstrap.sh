#!/usr/bin/env bash
# Installs what Rewind needs on a fresh machine: pnpm (pinned), the workspace's packages, and,
# with --browser, Debian's Chromium for the browser tests (never a browser download); with
# --postgres, Debian's PostgreSQL server for the SQL store and chaos tests (started by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ "$(pnpm --version 2>/dev/null || true)" != "$want_pnpm" ]; then
  echo "› installing pnpm $want_pnpm"
  npm install --global --no-fund --no-audit "pnpm@$want_pnpm" >/dev/null
fi

want_browser=0
want_postgres=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --postgres) want_postgres=1 ;;
  esac
done
apt_packages=()
[ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ] && apt_packages+=(chromium)
if [ "$want_postgres" = 1 ] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt_packages+=(postgresql postgresql-client)
fi
if [ "${#apt_packages[@]}" -gt 0 ]; then
  echo "› installing Debian's ${apt_packages[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi

echo "› pnpm install"
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3
