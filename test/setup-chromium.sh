#!/usr/bin/env bash
# Makes sure the browser suites have a Chromium to launch, before `npm test` runs them:
# CHROMIUM_PATH when set, else Debian's Chromium (installed with apt when missing and we may),
# else Playwright's own browser where `npx playwright install chromium` put one.
set -euo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-* >/dev/null 2>&1; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=""; fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    echo "setup: installing Chromium from Debian for the browser suites"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
    exit 0
  fi
fi
echo "setup: no Chromium found. Install one (apt-get install chromium, or npx playwright install chromium)" >&2
echo "       or point CHROMIUM_PATH at a Chromium or Chrome binary." >&2
exit 1
