#!/usr/bin/env bash
# A private second Docker engine for the remote-engine and swarm tests, never the
# engine everything else uses: its own socket, data root, exec root and pid file, its
# own bridge interface (tlswarm0, 172.31.250.1/24) and no iptables rules, made a single-node swarm advertised on 127.0.0.1 (so
# the main engine is never put in swarm mode). Also listens on tcp://127.0.0.1:PORT
# (plain, loopback only) to stand in for a remote engine.
#
# Usage: scripts/swarm-engine.sh [start | stop | env | status]
#   start   start it unless it runs (idempotent), swarm init, load the test images
#           from the main engine (docker save | docker load); prints the env lines.
#   stop    leave the swarm state on disk but stop the daemon and remove its data.
#   env     print TL_SWARM_HOST=unix://... and TL_SWARM_TCP=tcp://127.0.0.1:PORT
#   status  exit 0 when it answers.
# Environment: TL_SWARM_DIR (default /run/travis-local-swarm for root,
#   else $XDG_RUNTIME_DIR/travis-local-swarm), TL_SWARM_PORT (default 23751).
# Needs root (dockerd). Images: travis-local/busybox:ci and travis-local/bookworm:ci.
#
# NOT `--bridge none`: a dockerd started with it deletes the host's `docker0` link at
# start-up (moby's removeDefaultBridgeInterface), which breaks the main engine's
# default bridge network. The private engine gets its own pre-created bridge instead.
set -euo pipefail

DIR="${TL_SWARM_DIR:-/run/travis-local-swarm}"
DATA="${TL_SWARM_DATA:-/var/lib/travis-local-swarm}"
PORT="${TL_SWARM_PORT:-23751}"
SOCK="$DIR/docker.sock"
HOST="unix://$SOCK"
TCP="tcp://127.0.0.1:$PORT"
BRIDGE=tlswarm0
BRIDGE_ADDR=172.31.250.1/24
IMAGES=(travis-local/busybox:ci travis-local/bookworm:ci)

say() { echo "swarm-engine: $*" >&2; }
die() { say "error: $*"; exit 1; }
d() { docker -H "$HOST" "$@"; }
up() { [ -S "$SOCK" ] && d version >/dev/null 2>&1; }
print_env() { echo "TL_SWARM_HOST=$HOST"; echo "TL_SWARM_TCP=$TCP"; }

mkdir -p "$DIR"
# One invocation at a time; flock -o keeps the lock in flock's own process, so the
# dockerd started below does not inherit (and hold) it.
if [ "${1:-start}" != status ] && [ -z "${TL_SWARM_LOCKED:-}" ]; then
  TL_SWARM_LOCKED=1 exec flock -o -w 600 "$DIR/lock" bash "$0" "$@"
fi

start() {
  [ "$(id -u)" = 0 ] || die "needs root (it starts dockerd)"
  if ! up; then
    mkdir -p "$DATA/data" "$DATA/exec"
    local driver="${TL_SWARM_STORAGE:-}"
    if [ -z "$driver" ]; then
      driver="$(docker info --format '{{.Driver}}' 2>/dev/null || echo vfs)"
    fi
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
      ip link add "$BRIDGE" type bridge
      ip addr add "$BRIDGE_ADDR" dev "$BRIDGE"
      ip link set "$BRIDGE" up
    fi
    say "starting dockerd on $HOST and $TCP (storage $driver, bridge $BRIDGE)"
    echo '{}' >"$DIR/daemon.json"
    setsid dockerd --config-file "$DIR/daemon.json" \
      --host "$HOST" --host "$TCP" \
      --data-root "$DATA/data" --exec-root "$DATA/exec" \
      --pidfile "$DIR/dockerd.pid" \
      --bridge "$BRIDGE" --iptables=false --ip-masq=false \
      --storage-driver "$driver" \
      >"$DIR/dockerd.log" 2>&1 </dev/null &
    local pid=$!
    for _ in $(seq 300); do up && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    up || { tail -20 "$DIR/dockerd.log" >&2; die "dockerd did not answer on $HOST"; }
  fi
  if [ "$(d info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
    say "swarm init (advertised on 127.0.0.1)"
    d swarm init --advertise-addr 127.0.0.1 --listen-addr 127.0.0.1:23771 >/dev/null
  fi
  local missing=()
  for image in "${IMAGES[@]}"; do
    if ! d image inspect "$image" >/dev/null 2>&1 && docker image inspect "$image" >/dev/null 2>&1; then
      missing+=("$image")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "loading ${missing[*]} from the main engine"
    docker save "${missing[@]}" | d load >/dev/null
  fi
  print_env
}

stop() {
  if [ -f "$DIR/dockerd.pid" ]; then
    local pid; pid="$(cat "$DIR/dockerd.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      say "stopped dockerd ($pid)"
    fi
  fi
  rm -f "$DIR/dockerd.pid" "$SOCK"
  ip link del "$BRIDGE" 2>/dev/null || true
  # swarm init made docker_gwbridge in the host's namespace; the main engine is never
  # in swarm mode, so it is ours unless the main engine has such a network.
  if ! docker network inspect docker_gwbridge >/dev/null 2>&1; then
    ip link del docker_gwbridge 2>/dev/null || true
  fi
  if [ "${TL_SWARM_KEEP_DATA:-}" != 1 ] && [ -d "$DATA" ]; then
    # Mounts of the private engine (overlay/fuse) must go before the data.
    grep -o " $DATA[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$DATA"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status) up ;;
  *) die "usage: $0 [start|stop|env|status]" ;;
esac
