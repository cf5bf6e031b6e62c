#!/usr/bin/env bash
# The whole test suite: lint, type-check, builds, unit + contract + CLI tests, the keychain test
# against a real gnome-keyring, and end-to-end tests in Chromium (including a demo smoke run).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
t0=$(date +%s)
step() { echo; echo "=== $1 ($(( $(date +%s) - t0 )) s)"; }

step "node version"
node -e 'const m=+process.versions.node.split(".")[0]; if(m<24){console.error("tests must run on the project Node 24, got "+process.version);process.exit(1)} console.log(process.version)'

step "lint"
eslint .
prettier --check . >/dev/null || { prettier --check . ; exit 1; }

step "type-check"
vue-tsc --noEmit -p tsconfig.web.json
vue-tsc --noEmit -p tsconfig.node.json

step "build"
npm run --silent build >/dev/null

step "unit, contract and CLI tests"
vitest run

step "keychain (gnome-keyring)"
bash scripts/test-keychain.sh

step "end-to-end (Chromium)"
NO_AT_BRIDGE=1 bash scripts/with-keyring.sh vitest run -c vitest.e2e.config.mts

echo
echo "all tests passed in $(( $(date +%s) - t0 )) s"
