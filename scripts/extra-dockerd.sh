#!/usr/bin/env bash
# Extra Docker engines on this machine, for testing a pool that spans several engines, and
# for trying gVisor without touching the main engine. Loopback only; root only.
#
#   scripts/extra-dockerd.sh up DIR [--only unix,tls,ssh] [--default-runtime NAME] [--owner PID]
#   scripts/extra-dockerd.sh down DIR
#   scripts/extra-dockerd.sh revive DIR NAME  # start NAME's dockerd again (after a test killed it)
#   scripts/extra-dockerd.sh sweep          # `down` every /tmp/verdict-engines-* whose owner died
#
# `up` starts, each with its own data root, exec root, pidfile, socket, trust key and cgroup
# parent, and without a bridge or iptables rules (sandbox containers use --network none, and
# the main engine's docker0 and rules stay its own):
#   unix  a dockerd on DIR/unix/docker.sock
#   tls   a dockerd also on tcp://127.0.0.1:<port>, TLS with client certificates (a CA, a server
#         certificate for IP 127.0.0.1 and a client certificate made here with openssl; the
#         client's are in DIR/certs/client as ca.pem, cert.pem, key.pem: DOCKER_CERT_PATH layout)
#   ssh   a dockerd reached through a dedicated sshd on 127.0.0.1:<port> (its own config, host
#         key, and an authorized key restricted to `docker system dial-stdio` on that engine)
# and writes DIR/engines.json: for each engine its URL, the settings a client needs, its local
# socket, and the dockerd pid. Debian's runsc, when installed, is registered in every engine as
# runtime `runsc` with --network=none (without it runsc refuses to start any container) and
# --oci-seccomp (docs/gvisor-notes.md).
# `down` removes every container, daemon, process, mount, socket, key and certificate under DIR.
set -euo pipefail

say() { printf 'extra-dockerd: %s\n' "$*" >&2; }
die() { printf 'extra-dockerd: error: %s\n' "$*" >&2; exit 1; }

export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
WAIT_S="${VERDICT_EXTRA_DOCKERD_WAIT_S:-60}"

# A loopback TCP port nothing listens on (LISTEN sockets in /proc/net/tcp{,6} are state 0A).
free_port() {
  local port hex
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    hex=$(printf '%04X' "$port")
    if ! grep -qiE "^ *[0-9]+: [0-9A-F]+:${hex} [0-9A-F]+:[0-9A-F]+ 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free loopback port found"
}

# A short unique tag for DIR, used in cgroup parents (so `down` finds every container process).
dir_tag() { printf '%s' "$1" | sha256sum | cut -c1-10; }

make_certs() {
  local d="$1/certs"
  mkdir -p "$d/server" "$d/client"
  chmod 700 "$d"
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=verdict test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req "${ec[@]}" -subj "/CN=127.0.0.1" -keyout "$d/server/key.pem" -out "$d/server.csr" 2>/dev/null
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n') \
    -out "$d/server/cert.pem" 2>/dev/null
  openssl req "${ec[@]}" -subj "/CN=verdict test client" -keyout "$d/client/key.pem" -out "$d/client.csr" 2>/dev/null
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 \
    -extfile <(printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n') \
    -out "$d/client/cert.pem" 2>/dev/null
  cp "$d/ca.pem" "$d/server/ca.pem"
  cp "$d/ca.pem" "$d/client/ca.pem"
  rm -f "$d"/*.csr "$d"/*.srl
}

# start_dockerd DIR NAME DEFAULT_RUNTIME [extra dockerd args...]
start_dockerd() {
  local dir="$1" name="$2" runtime="$3"
  shift 3
  local e="$dir/$name"
  mkdir -p "$e/data" "$e/exec"
  local runtimes='{}'
  if command -v runsc >/dev/null; then
    # --network=none: without it runsc refuses every container ("cannot run with network
    # enabled in root network namespace"), --network none ones included. --oci-seccomp: apply
    # the container's seccomp profile inside the sandbox too (runsc ignores it otherwise, and a
    # job could then make user namespaces, which Docker's profile forbids).
    runtimes="{\"runsc\": {\"path\": \"$(command -v runsc)\", \"runtimeArgs\": [\"--network=none\", \"--oci-seccomp\"]}}"
  elif [[ "$runtime" == runsc ]]; then
    die "--default-runtime runsc needs runsc (apt-get install runsc, or scripts/ensure-docker.sh --with-runsc)"
  fi
  # A config file of our own: the machine's /etc/docker/daemon.json is the main engine's. The
  # trust key is ours too: on dockerd 20.10 it is the engine's ID, which tells engines apart.
  cat >"$e/daemon.json" <<JSON
{
  "deprecated-key-path": "$e/key.json",
  "runtimes": $runtimes,
  "default-runtime": "$runtime",
  "cgroup-parent": "verdict-engines-$(dir_tag "$dir")-$name",
  "log-level": "warn"
}
JSON
  # Kept, one per line, so `revive` starts the same daemon again.
  : >"$e/dockerd.args"
  [[ $# -eq 0 ]] || printf '%s\n' "$@" >"$e/dockerd.args"
  launch_dockerd "$e" "$@"
}

# launch_dockerd ENGINE_DIR [extra dockerd args...]
launch_dockerd() {
  local e="$1"
  shift
  nohup dockerd --config-file "$e/daemon.json" --data-root "$e/data" --exec-root "$e/exec" \
    --pidfile "$e/dockerd.pid" -H "unix://$e/docker.sock" \
    --bridge none --iptables=false --ip-masq=false --userland-proxy=false \
    "$@" >>"$e/dockerd.log" 2>&1 </dev/null &
  echo $! >"$e/dockerd.launch-pid"
}

cmd_revive() {
  local dir="${1:-}" name="${2:-}"
  [[ -n "$dir" && -n "$name" && -f "$dir/$name/daemon.json" ]] || die "usage: $0 revive DIR NAME (an engine \`up\` started)"
  local e="$dir/$name" pid args=()
  pid=$(cat "$e/dockerd.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && running "$pid"; then die "dockerd $name is running (pid $pid)"; fi
  # dockerd refuses a pidfile whose process exists, and a killed one may linger as a zombie;
  # the containerd it started dies with it, and must be gone before a new one starts.
  rm -f "$e/dockerd.pid"
  local cpid
  cpid=$(cat "$e/exec/containerd/containerd.pid" 2>/dev/null || true)
  for _ in $(seq 1 40); do
    [[ -n "$cpid" ]] && running "$cpid" || break
    sleep 0.25
  done
  rm -f "$e/exec/containerd/containerd.pid"
  mapfile -t args <"$e/dockerd.args"
  launch_dockerd "$e" "${args[@]}"
  wait_dockerd "$dir" "$name"
  say "dockerd $name is back (pid $(cat "$e/dockerd.pid"))"
}

wait_dockerd() {
  local e="$1/$2"
  for _ in $(seq 1 "$((WAIT_S * 4))"); do
    if docker -H "unix://$e/docker.sock" version >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$e/dockerd.launch-pid")" 2>/dev/null; then
      tail -n 20 "$e/dockerd.log" >&2 || true
      die "dockerd $2 exited at start (log: $e/dockerd.log)"
    fi
    sleep 0.25
  done
  die "dockerd $2 did not answer within ${WAIT_S} s (log: $e/dockerd.log)"
}

start_sshd() {
  local dir="$1" port="$2" socket="$3"
  local s="$dir/sshd"
  mkdir -p "$s"
  chmod 700 "$s"
  ssh-keygen -q -t ed25519 -N '' -C "verdict test host" -f "$s/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C "verdict test client" -f "$s/id_ed25519"
  # The key can do one thing: speak to this one engine (what `docker -H ssh://` runs remotely).
  printf 'restrict,command="%s -H unix://%s system dial-stdio" %s\n' \
    "$(command -v docker)" "$socket" "$(cat "$s/id_ed25519.pub")" >"$s/authorized_keys"
  printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1-2 "$s/host_ed25519.pub")" >"$s/known_hosts"
  # StrictModes would refuse an authorized_keys file below /tmp (world-writable, sticky); the
  # files themselves live in a 0700 directory of ours.
  cat >"$s/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $s/host_ed25519
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
MaxStartups 100:30:200
LogLevel INFO
CONF
  # sshd wants its privilege separation directory; the package normally makes it at boot.
  mkdir -p /run/sshd
  /usr/sbin/sshd -t -f "$s/sshd_config" || die "the generated sshd config does not validate ($s/sshd_config)"
  /usr/sbin/sshd -f "$s/sshd_config" -E "$s/sshd.log"
  for _ in $(seq 1 40); do
    [[ -s "$s/sshd.pid" ]] && return 0
    sleep 0.25
  done
  die "sshd did not start (log: $s/sshd.log)"
}

cmd_up() {
  local dir="" only="unix,tls,ssh" runtime="runc" owner=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --only) only="$2"; shift 2 ;;
      --default-runtime) runtime="$2"; shift 2 ;;
      --owner) owner="$2"; shift 2 ;;
      -*) die "unknown option $1" ;;
      *) [[ -z "$dir" ]] || die "one DIR only"; dir="$1"; shift ;;
    esac
  done
  [[ -n "$dir" ]] || die "usage: $0 up DIR [--only unix,tls,ssh] [--default-runtime NAME] [--owner PID]"
  [[ "$(id -u)" -eq 0 ]] || die "starting dockerd needs root"
  [[ "$dir" == /* ]] || die "DIR must be absolute"
  # Unix socket paths (containerd's lives under the exec root) must stay under 108 bytes.
  [[ ${#dir} -le 40 ]] || die "DIR must be at most 40 characters long (socket paths): $dir"
  [[ ! -e "$dir" ]] || die "$dir exists; use a new directory (or \`$0 down $dir\` first)"
  command -v dockerd >/dev/null || die "dockerd is not installed (scripts/ensure-docker.sh)"
  mkdir -p "$dir"
  chmod 700 "$dir"
  echo "${owner:-$$}" >"$dir/owner.pid"
  # From here on, a failure leaves nothing behind.
  trap 'say "start failed; cleaning up"; cmd_down "$dir" >/dev/null 2>&1 || true' ERR
  local names=() tls_port="" ssh_port=""
  IFS=, read -r -a names <<<"$only"
  for n in "${names[@]}"; do
    case "$n" in
      unix) start_dockerd "$dir" unix "$runtime" ;;
      tls)
        command -v openssl >/dev/null || die "openssl is not installed"
        make_certs "$dir"
        tls_port=$(free_port)
        start_dockerd "$dir" tls "$runtime" --tlsverify --tlscacert "$dir/certs/server/ca.pem" \
          --tlscert "$dir/certs/server/cert.pem" --tlskey "$dir/certs/server/key.pem" -H "tcp://127.0.0.1:$tls_port"
        ;;
      ssh)
        [[ -x /usr/sbin/sshd ]] || die "sshd is not installed (apt-get install openssh-server)"
        start_dockerd "$dir" ssh "$runtime"
        ;;
      *) die "unknown engine '$n' (expected unix, tls or ssh)" ;;
    esac
  done
  for n in "${names[@]}"; do wait_dockerd "$dir" "$n"; done
  if [[ ",$only," == *,ssh,* ]]; then
    ssh_port=$(free_port)
    start_sshd "$dir" "$ssh_port" "$dir/ssh/docker.sock"
  fi
  local entries=() e url extra
  for n in "${names[@]}"; do
    e="$dir/$n"
    case "$n" in
      unix) url="unix://$e/docker.sock"; extra="" ;;
      tls) url="tcp://127.0.0.1:$tls_port"; extra=", \"cert_path\": \"$dir/certs/client\"" ;;
      ssh)
        url="ssh://$(id -un)@127.0.0.1:$ssh_port"
        extra=", \"identity\": \"$dir/sshd/id_ed25519\", \"known_hosts\": \"$dir/sshd/known_hosts\", \"sshd_pid\": $(cat "$dir/sshd/sshd.pid")"
        ;;
    esac
    entries+=("\"$n\": {\"url\": \"$url\", \"socket\": \"$e/docker.sock\", \"dockerd_pid\": $(cat "$e/dockerd.pid")$extra}")
  done
  local IFS=,
  printf '{%s}\n' "${entries[*]}" >"$dir/engines.json"
  trap - ERR
  cat "$dir/engines.json"
}

# Pids of processes started for DIR: the daemons, containerd, shims, runsc and sshd (programs
# of those names whose command line names DIR; never a shell or tool that merely mentions it),
# and every process in the containers' cgroups.
pids_of() {
  local dir="$1" tag="$2" f p
  # One grep over every command line (NUL-separated arguments; DIR/ lies within one).
  grep -laF "$dir/" /proc/[0-9]*/cmdline 2>/dev/null | while read -r f; do
    p="${f#/proc/}"
    p="${p%/cmdline}"
    case "$(cat "/proc/$p/comm" 2>/dev/null)" in
      dockerd | containerd | containerd-shim* | runsc* | exe | sshd | docker) echo "$p" ;;
    esac
  done
  find /sys/fs/cgroup -type d -name "verdict-engines-$tag-*" -prune 2>/dev/null | while read -r cg; do
    find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
}

# Unix sockets that the given pids hold open and that live outside DIR (containerd shims bind
# theirs under /run/containerd/s/); removed after the processes are gone.
shim_sockets_of() {
  local pid inode
  for pid in "$@"; do
    for inode in $(find "/proc/$pid/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null | tr -dc '0-9\n'); do
      awk -v i="$inode" '$7 == i && $8 ~ "^/run/containerd/s/" { print $8 }' /proc/net/unix
    done
  done | sort -u
}

# Whether a process exists and is not a zombie (a killed daemon whose parent has not reaped it).
running() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# Those of the given pids that are still running (a zombie is not: it has exited, and only
# waits for its parent, never us, to read its status).
still_running() {
  local p
  for p in "$@"; do running "$p" && echo "$p"; done
  return 0
}

# wait_gone SECONDS PIDS...: waits until none of PIDS is running; false if some still are.
wait_gone() {
  local s="$1"
  shift
  for _ in $(seq 1 "$((s * 4))"); do
    [[ -z "$(still_running "$@")" ]] && return 0
    sleep 0.25
  done
  [[ -z "$(still_running "$@")" ]]
}

cmd_down() {
  local dir="${1:-}"
  [[ -n "$dir" && "$dir" == /* ]] || die "usage: $0 down DIR (absolute)"
  [[ -d "$dir" ]] || return 0
  local tag n e pid
  tag=$(dir_tag "$dir")
  # Gracefully first: sshd, and every engine that answers removes its containers and stops its
  # containerd (dockerd gives containerd up to 15 s, so the grace below is longer).
  local stopping=()
  pid=$(cat "$dir/sshd/sshd.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]] && running "$pid" && kill "$pid" 2>/dev/null; then stopping+=("$pid"); fi
  for e in "$dir"/*/; do
    e="${e%/}"
    n="$(basename "$e")"
    [[ -S "$e/docker.sock" ]] || continue
    local ids
    ids=$(timeout 10 docker -H "unix://$e/docker.sock" ps -aq 2>/dev/null || true)
    [[ -z "$ids" ]] || timeout 30 docker -H "unix://$e/docker.sock" rm -f $ids >/dev/null 2>&1 || true
    pid=$(cat "$e/dockerd.pid" 2>/dev/null || cat "$e/dockerd.launch-pid" 2>/dev/null || true)
    if [[ -n "$pid" ]] && running "$pid" && kill "$pid" 2>/dev/null; then
      say "stopping dockerd $n"
      stopping+=("$pid")
    fi
  done
  wait_gone "${VERDICT_EXTRA_DOCKERD_GRACE_S:-20}" "${stopping[@]}" || say "still running after the grace: $(still_running "${stopping[@]}" | tr '\n' ' ')"
  # Whatever is left (a daemon past its grace; an engine that was killed leaves its containerd,
  # shims and containers) is SIGKILLed, and waited for: `down` returns once every process is
  # gone, so a caller may check that nothing is left. Only processes that name DIR or live in
  # its cgroups are ever signalled (never a pid that was reused).
  local left socks=""
  for _ in 1 2 3; do
    left=$(still_running $(pids_of "$dir" "$tag" | sort -u))
    [[ -n "$left" ]] || break
    socks="$socks $(shim_sockets_of $left)"
    kill -9 $left 2>/dev/null || true
    wait_gone 20 $left || true
  done
  left=$(still_running $(pids_of "$dir" "$tag" | sort -u))
  if [[ -n "$left" ]]; then
    ps -o pid,ppid,stat,wchan:20,args -p "$(echo $left | tr ' ' ,)" >&2 || true
    die "processes of $dir survived SIGKILL: $(echo $left)"
  fi
  [[ -z "${socks// /}" ]] || rm -f $socks
  # Container cgroups (every hierarchy), deepest first.
  find /sys/fs/cgroup -depth -type d -path "*verdict-engines-$tag-*" -exec rmdir {} + 2>/dev/null || true
  # Mounts (overlay layers, the shm and netns of containers), deepest first.
  awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  rm -rf "$dir"
  [[ ! -e "$dir" ]] || die "could not remove $dir"
}

cmd_sweep() {
  local d owner
  for d in /tmp/verdict-engines-*; do
    [[ -d "$d" ]] || continue
    owner=$(cat "$d/owner.pid" 2>/dev/null || echo "")
    if [[ -z "$owner" ]] || ! kill -0 "$owner" 2>/dev/null; then
      say "removing $d (its owner ${owner:-?} is gone)"
      cmd_down "$d"
    fi
  done
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) shift; cmd_down "$@" ;;
  sweep) shift; cmd_sweep ;;
  revive) shift; cmd_revive "$@" ;;
  *) die "usage: $0 up DIR [--only unix,tls,ssh] [--default-runtime NAME] [--owner PID] | down DIR | revive DIR NAME | sweep" ;;
esac
