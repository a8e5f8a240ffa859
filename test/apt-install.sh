#!/usr/bin/env bash
# Sourced by the setup-*.sh scripts: apt_install WHAT PACKAGE... installs Debian packages when
# apt-get is there and we are root or have sudo; returns 1 (installing nothing) otherwise.
apt_install() {
  local what="$1"
  shift
  command -v apt-get >/dev/null 2>&1 || return 1
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || return 1
    sudo="sudo"
  fi
  echo "setup: installing $* from Debian for $what"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
