#!/usr/bin/env bash
# Debian's Chromium for the workbench's browser tests (playwright-core drives /usr/bin/chromium; Playwright's own
# browser download cannot work offline). Installs it with apt when missing and we may; otherwise says why.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "chromium: /usr/bin/chromium is missing and installing it needs root: run 'apt-get install chromium' (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: /usr/bin/chromium is missing and there is no apt-get here: install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
echo "chromium: installing Debian's chromium for the workbench browser tests (once per machine)…"
export DEBIAN_FRONTEND=noninteractive
install() { timeout 900 $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
if ! install; then
  timeout 300 $SUDO apt-get update -qq >/dev/null || true
  install || { echo "chromium: apt-get install chromium failed" >&2; exit 1; }
fi
/usr/bin/chromium --version
