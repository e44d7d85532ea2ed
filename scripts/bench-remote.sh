#!/usr/bin/env bash
# Per-job overhead of a trivial job (`script: true`) through each transport to the SAME
# engine (the private engine of scripts/swarm-engine.sh, with scripts/ssh-engine.sh in
# front of it): unix socket (bind mount), unix socket with --ship-tree, plain tcp
# (socat relay), TLS (dockerd --tlsverify) and ssh:// (private sshd, dial-stdio).
# Prints the median wall time of N runs of `travis-local run` for each, and each one's
# difference to the unix socket.
#
# Usage: scripts/bench-remote.sh [N]   (default 5; needs both private engines started)
# BIN=path/to/travis-local (default target/release/travis-local, else target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5}"
BIN="${BIN:-}"
if [ -z "$BIN" ]; then
  BIN=target/release/travis-local
  [ -x "$BIN" ] || BIN=target/debug/travis-local
fi
BIN="$(realpath "$BIN")"
eval "$(bash scripts/swarm-engine.sh env)"
eval "$(bash scripts/ssh-engine.sh env)"
IMAGE=travis-local/bookworm:ci

repo="$(mktemp -d)"
trap 'rm -rf "$repo" "$repo.log"' EXIT
(
  cd "$repo"
  git init -q
  printf 'language: minimal\nscript: true\n' >.travis.yml
  git add .travis.yml
  git -c user.email=bench@example.invalid -c user.name=bench commit -qm bench
)

# median of N wall times (seconds) of: env VARS... travis-local run
median() {
  local times=()
  for _ in $(seq "$N"); do
    local start end
    start=$(date +%s.%N)
    (cd "$repo" && env "$@" "$BIN" run --executor docker --image "$IMAGE" --pull never \
      --network host ${SHIP:+--ship-tree} >"$repo.log" 2>&1) || { echo "run failed: $*" >&2; tail -5 "$repo.log" >&2; return 1; }
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

base_env=(DOCKER_CONTEXT= DOCKER_TLS_VERIFY=)
# One warm-up run per transport (layer tags, ssh host key checks).
for h in "$TL_SWARM_HOST" "$TL_SWARM_TCP"; do
  (cd "$repo" && env "${base_env[@]}" DOCKER_HOST="$h" "$BIN" run --image "$IMAGE" --pull never --network host >/dev/null 2>&1) || true
done

unix=$(median "${base_env[@]}" DOCKER_HOST="$TL_SWARM_HOST")
ship=$(SHIP=1 median "${base_env[@]}" DOCKER_HOST="$TL_SWARM_HOST")
tcp=$(median "${base_env[@]}" DOCKER_HOST="$TL_SWARM_TCP")
tls=$(median DOCKER_CONTEXT= DOCKER_HOST="$TL_SWARM_TLS" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$TL_SWARM_CERTS")
ssh=$(median "${base_env[@]}" DOCKER_HOST="$TL_SSH_HOST" TRAVIS_LOCAL_SSH_CONFIG="$TL_SSH_CONFIG")

echo "binary: $BIN; median of $N runs of a script: true job; same engine for all"
printf '%-28s %8s %8s\n' transport seconds "vs unix"
row() { printf '%-28s %8.2f %+8.2f\n' "$1" "$2" "$(echo "$2 - $unix" | bc)"; }
row "unix socket (bind mount)" "$unix"
row "unix socket, --ship-tree" "$ship"
row "tcp (plain, socat relay)" "$tcp"
row "tcp + TLS (--tlsverify)" "$tls"
row "ssh:// (dial-stdio)" "$ssh"
