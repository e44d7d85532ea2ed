#!/usr/bin/env bash
# What `services:` add to a job's start, both ways, measured in one run on one machine
# (issue 10): a job `services: [postgresql]` + `script: psql -U postgres -c 'select 1'`
# against the same job without services, on
#   (a) the stock image, where the compiled script installs PostgreSQL with apt-get
#       (on demand, every run: the container is new each time), and
#   (b) an image with PostgreSQL pre-installed (scripts/services-image.sh), where the
#       script only starts it.
# Prints wall times (medians of N runs), the time from `service postgresql start` to
# ready as the job log reports it, and the ratio (a)/(b).
# Usage: scripts/bench-services.sh [N]   (env: TRAVIS_LOCAL=binary, IMAGE=base image)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}
IMAGE=${IMAGE:-travis-local/bookworm:ci}
PRE=travis-local/bookworm-services:bench
BIN=${TRAVIS_LOCAL:-}
if [ -z "$BIN" ]; then
  for c in "${CARGO_TARGET_DIR:-target}/release/travis-local" "${CARGO_TARGET_DIR:-target}/debug/travis-local"; do
    if [ -x "$c" ]; then BIN=$(cd "$(dirname "$c")" && pwd)/travis-local; break; fi
  done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || { echo "bench-services: build travis-local first (cargo build) or set TRAVIS_LOCAL" >&2; exit 2; }
docker image inspect "$IMAGE" >/dev/null 2>&1 || { echo "bench-services: $IMAGE missing (scripts/images.sh)" >&2; exit 4; }

WORK=$(mktemp -d /tmp/tl-bench-services.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkrepo() { # mkrepo DIR YAML
  mkdir -p "$1"
  (cd "$1" && git init -q -b master && git config user.email b@example.com && git config user.name B \
    && git remote add origin https://github.com/o/bench.git && printf '%s' "$2" >.travis.yml \
    && git add -A && git commit -qm bench)
}
mkrepo "$WORK/pg" $'language: minimal\nservices: [postgresql]\nscript: psql -U postgres -c \'select 1\'\n'
mkrepo "$WORK/none" $'language: minimal\nscript: true\n'

now() { date +%s.%N; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# job DIR IMAGE → "seconds ready_ms" (fails loudly when the job does not pass)
job() {
  local t0 t1 ready
  t0=$(now)
  (cd "$1" && "$BIN" run --executor docker --image "$2" --pull never --network host --trust-host-ca -v) >"$WORK/log" 2>&1 \
    || { echo "bench-services: job in $1 on $2 failed:" >&2; tail -20 "$WORK/log" >&2; exit 1; }
  t1=$(now)
  ready=$(sed -n 's/.*postgresql is ready (\([0-9]*\) ms after its start command).*/\1/p' "$WORK/log" | head -n 1)
  awk -v a="$t0" -v b="$t1" -v r="${ready:--}" 'BEGIN { printf "%.3f %s\n", b - a, r }'
}

echo "bench-services: $(nproc) CPUs, binary $BIN, base image $IMAGE, N=$N"
t0=$(now)
scripts/services-image.sh "$IMAGE" "$PRE" postgresql >/dev/null 2>"$WORK/build.log" || { cat "$WORK/build.log" >&2; exit 1; }
echo "pre-installed image $PRE built in $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s (once)"
job "$WORK/none" "$IMAGE" >/dev/null   # warm-up: Travis layers of both images
job "$WORK/none" "$PRE" >/dev/null
A=""; B=""; Z=""; RA=""; RB=""
for _ in $(seq "$N"); do
  read -r s r < <(job "$WORK/pg" "$IMAGE"); A="$A $s"; RA="$RA $r"
  read -r s r < <(job "$WORK/pg" "$PRE"); B="$B $s"; RB="$RB $r"
  read -r s _ < <(job "$WORK/none" "$IMAGE"); Z="$Z $s"
done
a=$(echo "$A" | median); b=$(echo "$B" | median); z=$(echo "$Z" | median)
ra=$(echo "$RA" | median); rb=$(echo "$RB" | median)
awk -v a="$a" -v b="$b" -v z="$z" -v ra="$ra" -v rb="$rb" 'BEGIN {
  printf "job without services:                  %6.2f s\n", z
  printf "(a) postgresql installed on demand:    %6.2f s  (+%.2f s; ready %d ms after its start command)\n", a, a - z, ra
  printf "(b) postgresql pre-installed:          %6.2f s  (+%.2f s; ready %d ms after its start command)\n", b, b - z, rb
  printf "on demand / pre-installed:             %6.2fx\n", a / b
  printf "goal: postgresql ready < 5 s when pre-installed: %s\n", ((b - z) < 5 ? "met" : "NOT met")
}'
docker image rm "$PRE" >/dev/null 2>&1 || true
