#!/usr/bin/env bash
# NodeDeck set-up: installs what the project needs on a fresh machine, then builds it.
#  - Debian/Ubuntu packages (keychain: libsecret + gnome-keyring + dbus; browser mode and
#    end-to-end tests: chromium + a CJK font), only those that are missing;
#  - npm dependencies from the lockfile (Node 24 comes as a dev dependency; see infra notes);
#  - the builds (Electron main/preload/renderer, the browser bundle, the CLI).
# Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES=(libsecret-1-dev gnome-keyring dbus dbus-x11 chromium fonts-wqy-microhei)

if command -v dpkg >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
      if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
      fi
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
else
  echo "setup: not a Debian/Ubuntu machine; install libsecret, a Secret Service (gnome-keyring) and Chromium yourself." >&2
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is missing. Install Node.js 20.19+ with npm 10+ first." >&2
  exit 1
fi

# keytar compiles with node-gyp against the local Node headers (never downloaded).
export npm_config_nodedir="${npm_config_nodedir:-$(node -p 'require("path").resolve(process.execPath, "../..")')}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

stamp=node_modules/.nodedeck-lock
lockhash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lockhash" ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lockhash" > "$stamp"
fi

echo "setup: building"
npm run --silent build
echo "setup: done"
