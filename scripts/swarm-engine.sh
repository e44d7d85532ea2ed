#!/usr/bin/env bash
# A private second Docker engine for the remote-engine and swarm tests, never the
# engine everything else uses: its own socket, data root, exec root and pid file, its
# own bridge interface (tlswarm0, 172.31.250.1/24) and no iptables rules, made a single-node swarm advertised on 127.0.0.1 (so
# the main engine is never put in swarm mode). Stands in for remote engines on
# loopback: TLS (--tlsverify) on tcp://127.0.0.1:TLS_PORT with a private CA, server and
# client certificates made with openssl in $DIR/tls, and plain tcp://127.0.0.1:PORT
# through a socat relay to its socket (dockerd's TLS settings apply to all its tcp
# listeners, so it cannot serve both itself).
#
# Usage: scripts/swarm-engine.sh [start | stop | env | status]
#   start   start it unless it runs (idempotent), swarm init, load the test images
#           from the main engine (docker save | docker load); prints the env lines.
#   stop    leave the swarm state on disk but stop the daemon and remove its data.
#   env     print TL_SWARM_HOST=unix://..., TL_SWARM_TCP=tcp://127.0.0.1:PORT,
#           TL_SWARM_TLS=tcp://127.0.0.1:TLS_PORT and TL_SWARM_CERTS=DIR (ca.pem,
#           cert.pem, key.pem of a client; DIR/../wrong-ca holds another CA's ca.pem)
#   status  exit 0 when it answers.
# Environment: TL_SWARM_DIR (default /run/travis-local-swarm for root,
#   else $XDG_RUNTIME_DIR/travis-local-swarm), TL_SWARM_PORT (default 23751),
#   TL_SWARM_TLS_PORT (default 23752). Installs socat and openssl with apt-get when
#   missing.
# Needs root (dockerd). Images: travis-local/busybox:ci and travis-local/bookworm:ci.
#
# NOT `--bridge none`: a dockerd started with it deletes the host's `docker0` link at
# start-up (moby's removeDefaultBridgeInterface), which breaks the main engine's
# default bridge network. The private engine gets its own pre-created bridge instead.
set -euo pipefail

DIR="${TL_SWARM_DIR:-/run/travis-local-swarm}"
DATA="${TL_SWARM_DATA:-/var/lib/travis-local-swarm}"
PORT="${TL_SWARM_PORT:-23751}"
TLS_PORT="${TL_SWARM_TLS_PORT:-23752}"
SOCK="$DIR/docker.sock"
HOST="unix://$SOCK"
TCP="tcp://127.0.0.1:$PORT"
TLS="tcp://127.0.0.1:$TLS_PORT"
CERTS="$DIR/tls"
BRIDGE=tlswarm0
BRIDGE_ADDR=172.31.250.1/24
IMAGES=(travis-local/busybox:ci travis-local/bookworm:ci)

say() { echo "swarm-engine: $*" >&2; }
die() { say "error: $*"; exit 1; }
d() { docker -H "$HOST" "$@"; }
up() { [ -S "$SOCK" ] && d version >/dev/null 2>&1; }
print_env() {
  echo "TL_SWARM_HOST=$HOST"; echo "TL_SWARM_TCP=$TCP"
  echo "TL_SWARM_TLS=$TLS"; echo "TL_SWARM_CERTS=$CERTS/client"
}

# A private CA, a server certificate for 127.0.0.1/localhost, a client certificate
# (the docker CLI's layout: ca.pem, cert.pem, key.pem), and an unrelated CA.
make_certs() {
  [ -f "$CERTS/client/key.pem" ] && [ -f "$CERTS/wrong-ca/ca.pem" ] && return 0
  if ! command -v openssl >/dev/null 2>&1; then
    say "installing openssl (apt-get)"
    apt-get install -y -qq openssl >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq openssl >/dev/null 2>&1; } ||
      die "openssl is needed for the TLS endpoint's certificates"
  fi
  rm -rf "$CERTS"
  mkdir -p "$CERTS/client" "$CERTS/wrong-ca"
  chmod 700 "$CERTS"
  (
    cd "$CERTS"
    ossl() { openssl "$@" 2>/dev/null; }
    ca() {
      ossl req -x509 -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.pem" -days 30 \
        -subj "/CN=travis-local test $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    }
    leaf() { # name CN extensions
      ossl req -newkey rsa:2048 -nodes -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$2"
      printf '%b' "$3" >"$1.ext"
      ossl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 30 \
        -extfile "$1.ext" -out "$1-cert.pem"
    }
    ca ca
    ca other
    leaf server 127.0.0.1 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
    leaf client travis-local-client 'extendedKeyUsage=clientAuth\n'
    cp ca.pem client/ca.pem
    cp client-cert.pem client/cert.pem
    cp client-key.pem client/key.pem
    cp other.pem wrong-ca/ca.pem
    cp client-cert.pem wrong-ca/cert.pem
    cp client-key.pem wrong-ca/key.pem
  )
  [ -f "$CERTS/client/key.pem" ] || die "openssl could not make the test certificates"
}

# Plain tcp on loopback: socat relays to the unix socket.
start_relay() {
  if [ -f "$DIR/socat.pid" ] && kill -0 "$(cat "$DIR/socat.pid")" 2>/dev/null; then
    return 0
  fi
  if ! command -v socat >/dev/null 2>&1; then
    say "installing socat (apt-get)"
    apt-get install -y -qq socat >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq socat >/dev/null 2>&1; } ||
      die "socat is needed for $TCP (apt-get install socat)"
  fi
  setsid socat "TCP-LISTEN:$PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$SOCK" \
    >"$DIR/socat.log" 2>&1 </dev/null &
  echo $! >"$DIR/socat.pid"
}

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
    make_certs
    say "starting dockerd on $HOST and $TLS (TLS; storage $driver, bridge $BRIDGE)"
    echo '{}' >"$DIR/daemon.json"
    setsid dockerd --config-file "$DIR/daemon.json" \
      --host "$HOST" --host "$TLS" \
      --tlsverify --tlscacert "$CERTS/ca.pem" \
      --tlscert "$CERTS/server-cert.pem" --tlskey "$CERTS/server-key.pem" \
      --data-root "$DATA/data" --exec-root "$DATA/exec" \
      --pidfile "$DIR/dockerd.pid" \
      --bridge "$BRIDGE" --iptables=false --ip-masq=false \
      --storage-driver "$driver" \
      >"$DIR/dockerd.log" 2>&1 </dev/null &
    local pid=$!
    for _ in $(seq 300); do up && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    up || { tail -20 "$DIR/dockerd.log" >&2; die "dockerd did not answer on $HOST"; }
  fi
  start_relay
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
  if [ -f "$DIR/socat.pid" ]; then
    kill "$(cat "$DIR/socat.pid")" 2>/dev/null || true
    rm -f "$DIR/socat.pid"
  fi
  rm -f "$DIR/dockerd.pid" "$SOCK"
  rm -rf "$CERTS"
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
