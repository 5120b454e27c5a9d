#!/usr/bin/env bash
# The run command: installs what is missing, starts Azurite (queues and blobs) and devhost with the embedded defaults
# (SQLite store, offline analyzer), loads the sample contracts, prints the URL, and runs until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# shellcheck disable=SC1091
. .venv/bin/activate

PORT="${PORT:-7071}"
[ -f local.settings.json ] || { cp local.settings.sample.json local.settings.json; echo "run: created local.settings.json from the sample"; }
mkdir -p .devhost/azurite

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# Queue triggers and job events need a storage account, and uploaded documents keep their bytes in its blobs:
# Azurite's queue and blob services on their default ports (what `UseDevelopmentStorage=true` points to), each
# started only when nothing listens there yet. Both keep their data in .devhost/azurite.
if ! (exec 3<>/dev/tcp/127.0.0.1/10001) 2>/dev/null; then
  node_modules/.bin/azurite-queue --silent --skipApiVersionCheck --location .devhost/azurite \
    --queueHost 127.0.0.1 --queuePort 10001 > .devhost/azurite.log 2>&1 &
  pids+=($!)
fi
if ! (exec 3<>/dev/tcp/127.0.0.1/10000) 2>/dev/null; then
  node_modules/.bin/azurite-blob --silent --skipApiVersionCheck --location .devhost/azurite \
    --blobHost 127.0.0.1 --blobPort 10000 > .devhost/azurite-blob.log 2>&1 &
  pids+=($!)
fi

# Requests are logged one line each at INFO; by default only warnings and errors show (LOG_LEVEL=INFO for more).
python -m devhost --port "$PORT" --app-dir . --state-dir .devhost --log-level "${LOG_LEVEL:-WARNING}" &
pids+=($!)

python scripts/load_sample_data.py --base-url "http://127.0.0.1:${PORT}" --wait 60
echo
echo "Contract Jobs is running (Ctrl-C stops it)"
echo "  Page: http://127.0.0.1:${PORT}/api/ui"
echo "  API:  http://127.0.0.1:${PORT}/api  (health: http://127.0.0.1:${PORT}/api/jobs/health)"
wait "${pids[-1]}"
