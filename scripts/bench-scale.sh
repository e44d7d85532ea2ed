#!/usr/bin/env bash
# Scale bench: how lint, jobs, compile and run grow with the number of env entries and
# jobs. Generates configs with 1k / 10k / 100k `env.global` entries and 1k / 10k jobs
# (via `env.jobs`, `jobs.include`, `jobs.exclude` and `jobs.allow_failures`), times the
# real binary on each and prints, for every subcommand, the time per size and the ratios
# t(10k)/t(1k) and t(100k)/t(10k) measured in this run (linear growth gives ≈ 10×).
#
#   cargo build --release && bash scripts/bench-scale.sh [--bin PATH] [--runs N] [--run-100k]
#
# `run --executor host` is timed for 1k and 10k env entries (add --run-100k for 100k:
# bash then runs 100k `export` commands). Each figure is the best of N runs (default 3).
set -euo pipefail

BIN="${CARGO_TARGET_DIR:-target}/release/travis-local"
RUNS=3
RUN_100K=0
while [[ $# -gt 0 ]]; do
  case "$1" in
  --bin) BIN="$2"; shift 2 ;;
  --runs) RUNS="$2"; shift 2 ;;
  --run-100k) RUN_100K=1; shift ;;
  -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
  *) echo "bench-scale: unknown argument $1" >&2; exit 2 ;;
  esac
done
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
if [[ ! -x "$BIN" ]]; then
  echo "bench-scale: no binary at $BIN (cargo build --release first, or --bin PATH)" >&2
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/travis-local-bench-scale.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# gen KIND N DIR: a repository DIR whose .travis.yml has N entries of KIND.
gen() {
  local kind="$1" n="$2" dir="$3"
  mkdir -p "$dir"
  awk -v kind="$kind" -v n="$n" 'BEGIN {
    print "language: shell"
    print "os: linux"
    if (kind == "global") {
      print "script: true"
      print "env:"
      print "  global:"
      for (i = 1; i <= n; i++) printf "    - V%06d=value%d\n", i, i
    } else if (kind == "matrix") {
      print "script: true"
      print "env:"
      print "  global:"
      print "    - G=1"
      print "  jobs:"
      for (i = 1; i <= n; i++) printf "    - J=%d\n", i
    } else if (kind == "include") {
      print "jobs:"
      print "  include:"
      for (i = 1; i <= n; i++) {
        printf "    - name: job %d\n", i
        printf "      stage: stage %d\n", i % 7
        printf "      script: echo %d\n", i
      }
    } else if (kind == "exclude") {
      # n jobs from env.jobs, every other one excluded by its own rule
      print "script: true"
      print "env:"
      print "  jobs:"
      for (i = 1; i <= n; i++) printf "    - J=%d\n", i
      print "jobs:"
      print "  exclude:"
      for (i = 1; i <= n; i += 2) printf "    - env: J=%d\n", i
      print "  allow_failures:"
      for (i = 2; i <= n; i += 4) printf "    - env: J=%d\n", i
    } else if (kind == "script") {
      print "script:"
      for (i = 1; i <= n; i++) printf "  - echo line %d\n", i
    }
  }' >"$dir/.travis.yml"
  git -C "$dir" init -q -b master
  git -C "$dir" -c user.email=b@example.com -c user.name=b add .travis.yml
  git -C "$dir" -c user.email=b@example.com -c user.name=b commit -qm bench
}

# best DIR CMD...: best wall time (s) of $RUNS runs of CMD in DIR (output discarded;
# an unexpected exit status aborts the bench).
best() {
  local dir="$1"
  shift
  local best="" i s e t rc
  for ((i = 0; i < RUNS; i++)); do
    s=$(date +%s%N)
    rc=0
    (cd "$dir" && "$@" >/dev/null 2>&1) || rc=$?
    e=$(date +%s%N)
    if [[ $rc -ne 0 && $rc -ne 1 ]]; then
      echo "bench-scale: '$*' in $dir exited $rc" >&2
      exit 1
    fi
    t=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
    if [[ -z "$best" ]] || awk -v t="$t" -v b="$best" 'BEGIN { exit !(t < b) }'; then
      best="$t"
    fi
  done
  echo "$best"
}

FACTS=(--branch master --repo o/r --commit-message bench)
declare -A T

measure() { # measure KIND SIZES... (fills T[KIND/CMD/SIZE])
  local kind="$1" n dir
  shift
  for n in "$@"; do
    dir="$WORK/$kind-$n"
    gen "$kind" "$n" "$dir"
    T[$kind/lint/$n]=$(best "$dir" "$BIN" lint --quiet .travis.yml)
    T[$kind/jobs/$n]=$(best "$dir" "$BIN" jobs "${FACTS[@]}")
    T[$kind/compile/$n]=$(best "$dir" "$BIN" compile "${FACTS[@]}")
  done
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }'; }

report() { # report KIND CMD SIZES...
  local kind="$1" cmd="$2"
  shift 2
  local line prev="" n t
  line=$(printf '%-8s %-8s' "$kind" "$cmd")
  for n in "$@"; do
    t="${T[$kind/$cmd/$n]:-}"
    [[ -z "$t" ]] && continue
    line+=$(printf '  %6s: %7.3f s' "$((n / 1000))k" "$t")
    if [[ -n "$prev" ]]; then
      line+=$(printf ' (%s)' "$(ratio "$prev" "$t")")
    fi
    prev="$t"
  done
  echo "$line"
}

echo "travis-local scale bench: $BIN, best of $RUNS, $(nproc) CPUs"
measure global 1000 10000 100000
measure matrix 1000 10000
measure include 1000 10000
measure exclude 1000 10000
measure script 1000 10000 100000

RUN_SIZES=(1000 10000)
[[ $RUN_100K == 1 ]] && RUN_SIZES+=(100000)
for n in "${RUN_SIZES[@]}"; do
  T[global/run/$n]=$(best "$WORK/global-$n" "$BIN" run --executor host "${FACTS[@]}")
done

echo
echo "times (ratio to the previous size; linear growth ≈ 10.0x)"
for cmd in lint jobs compile; do report global "$cmd" 1000 10000 100000; done
report global run 1000 10000 100000
for kind in matrix include exclude; do
  for cmd in lint jobs compile; do report "$kind" "$cmd" 1000 10000; done
done
for cmd in lint jobs compile; do report script "$cmd" 1000 10000 100000; done
