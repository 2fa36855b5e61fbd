#!/usr/bin/env bash
# From a fresh Debian machine to an acceptance report of it: installs what is missing, builds, runs the quick
# plan (every benchmark, small sizes, about a minute) and says where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
out=${1:-runs/quick-$(date -u +%Y%m%d-%H%M%S)}
echo
echo "== exacheck info"
build/exacheck info
echo
echo "== exacheck run configs/plans/quick.yaml --out $out"
status=0
build/exacheck run configs/plans/quick.yaml --out "$out" || status=$?
echo
echo "The report is $out/report.html (also report.md, run.json, junit.xml, results.csv and metrics.prom in $out)."
exit $status
