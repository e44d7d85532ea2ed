
# travis-local: the job's machine (addons and services). travis_apt_get_update and
# travis_apt_get_options behave as travis-build's; the travis_local_* helpers start a
# service without systemd and wait until it accepts connections.
travis_apt_get_update() {
  if ! command -v apt-get &>/dev/null; then
    return
  fi
  local logdest="${TRAVIS_HOME}/apt-get-update.log"
  local opts='-yq'
  if [[ "${1:-}" == debug ]]; then
    opts=''
    logdest='/dev/stderr'
  fi
  sudo rm -rf "${TRAVIS_ROOT}/var/lib/apt/lists/"*
  sudo apt-get update ${opts} 2>&1 | tee -a "${logdest}" &>/dev/null
  __TL_APT_UPDATED=1
  if grep -qE 'Unable to connect|Could not resolve|Temporary failure resolving' "${logdest}" 2>/dev/null; then
    echo -e "${ANSI_YELLOW}travis-local: apt-get update could not reach the package archive from the job's machine (offline machines need --network host, and --trust-host-ca behind a TLS proxy)${ANSI_RESET}"
  fi
}

travis_apt_get_options() {
  apt-get --version | awk '
    $1 == "apt" {
      split($2, apt, ".")
      if ((apt[1]==1 && apt[2]>=2) || apt[1]>1) {
        print "--allow-downgrades --allow-remove-essential --allow-change-held-packages"
      }
      else {
        print "--force-yes"
      }
      exit
    }
  '
}

travis_local_apt_install() {
  if ! command -v apt-get &>/dev/null; then
    echo "no apt-get in this image" >>"${TRAVIS_HOME}/apt-get-install.log"
    return 1
  fi
  if [[ -z "${__TL_APT_UPDATED:-}" ]]; then
    travis_apt_get_update
  fi
  sudo -E apt-get -yq --no-install-suggests --no-install-recommends install "${@}" >>"${TRAVIS_HOME}/apt-get-install.log" 2>&1
}

# Installs in one apt-get run the packages of every service whose daemon is missing
# (pairs of arguments: presence test, packages). A failure is reported per service later.
travis_local_preinstall() {
  local missing=""
  while [[ "${#}" -ge 2 ]]; do
    if [[ -n "${2}" ]] && ! bash -c "${1}" &>/dev/null; then
      missing="${missing} ${2}"
    fi
    shift 2
  done
  if [[ -n "${missing}" && -n "${__TL_INSTALL_SERVICES:-}" ]]; then
    echo -e "${ANSI_YELLOW}travis-local: not in this image, installing with apt-get:${missing}${ANSI_RESET}"
    # shellcheck disable=SC2086
    travis_local_apt_install ${missing} || :
  fi
}

travis_local_wait_ready() {
  local seconds="${1}" ready="${2}" start="${3}" end
  end=$(($(travis_nanoseconds) + seconds * 1000000000))
  until bash -c "${ready}" &>/dev/null; do
    if [[ "$(travis_nanoseconds)" -ge "${end}" ]]; then
      return 1
    fi
    sleep 0.1
  done
  __TL_READY_MS=$((($(travis_nanoseconds) - start) / 1000000))
}

travis_local_service() {
  local name="${1}" present="${2}" packages="${3}" unavailable="${4}" configure="${5}"
  local start="${6}" ready="${7}" wait="${8}" setup="${9}" log t0
  if ! bash -c "${present}" &>/dev/null; then
    if [[ -z "${packages}" ]]; then
      echo -e "${ANSI_RED}travis-local: service ${name} cannot be started: ${unavailable}. The job goes on without it.${ANSI_RESET}"
      return 0
    fi
    if [[ -z "${__TL_INSTALL_SERVICES:-}" ]]; then
      echo -e "${ANSI_RED}travis-local: service ${name} cannot be started: it is not installed on this machine, and travis-local installs packages on the host only with --apply-addons. The job goes on without it.${ANSI_RESET}"
      return 0
    fi
    echo -e "${ANSI_YELLOW}travis-local: ${name} is not installed in this image; installing ${packages} with apt-get${ANSI_RESET}"
    # shellcheck disable=SC2086
    if ! travis_local_apt_install ${packages}; then
      echo -e "${ANSI_RED}travis-local: service ${name} cannot be started: apt-get install ${packages} failed ($(tail -n 1 "${TRAVIS_HOME}/apt-get-install.log" 2>/dev/null); is the Debian archive reachable? see --network host). The job goes on without it.${ANSI_RESET}"
      return 0
    fi
  fi
  if [[ -n "${configure}" ]]; then
    sudo bash -c "${configure}" &>/dev/null
  fi
  log="${TRAVIS_TMPDIR}/service-${name}.log"
  echo "\$ sudo ${start}"
  t0="$(travis_nanoseconds)"
  sudo bash -c "${start}" &>"${log}"
  if ! travis_local_wait_ready "${wait}" "${ready}" "${t0}"; then
    echo -e "${ANSI_RED}travis-local: service ${name} cannot be started: not ready after ${wait} s ($(tail -n 1 "${log}" 2>/dev/null)). The job goes on without it.${ANSI_RESET}"
    return 0
  fi
  if [[ -n "${setup}" ]]; then
    sudo bash -c "${setup}" &>>"${log}"
  fi
  echo "travis-local: ${name} is ready (${__TL_READY_MS} ms after its start command)"
}
