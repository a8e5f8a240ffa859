#!/usr/bin/env bash
# Makes sure the browser suites have Firefox and WebKit to launch, before `npm test` runs them:
# Debian's Firefox ESR (firefox-esr), WebKitGTK's WebDriver with MiniBrowser (webkit2gtk-driver)
# and an X server for MiniBrowser, which has no headless mode (xvfb), installed with apt when
# missing and we may. IDB_BROWSERS=chromium skips both.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
wanted="${IDB_BROWSERS:-chromium,firefox,webkit}"
missing=()
if [[ ",$wanted," == *",firefox,"* ]] && [ -z "${FIREFOX_PATH:-}" ] && ! command -v firefox-esr >/dev/null 2>&1 && ! command -v firefox >/dev/null 2>&1; then
  missing+=(firefox-esr)
fi
if [[ ",$wanted," == *",webkit,"* ]]; then
  command -v WebKitWebDriver >/dev/null 2>&1 && [ -x "${MINIBROWSER_PATH:-/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser}" ] || missing+=(webkit2gtk-driver)
  [ -n "${DISPLAY:-}" ] || command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
apt_install "the browser suites" "${missing[@]}" && exit 0
echo "setup: missing ${missing[*]}. Install them (apt-get install ${missing[*]}), or run only" >&2
echo "       the engines you have: IDB_BROWSERS=chromium npm test" >&2
exit 1
