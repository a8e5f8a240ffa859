#!/usr/bin/env bash
# Makes sure the sync suites have PostgreSQL binaries to start their throwaway clusters with:
# PG_BIN when set, else Debian's postgresql package (installed with apt when missing and we may).
set -euo pipefail
if [ -n "${PG_BIN:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=""; fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    echo "setup: installing PostgreSQL from Debian for the sync suites"
    $SUDO apt-get update -qq
    # The binaries only: the suites start their own clusters, no service is needed.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    exit 0
  fi
fi
echo "setup: no PostgreSQL found. Install Debian's postgresql package, or point PG_BIN at a folder with initdb and pg_ctl." >&2
exit 1
