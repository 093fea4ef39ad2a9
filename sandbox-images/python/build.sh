#!/usr/bin/env bash
# Builds the verdict Python sandbox root filesystem as a tar, with no container registry:
# debootstrap takes python3 straight from Debian's archive, then `docker import` (done by
# verdict itself, see src/sandbox/image.ts) turns the tar into an image.
#
#   build.sh [--fresh-base] OUT_TAR
#
# The debootstrap base (everything but the runner: runner.py and its package verdict_runner/)
# is cached as a tar keyed by this script's hash, so a change to the runner rebuilds in seconds.
# --fresh-base ignores that cache (to pick up Debian security updates). Needs root (debootstrap,
# chroot) and debootstrap.
#
# Environment: VERDICT_DEBIAN_MIRROR (default http://deb.debian.org/debian),
#              VERDICT_CACHE_DIR (default ${XDG_CACHE_HOME:-$HOME/.cache}/verdict).
set -euo pipefail

SUITE=bookworm
JOB_UID=10000
JOB_GID=10000
# Debian packages in the image (their dependencies come with them). EvalPlus's environment always
# has numpy, and MBPP+ programs in the wild import it. To add a package, add it here and its
# import to PACKAGE_CHECK; see README.md ("Adding a package").
PACKAGES=python3,python3-numpy
# Imported by the image check below; a Python without its full stdlib fails the build, not a run.
STDLIB_CHECK='import sqlite3, decimal, fractions, heapq, re, collections, itertools, math, statistics, json, ctypes, bisect, functools, operator, string, random, datetime, copy, array, hashlib, struct, zlib, base64, typing, dataclasses, enum, numbers, cmath, textwrap, unicodedata'
# The same for the packages above, imported the way a job imports them (python3 -S).
PACKAGE_CHECK='import numpy; assert float(numpy.linalg.det(numpy.eye(3))) == 1.0'

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

fresh_base=0
out=""
for arg in "$@"; do
  case "$arg" in
    --fresh-base) fresh_base=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *) [[ -z "$out" ]] || die "only one OUT_TAR may be given"; out="$arg" ;;
  esac
done
[[ -n "$out" ]] || die "usage: build.sh [--fresh-base] OUT_TAR"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runner="$here/runner.py"
package="$here/verdict_runner"
mirror="${VERDICT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${VERDICT_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/verdict}"

# Check everything cheap before the slow part, so a missing piece fails in a second.
[[ -f "$runner" ]] || die "runner not found at $runner (the image bakes it in at /opt/verdict/runner.py)"
[[ -f "$package/__init__.py" ]] || die "the runner's package is not at $package (the image bakes it in at /opt/verdict/verdict_runner)"
[[ "$(id -u)" -eq 0 ]] || die "must run as root (debootstrap and chroot need it)"
command -v debootstrap >/dev/null || die "debootstrap is not installed; run: apt-get install -y debootstrap"
mkdir -p "$cache" "$(dirname "$out")"
cache="$(cd "$cache" && pwd)"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

key="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
base="$cache/python-base-$key.tar"

work="$(mktemp -d "${TMPDIR:-/tmp}/verdict-build.XXXXXX")"
cleanup() {
  # debootstrap bind-mounts /dev nodes and /proc into the target; a failed run can leave them
  # mounted, and rm -rf must never walk into the host's /dev.
  if [[ -d "$work" ]]; then
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$work"
  fi
  rm -f "$base.tmp.$$" "$out.tmp.$$"
}
trap cleanup EXIT

build_base() {
  local root="$work/root" started=$SECONDS
  say "debootstrap $SUITE (minbase + $PACKAGES) from $mirror"
  mkdir -p "$cache/debs"
  # The .deb cache makes --fresh-base and changes to this script cheap to rebuild.
  if ! debootstrap --variant=minbase --include="$PACKAGES" --cache-dir="$cache/debs" \
      "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    die "debootstrap failed (full log above; check the mirror $mirror)"
  fi
  say "debootstrap done in $((SECONDS - started)) s"

  # The job user the runner drops to; no shell, home is the per-job working directory.
  grep -q "^job:" "$root/etc/group" || echo "job:x:$JOB_GID:" >>"$root/etc/group"
  grep -q "^job:" "$root/etc/passwd" ||
    echo "job:x:$JOB_UID:$JOB_GID:verdict job:/tmp/job:/usr/sbin/nologin" >>"$root/etc/passwd"

  chroot "$root" /usr/bin/python3 -S -B -c "$STDLIB_CHECK; import pwd; assert pwd.getpwuid($JOB_UID).pw_name == 'job'" ||
    die "python3 in the new root lacks part of its standard library"

  # Debian's python3-* packages install into /usr/lib/python3/dist-packages, which Python reads
  # only through `site`; the runner and every job run with -S. Each top-level module there is
  # linked into the standard library's directory, which is on the path without `site`.
  local stdlib dist="$root/usr/lib/python3/dist-packages" entry name
  stdlib="$(chroot "$root" /usr/bin/python3 -S -B -c 'import os; print(os.path.dirname(os.__file__))')"
  if [[ -d "$dist" ]]; then
    for entry in "$dist"/*; do
      name="$(basename "$entry")"
      case "$name" in *.dist-info|*.egg-info|__pycache__|*.pth) continue ;; esac
      [[ -e "$root$stdlib/$name" ]] && die "$name from dist-packages would shadow the standard library's $name"
      ln -s "/usr/lib/python3/dist-packages/$name" "$root$stdlib/$name"
    done
  fi
  chroot "$root" /usr/bin/python3 -S -B -c "$PACKAGE_CHECK" ||
    die "a package of PACKAGES ($PACKAGES) does not import with python3 -S (PACKAGE_CHECK)"

  # Nothing here is needed at run time; apt lists alone are ~40 MB.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/usr/share/locale/* "$root"/usr/share/lintian "$root"/usr/share/bug \
    "$root"/var/log/* "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/root/.cache
  # Docker provides /dev itself; device nodes from debootstrap would only shadow it.
  find "$root/dev" -mindepth 1 -delete 2>/dev/null || true
  mkdir -p "$root/dev/shm" "$root/tmp" "$root/proc" "$root/sys" "$root/opt/verdict"
  chmod 1777 "$root/tmp" "$root/dev/shm"
  chmod 0755 "$root/opt/verdict"

  tar --numeric-owner --sort=name -C "$root" -cf "$base.tmp.$$" .
  mv -f "$base.tmp.$$" "$base"
  # Bases of earlier versions of this script are never used again.
  find "$cache" -maxdepth 1 -name 'python-base-*.tar' ! -path "$base" -delete
  say "cached base $(du -h "$base" | cut -f1) at $base"
}

# Two builds at once (two terminals, two test runs) share one debootstrap.
exec 9>"$cache/base.lock"
flock -w 900 9 || die "timed out waiting for another build to release $cache/base.lock"
if [[ $fresh_base -eq 1 || ! -s "$base" ]]; then
  build_base
else
  say "using cached base $base"
fi
flock -u 9

# The runner goes in last, appended to a copy of the base, so this part takes a second: runner.py
# and beside it its package (sources only: the runner runs with -B and writes no bytecode).
started=$SECONDS
stage="$work/stage"
mkdir -p "$stage/opt/verdict/verdict_runner"
chmod 0755 "$stage/opt/verdict/verdict_runner"
install -m 0644 "$runner" "$stage/opt/verdict/runner.py"
install -m 0644 "$package"/*.py "$stage/opt/verdict/verdict_runner/"
cp "$base" "$out.tmp.$$"
tar --numeric-owner --owner=0 --group=0 -C "$stage" -rf "$out.tmp.$$" ./opt/verdict/runner.py ./opt/verdict/verdict_runner
mv -f "$out.tmp.$$" "$out"
say "wrote $out ($(du -h "$out" | cut -f1)) in $((SECONDS - started)) s"
