#!/usr/bin/env bash
# Test infrastructure for madengine's integration tests, on a bare Debian bookworm machine (root, no systemd):
# a Docker engine, three Distribution registries, a tiny local base image, podman's Docker-compatible API,
# and a single-node SLURM (munged, slurmctld, slurmd).
#
#   bash scripts/test-infra.sh up       install what is missing, start what is not running (idempotent)
#   bash scripts/test-infra.sh down     stop only the processes this script started (by recorded PID)
#   bash scripts/test-infra.sh status   say what runs; exit 0 only when everything is up
#   bash scripts/test-infra.sh env      print `export` lines for the tests:  eval "$(bash scripts/test-infra.sh env)"
#
# Registries (all on 127.0.0.1, which dockerd treats as an insecure-allowed registry):
#   :5000 anonymous; :5001 htpasswd (user madtest, password generated when it starts);
#   :5002 bearer tokens, signed by a key in the state dir; the token server itself (realm :5003) is run by the
#   tests that need it, so they control which credentials are good.
# State (pidfiles, logs, configs, registry data, credentials) lives in $MADENGINE_INFRA_DIR
# (default /tmp/madengine-test-infra); MADENGINE_INFRA_PORT_BASE moves the four ports (default 5000);
# MADENGINE_INFRA_TIMEOUT bounds each readiness wait (default 60 s).
# Podman: `podman system service` on unix://$STATE_DIR/podman.sock with runc and explicit ulimits (this VM
# lacks CAP_SYS_RESOURCE, and crun fails here); MADENGINE_INFRA_PODMAN=0 skips it.
# SLURM: munged, slurmctld and slurmd (one node, partition `madtest`, 8 CPUs, 8 fake GPUs) with their config in
# $STATE_DIR/slurm/slurm.conf, never /etc/slurm: `env` exports SLURM_CONF for the clients; MADENGINE_INFRA_SLURM=0 skips it.
set -euo pipefail

STATE_DIR="${MADENGINE_INFRA_DIR:-/tmp/madengine-test-infra}"
WAIT_SECONDS="${MADENGINE_INFRA_TIMEOUT:-60}"
DEFAULT_DOCKER_HOST="unix:///var/run/docker.sock"
BASE_IMAGE="madengine/example-base:latest"
# Bump when the base image recipe changes, so `up` rebuilds an outdated image.
BASE_IMAGE_RECIPE="1"
BASE_IMAGE_LABEL="org.madengine.test-base.recipe"
# Ports base..base+3 (default 5000-5003); another base lets a second instance run beside the first.
PORT_BASE="${MADENGINE_INFRA_PORT_BASE:-5000}"
[[ $PORT_BASE =~ ^[0-9]+$ ]] || { echo "MADENGINE_INFRA_PORT_BASE must be a port number, got '$PORT_BASE'" >&2; exit 2; }
PLAIN_ADDR="127.0.0.1:$PORT_BASE"
AUTH_ADDR="127.0.0.1:$((PORT_BASE + 1))"
TOKEN_ADDR="127.0.0.1:$((PORT_BASE + 2))"
TOKEN_REALM="http://127.0.0.1:$((PORT_BASE + 3))/token"
TOKEN_SERVICE="madengine-test-registry"
TOKEN_ISSUER="madengine-test-issuer"
AUTH_USER="madtest"
# chromium: the HTML report is rendered headless in a screenshot test (collect-perf).
PACKAGES=(docker.io docker-registry apache2-utils busybox-static bash-static openssl chromium)

log() { printf '[test-infra] %s\n' "$*" >&2; }
die() { printf '[test-infra] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers

# PID recorded in <name>.pid when that process is still alive and still runs <exe> (guards against PID reuse).
owned_pid() {
  local exe=$2 pidfile="$STATE_DIR/$1.pid" pid cmdline
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"$exe"* ]] || return 1
  printf '%s\n' "$pid"
}

# HTTP status of GET http://<host:port><path>, or 000 when nothing answers. Plain bash (/dev/tcp): no curl needed.
http_status() {
  local addr=$1 path=$2
  (
    exec 3<>"/dev/tcp/${addr%:*}/${addr##*:}" || exit 0
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$addr" >&3
    read -r -t 5 _ code _ <&3 || true
    printf '%s' "${code:-}"
  ) 2>/dev/null | { read -r code || true; printf '%s\n' "${code:-000}"; }
}

docker_answers() { docker info >/dev/null 2>&1; }

wait_until() { # <description> <logfile> <pid or -> <command...>: bounded wait, log tail on failure
  local what=$1 logfile=$2 pid=$3 deadline=$((SECONDS + WAIT_SECONDS)) problem=""
  shift 3
  until "$@"; do
    if [[ $pid != - ]] && ! kill -0 "$pid" 2>/dev/null; then
      problem="exited"
    elif ((SECONDS >= deadline)); then
      problem="did not become ready within ${WAIT_SECONDS}s"
    fi
    if [[ -n $problem ]]; then
      log "$what $problem; last lines of $logfile:"
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
}

stop_owned() { # <name> <exe>: SIGTERM the recorded process, SIGKILL after a bounded wait
  local name=$1 exe=$2 pid deadline
  if pid=$(owned_pid "$name" "$exe"); then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$STATE_DIR/$name.pid"
}

# ---------------------------------------------------------------- up: packages

install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) == 0 ]] || die "packages missing (${missing[*]}) and not root: run 'apt-get install -y ${missing[*]}' as root"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package scripts from starting the packaged services (docker-registry's would take :5000 with its own
  # htpasswd config): Debian's standard policy-rc.d "deny" hook, only for this install and only if none exists.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  # Recommends stay on: that is the combination infra.md verified. Package lists are refreshed only when
  # the install fails without (bare machines have empty lists).
  if ! apt-get install -y "${missing[@]}" >"$STATE_DIR/apt.log" 2>&1; then
    apt-get update >>"$STATE_DIR/apt.log" 2>&1 || { tail -n 20 "$STATE_DIR/apt.log" >&2; die "apt-get update failed"; }
    apt-get install -y "${missing[@]}" >>"$STATE_DIR/apt.log" 2>&1 ||
      { tail -n 20 "$STATE_DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $STATE_DIR/apt.log)"; }
  fi
  if ((own_policy)); then
    rm -f "$policy"
    trap - EXIT
  fi
}


# ---------------------------------------------------------------- up: podman

PODMAN_SOCKET="$STATE_DIR/podman.sock"

podman_answers() { [[ -S $PODMAN_SOCKET ]] && podman --remote --url "unix://$PODMAN_SOCKET" version >/dev/null 2>&1; }

start_podman() {
  [[ ${MADENGINE_INFRA_PODMAN:-1} == 1 ]] || { rm -f "$STATE_DIR/podman-host"; return 0; }
  if ! command -v podman >/dev/null; then
    log "installing podman"
    # Without recommends, as infra.md verified (crun is not needed: runc is configured below).
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends podman >>"$STATE_DIR/apt.log" 2>&1; then
      apt-get update >>"$STATE_DIR/apt.log" 2>&1 || { tail -n 20 "$STATE_DIR/apt.log" >&2; die "apt-get update failed"; }
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends podman >>"$STATE_DIR/apt.log" 2>&1 ||
        { tail -n 20 "$STATE_DIR/apt.log" >&2; die "apt-get install podman failed (log: $STATE_DIR/apt.log)"; }
    fi
  fi
  mkdir -p "$STATE_DIR/podman"
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n' \
    >"$STATE_DIR/podman/containers.conf"
  local pid
  if ! pid=$(owned_pid podman podman); then
    log "podman: starting the Docker-compatible API service (log $STATE_DIR/podman.log)"
    rm -f "$PODMAN_SOCKET"
    CONTAINERS_CONF="$STATE_DIR/podman/containers.conf" setsid podman system service --time=0 "unix://$PODMAN_SOCKET" \
      >"$STATE_DIR/podman.log" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$STATE_DIR/podman.pid"
  fi
  wait_until "podman service" "$STATE_DIR/podman.log" "$pid" podman_answers
  # The base image, imported once from the Docker engine (nothing can be pulled here).
  if ! CONTAINERS_CONF="$STATE_DIR/podman/containers.conf" podman image exists "localhost/$BASE_IMAGE"; then
    docker save "$BASE_IMAGE" | CONTAINERS_CONF="$STATE_DIR/podman/containers.conf" podman load >/dev/null ||
      die "could not load $BASE_IMAGE into podman"
  fi
  printf 'unix://%s\n' "$PODMAN_SOCKET" >"$STATE_DIR/podman-host"
  log "podman: ready at unix://$PODMAN_SOCKET"
}

# ---------------------------------------------------------------- up: SLURM

# A single-node SLURM (slurm-wlm 22.05 + munge) whose config, state, spool, pidfiles and logs all live in
# $STATE_DIR/slurm; /etc/slurm is never written: the daemons get `-f`, clients and jobs get SLURM_CONF (env).
SLURM_DIR="$STATE_DIR/slurm"
SLURM_CONF_FILE="$SLURM_DIR/slurm.conf"
SLURM_PARTITION="madtest"
SLURM_PACKAGES=(slurm-wlm munge)

slurm_enabled() { [[ ${MADENGINE_INFRA_SLURM:-1} == 1 ]]; }

munge_answers() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }

slurmctld_answers() { SLURM_CONF=$SLURM_CONF_FILE scontrol ping 2>/dev/null | grep -q 'is UP'; }

# The node is up (idle when fresh; mixed/allocated while some test's jobs still run after an idempotent `up`).
slurm_node_ready() {
  local state
  state=$(SLURM_CONF=$SLURM_CONF_FILE sinfo -h -p "$SLURM_PARTITION" -o %T 2>/dev/null) || return 1
  [[ $state =~ ^(idle|mixed|allocated|completing)$ ]]
}

write_slurm_config() {
  local host
  host=$(hostname -s)
  mkdir -p "$SLURM_DIR/ctld" "$SLURM_DIR/spool"
  # config_overrides: the node claims 8 CPUs and 4 GiB on a 2-core VM, so several test jobs and `--ntasks=2`
  # fit at once. The 8 GPUs are fake (gres.conf below): SLURM only counts them and sets *_VISIBLE_DEVICES.
  cat >"$SLURM_CONF_FILE" <<EOF
ClusterName=madtest
SlurmctldHost=$host
AuthType=auth/munge
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
StateSaveLocation=$SLURM_DIR/ctld
SlurmdSpoolDir=$SLURM_DIR/spool
SlurmctldPidFile=$STATE_DIR/slurmctld.pid
SlurmdPidFile=$STATE_DIR/slurmd.pid
SlurmctldLogFile=$STATE_DIR/slurmctld.log
SlurmdLogFile=$STATE_DIR/slurmd.log
SlurmdParameters=config_overrides
# Fast, deterministic ends: a job over its --time is killed at the limit (no grace), 2 s from SIGTERM to SIGKILL;
# finished jobs stay visible to squeue/scontrol for 5 minutes (no accounting here, so that is the only record).
KillWait=2
OverTimeLimit=0
InactiveLimit=0
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=60
GresTypes=gpu
NodeName=$host CPUs=8 RealMemory=4096 Gres=gpu:8 State=UNKNOWN
PartitionName=$SLURM_PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  # slurmd (22.05) counts a gpu GRES without File as 0 and drains the node, and wants each File to be a device:
  # eight links to /dev/null give 8 GPUs (CUDA_VISIBLE_DEVICES/ROCR_VISIBLE_DEVICES 0..7) and nothing to touch.
  local i
  mkdir -p "$SLURM_DIR/fake-gpus"
  for i in 0 1 2 3 4 5 6 7; do ln -sfn /dev/null "$SLURM_DIR/fake-gpus/gpu$i"; done
  printf 'AutoDetect=off\nName=gpu File=%s/fake-gpus/gpu[0-7]\n' "$SLURM_DIR" >"$SLURM_DIR/gres.conf"
}

start_slurm_daemon() { # <name> <readiness command...>: start <name> in the foreground under setsid unless ours runs
  local name=$1 pid
  shift
  if ! pid=$(owned_pid "$name" "$name"); then
    log "slurm: starting $name (log $STATE_DIR/$name.log)"
    rm -f "$STATE_DIR/$name.pid"
    SLURM_CONF=$SLURM_CONF_FILE setsid "$name" -D -f "$SLURM_CONF_FILE" >"$STATE_DIR/$name.out" 2>&1 </dev/null &
    pid=$!
    printf '%s\n' "$pid" >"$STATE_DIR/$name.pid"
  fi
  wait_until "$name" "$STATE_DIR/$name.out" "$pid" "$@"
}

start_slurm() {
  slurm_enabled || { rm -f "$STATE_DIR/slurm-env"; return 0; }
  local pid
  command -v slurmctld >/dev/null && command -v munged >/dev/null || die "slurmctld/munged not found after installing ${SLURM_PACKAGES[*]}"
  # munged: the default socket, which auth/munge uses; one that already answers (not ours) is used as it is.
  if munge_answers; then
    if pid=$(owned_pid munged munged); then log "munge: running (ours, pid $pid)"; else log "munge: using the munged already answering (not ours; down leaves it)"; fi
  else
    if ! pid=$(owned_pid munged munged); then
      [[ -s /etc/munge/munge.key ]] || { mungekey --create >/dev/null 2>&1 || die "no /etc/munge/munge.key and mungekey could not create one"; }
      mkdir -p /run/munge /var/lib/munge /var/log/munge
      chown munge:munge /run/munge /var/lib/munge /etc/munge/munge.key 2>/dev/null || true
      log "munge: starting munged (log $STATE_DIR/munged.log)"
      rm -f "$STATE_DIR/munged.pid"
      # --force: it runs as root here, which munged refuses without it.
      setsid munged --foreground --force --pid-file="$STATE_DIR/munged.pid" --log-file="$STATE_DIR/munged.log" \
        >"$STATE_DIR/munged.out" 2>&1 </dev/null &
      pid=$!
      printf '%s\n' "$pid" >"$STATE_DIR/munged.pid"
    fi
    wait_until "munged" "$STATE_DIR/munged.out" "$pid" munge_answers
  fi
  # Daemons read their config once: when it changed (a newer version of this script), restart ours.
  local old
  old=$(cat "$SLURM_CONF_FILE" "$SLURM_DIR/gres.conf" 2>/dev/null || true)
  write_slurm_config
  if [[ $old != "$(cat "$SLURM_CONF_FILE" "$SLURM_DIR/gres.conf")" ]] &&
    { owned_pid slurmctld slurmctld >/dev/null || owned_pid slurmd slurmd >/dev/null; }; then
    log "slurm: the config changed under running daemons; restarting them"
    stop_owned slurmd slurmd
    stop_owned slurmctld slurmctld
  fi
  start_slurm_daemon slurmctld slurmctld_answers
  start_slurm_daemon slurmd slurm_node_ready
  printf 'SLURM_CONF=%s\nMADENGINE_TEST_SLURM_PARTITION=%s\n' "$SLURM_CONF_FILE" "$SLURM_PARTITION" >"$STATE_DIR/slurm-env"
  log "slurm: ready (partition $SLURM_PARTITION, SLURM_CONF=$SLURM_CONF_FILE)"
}

# ---------------------------------------------------------------- up: docker engine

start_docker() {
  local pid
  if docker_answers; then
    if pid=$(owned_pid dockerd dockerd); then
      log "docker engine: running (started by this script, pid $pid)"
    else
      log "docker engine: using the one already answering at ${DOCKER_HOST:-$DEFAULT_DOCKER_HOST} (not ours; down leaves it)"
    fi
    printf '%s\n' "${DOCKER_HOST:-$DEFAULT_DOCKER_HOST}" >"$STATE_DIR/docker-host"
    return 0
  fi
  if ! pid=$(owned_pid dockerd dockerd); then
    [[ -z ${DOCKER_HOST:-} || $DOCKER_HOST == "$DEFAULT_DOCKER_HOST" ]] ||
      die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to let this script start dockerd at $DEFAULT_DOCKER_HOST"
    command -v dockerd >/dev/null || die "dockerd not found after installing docker.io"
    log "docker engine: starting dockerd (log $STATE_DIR/dockerd.log)"
    rm -f "$STATE_DIR/dockerd.pid"
    # A script has no job control, so its background child is no process-group leader and setsid execs in
    # place: $! is dockerd itself (dockerd also writes that PID to its own pidfile, which `down` uses).
    setsid dockerd --host="$DEFAULT_DOCKER_HOST" --pidfile="$STATE_DIR/dockerd.pid" \
      >"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
    pid=$!
  fi
  unset DOCKER_HOST
  wait_until "dockerd" "$STATE_DIR/dockerd.log" "$pid" docker_answers
  printf '%s\n' "$DEFAULT_DOCKER_HOST" >"$STATE_DIR/docker-host"
  log "docker engine: ready"
}

# ---------------------------------------------------------------- up: registries

write_registry_config() ( # <name> <addr> <auth yaml>
  local name=$1 addr=$2 auth=$3 secret
  mkdir -p "$STATE_DIR/$name-data"
  secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  umask 077
  cat >"$STATE_DIR/$name.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE_DIR/$name-data
  delete:
    enabled: true
http:
  addr: $addr
  secret: $secret
$auth
EOF
)

registry_ready() { # <addr>: /v2/ answers 200 (anonymous) or 401 (auth required)
  local code
  code=$(http_status "$1" /v2/)
  [[ $code == 200 || $code == 401 ]]
}

start_registry() { # <name> <addr> <auth yaml> [<prepare function>]
  local name=$1 addr=$2 auth=$3 prepare=${4:-} pid
  if pid=$(owned_pid "$name" docker-registry); then
    wait_until "registry $name" "$STATE_DIR/$name.log" "$pid" registry_ready "$addr"
    log "registry $name: running at $addr (pid $pid)"
    return 0
  fi
  if [[ $(http_status "$addr" /v2/) != 000 ]]; then
    die "$addr is already taken by a process this script did not start; stop it (or run 'down' with the MADENGINE_INFRA_DIR that started it)"
  fi
  [[ -z $prepare ]] || "$prepare"
  write_registry_config "$name" "$addr" "$auth"
  log "registry $name: starting at $addr (log $STATE_DIR/$name.log)"
  setsid docker-registry serve "$STATE_DIR/$name.yml" >"$STATE_DIR/$name.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$STATE_DIR/$name.pid"
  wait_until "registry $name" "$STATE_DIR/$name.log" "$pid" registry_ready "$addr"
}

prepare_auth_registry() ( # new password for every fresh start of the htpasswd registry
  local password
  password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  umask 077
  # -i reads the password from stdin, so it never appears in a process list.
  printf '%s\n' "$password" | htpasswd -iBc "$STATE_DIR/registry-auth.htpasswd" "$AUTH_USER" 2>/dev/null
  cat >"$STATE_DIR/registry-auth.env" <<EOF
MADENGINE_TEST_AUTH_REGISTRY=$AUTH_ADDR
MADENGINE_TEST_REGISTRY_USER=$AUTH_USER
MADENGINE_TEST_REGISTRY_PASSWORD=$password
EOF
  chmod 600 "$STATE_DIR/registry-auth.env" "$STATE_DIR/registry-auth.htpasswd"
)

prepare_token_registry() ( # signing key + self-signed certificate the registry trusts
  mkdir -p "$STATE_DIR/token"
  if [[ ! -s $STATE_DIR/token/key.pem || ! -s $STATE_DIR/token/cert.pem ]]; then
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$TOKEN_ISSUER" \
      -keyout "$STATE_DIR/token/key.pem" -out "$STATE_DIR/token/cert.pem" >"$STATE_DIR/token/openssl.log" 2>&1 ||
      { cat "$STATE_DIR/token/openssl.log" >&2; die "openssl could not create the token signing key"; }
  fi
)

start_registries() {
  start_registry registry-plain "$PLAIN_ADDR" ""
  start_registry registry-auth "$AUTH_ADDR" "auth:
  htpasswd:
    realm: madengine-test
    path: $STATE_DIR/registry-auth.htpasswd" prepare_auth_registry
  [[ -s $STATE_DIR/registry-auth.env ]] || die "registry-auth runs but $STATE_DIR/registry-auth.env is gone; run 'down' then 'up'"
  start_registry registry-token "$TOKEN_ADDR" "auth:
  token:
    realm: $TOKEN_REALM
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $STATE_DIR/token/cert.pem" prepare_token_registry
}

# ---------------------------------------------------------------- up: base image

base_image_current() {
  [[ $(docker image inspect -f "{{ index .Config.Labels \"$BASE_IMAGE_LABEL\" }}" "$BASE_IMAGE" 2>/dev/null) == "$BASE_IMAGE_RECIPE" ]]
}

build_base_image() (
  if base_image_current; then
    log "base image: $BASE_IMAGE present"
    return 0
  fi
  local rootfs applet busybox bash_static
  busybox=$(command -v busybox) || die "busybox not found after installing busybox-static"
  bash_static=/bin/bash-static
  [[ -x $bash_static ]] || die "$bash_static not found after installing bash-static"
  rootfs=$(mktemp -d "$STATE_DIR/rootfs.XXXXXX")
  umask 022
  chmod 755 "$rootfs"
  # Merged /usr like Debian: /bin and /sbin point at usr/bin, so both /bin/sh and /usr/bin/env resolve.
  mkdir -p "$rootfs"/{usr/bin,etc,root,tmp,proc,sys,dev,var/tmp,home}
  ln -s usr/bin "$rootfs/bin"
  ln -s usr/bin "$rootfs/sbin"
  ln -s bin "$rootfs/usr/sbin"
  cp "$busybox" "$rootfs/usr/bin/busybox"
  cp "$bash_static" "$rootfs/usr/bin/bash"
  for applet in $("$busybox" --list); do
    [[ $applet == busybox || $applet == bash || -e $rootfs/usr/bin/$applet ]] || ln -s busybox "$rootfs/usr/bin/$applet"
  done
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 700 "$rootfs/root"
  printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  log "base image: building $BASE_IMAGE"
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -cf - . |
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "LABEL $BASE_IMAGE_LABEL=$BASE_IMAGE_RECIPE" \
      --change 'CMD ["/bin/sh"]' \
      - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  base_image_current || die "docker import did not produce $BASE_IMAGE"
)

# ---------------------------------------------------------------- commands

write_infra_env() (
  local host
  host=$(cat "$STATE_DIR/docker-host" 2>/dev/null || printf '%s' "$DEFAULT_DOCKER_HOST")
  umask 077
  {
    [[ $host == "$DEFAULT_DOCKER_HOST" ]] || printf 'DOCKER_HOST=%s\n' "$host"
    printf 'MADENGINE_TEST_REGISTRY=%s\n' "$PLAIN_ADDR"
    cat "$STATE_DIR/registry-auth.env"
    printf 'MADENGINE_TEST_TOKEN_REGISTRY=%s\n' "$TOKEN_ADDR"
    printf 'MADENGINE_TEST_TOKEN_REALM=%s\n' "$TOKEN_REALM"
    printf 'MADENGINE_TEST_TOKEN_SERVICE=%s\n' "$TOKEN_SERVICE"
    printf 'MADENGINE_TEST_TOKEN_ISSUER=%s\n' "$TOKEN_ISSUER"
    printf 'MADENGINE_TEST_TOKEN_KEY=%s\n' "$STATE_DIR/token/key.pem"
    printf 'MADENGINE_TEST_TOKEN_CERT=%s\n' "$STATE_DIR/token/cert.pem"
    printf 'MADENGINE_TEST_BASE_IMAGE=%s\n' "$BASE_IMAGE"
    [[ -s $STATE_DIR/podman-host ]] && printf 'MADENGINE_TEST_PODMAN_HOST=%s\n' "$(<"$STATE_DIR/podman-host")"
    [[ -s $STATE_DIR/slurm-env ]] && cat "$STATE_DIR/slurm-env"
  } >"$STATE_DIR/infra.env"
  chmod 600 "$STATE_DIR/infra.env"
)

cmd_up() {
  mkdir -p "$STATE_DIR"
  chmod 700 "$STATE_DIR"
  ! slurm_enabled || PACKAGES+=("${SLURM_PACKAGES[@]}")
  install_packages
  start_docker
  start_registries
  build_base_image
  start_podman
  start_slurm
  write_infra_env
  log "up: everything is running (state in $STATE_DIR); for tests: eval \"\$(bash $0 env)\""
}

cmd_down() {
  [[ -d $STATE_DIR ]] || { log "down: nothing to do ($STATE_DIR does not exist)"; return 0; }
  stop_owned slurmd slurmd
  stop_owned slurmctld slurmctld
  if owned_pid munged munged >/dev/null; then
    stop_owned munged munged
  else
    rm -f "$STATE_DIR/munged.pid"
  fi
  stop_owned podman podman
  stop_owned registry-token docker-registry
  stop_owned registry-auth docker-registry
  stop_owned registry-plain docker-registry
  if owned_pid dockerd dockerd >/dev/null; then
    stop_owned dockerd dockerd
  else
    rm -f "$STATE_DIR/dockerd.pid"
    docker_answers && log "docker engine: left running (this script did not start it)"
  fi
  # The password dies with its registry; a later `up` generates a new one.
  rm -f "$STATE_DIR/registry-auth.env" "$STATE_DIR/registry-auth.htpasswd" "$STATE_DIR/infra.env" "$STATE_DIR/docker-host" "$STATE_DIR/podman-host" "$STATE_DIR/slurm-env"
  log "down: stopped what this script started"
}

cmd_status() {
  local ok=0 pid name addr
  if [[ -s $STATE_DIR/docker-host ]]; then export DOCKER_HOST; DOCKER_HOST=$(<"$STATE_DIR/docker-host"); fi
  if docker_answers; then
    if pid=$(owned_pid dockerd dockerd); then echo "docker engine: up (ours, pid $pid)"; else echo "docker engine: up (not ours)"; fi
    if base_image_current; then echo "base image $BASE_IMAGE: present"; else echo "base image $BASE_IMAGE: missing"; ok=1; fi
  else
    echo "docker engine: down"; ok=1
  fi
  for name in registry-plain registry-auth registry-token; do
    case $name in registry-plain) addr=$PLAIN_ADDR ;; registry-auth) addr=$AUTH_ADDR ;; *) addr=$TOKEN_ADDR ;; esac
    if pid=$(owned_pid "$name" docker-registry) && registry_ready "$addr"; then
      echo "$name: up at $addr (pid $pid)"
    else
      echo "$name: down"; ok=1
    fi
  done
  if [[ ${MADENGINE_INFRA_PODMAN:-1} == 1 ]]; then
    if pid=$(owned_pid podman podman) && podman_answers; then echo "podman: up at unix://$PODMAN_SOCKET (pid $pid)"; else echo "podman: down"; ok=1; fi
  fi
  if slurm_enabled; then
    if munge_answers; then
      if pid=$(owned_pid munged munged); then echo "munged: up (ours, pid $pid)"; else echo "munged: up (not ours)"; fi
    else
      echo "munged: down"; ok=1
    fi
    if pid=$(owned_pid slurmctld slurmctld) && slurmctld_answers; then echo "slurmctld: up (pid $pid, SLURM_CONF=$SLURM_CONF_FILE)"; else echo "slurmctld: down"; ok=1; fi
    if pid=$(owned_pid slurmd slurmd) && slurm_node_ready; then
      echo "slurmd: up (pid $pid, partition $SLURM_PARTITION: $(SLURM_CONF=$SLURM_CONF_FILE sinfo -h -p "$SLURM_PARTITION" -o %T 2>/dev/null))"
    else
      echo "slurmd: down"; ok=1
    fi
  fi
  return $ok
}

cmd_env() {
  [[ -s $STATE_DIR/infra.env ]] || die "no $STATE_DIR/infra.env: run 'bash $0 up' first"
  local line
  while IFS= read -r line; do
    [[ -n $line ]] && printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
  done <"$STATE_DIR/infra.env"
  printf 'export MADENGINE_INFRA_DIR=%q\n' "$STATE_DIR"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 up|down|status|env   (state dir: \$MADENGINE_INFRA_DIR, default /tmp/madengine-test-infra)" >&2; exit 2 ;;
esac
