#!/usr/bin/env bash
# The project's test command (README: "Running the tests"). Prepares what the tests
# need on a fresh machine (offline Docker images, local services), then runs the whole
# test suite with cargo-nextest.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --all-targets
# `lint --shellcheck` tests need Debian's shellcheck.
if ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing shellcheck (apt-get)" >&2
  apt-get install -y -qq shellcheck >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 || true; apt-get install -y -qq shellcheck >/dev/null; } ||
    echo "test.sh: warning: could not install shellcheck" >&2
fi
if [ -f scripts/images.sh ] && docker info >/dev/null 2>&1; then
  bash scripts/images.sh
fi
# The private second engine (single-node swarm; plain tcp, TLS) of tests/swarm.rs and
# tests/remote.rs, and the private sshd in front of it (ssh://); both stopped on exit.
if [ -f scripts/swarm-engine.sh ] && [ "$(id -u)" = 0 ] && command -v dockerd >/dev/null 2>&1 \
   && docker info >/dev/null 2>&1; then
  trap 'bash scripts/ssh-engine.sh stop || true; bash scripts/swarm-engine.sh stop || true' EXIT
  bash scripts/swarm-engine.sh start >/dev/null
  bash scripts/ssh-engine.sh start >/dev/null ||
    echo "test.sh: warning: the private sshd did not start (tests/remote.rs's ssh test fails under CI=true)" >&2
fi
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
