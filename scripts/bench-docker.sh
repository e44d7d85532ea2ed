#!/usr/bin/env bash
# Benchmark of the Docker executor (issue 6), measured in one run on one machine:
#  1. `travis-local run` of a job whose script is `true` versus
#     `docker run --rm IMAGE bash -c true` on the same image: ratio and absolute overhead
#     (medians of N runs each, interleaved, after one warm-up of each that also builds
#     the Travis layer); the same job with --executor host shows the runner's own share.
#  2. `-j 2` on two equal jobs (`sleep 2`) versus one of them alone: parallel efficiency
#     = T(one job) / T(two jobs with -j 2) (1.0 = perfect overlap).
# Usage: scripts/bench-docker.sh [N]   (env: TRAVIS_LOCAL=path/to/binary, IMAGE=...,
#        NETWORK=bridge|host|NAME for both the jobs and the bare `docker run`; default bridge)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5}
IMAGE=${IMAGE:-travis-local/bookworm:ci}
NETWORK=${NETWORK:-bridge}
BIN=${TRAVIS_LOCAL:-}
if [ -z "$BIN" ]; then
  for c in "${CARGO_TARGET_DIR:-target}/release/travis-local" "${CARGO_TARGET_DIR:-target}/debug/travis-local"; do
    if [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/travis-local; break; fi
  done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "bench-docker: build travis-local first (cargo build) or set TRAVIS_LOCAL" >&2; exit 2; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "bench-docker: $IMAGE missing (scripts/images.sh)" >&2; exit 4; }

WORK=$(mktemp -d /tmp/tl-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkrepo() { # mkrepo DIR YAML
  mkdir -p "$1"
  (cd "$1" && git init -q -b master && git config user.email b@example.com && git config user.name B \
    && git remote add origin https://github.com/o/bench.git && printf '%s' "$2" >.travis.yml \
    && git add -A && git commit -qm bench)
}
mkrepo "$WORK/one" $'language: minimal\nscript: true\n'
mkrepo "$WORK/two" $'language: minimal\njobs:\n  include:\n    - script: sleep 2\n    - script: sleep 2\n'

now() { date +%s.%N; }
elapsed() { # elapsed CMD... → seconds (fails loudly if CMD fails)
  local t0 t1
  t0=$(now)
  "$@" >/dev/null 2>"$WORK/err" || { echo "bench-docker: failed: $*" >&2; cat "$WORK/err" >&2; exit 1; }
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

host_one() { (cd "$WORK/one" && "$BIN" run --executor host); }
tl_one() { (cd "$WORK/one" && "$BIN" run --executor docker --image "$IMAGE" --pull never --network "$NETWORK"); }
dk_one() { docker run --rm --network "$NETWORK" "$IMAGE" bash -c true; }
tl_two_par() { (cd "$WORK/two" && "$BIN" run --executor docker --image "$IMAGE" --pull never --network "$NETWORK" -j 2); }
tl_two_one() { (cd "$WORK/two" && "$BIN" run --executor docker --image "$IMAGE" --pull never --network "$NETWORK" 1.1); }

echo "bench-docker: $(docker version --format 'engine {{.Server.Version}} (API {{.Server.APIVersion}})'), $(nproc) CPUs, binary $BIN, image $IMAGE, network $NETWORK, N=$N"
elapsed tl_one >/dev/null   # warm-up (builds the Travis layer if needed)
elapsed dk_one >/dev/null
TL=""; DK=""; HO=""
for _ in $(seq "$N"); do
  TL="$TL $(elapsed tl_one)"
  DK="$DK $(elapsed dk_one)"
  HO="$HO $(elapsed host_one)"
done
tl=$(echo "$TL" | median); dk=$(echo "$DK" | median); ho=$(echo "$HO" | median)
awk -v t="$tl" -v d="$dk" 'BEGIN {
  printf "script: true   travis-local run: %.2f s   docker run --rm: %.2f s   ratio %.2fx   overhead %+.2f s\n", t, d, t / d, t - d }'
echo "  samples travis-local:$TL"
echo "  samples docker run:  $DK"
awk -v t="$tl" -v d="$dk" -v h="$ho" 'BEGIN {
  printf "  split: travis-local run --executor host (runner alone, no container): %.2f s; Docker executor part ~ %.2f s = docker run %+.2f s\n", h, t - h, t - h - d }'
echo "  samples host:       $HO"

ONE=""; PAR=""
for _ in $(seq "$(( N < 3 ? N : 3 ))"); do
  ONE="$ONE $(elapsed tl_two_one)"
  PAR="$PAR $(elapsed tl_two_par)"
done
one=$(echo "$ONE" | median); par=$(echo "$PAR" | median)
awk -v o="$one" -v p="$par" 'BEGIN {
  printf "-j 2: one job (sleep 2): %.2f s   two jobs with -j 2: %.2f s   parallel efficiency %.0f%% (speed-up %.2fx of 2)\n", o, p, 100 * o / p, 2 * o / p }'
echo "  samples one job:$ONE"
echo "  samples -j 2:   $PAR"
