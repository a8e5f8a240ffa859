#!/usr/bin/env bash
# Makes sure the sync suites have PostgreSQL binaries to start their throwaway clusters with:
# PG_BIN when set, else Debian's postgresql package (installed with apt when missing and we may).
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
if [ -n "${PG_BIN:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
# The binaries only: the suites start their own clusters, no service is needed.
apt_install "the sync suites" postgresql && exit 0
echo "setup: no PostgreSQL found. Install Debian's postgresql package, or point PG_BIN at a folder with initdb and pg_ctl." >&2
exit 1
