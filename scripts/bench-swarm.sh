#!/usr/bin/env bash
# Benchmark of `--executor swarm` (issue 13), measured in one run on one machine,
# against the private single-node swarm of scripts/swarm-engine.sh (must be running):
#  1. per-job overhead: a job whose script is `true`, --executor swarm on the private
#     engine versus --executor docker on the main engine (medians of N runs each,
#     interleaved, after one warm-up of each that builds the Travis layer);
#  2. a 20-job matrix (`sleep 1` each): --executor swarm with no -j (the whole stage
#     submitted) versus --executor docker -j 2 on the main engine. Prints the ratios.
# Usage: scripts/bench-swarm.sh [N]   (env: TRAVIS_LOCAL=path/to/binary, IMAGE=...)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
IMAGE=${IMAGE:-travis-local/bookworm:ci}
SWARM=${TL_SWARM_HOST:-unix:///run/travis-local-swarm/docker.sock}
BIN=${TRAVIS_LOCAL:-}
if [ -z "$BIN" ]; then
  for c in target/release/travis-local target/debug/travis-local; do
    if [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/travis-local; break; fi
  done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "bench-swarm: build travis-local first" >&2; exit 2; }
[ "$(docker -H "$SWARM" info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] \
  || { echo "bench-swarm: no swarm manager at $SWARM (bash scripts/swarm-engine.sh start)" >&2; exit 4; }

WORK=$(mktemp -d /tmp/tl-bench-swarm.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkrepo() { # mkrepo DIR YAML
  mkdir -p "$1"
  (cd "$1" && git init -q -b master && git config user.email b@example.com && git config user.name B \
    && git remote add origin https://github.com/o/bench.git && printf '%s' "$2" >.travis.yml \
    && git add -A && git commit -qm bench)
}
now() { date +%s.%N; }
timed() { # timed CMD... → seconds on stdout
  local t0 t1; t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
  echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

mkrepo "$WORK/one" $'language: minimal\nscript: true\n'
env20=$(for i in $(seq 20); do printf -- '  - N=%d\n' "$i"; done)
mkrepo "$WORK/twenty" "$(printf 'language: minimal\nenv:\n%s\nscript: sleep 1\n' "$env20")"

swarm() { (cd "$1" && DOCKER_HOST=$SWARM "$BIN" run --executor swarm --network host --image "$IMAGE" --pull never "${@:2}"); }
dock() { (cd "$1" && "$BIN" run --executor docker --image "$IMAGE" --pull never "${@:2}"); }

swarm "$WORK/one" >/dev/null 2>&1 || true
dock "$WORK/one" >/dev/null 2>&1 || true
: >"$WORK/s"; : >"$WORK/d"
for _ in $(seq "$N"); do
  timed swarm "$WORK/one" >>"$WORK/s"
  timed dock "$WORK/one" >>"$WORK/d"
done
S=$(median <"$WORK/s"); D=$(median <"$WORK/d")
printf 'one job (script: true), median of %d: swarm %.2f s, docker %.2f s, ratio %.2f, swarm overhead per job %+.2f s\n' \
  "$N" "$S" "$D" "$(echo "$S / $D" | bc -l)" "$(echo "$S - $D" | bc -l)"
S20=$(timed swarm "$WORK/twenty")
D20=$(timed dock "$WORK/twenty" -j 2)
printf '20-job matrix (sleep 1 each): swarm (whole stage) %.1f s, docker -j 2 %.1f s, ratio %.2f\n' \
  "$S20" "$D20" "$(echo "$S20 / $D20" | bc -l)"
