#!/usr/bin/env bash
# The test command: installs what is missing, then runs the whole suite (slow end-to-end tests included).
# Extra arguments go to pytest, e.g. `./scripts/test.sh -m "not slow"` or `./scripts/test.sh tests/storage`.
# CI=true (exported by .ci/run, passed on to pytest) makes a missing test server, or any skip, fail the run.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 1
# The browser tests drive Debian's Chromium; installing it needs root. Under CI a missing browser is a failure.
if ! bash scripts/install_browser.sh; then
  [ "${CI:-}" = "true" ] && exit 1
  echo "test.sh: Chromium could not be installed; the browser tests will be skipped" >&2
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "test.sh: pytest collected no tests (exit 5); that is a failure for this project" >&2
  exit 1
fi
exit "$rc"
