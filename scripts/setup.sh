#!/usr/bin/env bash
# Sets up a fresh clone: Node packages from the lockfile, the build, and the Python virtualenv (.venv)
# with the pinned test requirements (the AWS emulator among them). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "==> npm ci"
npm ci --no-audit --no-fund
echo "==> build"
npm run build --silent
if [ ! -x .venv/bin/python ]; then
  echo "==> python virtualenv (.venv)"
  python3 -m venv .venv
fi
echo "==> python test requirements"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
# aiobotocore pins an older botocore than boto3's: installed without its dependencies (see the file).
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-aio.txt
echo "==> ready"
