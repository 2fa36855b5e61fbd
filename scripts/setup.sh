#!/usr/bin/env bash
# Installs exacheck's build and run dependencies from Debian's packages, only those missing.
# Needs root (or sudo). Safe to run again. Used by quickstart.sh, test.sh and CI.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libopenmpi-dev openmpi-bin
  libyaml-cpp-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsqlite3-dev  # the history database (harness/history, docs/history.md)
  libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev  # the browser tests read the PDF Chromium prints (tests/support/pdf_text.hpp)
  chromium  # tests labelled browser open report.html headless; not needed to build or run exacheck
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: every dependency is installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: run as root or install sudo (missing: ${missing[*]})" >&2; exit 1; }
  as_root=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
