#!/usr/bin/env bash
# Bake services into a job image, so that `services:` start in a second instead of
# being installed with apt-get on every run (the opt-in "pre-installed" mode).
# Usage: scripts/services-image.sh BASE TAG SERVICE...
#   e.g. scripts/services-image.sh travis-local/bookworm:ci my/bookworm-db:ci postgresql redis
# Then point the job at TAG: `--image TAG`, or `.travis-local/config.yml` `images: {default: TAG}`.
# The build uses host networking (the Debian archive is reachable only that way on
# offline machines, docker-offline.md §8). Debian-based images only (apt-get).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 BASE TAG SERVICE..." >&2; exit 2; }
BASE=$1 TAG=$2
shift 2
PKGS=""
for s in "$@"; do
  case "$s" in
    postgresql) PKGS="$PKGS postgresql" ;;
    mysql|mariadb) PKGS="$PKGS mariadb-server" ;;
    redis|redis-server) PKGS="$PKGS redis-server" ;;
    memcached|memcache) PKGS="$PKGS memcached" ;;
    rabbitmq|rabbitmq-server) PKGS="$PKGS rabbitmq-server" ;;
    xvfb) PKGS="$PKGS xvfb" ;;
    *) echo "$0: $s has no Debian package (see crates/script/src/services.rs)" >&2; exit 2 ;;
  esac
done
CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
cat >"$CTX/Dockerfile" <<DOCKERFILE
FROM $BASE
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends $PKGS \\
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q --network host -t "$TAG" "$CTX"
