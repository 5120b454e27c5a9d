#!/usr/bin/env bash
# Installs what the app and its tests need, idempotently: a venv with requirements-dev.txt, checkov in a venv of its
# own (.venv-checkov, requirements-checkov.txt: its pins would downgrade .venv), and the npm test servers (Azurite,
# the Cosmos-compatible server). Re-runs pip/npm only when their lock inputs change.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate

stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing Python packages" >&2
  python -m pip install --quiet --disable-pip-version-check --upgrade pip
  python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

checkov_stamp=.venv-checkov/.requirements.sha256
checkov_want=$(sha256sum requirements-checkov.txt | cut -d' ' -f1)
if [ ! -f "$checkov_stamp" ] || [ "$(cat "$checkov_stamp")" != "$checkov_want" ]; then
  echo "bootstrap: installing checkov into .venv-checkov" >&2
  [ -x .venv-checkov/bin/python ] || "$PYTHON" -m venv .venv-checkov
  .venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv-checkov/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
  echo "$checkov_want" > "$checkov_stamp"
fi

npm_stamp=node_modules/.package-lock.sha256
npm_want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$npm_stamp" ] || [ "$(cat "$npm_stamp")" != "$npm_want" ]; then
  echo "bootstrap: installing npm packages (azurite, @vercel/cosmosdb-server)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$npm_want" > "$npm_stamp"
fi
