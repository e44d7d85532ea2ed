export TRAVIS_ROOT=/
export TRAVIS_HOME="${HOME}"
export DEBIAN_FRONTEND=noninteractive
if [[ "${TERM:-}" == dumb ]]; then unset TERM; fi
: "${SHELL:=/bin/bash}" "${TERM:=xterm}" "${USER:=travis}"
export SHELL TERM USER
case "$(uname | tr '[:upper:]' '[:lower:]')" in
  linux*) TRAVIS_OS_NAME=linux ;;
  darwin*) TRAVIS_OS_NAME=osx ;;
  msys*) TRAVIS_OS_NAME=windows ;;
  freebsd*) TRAVIS_OS_NAME=freebsd ;;
  *) TRAVIS_OS_NAME=notset ;;
esac
export TRAVIS_OS_NAME
case "$(uname -m)" in
  x86_64 | amd64) TRAVIS_CPU_ARCH=amd64 ;;
  aarch64 | arm64) TRAVIS_CPU_ARCH=arm64 ;;
  ppc64le) TRAVIS_CPU_ARCH=ppc64le ;;
  s390x) TRAVIS_CPU_ARCH=s390x ;;
  *) TRAVIS_CPU_ARCH=notset ;;
esac
TRAVIS_ARCH="$(uname -m)"
if [[ "${TRAVIS_ARCH}" == x86_64 ]]; then TRAVIS_ARCH=amd64; fi
export TRAVIS_CPU_ARCH TRAVIS_ARCH
TRAVIS_DIST=
if [[ -r /etc/os-release ]]; then
  TRAVIS_DIST="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
fi
if [[ -z "${TRAVIS_DIST}" ]] && command -v lsb_release >/dev/null 2>&1; then
  TRAVIS_DIST="$(lsb_release -sc 2>/dev/null)"
fi
export TRAVIS_DIST="${TRAVIS_DIST:-notset}"
if command -v systemctl >/dev/null 2>&1; then export TRAVIS_INIT=systemd; else export TRAVIS_INIT=upstart; fi
export TRAVIS_TEST_RESULT=
export TRAVIS_CMD=
TRAVIS_TMPDIR="$(mktemp -d "${HOME}/.travis-tmp.XXXXXX" 2>/dev/null || mktemp -d 2>/dev/null || echo /tmp)"
export TRAVIS_TMPDIR
export TRAVIS_INFRA=unknown
export PS4=+
export PATH="${HOME}/.local/bin:${HOME}/bin:${PATH}:${HOME}/.travis-local/bin"
