#!/usr/bin/env bash
# Configures and builds exacheck into ${BUILD_DIR:-build}. Extra arguments go to CMake's configure step,
# e.g. scripts/build.sh -DEXACHECK_CUDA=OFF
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@"
cmake --build "$build_dir" -j "$jobs"
