#!/usr/bin/env bash
# Makes sure the browser suites have Firefox and WebKit to launch, before `npm test` runs them:
# Debian's Firefox ESR (firefox-esr), WebKitGTK's WebDriver with MiniBrowser (webkit2gtk-driver)
# and an X server for MiniBrowser, which has no headless mode (xvfb), installed with apt when
# missing and we may. IDB_BROWSERS=chromium skips both.
set -euo pipefail
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
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=""; fi
  if [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; then
    echo "setup: installing ${missing[*]} from Debian for the browser suites"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
    exit 0
  fi
fi
echo "setup: missing ${missing[*]}. Install them (apt-get install ${missing[*]}), or run only" >&2
echo "       the engines you have: IDB_BROWSERS=chromium npm test" >&2
exit 1
