#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a throwaway, unlocked gnome-keyring (a real
# Secret Service), under a temporary HOME for the daemon only. Used by the end-to-end tests so the
# app under test stores secrets in a real keychain, as on a desktop.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "with-keyring: dbus-run-session and gnome-keyring-daemon are needed (apt-get install dbus gnome-keyring)" >&2
  exit 2
fi
KH="$(mktemp -d "${TMPDIR:-/tmp}/nodedeck-keyring.XXXXXX")"
trap 'rm -rf "$KH"' EXIT
status=0
KH="$KH" dbus-run-session -- sh -c '
  echo -n pw | HOME="$KH" gnome-keyring-daemon --unlock --components=secrets >/dev/null || exit 3
  exec "$@"
' sh "$@" || status=$?
exit $status
