#!/usr/bin/env bash
# Builds exacheck with its tests and runs them all (ctest). Tests labelled `gpu` run only where a GPU is
# present; elsewhere they are skipped, visibly. Tests labelled `browser` open report.html in headless Chromium
# (installed by setup.sh) and leave a screenshot and a PDF in $BUILD_DIR/tests/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2} scripts/build.sh -DEXACHECK_BUILD_TESTS=ON
cd "$BUILD_DIR"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  ctest --output-on-failure --timeout 600
else
  echo "test.sh: no GPU here: tests labelled 'gpu' are skipped"
  ctest --output-on-failure --timeout 600 --label-exclude gpu
  echo "test.sh: skipped (no GPU): $(ctest -N -L gpu | tail -n 1)"
fi
