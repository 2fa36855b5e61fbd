#!/usr/bin/env bash
# Test of scripts/bundle-offline.sh and the install.sh it writes: builds a --runtime-only bundle into a
# temporary directory (downloads about 30 MB from the Debian mirror: needs network to Debian's repository),
# checks its MANIFEST.txt, installs it with --prefix (twice: idempotent), checks the unpacked files and the
# environment file, and checks that a corrupted .deb is rejected before anything is unpacked.
# Plain bash; exits 0 when every check passes, 1 otherwise, 77 (skipped) where there is no apt.
# Usage: tests/scripts/test_bundle_offline.sh   (about 30 s; KEEP=1 keeps the temporary directory)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundler="$repo_root/scripts/bundle-offline.sh"
start=$SECONDS

for tool in apt-get apt-cache dpkg-deb sha256sum; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not found (this test needs a Debian machine with apt)"
    exit 77
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exacheck-bundle-test.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
trap cleanup EXIT

failures=0
pass() { echo "ok   - $*"; }
fail() { echo "FAIL - $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# ---- options ------------------------------------------------------------------------------------------
check "bundle-offline.sh --help exits 0 and documents --runtime-only" \
  bash -c '"$0" --help | grep -q -- --runtime-only' "$bundler"
set +e
"$bundler" --no-such-option >/dev/null 2>&1; rc=$?
set -e
check "an unknown option is a usage error (exit 2, got $rc)" test "$rc" -eq 2

# ---- build the bundle ---------------------------------------------------------------------------------
bundle="$tmp/exacheck-offline"
if ! "$bundler" --runtime-only --out "$bundle" >"$tmp/bundle.log" 2>&1; then
  cat "$tmp/bundle.log"
  echo "FAIL - bundle-offline.sh --runtime-only failed (network to the Debian mirror? 'apt-get update'?)"
  exit 1
fi
pass "bundle-offline.sh --runtime-only built $bundle ($(du -sh "$bundle" | cut -f1))"
manifest="$bundle/MANIFEST.txt"
check "MANIFEST.txt, install.sh, alternatives.txt and the .tar.gz exist" \
  test -f "$manifest" -a -x "$bundle/install.sh" -a -f "$bundle/alternatives.txt" -a -f "$bundle.tar.gz"

packages=$(awk '!/^#/ && NF == 4 {print $1}' "$manifest")
has() { grep -qxE "$1" <<<"$packages"; }
check "MANIFEST lists libyaml-cpp0.7" has 'libyaml-cpp0\.7'
check "MANIFEST lists libfmt9" has 'libfmt9'
check "MANIFEST lists libopenblas0 (or its pthread variant)" has 'libopenblas0(-pthread)?'
check "MANIFEST lists openmpi-bin" has 'openmpi-bin'
check "MANIFEST lists libopenmpi3" has 'libopenmpi3'
check "runtime-only: no -dev packages, no GoogleTest / Google Benchmark" \
  bash -c '! grep -qE -- "-dev$|^googletest$|^libbenchmark" <<<"$0"' "$packages"
check "the base system is not bundled (libc6, libstdc++6, libgcc-s1)" \
  bash -c '! grep -qxE "libc6|libstdc\+\+6|libgcc-s1" <<<"$0"' "$packages"
manifest_ok=1
while read -r pkg version sum file; do
  [ -f "$bundle/$file" ] && [ "$(sha256sum "$bundle/$file" | cut -d' ' -f1)" = "$sum" ] \
    && [ "$(dpkg-deb -f "$bundle/$file" Package)" = "$pkg" ] && [ "$(dpkg-deb -f "$bundle/$file" Version)" = "$version" ] \
    || { echo "  bad manifest line: $pkg $version $sum $file"; manifest_ok=0; }
done < <(grep -v '^#' "$manifest")
check "every MANIFEST line matches its .deb (package, version, sha256)" test "$manifest_ok" -eq 1
check "tar.gz holds the bundle" bash -c 'tar -tzf "$0" | grep -q "/MANIFEST.txt$"' "$bundle.tar.gz"

multiarch=$(sed -n 's/^# multiarch: //p' "$manifest")
check "MANIFEST names the multiarch triplet ($multiarch)" test -n "$multiarch"

# ---- install with --prefix ----------------------------------------------------------------------------
prefix="$tmp/root"
if "$bundle/install.sh" --prefix "$prefix" >"$tmp/install.log" 2>&1; then
  pass "install.sh --prefix $prefix"
else
  cat "$tmp/install.log"; fail "install.sh --prefix failed"
fi
lib="$prefix/usr/lib/$multiarch"
check "libyaml-cpp.so.0.7 unpacked" bash -c 'compgen -G "$0/libyaml-cpp.so.0.7*" >/dev/null' "$lib"
check "libfmt.so.9 unpacked" bash -c 'compgen -G "$0/libfmt.so.9*" >/dev/null' "$lib"
check "libopenblas.so.0 resolves (update-alternatives link made)" test -e "$lib/libopenblas.so.0"
check "usr/bin/mpirun (or orterun) exists" bash -c 'test -e "$0/usr/bin/mpirun" || test -e "$0/usr/bin/orterun"' "$prefix"
check "usr/bin/mpirun points at mpirun.openmpi" test "$(readlink "$prefix/usr/bin/mpirun" 2>/dev/null)" = mpirun.openmpi
check "lib is the merged-/usr symlink, not a directory" test -L "$prefix/lib"
env_file="$prefix/exacheck-env.sh"
check "exacheck-env.sh written" test -f "$env_file"
for var in PATH LD_LIBRARY_PATH OPAL_PREFIX CMAKE_PREFIX_PATH; do
  check "exacheck-env.sh exports $var" grep -q "^export $var=" "$env_file"
done
check "LD_LIBRARY_PATH has the multiarch dir and Open MPI's lib dir" \
  bash -c 'grep "^export LD_LIBRARY_PATH=" "$0" | grep -q "$1/usr/lib/$2:$1/usr/lib/$2/openmpi/lib"' "$env_file" "$prefix" "$multiarch"
check "install.sh printed the environment to export" grep -q "source $env_file" "$tmp/install.log"

# The relocated Open MPI finds itself under the prefix (OPAL_PREFIX) and runs.
relocated=$(env -i HOME="$HOME" PATH=/usr/bin:/bin bash -c \
  "source '$env_file' && ompi_info --path prefix --parsable && mpirun --version" 2>&1) || true
check "ompi_info under the environment reports prefix $prefix/usr" \
  grep -qxF "path:prefix:$prefix/usr" <<<"$relocated"
check "mpirun --version runs from the prefix" grep -q 'Open MPI' <<<"$relocated"

# Idempotent: a second run unpacks nothing and succeeds.
if "$bundle/install.sh" --prefix "$prefix" >"$tmp/install2.log" 2>&1; then
  check "a second install.sh run unpacks nothing again" grep -q "unpacked 0 packages" "$tmp/install2.log"
else
  cat "$tmp/install2.log"; fail "second install.sh run failed"
fi

# ---- a corrupted .deb is rejected before anything is unpacked -----------------------------------------
bad="$tmp/bad"
mkdir -p "$bad"
for f in "$bundle"/*; do ln -s "$f" "$bad/$(basename "$f")"; done
rm "$bad/install.sh"; cp "$bundle/install.sh" "$bad/install.sh"   # runs from (and reads) $bad
victim=$(grep -v '^#' "$manifest" | awk '$1 == "libfmt9" {print $4}')
rm "$bad/$victim"
cp "$bundle/$victim" "$bad/$victim"
printf 'x' | dd of="$bad/$victim" bs=1 seek=100 conv=notrunc status=none
set +e
"$bad/install.sh" --prefix "$tmp/root-bad" >"$tmp/bad.log" 2>&1; rc=$?
set -e
check "install.sh exits non-zero on a corrupted .deb (got $rc)" test "$rc" -ne 0
check "the error names the corrupted file ($victim)" grep -q "checksum mismatch for $victim" "$tmp/bad.log"
check "nothing was unpacked from the damaged bundle" bash -c '! compgen -G "$0/usr/lib/*/lib*.so*" >/dev/null' "$tmp/root-bad"

# A missing .deb is rejected too.
rm "$bad/$victim"
set +e
"$bad/install.sh" --prefix "$tmp/root-bad" >"$tmp/missing.log" 2>&1; rc=$?
set -e
check "install.sh exits non-zero on a missing .deb, naming it" \
  bash -c '[ "$0" -ne 0 ] && grep -q "missing $1" "$2"' "$rc" "$victim" "$tmp/missing.log"

echo
echo "bundle: $(du -sh "$bundle" | cut -f1) directory, $(du -h "$bundle.tar.gz" | cut -f1) tar.gz, $(wc -l <<<"$packages") packages; $((SECONDS - start)) s"
if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
