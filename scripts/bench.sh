#!/usr/bin/env bash
# The benchmark suite against the built app. It needs a keychain (servers with passwords): without
# a desktop session it runs inside a private D-Bus session with a throwaway gnome-keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && command -v dbus-run-session >/dev/null; then
  NO_AT_BRIDGE=1 exec bash scripts/with-keyring.sh node bench/run.mjs
fi
exec node bench/run.mjs
