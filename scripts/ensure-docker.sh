#!/usr/bin/env bash
# Makes this machine ready for verdict's sandboxes (Debian/Ubuntu, as root), and does nothing
# where it already is: installs docker.io and debootstrap when missing, starts dockerd when no
# engine answers, and waits until one does.
#
#   --with-extra-engines (or VERDICT_EXTRA_ENGINES=1): also install what the multi-engine tests
#       need to start extra engines (scripts/extra-dockerd.sh): openssh-server (whose sshd is
#       never started or enabled here) and openssl.
#   --with-runsc (or VERDICT_RUNSC=1): also install gVisor's runsc (Debian's package) and register
#       it with the default engine as runtime `runsc` (in /etc/docker/daemon.json, with the
#       arguments docs/gvisor-notes.md explains; a running dockerd reloads its config on SIGHUP,
#       so no container stops), for `--runtime runsc`. Its default runtime stays as it is.
#
# Environment: VERDICT_DOCKERD_LOG (default /var/log/verdict-dockerd.log),
#              VERDICT_DOCKERD_WAIT_S (default 60).
set -euo pipefail

with_extra_engines="${VERDICT_EXTRA_ENGINES:-0}"
with_runsc="${VERDICT_RUNSC:-0}"
for arg in "$@"; do
  case "$arg" in
    --with-extra-engines) with_extra_engines=1 ;;
    --with-runsc) with_runsc=1 ;;
    *) printf 'ensure-docker: error: unknown option %s (expected --with-extra-engines, --with-runsc)\n' "$arg" >&2; exit 2 ;;
  esac
done

say() { printf 'ensure-docker: %s\n' "$*"; }
die() { printf 'ensure-docker: error: %s\n' "$*" >&2; exit 1; }

# sudo and some CI shells leave sbin off PATH, where dockerd and debootstrap live.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive
wait_s="${VERDICT_DOCKERD_WAIT_S:-60}"
did=0

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || die "$* missing and apt-get not found; install it with your package manager"
  [[ "$(id -u)" -eq 0 ]] || die "$* missing; run this script as root (it installs with apt-get)"
  if [[ $apt_updated -eq 0 ]]; then
    say "apt-get update"
    apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
  say "apt-get install -y $*"
  # Recommends stay: docker.io needs apparmor where the kernel enforces AppArmor (Debian's default).
  apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
  did=1
}

if ! command -v docker >/dev/null || ! command -v dockerd >/dev/null; then
  apt_install docker.io
else
  say "docker client and dockerd present"
fi

if ! command -v debootstrap >/dev/null; then
  apt_install debootstrap
else
  say "debootstrap present"
fi

# A package whose postinst would start a service (openssh-server: sshd on port 22 for every
# address) is installed with invoke-rc.d told not to, unless the machine already says so.
apt_install_no_start() {
  local policy=/usr/sbin/policy-rc.d made=0
  if [[ ! -e "$policy" && "$(id -u)" -eq 0 ]]; then
    printf '#!/bin/sh\n# verdict ensure-docker.sh: installing without starting services\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made=1
  fi
  local rc=0
  ( apt_install "$@" ) || rc=$?
  [[ $made -eq 0 ]] || rm -f "$policy"
  [[ $rc -eq 0 ]] || exit "$rc"
  did=1
  apt_updated=1
}

if [[ "$with_extra_engines" == 1 ]]; then
  if [[ ! -x /usr/sbin/sshd ]]; then apt_install_no_start openssh-server; else say "sshd present"; fi
  if ! command -v openssl >/dev/null; then apt_install openssl; else say "openssl present"; fi
fi
if [[ "$with_runsc" == 1 ]]; then
  if ! command -v runsc >/dev/null; then apt_install runsc; else say "runsc present ($(runsc --version 2>/dev/null | head -n1))"; fi
fi

engine_up() { timeout 10 docker info >/dev/null 2>&1; }
# The default engine's dockerd, by its pidfile: other dockerd instances (the extra engines some
# tests start, each with a pidfile of its own) must not count. procps is not on every minimal
# image; /proc is.
dockerd_running() {
  local pid
  pid="$(cat /var/run/docker.pid 2>/dev/null)" || return 1
  [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]]
}

if engine_up; then
  say "Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
else
  [[ "$(id -u)" -eq 0 ]] || die "no Docker engine answers and starting dockerd needs root; run this script as root"
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    say "starting docker with systemctl"
    systemctl start docker || say "systemctl start docker failed; starting dockerd directly"
  fi
  if ! engine_up && ! dockerd_running; then
    log="${VERDICT_DOCKERD_LOG:-/var/log/verdict-dockerd.log}"
    if ! { touch "$log"; } 2>/dev/null; then log="$(mktemp /tmp/verdict-dockerd.XXXXXX.log)"; fi
    say "starting dockerd in the background (log: $log)"
    nohup dockerd >>"$log" 2>&1 </dev/null &
    dockerd_pid=$!
  fi
  say "waiting up to ${wait_s} s for the engine"
  for ((i = 0; i < wait_s; i++)); do
    engine_up && break
    if [[ -n "${dockerd_pid:-}" ]] && ! kill -0 "$dockerd_pid" 2>/dev/null; then
      tail -n 10 "$log" >&2 || true
      die "dockerd exited at start (log above, full log: $log)"
    fi
    sleep 1
  done
  engine_up || die "no Docker engine answered within ${wait_s} s${log:+ (dockerd log: $log)}"
  say "Docker engine answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
  did=1
fi

# Registers runsc in the default engine's daemon.json (merged into what is there), and has a
# running dockerd reload it; the engine must list runsc afterwards.
register_runsc() {
  local conf=/etc/docker/daemon.json runsc_path
  runsc_path="$(command -v runsc)"
  if timeout 10 docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; then
    say "runsc is registered with the engine"
    return 0
  fi
  [[ "$(id -u)" -eq 0 ]] || die "registering runsc with the engine needs root ($conf)"
  command -v python3 >/dev/null || die "registering runsc needs python3 (to merge $conf)"
  mkdir -p /etc/docker
  # --network=none: runsc refuses every container otherwise; --oci-seccomp: Docker's seccomp
  # profile applies inside the sandbox too (docs/gvisor-notes.md).
  python3 - "$conf" "$runsc_path" <<'PY' || die "could not update $conf"
import json, os, sys
conf, path = sys.argv[1], sys.argv[2]
data = {}
if os.path.exists(conf):
    with open(conf) as f:
        text = f.read().strip()
    data = json.loads(text) if text else {}
data.setdefault("runtimes", {})["runsc"] = {"path": path, "runtimeArgs": ["--network=none", "--oci-seccomp"]}
tmp = conf + ".verdict-tmp"
with open(tmp, "w") as f:
    json.dump(data, f, indent=2)
    f.write("\n")
os.replace(tmp, conf)
PY
  did=1
  if dockerd_running; then
    say "registered runsc in $conf; dockerd reloads it (SIGHUP: nothing stops)"
    kill -HUP "$(cat /var/run/docker.pid)"
  elif [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    say "registered runsc in $conf; systemctl reload docker"
    systemctl reload docker || die "systemctl reload docker failed"
  fi
  for _ in $(seq 1 40); do
    timeout 10 docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"' && { say "runsc is registered with the engine"; return 0; }
    sleep 0.25
  done
  die "the engine does not list runsc after reloading $conf (see its log)"
}
if [[ "$with_runsc" == 1 ]]; then register_runsc; fi

if [[ $did -eq 0 ]]; then say "nothing to do"; else say "ready"; fi
