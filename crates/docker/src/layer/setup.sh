#!/bin/sh
# travis-local: turns any Linux image into a Travis-like build environment.
# Runs once as root while the Travis layer is built (POSIX sh: bash may be missing).
set -eu
log() { echo "travis-local layer: $*"; }
missing=""
for tool in bash sudo git; do
  command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -e /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"
if [ -n "$missing" ]; then
  log "installing:$missing"
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing locales procps >/dev/null
    rm -rf /var/lib/apt/lists/*
  elif command -v apk >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    apk add --no-cache $missing shadow
  elif command -v dnf >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    dnf install -y $missing && dnf clean all
  elif command -v yum >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    yum install -y $missing && yum clean all
  else
    log "cannot install$missing: no known package manager in this image"
  fi
fi
command -v bash >/dev/null 2>&1 || { log "error: the image has no bash and it cannot be installed; choose an image with bash"; exit 1; }

# User travis (uid/gid 2000), home /home/travis, shell bash.
if ! getent group travis >/dev/null 2>&1; then
  if command -v groupadd >/dev/null 2>&1; then
    groupadd -g 2000 travis 2>/dev/null || groupadd travis
  else
    addgroup -g 2000 travis 2>/dev/null || addgroup travis
  fi
fi
if id travis >/dev/null 2>&1; then
  if [ "$(id -u travis)" != 2000 ] && command -v usermod >/dev/null 2>&1; then
    usermod -u 2000 travis || log "warning: travis keeps uid $(id -u travis)"
  fi
else
  if command -v useradd >/dev/null 2>&1; then
    useradd -m -u 2000 -g travis -d /home/travis -s /bin/bash travis 2>/dev/null \
      || useradd -m -g travis -d /home/travis -s /bin/bash travis
  else
    adduser -D -u 2000 -G travis -h /home/travis -s /bin/bash travis 2>/dev/null \
      || adduser -D -G travis -h /home/travis -s /bin/bash travis
  fi
fi
echo 'travis:travis' | chpasswd 2>/dev/null || true
mkdir -p /home/travis/build /home/travis/bin /home/travis/.local/bin
chown -R travis:travis /home/travis

# Passwordless sudo, environment kept (as on Travis's VMs).
if command -v sudo >/dev/null 2>&1; then
  mkdir -p /etc/sudoers.d
  cat >/etc/sudoers.d/travis <<'SUDO'
travis ALL=(ALL) NOPASSWD:ALL
Defaults !authenticate
Defaults !env_reset
Defaults !mail_badpass
Defaults !secure_path
SUDO
  chmod 0440 /etc/sudoers.d/travis
fi

# Locale en_US.UTF-8 where the image can generate it.
if [ -f /etc/locale.gen ] && command -v locale-gen >/dev/null 2>&1; then
  if ! grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen; then
    echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
    locale-gen >/dev/null 2>&1 || log "warning: locale-gen failed"
  fi
elif command -v localedef >/dev/null 2>&1 && ! locale -a 2>/dev/null | grep -qi '^en_US.utf-\?8$'; then
  localedef -i en_US -f UTF-8 en_US.UTF-8 2>/dev/null || true
fi

# The host's CA certificates (--trust-host-ca), e.g. for TLS-intercepting proxies.
if ls /tmp/travis-local-layer/ca/*.crt >/dev/null 2>&1; then
  if command -v update-ca-certificates >/dev/null 2>&1; then
    mkdir -p /usr/local/share/ca-certificates
    cp /tmp/travis-local-layer/ca/*.crt /usr/local/share/ca-certificates/
    update-ca-certificates >/dev/null 2>&1 || log "warning: update-ca-certificates failed"
  fi
  mkdir -p /etc/ssl/certs
  for crt in /tmp/travis-local-layer/ca/*.crt; do
    grep -qF "$(sed -n 2p "$crt")" /etc/ssl/certs/ca-certificates.crt 2>/dev/null \
      || cat "$crt" >>/etc/ssl/certs/ca-certificates.crt
  done
  log "trusting $(ls /tmp/travis-local-layer/ca/*.crt | wc -l) host CA certificate(s)"
fi
log "ready"
