#!/usr/bin/env bash
# The main job: NodeDeck on the demo fleet (emulated servers with moving traffic).
# Electron where it can run; otherwise the browser host, which prints the URL to open.
# The demo uses its own temporary data directory: your real configuration is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

electron_ok() {
  local bin
  bin=$(node -e "try{process.stdout.write(require('electron'))}catch{}" 2>/dev/null) || return 1
  [ -n "$bin" ] && [ -x "$bin" ] || return 1
  case "$(uname -s)" in
    Linux) [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] ;;
    *) return 0 ;;
  esac
}

run() {
  if electron_ok && [ "${NODEDECK_BROWSER:-}" != 1 ]; then
    exec electron . --demo "$@"
  fi
  echo "Electron cannot start here; running NodeDeck in browser mode." >&2
  exec node bin/nodedeck.cjs demo "$@"
}

# The keychain needs a Secret Service on a session bus. Without a desktop session, run one
# just for the demo: a private D-Bus session with a throwaway gnome-keyring.
if [ "$(uname -s)" = Linux ] && [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -z "${NODEDECK_IN_SESSION:-}" ] \
  && command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  export NODEDECK_IN_SESSION=1
  exec dbus-run-session -- bash "$0" "$@"
fi
if [ -n "${NODEDECK_IN_SESSION:-}" ]; then
  KEYRING_HOME=$(mktemp -d)
  trap 'rm -rf "$KEYRING_HOME"' EXIT
  head -c 24 /dev/urandom | base64 | HOME="$KEYRING_HOME" gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
  # Not exec: the trap must remove the throwaway keyring afterwards.
  if electron_ok && [ "${NODEDECK_BROWSER:-}" != 1 ]; then electron . --demo "$@"; else
    echo "Electron cannot start here; running NodeDeck in browser mode." >&2
    node bin/nodedeck.cjs demo "$@"
  fi
  exit $?
fi
run "$@"
