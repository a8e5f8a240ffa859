#!/usr/bin/env bash
# Makes sure the browser suites have a Chromium to launch, before `npm test` runs them:
# CHROMIUM_PATH when set, else Debian's Chromium (installed with apt when missing and we may),
# else Playwright's own browser where `npx playwright install chromium` put one.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-* >/dev/null 2>&1; then
  exit 0
fi
apt_install "the browser suites" chromium && exit 0
echo "setup: no Chromium found. Install one (apt-get install chromium, or npx playwright install chromium)" >&2
echo "       or point CHROMIUM_PATH at a Chromium or Chrome binary." >&2
exit 1
