#!/usr/bin/env bash
# Benchmark of `cache: pip` (issue 10), measured in one run on one machine: a python job
# whose install phase is `pip install` of a few real packages from PyPI, run twice with
# the Docker executor (host networking, the host's CA trusted, as docker-offline.md §8
# needs); the second run restores ~/.cache/pip from the cache volume. Prints the
# install-phase times (from the `travis_time` markers of the install fold) and the ratio
# first/second (goal ≥ 3), plus the whole-job times and the cost of the cache steps.
# Usage: scripts/bench-cache.sh   (env: TRAVIS_LOCAL=path/to/binary, IMAGE=...,
#        PACKAGES="numpy pandas ...", NETWORK=host)
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-travis-local/bookworm:ci}
NETWORK=${NETWORK:-host}
PACKAGES=${PACKAGES:-"docopt==0.6.2 future==0.18.3 termcolor==1.1.0 pyperclip==1.8.2 wget==3.2"}
BIN=${TRAVIS_LOCAL:-}
if [ -z "$BIN" ]; then
  for c in "${CARGO_TARGET_DIR:-target}/release/travis-local" "${CARGO_TARGET_DIR:-target}/debug/travis-local"; do
    if [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/travis-local; break; fi
  done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "bench-cache: build travis-local first (cargo build) or set TRAVIS_LOCAL" >&2; exit 2; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "bench-cache: $IMAGE missing (scripts/images.sh)" >&2; exit 4; }

WORK=$(mktemp -d /tmp/tl-bench-cache.XXXXXX)
export XDG_CACHE_HOME="$WORK/xdg"
cleanup() {
  (cd "$WORK/repo" && "$BIN" cache clear >/dev/null 2>&1) || true
  rm -rf "$WORK"
}
# (BENCH_LOGS=DIR keeps both job logs there.)
trap cleanup EXIT
mkdir -p "$WORK/repo"
# --user: the job runs as travis without a virtualenv; the wheels go to ~/.local, which
# is not cached, so the second run really installs again (from ~/.cache/pip).
YML="language: python
python: '3.11'
cache: pip
install:
  - t0=\$(date +%s%N) && pip install --user --no-warn-script-location $PACKAGES && echo \"BENCH install_ns=\$((\$(date +%s%N) - t0))\"
script:
  - python3 -c 'import sys; print(sys.version)'
"
(cd "$WORK/repo" && git init -q -b master && git config user.email b@example.com && git config user.name B \
  && git remote add origin "https://github.com/o/bench-cache-$$.git" && printf '%s' "$YML" >.travis.yml \
  && git add -A && git commit -qm bench)

run() { # run LOG → prints whole-job seconds
  local t0 t1
  t0=$(date +%s.%N)
  (cd "$WORK/repo" && "$BIN" run --executor docker --image "$IMAGE" --pull never --network "$NETWORK" \
    --trust-host-ca --verbose) >"$1" 2>&1 || { echo "bench-cache: run failed, log:" >&2; cat "$1" >&2; exit 1; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
# Seconds of the install phase, as the job measured it.
install_secs() { # install_secs LOG
  tr '\r' '\n' <"$1" | sed -n 's/^BENCH install_ns=\([0-9]*\).*/\1/p' | awk '{ printf "%.2f", $1 / 1e9 }'
}

echo "bench-cache: $(docker version --format 'engine {{.Server.Version}}'), $(nproc) CPUs, binary $BIN, image $IMAGE, packages: $PACKAGES"
T1=$(run "$WORK/first.log")
T2=$(run "$WORK/second.log")
I1=$(install_secs "$WORK/first.log")
I2=$(install_secs "$WORK/second.log")
if [ -n "${BENCH_LOGS:-}" ]; then cp "$WORK/first.log" "$WORK/second.log" "$BENCH_LOGS/"; fi
grep -q "found cache" "$WORK/second.log" || { echo "bench-cache: the second run found no cache" >&2; cat "$WORK/second.log" >&2; exit 1; }
awk -v i1="$I1" -v i2="$I2" -v t1="$T1" -v t2="$T2" 'BEGIN {
  printf "install phase: first run %.2f s, second run (cache restored) %.2f s: %.2fx faster (goal >= 3x)\n", i1, i2, i1 / i2
  printf "whole job:     first run %.2f s, second run %.2f s: %.2fx\n", t1, t2, t1 / t2
}'
(cd "$WORK/repo" && "$BIN" cache list 2>/dev/null | sed 's/^/  /') || true
