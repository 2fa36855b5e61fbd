#!/usr/bin/env bash
# Builds an offline bundle of exacheck's Debian dependencies, to carry to a GPU node that has no network.
#
# The bundle is a directory (and a .tar.gz of it) holding:
#   *.deb             the packages, with every recursive dependency that a minimal Debian base lacks
#   MANIFEST.txt      package, version, sha256 and file name of each .deb, plus what the node must provide
#   alternatives.txt  the symlinks the packages' postinst scripts make with update-alternatives
#                     (mpirun -> mpirun.openmpi, libopenblas.so.0 -> openblas-pthread/..., ...)
#   install.sh        run on the node: verifies the checksums, unpacks the debs (as `dpkg -x` does), makes those symlinks
#   exacheck/         with --with-binary: the built exacheck binary and configs/
#
# What counts as "already on the node" (--base): the packages a minimal Debian base system has, i.e. every
# package that is Essential: yes or Priority: required in the archive, and their recursive dependencies
# (libc6, libstdc++6, libgcc-s1, zlib1g, libudev1, ... — the set `debootstrap --variant=minbase` installs).
# The toolchain is not bundled either (gcc, g++, binutils, libc6-dev, linux-libc-dev, gfortran, autotools):
# the node has a C/C++ compiler, which nvcc needs anyway, and exacheck builds with CMake. --include and --exclude change both rules.
# The CUDA toolkit, the driver and NCCL are never bundled (see docs/offline-nodes.md).
#
# Needs: apt-get and apt-cache with Debian's package lists (reachable mirror), dpkg-deb, sha256sum, tar.
# Safe to run again: debs already in the bundle at the right version are kept, stale ones are removed.
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(dirname "$script_dir")
arch=$(dpkg --print-architecture)

usage() {
  cat <<EOF
usage: scripts/bundle-offline.sh [options]

Builds a directory (and DIR.tar.gz) with the .deb files exacheck needs on an offline node, their
checksums (MANIFEST.txt) and install.sh, which unpacks them there (as root into /, or anywhere with --prefix).

options:
  --out DIR               bundle directory (default: dist/exacheck-offline-$arch in the repository)
  --runtime-only          only what a prebuilt exacheck binary needs to run: the shared libraries
                          (yaml-cpp, fmt, Open MPI, OpenBLAS, OpenMP) and openmpi-bin; no -dev packages,
                          no GoogleTest/Google Benchmark. Default: everything needed to build exacheck and
                          its tests on the node (the -dev packages and their dependencies).
  --with-binary BUILD_DIR also put BUILD_DIR/exacheck and the repository's configs/ in the bundle
  --with-tools            also bundle cmake, ninja-build and pkg-config (usually present on GPU nodes)
  --base LEVEL            what the node is assumed to have already, so not bundled:
                            required  (default) Essential/Priority: required packages and their dependencies
                                      (libc6, libstdc++6, libgcc-s1, zlib1g, ...: a minimal Debian system)
                            important also Priority: important ones and their dependencies
                            none      assume nothing: bundle every dependency down to libc6
  --include PKG           also bundle PKG (and its dependencies); wins over --base and the exclusions.
                          Repeatable. Example: --include libstdc++6 for a node whose libstdc++ is too old.
  --exclude GLOB          never bundle packages matching GLOB (shell pattern, e.g. 'libhwloc-plugins').
                          Repeatable. A dependency whose every alternative is excluded is dropped (logged).
  --no-default-excludes   bundle the toolchain packages too (gcc-*, g++-*, cpp-*, binutils*, gfortran*,
                          flang-*, libc6-dev, linux-libc-dev, libcrypt-dev, libnsl-dev, libtirpc-dev,
                          rpcsvc-proto, libgcc-*-dev, libstdc++-*-dev, autoconf, automake, autotools-dev,
                          libtool, m4), which are excluded by default
  --apt-update            run 'apt-get update' first (needs root)
  --no-tar                do not write DIR.tar.gz
  -h, --help              this text

On the node:  tar xzf exacheck-offline-$arch.tar.gz && cd exacheck-offline-$arch
              sudo ./install.sh                      # into /, or without root:
              ./install.sh --prefix \$HOME/exacheck-root && source \$HOME/exacheck-root/exacheck-env.sh
See docs/offline-nodes.md.
EOF
}

say() { echo "bundle: $*"; }
die() { echo "bundle: error: $*" >&2; exit 1; }

out=""
runtime_only=0
binary_dir=""
with_tools=0
base_level=required
includes=()
excludes=()
default_excludes=(
  'gcc-*' 'g++-*' 'cpp-*' 'binutils*' 'gfortran*' 'flang-*' 'libc6-dev' 'linux-libc-dev' 'libcrypt-dev'
  'libnsl-dev' 'libtirpc-dev' 'rpcsvc-proto' 'libgcc-*-dev' 'libstdc++-*-dev'
  'autoconf' 'automake' 'autotools-dev' 'libtool' 'm4'
)
use_default_excludes=1
apt_update=0
make_tar=1

need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) need_arg "$@"; out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --runtime-only) runtime_only=1; shift ;;
    --with-binary) need_arg "$@"; binary_dir=$2; shift 2 ;;
    --with-binary=*) binary_dir=${1#*=}; shift ;;
    --with-tools) with_tools=1; shift ;;
    --base) need_arg "$@"; base_level=$2; shift 2 ;;
    --base=*) base_level=${1#*=}; shift ;;
    --include) need_arg "$@"; includes+=("$2"); shift 2 ;;
    --include=*) includes+=("${1#*=}"); shift ;;
    --exclude) need_arg "$@"; excludes+=("$2"); shift 2 ;;
    --exclude=*) excludes+=("${1#*=}"); shift ;;
    --no-default-excludes) use_default_excludes=0; shift ;;
    --apt-update) apt_update=1; shift ;;
    --no-tar) make_tar=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bundle: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$base_level" in required|important|none) ;; *) die "--base must be required, important or none (got '$base_level')" ;; esac
[ "$use_default_excludes" -eq 1 ] && excludes+=("${default_excludes[@]}")

for tool in apt-get apt-cache dpkg-deb sha256sum tar awk; do
  command -v "$tool" >/dev/null || die "'$tool' is needed (run this on a Debian machine with apt)"
done

case "$arch" in
  amd64) multiarch=x86_64-linux-gnu ;;
  arm64) multiarch=aarch64-linux-gnu ;;
  ppc64el) multiarch=powerpc64le-linux-gnu ;;
  *) multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null) || die "unknown multiarch triplet for $arch" ;;
esac

[ -n "$out" ] || out="$repo_root/dist/exacheck-offline-$arch"
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ "$out" != "/" ] || die "--out must not be /"

if [ -n "$binary_dir" ]; then
  [ -x "$binary_dir/exacheck" ] && [ -f "$binary_dir/exacheck" ] \
    || die "--with-binary $binary_dir: no executable $binary_dir/exacheck (build it first: scripts/build.sh)"
fi

if [ "$apt_update" -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || die "--apt-update needs root"
  say "apt-get update"
  apt-get update -qq
fi

is_excluded() {
  local p=$1 g
  for g in "${includes[@]}"; do [[ "$p" == "$g" ]] && return 1; done
  # shellcheck disable=SC2053  # $g unquoted on purpose: it is a shell pattern
  for g in "${excludes[@]}"; do [[ "$p" == $g ]] && return 0; done
  return 1
}

apt_depends_flags=(--no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances)

# Prints one line per dependency (Depends and Pre-Depends) of each package given:
#   PACKAGE<TAB>ALT1 ALT2 ...
# An "a | b" group lists its alternatives in order; a virtual package is replaced by its providers.
dependency_groups() {
  apt-cache depends "${apt_depends_flags[@]}" "$@" 2>/dev/null | awk '
    function flush() { if (group != "") print pkg "\t" group; group = ""; split("", seen) }
    function add(n) {
      sub(/:any$/, "", n)
      if (n ~ /:/ || n in seen) return
      seen[n] = 1
      group = group (group == "" ? "" : " ") n
    }
    /^[^ ]/ { flush(); pkg = $1; cont = 0; virt = 0; next }
    /^ [ |](Pre)?Depends: / {
      if (!cont) flush()
      cont = (substr($0, 2, 1) == "|")
      name = $2
      if (name ~ /^</) { virt = 1 } else { virt = 0; add(name) }
      next
    }
    /^ [ |][A-Za-z]+: / { if (!cont) flush(); cont = 0; virt = 0; next }
    /^    [^ ]/ { if (virt) add($1); next }
    END { flush() }'
}

# Resolves the dependency closure of the roots, the way apt would pick: a group already satisfied by a
# chosen or base package adds nothing, otherwise its first alternative that is not excluded is taken.
# Packages in the associative array named by $1 (the base) are neither taken nor followed.
# Fills the associative array named by $2 with the packages taken; $3 names an array of dropped groups,
# $4 an associative array of base packages that were depended on.
resolve_closure() {
  local -n _base=$1 _taken=$2 _dropped=$3 _base_hits=$4
  shift 4
  local frontier=() next=() p pkg alts a pick satisfied
  for p in "$@"; do
    if [ -n "${_taken[$p]+x}" ]; then continue; fi
    _taken[$p]=1
    frontier+=("$p")
  done
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    while IFS=$'\t' read -r pkg alts; do
      satisfied=0
      for a in $alts; do
        if [ -n "${_taken[$a]+x}" ]; then satisfied=1; break; fi
        if [ -n "${_base[$a]+x}" ]; then satisfied=1; _base_hits[$a]=1; break; fi
      done
      [ "$satisfied" -eq 1 ] && continue
      pick=""
      for a in $alts; do
        is_excluded "$a" && continue
        pick=$a
        break
      done
      if [ -z "$pick" ]; then
        _dropped+=("$pkg needs ${alts// / | }")
        continue
      fi
      _taken[$pick]=1
      next+=("$pick")
    done < <(dependency_groups "${frontier[@]}")
    frontier=("${next[@]}")
  done
}

# ---- the base: what a minimal Debian system has --------------------------------------------------------
declare -A base=()
if [ "$base_level" != none ]; then
  say "computing the base system (--base $base_level)"
  base_roots=()
  while read -r p; do base_roots+=("$p"); done < <(
    apt-cache dumpavail | awk -v level="$base_level" -F': ' '
      /^Package: / { p = $2 }
      /^Essential: yes/ { keep[p] = 1 }
      /^Priority: / { if ($2 == "required" || (level == "important" && $2 == "important")) keep[p] = 1 }
      END { for (k in keep) print k }' | sort -u)
  [ ${#base_roots[@]} -gt 0 ] || die "apt knows no packages: run 'apt-get update' (or pass --apt-update)"
  # Debian 12 and later base systems satisfy init-system-helpers' "usrmerge | usr-is-merged" with
  # usr-is-merged (debootstrap and the container images do), not with usrmerge, which would drag in perl.
  if apt-cache show --no-all-versions usr-is-merged >/dev/null 2>&1; then base_roots+=(usr-is-merged); fi
  # shellcheck disable=SC2034  # filled and read through namerefs in resolve_closure
  declare -A no_base=() base_hits_unused=()
  # shellcheck disable=SC2034
  base_dropped=()
  saved_excludes=("${excludes[@]}"); saved_includes=("${includes[@]}")
  excludes=(); includes=()
  resolve_closure no_base base base_dropped base_hits_unused "${base_roots[@]}"
  excludes=("${saved_excludes[@]}"); includes=("${saved_includes[@]}")
  for p in "${includes[@]}"; do unset "base[$p]"; done
fi

# ---- the roots: exacheck's own dependencies -------------------------------------------------------------
# The shared-library packages are read from the -dev packages' dependencies, so the names follow the
# Debian release (libyaml-cpp0.7 on bookworm, libyaml-cpp0.8 on trixie, ...).
dev_packages=(
  libopenmpi-dev libyaml-cpp-dev libfmt-dev libcli11-dev nlohmann-json3-dev libopenblas-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
runtime_sources=(libopenmpi-dev libyaml-cpp-dev libfmt-dev libopenblas-dev libsqlite3-dev)
# Prints PACKAGE<TAB>VERSION of the candidate (the version apt-get download fetches) of each package apt knows.
candidate_versions() {
  apt-cache show --no-all-versions "$@" 2>/dev/null | awk -F': ' '
    /^Package: / { p = $2 } /^Version: / { v = $2 } /^$/ { if (p != "") print p "\t" v; p = "" }
    END { if (p != "") print p "\t" v }'
}
known=$(candidate_versions "${dev_packages[@]}" openmpi-bin libgomp1 "${includes[@]}" | cut -f1)
for p in "${dev_packages[@]}" openmpi-bin libgomp1 "${includes[@]}"; do
  grep -qxF "$p" <<<"$known" \
    || die "apt has no package '$p': run 'apt-get update' (or pass --apt-update), and check /etc/apt/sources.list"
done
runtime_roots=(openmpi-bin libgomp1)
while IFS=$'\t' read -r _ alts; do
  first=${alts%% *}
  case "$first" in
    lib*-dev|libjs-*) ;;
    lib*) runtime_roots+=("$first") ;;
  esac
done < <(dependency_groups "${runtime_sources[@]}")

roots=("${runtime_roots[@]}")
if [ "$runtime_only" -eq 0 ]; then
  roots+=("${dev_packages[@]}")
  [ "$with_tools" -eq 1 ] && roots+=(cmake ninja-build pkg-config)
elif [ "$with_tools" -eq 1 ]; then
  roots+=(cmake ninja-build pkg-config)
fi
roots+=("${includes[@]}")
kept_roots=()
for p in "${roots[@]}"; do
  if is_excluded "$p"; then say "excluded: $p"; continue; fi
  if [ -n "${base[$p]+x}" ]; then continue; fi
  kept_roots+=("$p")
done

say "resolving dependencies of: ${kept_roots[*]}"
declare -A wanted=() base_hits=()
dropped=()
resolve_closure base wanted dropped base_hits "${kept_roots[@]}"
for d in "${dropped[@]}"; do say "not bundled (excluded, expected on the node): $d"; done
mapfile -t packages < <(printf '%s\n' "${!wanted[@]}" | sort)
say "${#packages[@]} packages to bundle"

# ---- candidate versions and downloads -------------------------------------------------------------------
declare -A want_version=()
while IFS=$'\t' read -r p v; do want_version[$p]=$v; done < <(candidate_versions "${packages[@]}")
for p in "${packages[@]}"; do
  [ -n "${want_version[$p]+x}" ] || die "apt has no installable version of '$p' (apt-get update?)"
done

# Keep the debs already there at the wanted version; remove the others (idempotent rebuild).
declare -A have_file=()
shopt -s nullglob
for f in "$out"/*.deb; do
  info=$(dpkg-deb -f "$f" Package Version 2>/dev/null | awk -F': ' '{print $2}' | paste -sd ' ') || info=""
  p=${info%% *}; v=${info#* }
  if [ -n "$p" ] && [ -n "${wanted[$p]+x}" ] && [ "${want_version[$p]}" = "$v" ] && [ -z "${have_file[$p]+x}" ]; then
    have_file[$p]=$f
  else
    rm -f "$f"
  fi
done
missing=()
for p in "${packages[@]}"; do [ -n "${have_file[$p]+x}" ] || missing+=("$p=${want_version[$p]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "downloading ${#missing[@]} packages into $out"
  dl_log=$(mktemp)
  if ! (cd "$out" && apt-get download -q "${missing[@]}") >"$dl_log" 2>&1; then
    grep -v 'Download is performed unsandboxed' "$dl_log" >&2 || true
    rm -f "$dl_log"
    die "apt-get download failed (no network to the Debian mirror? stale lists: apt-get update?)"
  fi
  rm -f "$dl_log"
  for f in "$out"/*.deb; do
    p=$(dpkg-deb -f "$f" Package)
    [ -n "${have_file[$p]+x}" ] || have_file[$p]=$f
  done
else
  say "every package is already in $out"
fi
for p in "${packages[@]}"; do [ -n "${have_file[$p]+x}" ] || die "the .deb of '$p' did not arrive"; done

# ---- update-alternatives links the packages' postinst scripts would make --------------------------------
alternatives_tmp=$(mktemp)
for p in "${packages[@]}"; do
  dpkg-deb --ctrl-tarfile "${have_file[$p]}" | tar -xO ./postinst 2>/dev/null \
    | sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' \
    | awk -v pkg="$p" '/update-alternatives/ && /--install/ {
        for (i = 1; i <= NF; i++) if ($i == "--install" || $i == "--slave") {
          link = $(i + 1); target = $(i + 3)
          if (link ~ /^\// && target ~ /^\// && link !~ /\$/ && target !~ /\$/) print link, target, pkg
        }
      }' >>"$alternatives_tmp" || true
done
{
  echo "# LINK TARGET PACKAGE: symlinks the packages' postinst make with update-alternatives;"
  echo "# install.sh makes LINK -> TARGET when TARGET was unpacked and LINK does not exist yet."
  sort -u "$alternatives_tmp"
} >"$out/alternatives.txt"
rm -f "$alternatives_tmp"

# ---- the binary and configs -----------------------------------------------------------------------------
rm -rf "$out/exacheck"
if [ -n "$binary_dir" ]; then
  mkdir -p "$out/exacheck/bin"
  cp -p "$binary_dir/exacheck" "$out/exacheck/bin/exacheck"
  cp -R "$repo_root/configs" "$out/exacheck/configs"
  say "added $binary_dir/exacheck and configs/"
fi
if [ -f "$repo_root/docs/offline-nodes.md" ]; then cp "$repo_root/docs/offline-nodes.md" "$out/README.md"; fi

# ---- what the node must provide: the newest glibc / libstdc++ symbol versions the bundle uses ------------
scan=$(mktemp -d)
trap 'rm -rf "$scan"' EXIT
skip_glibc=0; skip_glibcxx=0
for p in "${packages[@]}"; do
  case "$p" in libc6|libc-bin) skip_glibc=1; continue ;; libstdc++6) skip_glibcxx=1; continue ;; esac
  mkdir -p "$scan/$p"
  dpkg-deb --fsys-tarfile "${have_file[$p]}" | tar -x -C "$scan/$p" --exclude='./usr/share/*' 2>/dev/null || true
done
[ -n "$binary_dir" ] && cp "$out/exacheck/bin/exacheck" "$scan/"
# "NAME VERSION" per package (and the binary): the newest GLIBC_ / GLIBCXX_ symbol version its files use
symbol_needs=$(for d in "$scan"/*; do
  grep -r -a -o -h -E 'GLIBC_2\.[0-9]+|GLIBCXX_3\.4\.[0-9]+' "$d" 2>/dev/null | sort -u | sed "s|^|$(basename "$d") |" || true
done)
newest() {  # $1: GLIBC or GLIBCXX -> "VERSION (PACKAGES that need it)"
  local v who
  v=$(awk -v k="$1" '{ split($2, a, "_"); if (a[1] == k) print a[2] }' <<<"$symbol_needs" | sort -V | tail -n 1)
  [ -n "$v" ] || return 0
  who=$(awk -v s="$1_$v" '$2 == s { print $1 }' <<<"$symbol_needs" | sort -u | paste -sd ' ')
  echo "$v ($who)"
}
need_glibc=$(newest GLIBC)
need_glibcxx=$(newest GLIBCXX)
[ "$skip_glibc" -eq 1 ] && need_glibc=""
[ "$skip_glibcxx" -eq 1 ] && need_glibcxx=""

# Sonames the binary needs that neither the bundle nor the base/compiler/CUDA provide.
if [ -n "$binary_dir" ] && command -v readelf >/dev/null; then
  bundled_sonames=$(find "$scan" -name '*.so*' -printf '%f\n' | sort -u)
  while read -r soname; do
    case "$soname" in
      libc.so.*|libm.so.*|libdl.so.*|librt.so.*|libpthread.so.*|ld-linux*|libstdc++.so.*|libgcc_s.so.*) continue ;;
      libcuda.so.*|libcudart.so.*|libcublas*.so.*|libnccl.so.*|libnvidia-ml.so.*|libnvrtc*.so.*) continue ;;
    esac
    grep -qxF "$soname" <<<"$bundled_sonames" || say "warning: the binary needs $soname, which the bundle does not hold"
  done < <(readelf -d "$out/exacheck/bin/exacheck" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
fi

# ---- MANIFEST.txt ---------------------------------------------------------------------------------------
os_id=$(. /etc/os-release 2>/dev/null && echo "${ID:-unknown}")
os_version=$(. /etc/os-release 2>/dev/null && echo "${VERSION_ID:-unknown}")
os_name=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown}")
mode=full; [ "$runtime_only" -eq 1 ] && mode=runtime-only
manifest_tmp="$out/.MANIFEST.txt.tmp"
{
  echo "# exacheck offline bundle: Debian packages to unpack on a node without network (install.sh)"
  echo "# created: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $os_name"
  echo "# os: $os_id $os_version"
  echo "# arch: $arch"
  echo "# multiarch: $multiarch"
  echo "# mode: $mode"
  echo "# base: $base_level (packages a minimal Debian system has are not bundled)"
  echo "# needs-glibc: ${need_glibc:-none}"
  echo "# needs-glibcxx: ${need_glibcxx:-none}"
  echo "# binary: $([ -n "$binary_dir" ] && echo exacheck/bin/exacheck || echo none)"
  echo "# assumed on the node (base): $(printf '%s\n' "${!base_hits[@]}" | sort | paste -sd ' ')"
  if [ ${#dropped[@]} -gt 0 ]; then
    echo "# not bundled (toolchain or --exclude): $(printf '%s; ' "${dropped[@]}" | sed 's/; $//')"
  else
    echo "# not bundled (toolchain or --exclude): nothing"
  fi
  echo "# package version sha256 file"
  for p in "${packages[@]}"; do
    f=${have_file[$p]}
    echo "$p ${want_version[$p]} $(sha256sum "$f" | cut -d' ' -f1) $(basename "$f")"
  done
} >"$manifest_tmp"
mv "$manifest_tmp" "$out/MANIFEST.txt"

# ---- install.sh -----------------------------------------------------------------------------------------
cat >"$out/install.sh" <<'INSTALL_EOF'
#!/usr/bin/env bash
# Installs an exacheck offline bundle on this node: verifies every .deb against MANIFEST.txt, unpacks each
# into PREFIX the way `dpkg -x FILE PREFIX` does (no dpkg database, no maintainer scripts; but keeping the
# /lib -> usr/lib symlinks), makes the update-alternatives symlinks of alternatives.txt, and runs ldconfig
# (PREFIX=/) or writes PREFIX/exacheck-env.sh (any other PREFIX).
# Safe to run again. Made by scripts/bundle-offline.sh; see README.md next to it.
set -euo pipefail

bundle=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=/
force=0

usage() {
  cat <<EOF
usage: ./install.sh [--prefix DIR] [--force]

  --prefix DIR  unpack under DIR instead of / (no root needed), e.g. --prefix \$HOME/exacheck-root;
                then: source DIR/exacheck-env.sh
  --force       install even where the node's OS, glibc or libstdc++ do not match what the bundle was made for
  -h, --help    this text

Without --prefix the files go into / (needs root); packages dpkg already has installed are left alone.
EOF
}
say() { echo "install: $*"; }
die() { echo "install: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] && [ -n "$2" ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install: error: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

manifest="$bundle/MANIFEST.txt"
[ -f "$manifest" ] || die "no MANIFEST.txt next to install.sh ($bundle)"
header() { sed -n "s/^# $1: //p" "$manifest" | head -n 1; }
multiarch=$(header multiarch)
bundle_os=$(header os)
need_glibc_line=$(header needs-glibc); need_glibc=${need_glibc_line%% *}
need_glibcxx_line=$(header needs-glibcxx); need_glibcxx=${need_glibcxx_line%% *}
[ -n "$multiarch" ] || die "MANIFEST.txt has no '# multiarch:' line"

# ---- 1. checksums, all of them before anything is unpacked -----------------------------------------------
command -v sha256sum >/dev/null || die "sha256sum is needed"
debs=()
bad=0
while read -r pkg version sum file; do
  case "$pkg" in ''|'#'*) continue ;; esac
  f="$bundle/$file"
  if [ ! -f "$f" ]; then echo "install: error: missing $file (package $pkg $version)" >&2; bad=1; continue; fi
  actual=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$actual" != "$sum" ]; then
    echo "install: error: checksum mismatch for $file (package $pkg): expected $sum, got $actual" >&2
    bad=1
    continue
  fi
  debs+=("$pkg|$file|$sum")
done <"$manifest"
[ "$bad" -eq 0 ] || die "the bundle is damaged or incomplete; nothing was installed. Copy it again."
[ ${#debs[@]} -gt 0 ] || die "MANIFEST.txt lists no packages"
say "checksums ok (${#debs[@]} packages)"

# ---- 2. does this node fit the bundle? -----------------------------------------------------------------
vge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }  # $1 >= $2
problems=()
if [ -n "$need_glibc" ] && [ "$need_glibc" != none ]; then
  have_glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}') || have_glibc=""
  [ -n "$have_glibc" ] || have_glibc=$(ldd --version 2>/dev/null | head -n 1 | grep -o '[0-9]\+\.[0-9]\+$') || true
  if [ -z "$have_glibc" ]; then problems+=("cannot tell this node's glibc version (the bundle needs >= $need_glibc_line)")
  elif ! vge "$have_glibc" "$need_glibc"; then
    problems+=("glibc here is $have_glibc, the bundle needs >= $need_glibc_line: make the bundle on a Debian release as old as this node's")
  fi
fi
if [ -n "$need_glibcxx" ] && [ "$need_glibcxx" != none ]; then
  libstdcxx=""
  for d in "/usr/lib/$multiarch" "/lib/$multiarch" /usr/lib64 /lib64 /usr/lib; do
    if [ -e "$d/libstdc++.so.6" ]; then libstdcxx="$d/libstdc++.so.6"; break; fi
  done
  if [ -z "$libstdcxx" ]; then
    problems+=("no libstdc++.so.6 found here: make the bundle with --include libstdc++6")
  else
    have_glibcxx=$(grep -a -o 'GLIBCXX_3\.4\.[0-9]*' "$(readlink -f "$libstdcxx")" | sed 's/GLIBCXX_//' | sort -uV | tail -n 1)
    if ! vge "${have_glibcxx:-0}" "$need_glibcxx"; then
      problems+=("$libstdcxx provides GLIBCXX_${have_glibcxx:-?}, the bundle needs GLIBCXX_$need_glibcxx_line: make the bundle with --include libstdc++6")
    fi
  fi
fi
node_os=$(. /etc/os-release 2>/dev/null && echo "${ID:-unknown} ${VERSION_ID:-unknown}") || node_os="unknown"
if [ "$prefix" = / ] && [ "$node_os" != "$bundle_os" ]; then
  problems+=("this node runs '$node_os', the bundle was made on '$bundle_os': unpacking into / could replace the system's own libraries; use --prefix DIR")
fi
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do echo "install: problem: $p" >&2; done
  [ "$force" -eq 1 ] || die "not installing (pass --force to install anyway)"
  say "--force: installing anyway"
fi

# ---- 3. where to ---------------------------------------------------------------------------------------
if [ "$prefix" = / ]; then
  [ "$(id -u)" -eq 0 ] || die "unpacking into / needs root; without root use: ./install.sh --prefix \$HOME/exacheck-root"
  root=""
else
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  root=$prefix
  # the layout of a merged-/usr Debian system, so that ./lib/... of any package lands in usr/lib/...
  for d in bin sbin lib lib64; do
    mkdir -p "$root/usr/$d"
    [ -e "$root/$d" ] || [ -L "$root/$d" ] || ln -s "usr/$d" "$root/$d"
  done
fi
stamps="$root/var/lib/exacheck-offline"
mkdir -p "$stamps"

# Unpacks the files of a .deb (its data.tar) into $2, like `dpkg -x FILE DIR`, except that existing
# symlinks to directories are kept: `dpkg -x` would replace a merged-/usr system's /lib -> usr/lib symlink
# with a directory (any package shipping ./lib/... does that) and leave the system unable to run a program.
# Without dpkg-deb (a non-Debian node) python3 reads the .deb (an ar archive) itself.
tar_keeps_symlinks=0
tar --help 2>/dev/null | grep -q -- '--keep-directory-symlink' && tar_keeps_symlinks=1
unpack() {
  local file=$1 dest=$2
  if command -v dpkg-deb >/dev/null && [ "$tar_keeps_symlinks" -eq 1 ] && [ "${EXACHECK_UNPACK_WITH:-}" != python3 ]; then
    dpkg-deb --fsys-tarfile "$file" | tar -x --keep-directory-symlink -C "$dest"
  elif command -v python3 >/dev/null; then
    python3 - "$file" "$dest" <<'PY'
import io, sys, tarfile
path, dest = sys.argv[1], sys.argv[2]
with open(path, "rb") as f:
    if f.read(8) != b"!<arch>\n":
        sys.exit(f"{path}: not a .deb (ar) archive")
    while True:
        header = f.read(60)
        if len(header) < 60:
            sys.exit(f"{path}: no data.tar member")
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        data = f.read(size)
        if size % 2:
            f.read(1)
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                import subprocess
                data = subprocess.run(["zstd", "-dc"], input=data, check=True, capture_output=True).stdout
            # tarfile keeps an existing symlink to a directory (it only creates missing directories)
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
                kwargs = {"filter": "fully_trusted"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(dest, **kwargs)
            break
PY
  else
    die "cannot unpack safely here: needs dpkg-deb with GNU tar >= 1.27 (--keep-directory-symlink), or python3"
  fi
}

# ---- 4. unpack -----------------------------------------------------------------------------------------
unpacked=0; skipped=0
for entry in "${debs[@]}"; do
  IFS='|' read -r pkg file sum <<<"$entry"
  if [ -f "$stamps/$pkg" ] && [ "$(cat "$stamps/$pkg")" = "$sum" ]; then skipped=$((skipped + 1)); continue; fi
  if [ -z "$root" ] && dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    say "$pkg: installed by dpkg already, left alone"
    echo "$sum" >"$stamps/$pkg"
    skipped=$((skipped + 1))
    continue
  fi
  unpack "$bundle/$file" "${root:-/}"
  echo "$sum" >"$stamps/$pkg"
  unpacked=$((unpacked + 1))
done
say "unpacked $unpacked packages into ${root:-/} ($skipped already there)"

# ---- 5. the update-alternatives symlinks ---------------------------------------------------------------
# relative path from directory $1 to file $2 (both absolute, inside the same root)
relpath() {
  local from=$1 to=$2 up=""
  while [ "${to#"$from"/}" = "$to" ] && [ "$from" != / ]; do from=$(dirname "$from"); up="../$up"; done
  if [ "$from" = / ]; then echo "${up}${to#/}"; else echo "${up}${to#"$from"/}"; fi
}
links=0
if [ -f "$bundle/alternatives.txt" ]; then
  while read -r link target _; do
    case "$link" in ''|'#'*) continue ;; esac
    [ -e "$root$target" ] || continue                         # that package is not in this bundle
    if [ -L "$root$link" ] && [ ! -e "$root$link" ]; then rm -f "$root$link"; fi  # dangling: ours to fix
    [ -e "$root$link" ] || [ -L "$root$link" ] && continue    # the system's own choice stays
    mkdir -p "$(dirname "$root$link")"
    ln -s "$(relpath "$(dirname "$link")" "$target")" "$root$link"
    links=$((links + 1))
  done <"$bundle/alternatives.txt"
fi
say "made $links alternatives symlinks"

# ---- 6. the exacheck binary, when the bundle has one ---------------------------------------------------
if [ -x "$bundle/exacheck/bin/exacheck" ]; then
  mkdir -p "$root/opt/exacheck"
  rm -rf "$root/opt/exacheck/bin" "$root/opt/exacheck/configs"
  cp -R "$bundle/exacheck/bin" "$bundle/exacheck/configs" "$root/opt/exacheck/"
  say "exacheck installed in ${root}/opt/exacheck (bin/exacheck, configs/)"
fi

# ---- 7. make it usable ---------------------------------------------------------------------------------
if [ -z "$root" ]; then
  if [ -x /opt/exacheck/bin/exacheck ] && [ ! -e /usr/local/bin/exacheck ]; then
    mkdir -p /usr/local/bin
    ln -s /opt/exacheck/bin/exacheck /usr/local/bin/exacheck
  fi
  if command -v ldconfig >/dev/null; then ldconfig; else /sbin/ldconfig; fi
  say "done: ldconfig ran; mpirun, the libraries and the CMake packages are in the usual places"
  exit 0
fi

ml=usr/lib/$multiarch
lib_dirs=""
for d in "$ml" "$ml/openmpi/lib" "$ml/openblas-pthread" "$ml/pmix2/lib"; do
  [ -d "$root/$d" ] && lib_dirs="$lib_dirs${lib_dirs:+:}$root/$d"
done
env_file="$root/exacheck-env.sh"
{
  echo "# exacheck offline bundle unpacked under $root: source this file (bash, sh, zsh)"
  echo "export PATH=\"$root/usr/bin:$root/opt/exacheck/bin\${PATH:+:\$PATH}\""
  echo "export LD_LIBRARY_PATH=\"$lib_dirs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
  echo "# Open MPI (and its PMIx and hwloc) were built for /usr: tell them where they are now"
  echo "export OPAL_PREFIX=\"$root/usr\""
  if [ -d "$root/$ml/pmix2" ]; then  # PMIx's own paths are absolute: each one is relocated by name
    pmix="$root/$ml/pmix2"
    echo "export PMIX_PREFIX=\"$pmix\" PMIX_LIBDIR=\"$pmix/lib\" PMIX_DATADIR=\"$pmix/share\""
    echo "export PMIX_PKGLIBDIR=\"$pmix/lib/pmix\" PMIX_PKGDATADIR=\"$pmix/share/pmix\""
  fi
  [ -d "$root/$ml/hwloc" ] && echo "export HWLOC_PLUGINS_PATH=\"$root/$ml/hwloc\""
  [ -f "$root/etc/openmpi/openmpi-mca-params.conf" ] \
    && echo "export OMPI_MCA_mca_base_param_files=\"$root/etc/openmpi/openmpi-mca-params.conf\""
  echo "# building on the node: CMake packages (yaml-cpp, fmt, CLI11, nlohmann_json, GTest, benchmark), headers"
  echo "export CMAKE_PREFIX_PATH=\"$root/usr:$root/$ml/cmake\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}\""
  echo "export CMAKE_LIBRARY_PATH=\"$root/$ml\${CMAKE_LIBRARY_PATH:+:\$CMAKE_LIBRARY_PATH}\""
  echo "export CMAKE_INCLUDE_PATH=\"$root/usr/include/$multiarch\${CMAKE_INCLUDE_PATH:+:\$CMAKE_INCLUDE_PATH}\""
  echo "export PKG_CONFIG_PATH=\"$root/$ml/pkgconfig:$root/usr/share/pkgconfig\${PKG_CONFIG_PATH:+:\$PKG_CONFIG_PATH}\""
} >"$env_file"
say "done. To use it (also in job scripts), run:"
echo
echo "  source $env_file"
echo
echo "which sets:"
grep '^export' "$env_file" | sed 's/^/  /'
INSTALL_EOF
chmod +x "$out/install.sh"

size=$(du -sh "$out" | cut -f1)
say "bundle ready: $out ($size, ${#packages[@]} packages, $mode)"
if [ "$make_tar" -eq 1 ]; then
  tar_file="$out.tar.gz"
  tar -C "$(dirname "$out")" -czf "$tar_file.tmp" "$(basename "$out")"
  mv "$tar_file.tmp" "$tar_file"
  say "archive: $tar_file ($(du -h "$tar_file" | cut -f1))"
fi
