#!/usr/bin/env bash
# Runs tests/keychain against a real, headless Secret Service: a private D-Bus session
# (dbus-run-session) with gnome-keyring-daemon unlocked by a throwaway password, under a
# temporary HOME so no real keyring is touched. Exits with vitest's exit code, and fails when
# the tests were skipped or none ran.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# node_modules/.bin first: vitest, and the project's Node (24) from the `node` package.
export PATH="$ROOT/node_modules/.bin:$PATH"

missing=()
for tool in dbus-run-session gnome-keyring-daemon dbus-send; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  echo "test-keychain: missing ${missing[*]}." >&2
  echo "test-keychain: install them with: sudo apt-get install -y dbus dbus-x11 gnome-keyring" >&2
  exit 2
fi
if [[ ! -x "$ROOT/node_modules/.bin/vitest" ]]; then
  echo "test-keychain: $ROOT/node_modules/.bin/vitest not found; run npm ci first." >&2
  exit 2
fi
if [[ ! -f "$ROOT/node_modules/keytar/build/Release/keytar.node" ]]; then
  echo "test-keychain: keytar is not built; install libsecret-1-dev, then run" >&2
  echo "  npm_config_nodedir=/usr npm rebuild keytar" >&2
  exit 2
fi

KH="$(mktemp -d "${TMPDIR:-/tmp}/nodedeck-keychain-home.XXXXXX")"
REPORT="$KH/vitest-report.json"
trap 'rm -rf "$KH"' EXIT

# The secrets daemon and vitest share the private bus; the daemon ends with the session.
status=0
HOME="$KH" REPORT="$REPORT" \
  dbus-run-session -- sh -c '
    echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null || {
      echo "test-keychain: gnome-keyring-daemon failed to start" >&2
      exit 3
    }
    KEYCHAIN=1 exec vitest run tests/keychain --reporter=default --reporter=json \
      --outputFile.json="$REPORT"
  ' || status=$?

if [[ $status -ne 0 ]]; then
  echo "test-keychain: FAILED (exit $status)" >&2
  exit "$status"
fi

# A pass with skipped tests means KEYCHAIN=1 did not reach the tests: fail loudly.
if ! node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))
  const skipped = r.numPendingTests + r.numTodoTests
  console.log(`test-keychain: ${r.numPassedTests} passed, ${skipped} skipped, ` +
    `${r.numFailedTests} failed`)
  process.exit(r.numPassedTests > 0 && skipped === 0 && r.numFailedTests === 0 ? 0 : 1)
' "$REPORT"; then
  echo "test-keychain: FAILED: the keychain tests were skipped or did not run." >&2
  exit 1
fi
