#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (tests/e2e/test_page*.py), only when /usr/bin/chromium is missing.
# Playwright drives this browser; its own browser downloads (`playwright install`) are never used.
# Non-interactive; needs root (or sudo). Refreshes the package lists only when the first attempt cannot find it.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  echo "install_browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") already installed"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_browser: need root or sudo to install chromium" >&2; exit 1; }
  SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
fi
install() { "${SUDO[@]}" apt-get install -y -qq chromium; }

echo "install_browser: installing chromium (apt-get)" >&2
if ! install; then
  "${SUDO[@]}" apt-get update -qq
  install
fi
[ -x "$CHROMIUM" ] || { echo "install_browser: chromium installed but $CHROMIUM is missing" >&2; exit 1; }
echo "install_browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM") installed"
