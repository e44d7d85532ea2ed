#!/usr/bin/env bash
# Local services for travis-local's ECR end-to-end tests, on loopback only:
#   - an ECR API emulator: moto's server mode (PyPI), in a venv under the cache dir;
#   - a Docker registry: Debian's `docker-registry` (distribution 2.8) on
#     127.0.0.1:5000 with htpasswd basic auth for user AWS, whose password is
#     what moto's ECR authorization token decodes to.
#
# Usage: scripts/e2e-services.sh [start [--fresh-registry] | stop | status]
#   start (default)   start whatever is not running yet (idempotent); with
#                     --fresh-registry, restart the registry with empty storage.
#                     Prints KEY=VALUE lines on stdout (MOTO_URL, REGISTRY,
#                     REGISTRY_USER, REGISTRY_PASSWORD); messages go to stderr.
#   stop              stop both services (by the pids this script recorded).
#   status            say what is running.
# Environment: TL_E2E_DIR (state/cache dir, default ~/.cache/travis-local-e2e),
#   TL_MOTO_PORT (default 5001). The registry port is 5000: Docker treats
#   127.0.0.0/8 registries as insecure (plain HTTP) by default.
set -euo pipefail

STATE="${TL_E2E_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/travis-local-e2e}"
MOTO_PORT="${TL_MOTO_PORT:-5001}"
REGISTRY_ADDR="127.0.0.1:5000"
MOTO_URL="http://127.0.0.1:${MOTO_PORT}"
REALM="travis-local-e2e"

say() { echo "e2e-services: $*" >&2; }
die() { say "error: $*"; exit 1; }

mkdir -p "$STATE"
# One invocation at a time (tests running in parallel may all call `start`).
exec 9>"$STATE/lock"
if command -v flock >/dev/null 2>&1; then
  flock -w 600 9 || die "could not lock $STATE/lock"
fi

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_one() { # name pidfile
  if pid_alive "$2"; then
    kill "$(cat "$2")" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$2" || break; sleep 0.1; done
    say "stopped $1"
  fi
  rm -f "$2"
}

http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" || true; }

moto_up() { [ "$(http_code "$MOTO_URL/moto-api/")" = 200 ]; }

# The registry answers 401 with our realm when it is ours.
registry_ours() {
  curl -s -m 3 -D - -o /dev/null "http://$REGISTRY_ADDR/v2/" 2>/dev/null |
    grep -qi "www-authenticate: basic realm=\"$REALM\""
}

wait_for() { # description seconds command...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq $((secs * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}

ensure_moto() {
  local venv="$STATE/moto-venv"
  if [ ! -x "$venv/bin/moto_server" ] || [ ! -f "$venv/.complete" ]; then
    say "installing moto (server mode) and bcrypt from PyPI into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
    # `moto[server]` would also pull cfn-lint, sympy, ...; ECR in server mode only
    # needs moto plus flask and flask-cors (about 140 MB instead of 320).
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      'moto>=5,<6' flask flask-cors bcrypt >&2 || die "pip install of moto failed"
    touch "$venv/.complete"
  fi
  if ! moto_up; then
    if moto_port_busy; then
      die "port $MOTO_PORT is taken by something that is not moto (set TL_MOTO_PORT)"
    fi
    say "starting moto_server on $MOTO_URL (log: $STATE/moto.log)"
    nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" </dev/null >"$STATE/moto.log" 2>&1 9>&- &
    echo $! >"$STATE/moto.pid"
    wait_for moto 60 moto_up || die "moto_server did not come up; see $STATE/moto.log"
  fi
}

moto_port_busy() { [ "$(http_code "$MOTO_URL/")" != 000 ]; }

# What the ECR token decodes to: ask moto, as travis-local will.
moto_password() {
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
    "$STATE/moto-venv/bin/python" - "$MOTO_URL" <<'PY'
import base64, sys
import boto3
ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=sys.argv[1])
token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
user, password = base64.b64decode(token).decode().split(":", 1)
assert user == "AWS", user
print(password)
PY
}

ensure_registry_binary() {
  if command -v docker-registry >/dev/null 2>&1; then
    REGISTRY_BIN="$(command -v docker-registry)"
    return
  fi
  REGISTRY_BIN="$STATE/docker-registry-deb/usr/bin/docker-registry"
  if [ ! -x "$REGISTRY_BIN" ]; then
    say "fetching Debian's docker-registry package (unpacked, not installed: no service is started)"
    local dl="$STATE/deb-download"
    rm -rf "$dl" && mkdir -p "$dl"
    (cd "$dl" && apt-get download docker-registry >&2) ||
      { (apt-get update >&2 && cd "$dl" && apt-get download docker-registry >&2) ||
        die "apt-get download docker-registry failed"; }
    dpkg-deb -x "$dl"/docker-registry_*.deb "$STATE/docker-registry-deb"
    rm -rf "$dl"
    [ -x "$REGISTRY_BIN" ] || die "no docker-registry binary in the package"
  fi
}

write_registry_config() { # password
  local hash_file="$STATE/htpasswd"
  # htpasswd needs bcrypt; regenerate only when the password changed.
  if [ ! -f "$hash_file" ] || ! "$STATE/moto-venv/bin/python" -c '
import bcrypt, sys
line = open(sys.argv[1]).read().strip()
user, h = line.split(":", 1)
sys.exit(0 if user == "AWS" and bcrypt.checkpw(sys.argv[2].encode(), h.encode()) else 1)
' "$hash_file" "$1" 2>/dev/null; then
    "$STATE/moto-venv/bin/python" -c '
import bcrypt, sys
print("AWS:" + bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(rounds=10)).decode())
' "$1" >"$hash_file.tmp"
    mv "$hash_file.tmp" "$hash_file"
  fi
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $STATE/registry-data
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
auth:
  htpasswd:
    realm: $REALM
    path: $hash_file
EOF
}

ensure_registry() { # password fresh
  if [ "$2" = 1 ]; then
    stop_one registry "$STATE/registry.pid"
    wait_for "registry stop" 10 bash -c "! curl -s -m 1 -o /dev/null http://$REGISTRY_ADDR/v2/" || true
    rm -rf "$STATE/registry-data"
  fi
  if registry_ours; then
    return
  fi
  if [ "$(http_code "http://$REGISTRY_ADDR/v2/")" != 000 ]; then
    die "$REGISTRY_ADDR is taken by a service that is not this script's registry"
  fi
  mkdir -p "$STATE/registry-data"
  say "starting docker-registry on $REGISTRY_ADDR (log: $STATE/registry.log)"
  nohup "$REGISTRY_BIN" serve "$STATE/registry.yml" </dev/null >"$STATE/registry.log" 2>&1 9>&- &
  echo $! >"$STATE/registry.pid"
  wait_for registry 30 registry_ours || die "docker-registry did not come up; see $STATE/registry.log"
}

start() {
  local fresh=0
  for arg in "$@"; do
    case "$arg" in
      --fresh-registry) fresh=1 ;;
      *) die "unknown option $arg" ;;
    esac
  done
  command -v curl >/dev/null || die "curl is needed"
  ensure_moto
  local password
  password="$(moto_password)" || die "moto did not return an ECR authorization token"
  ensure_registry_binary
  write_registry_config "$password"
  if [ "$fresh" = 0 ] && registry_ours &&
    [ "$(http_code -u "AWS:$password" "http://$REGISTRY_ADDR/v2/")" != 200 ]; then
    # Running with an older password file: restart to pick up the new one.
    fresh=1
  fi
  ensure_registry "$password" "$fresh"
  [ "$(http_code -u "AWS:$password" "http://$REGISTRY_ADDR/v2/")" = 200 ] ||
    die "the registry refuses AWS:<moto's token password>"
  say "ready: moto at $MOTO_URL, registry at $REGISTRY_ADDR (user AWS, password = moto's ECR token)"
  say "stop with: $0 stop"
  echo "MOTO_URL=$MOTO_URL"
  echo "REGISTRY=$REGISTRY_ADDR"
  echo "REGISTRY_USER=AWS"
  echo "REGISTRY_PASSWORD=$password"
}

case "${1:-start}" in
  start) shift || true; start "$@" ;;
  stop)
    stop_one moto "$STATE/moto.pid"
    stop_one registry "$STATE/registry.pid"
    ;;
  status)
    if moto_up; then say "moto: up at $MOTO_URL"; else say "moto: down"; fi
    if registry_ours; then say "registry: up at $REGISTRY_ADDR"; else say "registry: down"; fi
    ;;
  *) die "usage: $0 [start [--fresh-registry] | stop | status]" ;;
esac
