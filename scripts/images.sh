#!/usr/bin/env bash
# Builds the offline test images, each only if it is missing (no registry needed):
#   travis-local/bookworm:ci  debootstrap Debian bookworm + the packages the tests and the
#                             demo need, imported with `docker import` (job image, API base,
#                             nginx base).
#   travis-local/busybox:ci   FROM scratch + Debian's static busybox (small, fast tests).
# Needs root (debootstrap) and a reachable Docker engine. Safe to run concurrently: a
# lock serialises builders. Set TL_IMAGES_FORCE=1 to rebuild even when present.
# The host's extra CA certificates (/usr/local/share/ca-certificates) are trusted in the
# bookworm image unless TL_TRUST_HOST_CA=0.
# The bookworm image's recipe (suite, packages, host CAs) lives in .travis-local/config.yml,
# from which `travis-local run` builds it on demand. Here it is built with `travis-local
# image build` from that recipe when a built binary is found (TRAVIS_LOCAL, else
# $CARGO_TARGET_DIR or target, debug then release) and the defaults are in use; with
# TL_BOOKWORM_TAG, TL_DEBIAN_MIRROR or TL_TRUST_HOST_CA=0 with `image bootstrap`; else
# with the equivalent shell steps below (TL_IMAGES_SHELL=1 forces them; keep PACKAGES
# in step with the recipe).
# Prints how long each build took.
set -euo pipefail
cd "$(dirname "$0")/.."

BOOKWORM_TAG=${TL_BOOKWORM_TAG:-travis-local/bookworm:ci}
BUSYBOX_TAG=${TL_BUSYBOX_TAG:-travis-local/busybox:ci}
MIRROR=${TL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=bash,sudo,git,ca-certificates,curl,locales,procps,python3,python3-flask,gunicorn,python3-pytest,python3-pip,nginx-light,docker.io,docker-compose
ATTEMPTS=${TL_BOOTSTRAP_ATTEMPTS:-3}

log() { printf 'images.sh: %s\n' "$*" >&2; }

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine reachable (DOCKER_HOST=${DOCKER_HOST:-unset}); nothing built"
  exit 4
fi

have_image() { [ -z "${TL_IMAGES_FORCE:-}" ] && docker image inspect "$1" >/dev/null 2>&1; }

need_pkg() { # need_pkg COMMAND PACKAGE
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$1" ] && [ ! -x "/bin/$1" ]; then
    log "installing $2 (apt-get)"
    if ! apt-get install -y "$2" >/dev/null 2>&1; then
      apt-get update >/dev/null 2>&1 || true
      apt-get install -y "$2" >/dev/null
    fi
  fi
}

# One builder at a time (several test runs may start at once).
exec 9>/tmp/travis-local-images.lock
flock 9

WORK=""
cleanup() { if [ -n "$WORK" ] && [ -d "$WORK" ]; then rm -rf --one-file-system "$WORK"; fi; }
trap cleanup EXIT

build_busybox() {
  need_pkg busybox busybox-static
  local bb
  bb=$(command -v busybox || echo /bin/busybox)
  if ! file -L "$bb" 2>/dev/null | grep -q 'statically linked' && ! ldd "$bb" 2>&1 | grep -q 'not a dynamic'; then
    log "$bb is not static; installing busybox-static"
    apt-get install -y busybox-static >/dev/null
    bb=/bin/busybox
  fi
  local start=$SECONDS root
  WORK=$(mktemp -d /var/tmp/tl-busybox.XXXXXX)
  root=$WORK/root
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  tar --numeric-owner -C "$root" -cf - . |
    docker import \
      --change 'CMD ["/bin/sh"]' \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin' \
      --change 'LABEL travis-local.image=busybox' \
      - "$BUSYBOX_TAG" >/dev/null
  rm -rf "$WORK"
  WORK=""
  log "built $BUSYBOX_TAG in $((SECONDS - start)) s"
}

build_bookworm() {
  need_pkg debootstrap debootstrap
  local start=$SECONDS root attempt=1
  WORK=$(mktemp -d /var/tmp/tl-bookworm.XXXXXX)
  root=$WORK/root
  while :; do
    log "debootstrap bookworm (attempt $attempt/$ATTEMPTS; about 1.5 min)"
    if debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$MIRROR" \
      >"$WORK/debootstrap.log" 2>&1; then
      break
    fi
    tail -n 5 "$WORK/debootstrap.log" >&2 || true
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      log "debootstrap failed $ATTEMPTS times; full log above ($WORK/debootstrap.log)"
      exit 1
    fi
    attempt=$((attempt + 1))
    rm -rf --one-file-system "$root"
    sleep 3
  done
  log "debootstrap done after $((SECONDS - start)) s; cleaning and importing"
  # Locale: en_US.UTF-8 as on Travis images.
  sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$root/etc/locale.gen"
  chroot "$root" locale-gen >/dev/null 2>&1 || log "warning: locale-gen failed"
  # Trust the host's extra CAs (TLS-intercepting egress on CI machines, corporate
  # proxies) so pip/curl/https git work inside the image; TL_TRUST_HOST_CA=0 disables.
  if [ "${TL_TRUST_HOST_CA:-1}" != 0 ] && ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1 || log "warning: update-ca-certificates failed"
  fi
  chroot "$root" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
  tar --numeric-owner -C "$root" -cf - . |
    docker import \
      --change 'CMD ["/bin/bash"]' \
      --change 'ENV LANG=en_US.UTF-8' \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'LABEL travis-local.image=bootstrap travis-local.suite=bookworm' \
      - "$BOOKWORM_TAG" >/dev/null
  rm -rf --one-file-system "$WORK"
  WORK=""
  log "built $BOOKWORM_TAG in $((SECONDS - start)) s"
}

if have_image "$BUSYBOX_TAG"; then
  log "$BUSYBOX_TAG present"
else
  build_busybox
fi
find_binary() {
  local c
  for c in "${TRAVIS_LOCAL:-}" "${CARGO_TARGET_DIR:-target}/debug/travis-local" "${CARGO_TARGET_DIR:-target}/release/travis-local"; do
    if [ -n "$c" ] && [ -x "$c" ] && "$c" image bootstrap --help >/dev/null 2>&1; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

bootstrap_with_binary() { # bootstrap_with_binary BIN
  local start=$SECONDS trust=() force=()
  if [ "$BOOKWORM_TAG" = travis-local/bookworm:ci ] && [ -z "${TL_DEBIAN_MIRROR:-}" ] &&
    [ "${TL_TRUST_HOST_CA:-1}" != 0 ]; then
    if [ -n "${TL_IMAGES_FORCE:-}" ]; then force=(--force); fi
    log "building $BOOKWORM_TAG from its recipe in .travis-local/config.yml ($1 image build)"
    "$1" image build "${force[@]}" "$BOOKWORM_TAG" >/dev/null || return 1
    log "built $BOOKWORM_TAG in $((SECONDS - start)) s"
    return 0
  fi
  if [ "${TL_TRUST_HOST_CA:-1}" != 0 ]; then trust=(--trust-host-ca); fi
  log "building $BOOKWORM_TAG with $1 image bootstrap"
  "$1" image bootstrap --suite bookworm --tag "$BOOKWORM_TAG" --include "$PACKAGES" \
    --mirror "$MIRROR" --attempts "$ATTEMPTS" "${trust[@]}" >/dev/null || return 1
  log "built $BOOKWORM_TAG in $((SECONDS - start)) s"
}

if have_image "$BOOKWORM_TAG"; then
  log "$BOOKWORM_TAG present"
elif [ "${TL_IMAGES_SHELL:-}" != 1 ] && bin=$(find_binary); then
  need_pkg debootstrap debootstrap
  if ! bootstrap_with_binary "$bin"; then
    log "travis-local image bootstrap failed; falling back to the shell steps"
    build_bookworm
  fi
else
  build_bookworm
fi
