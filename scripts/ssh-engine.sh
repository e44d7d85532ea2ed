#!/usr/bin/env bash
# A private sshd in front of the private engine of scripts/swarm-engine.sh, standing in
# for an `ssh://` Docker host: its own config, host key, authorized key and pid file in
# $DIR, listening on 127.0.0.1:PORT only, never the machine's own sshd. The authorized
# key's forced command runs the client's command (`docker system dial-stdio`) with
# DOCKER_HOST pointing at the private engine, so `ssh://root@127.0.0.1:PORT` reaches it.
#
# Usage: scripts/ssh-engine.sh [start | stop | env | status]
#   start   start it unless it runs (idempotent; installs openssh-server with apt-get
#           when sshd is missing); prints the env lines.
#   stop    stop sshd and remove $DIR.
#   env     print TL_SSH_HOST=ssh://root@127.0.0.1:PORT and TL_SSH_CONFIG=FILE (an ssh
#           client config with the key and known_hosts; travis-local reads it from
#           TRAVIS_LOCAL_SSH_CONFIG).
#   status  exit 0 when it answers.
# Environment: TL_SSH_DIR (default /run/travis-local-ssh), TL_SSH_PORT (default 23753),
#   TL_SWARM_HOST (the engine, default unix:///run/travis-local-swarm/docker.sock).
# Needs root (sshd, and the login is root's).
set -euo pipefail

DIR="${TL_SSH_DIR:-/run/travis-local-ssh}"
PORT="${TL_SSH_PORT:-23753}"
ENGINE="${TL_SWARM_HOST:-unix:///run/travis-local-swarm/docker.sock}"
USER_NAME=root

say() { echo "ssh-engine: $*" >&2; }
die() { say "error: $*"; exit 1; }
print_env() {
  echo "TL_SSH_HOST=ssh://$USER_NAME@127.0.0.1:$PORT"
  echo "TL_SSH_CONFIG=$DIR/ssh_config"
}
up() {
  [ -f "$DIR/ssh_config" ] &&
    ssh -F "$DIR/ssh_config" -p "$PORT" "$USER_NAME@127.0.0.1" -- true >/dev/null 2>&1
}

start() {
  [ "$(id -u)" = 0 ] || die "needs root (it starts sshd)"
  if up; then print_env; return 0; fi
  if ! command -v sshd >/dev/null 2>&1 && [ ! -x /usr/sbin/sshd ]; then
    say "installing openssh-server (apt-get)"
    # policy-rc.d: the package must not start the machine's own sshd.
    local policy=/usr/sbin/policy-rc.d created=
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created=1; fi
    { apt-get install -y -qq openssh-server >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq openssh-server >/dev/null 2>&1; }; } ||
      { [ -n "$created" ] && rm -f "$policy"; die "cannot install openssh-server"; }
    [ -n "$created" ] && rm -f "$policy"
  fi
  command -v ssh >/dev/null 2>&1 || die "the ssh client is missing"
  stop_sshd
  mkdir -p "$DIR" /run/sshd
  chmod 700 "$DIR"
  [ -f "$DIR/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C travis-local-test-host -f "$DIR/host_key"
  [ -f "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C travis-local-test-client -f "$DIR/client_key"
  printf 'command="exec env DOCKER_HOST=%s sh -c \\"$SSH_ORIGINAL_COMMAND\\"",no-agent-forwarding,no-X11-forwarding,no-pty %s\n' \
    "$ENGINE" "$(cat "$DIR/client_key.pub")" >"$DIR/authorized_keys"
  echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/host_key.pub")" >"$DIR/known_hosts"
  cat >"$DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $USER_NAME
UsePAM no
StrictModes no
MaxSessions 200
MaxStartups 100
LogLevel ERROR
EOF
  cat >"$DIR/ssh_config" <<EOF
Host *
  User $USER_NAME
  IdentityFile $DIR/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $DIR/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
  "$(command -v sshd || echo /usr/sbin/sshd)" -f "$DIR/sshd_config" -E "$DIR/sshd.log"
  for _ in $(seq 100); do up && break; sleep 0.1; done
  up || { tail -20 "$DIR/sshd.log" >&2 || true; die "sshd did not answer on 127.0.0.1:$PORT"; }
  say "sshd on 127.0.0.1:$PORT (engine $ENGINE)"
  print_env
}

stop_sshd() {
  if [ -f "$DIR/sshd.pid" ]; then
    local pid; pid="$(cat "$DIR/sshd.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      say "stopped sshd ($pid)"
    fi
    rm -f "$DIR/sshd.pid"
  fi
}

stop() {
  stop_sshd
  rm -rf "$DIR"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status) up ;;
  *) die "usage: $0 [start|stop|env|status]" ;;
esac
