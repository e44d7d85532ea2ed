# travis-local's own implementations of Travis's build helpers (same observable
# behaviour and messages as travis-build's lib/travis/build/bash/*.bash).

travis_nanoseconds() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t="${EPOCHREALTIME/[.,]/}"
    echo "${t}000"
  else
    date -u +%s%N
  fi
}

travis_fold() {
  local action="${1}" name="${2}"
  echo -en "travis_fold:${action}:${name}\r${ANSI_CLEAR}"
}

travis_time_start() {
  TRAVIS_TIMER_ID="$(printf %08x $((RANDOM * RANDOM)))"
  TRAVIS_TIMER_START_TIME="$(travis_nanoseconds)"
  export TRAVIS_TIMER_ID TRAVIS_TIMER_START_TIME
  echo -en "travis_time:start:${TRAVIS_TIMER_ID}\r${ANSI_CLEAR}"
}

travis_time_finish() {
  local result="${?}" event="${1:-}"
  local end duration
  end="$(travis_nanoseconds)"
  duration="$((end - TRAVIS_TIMER_START_TIME))"
  echo -en "travis_time:end:${TRAVIS_TIMER_ID}:start=${TRAVIS_TIMER_START_TIME},finish=${end},duration=${duration},event=${event}\r${ANSI_CLEAR}"
  return "${result}"
}

travis_terminate() {
  if [[ -z "${TRAVIS_OS_NAME:-}" ]]; then
    return
  fi
  local pid
  for pid in $(jobs -p); do
    kill -9 "${pid}" 2>/dev/null
  done
  exit "${1}"
}

travis_assert() {
  local result="${1:-${?}}"
  if [[ "${result}" -ne 0 ]]; then
    echo -e "${ANSI_RED}The command \"${TRAVIS_CMD}\" failed and exited with ${result} during ${TRAVIS_STAGE:-}.${ANSI_RESET}\n\nYour build has been stopped."
    travis_terminate 2
  fi
}

travis_result() {
  local result="${1}"
  export TRAVIS_TEST_RESULT=$((${TRAVIS_TEST_RESULT:-0} | $((result != 0))))
  if [[ "${result}" -eq 0 ]]; then
    echo -e "${ANSI_GREEN}The command \"${TRAVIS_CMD}\" exited with ${result}.${ANSI_RESET}\n"
  else
    echo -e "${ANSI_RED}The command \"${TRAVIS_CMD}\" exited with ${result}.${ANSI_RESET}\n"
  fi
}

travis_retry() {
  local result=0 count=1
  while [[ "${count}" -le 3 ]]; do
    if [[ "${result}" -ne 0 ]]; then
      echo -e "\n${ANSI_RED}The command \"${*}\" failed. Retrying, ${count} of 3.${ANSI_RESET}\n" >&2
    fi
    "${@}" && { result=0 && break; } || result="${?}"
    count="$((count + 1))"
    sleep "${TRAVIS_LOCAL_RETRY_SLEEP:-1}"
  done
  if [[ "${count}" -gt 3 ]]; then
    echo -e "\n${ANSI_RED}The command \"${*}\" failed 3 times.${ANSI_RESET}\n" >&2
  fi
  return "${result}"
}

travis_jigger() {
  local cmd_pid="${1}"
  shift
  local timeout="${1}"
  shift
  local count=0
  echo -e "\n"
  while [[ "${count}" -lt "${timeout}" ]]; do
    count="$((count + 1))"
    echo -ne "Still running (${count} of ${timeout}): ${*}\r"
    sleep "${TRAVIS_LOCAL_JIGGER_INTERVAL:-60}"
  done
  echo -e "\n${ANSI_RED}Timeout (${timeout} minutes) reached. Terminating \"${*}\"${ANSI_RESET}\n"
  kill -9 "${cmd_pid}"
}

travis_wait() {
  local timeout="${1:-}"
  if [[ "${timeout}" =~ ^[0-9]+$ ]]; then
    shift
  else
    timeout=20
  fi
  local cmd=("${@}")
  local log_file="travis_wait_${$}.log"
  "${cmd[@]}" &>"${log_file}" &
  local cmd_pid="${!}"
  travis_jigger "${cmd_pid}" "${timeout}" "${cmd[@]}" &
  local jigger_pid="${!}"
  local result
  wait "${cmd_pid}" 2>/dev/null && result=0 || result="${?}"
  if kill -0 "${jigger_pid}" 2>/dev/null; then
    kill "${jigger_pid}" 2>/dev/null
    wait "${jigger_pid}" 2>/dev/null || :
  fi
  if [[ "${result}" -eq 0 ]]; then
    echo -e "\n${ANSI_GREEN}The command ${cmd[*]} exited with ${result}.${ANSI_RESET}"
  else
    echo -e "\n${ANSI_RED}The command ${cmd[*]} exited with ${result}.${ANSI_RESET}"
  fi
  echo -e "\n${ANSI_GREEN}Log:${ANSI_RESET}\n"
  cat "${log_file}"
  return "${result}"
}

travis_cmd() {
  local assert output display retry timing cmd result secure event
  cmd="${1}"
  export TRAVIS_CMD="${cmd}"
  shift
  while true; do
    case "${1:-}" in
    --assert) assert=true; shift ;;
    --echo) output=true; shift ;;
    --display) display="${2}"; shift 2 ;;
    --retry) retry=true; shift ;;
    --timing) timing=true; shift ;;
    --secure) secure=true; shift ;;
    --event) event="${2}"; shift 2 ;;
    *) break ;;
    esac
  done
  if [[ -n "${display:-}" ]]; then
    export TRAVIS_CMD="${display}"
  fi
  if [[ -n "${timing:-}" ]]; then
    travis_time_start
  fi
  if [[ -n "${output:-}" ]]; then
    echo "\$ ${display:-${cmd}}"
  fi
  if [[ -n "${retry:-}" ]]; then
    travis_retry eval "${cmd}"
    result="${?}"
  elif [[ -n "${secure:-}" ]]; then
    eval "${cmd}" 2>/dev/null
    result="${?}"
    if [[ "${result}" -ne 0 ]]; then
      echo -e "${ANSI_RED}We were unable to parse one of your secure environment variables.${ANSI_RESET}
${ANSI_RED}Please make sure to escape special characters such as ' ' (white space) and \$ (dollar symbol) with \\ (backslash) .${ANSI_RESET}
${ANSI_RED}For example, thi\$isanexample would be typed as thi\\\$isanexample. See https://docs.travis-ci.com/user/encryption-keys.${ANSI_RESET}"
    fi
  else
    eval "${cmd}"
    result="${?}"
  fi
  if [[ -n "${timing:-}" ]]; then
    travis_time_finish "${event:-}" || :
  fi
  if [[ -n "${assert:-}" ]]; then
    travis_assert "${result}"
  fi
  return "${result}"
}

travis_footer() {
  : "${TRAVIS_TEST_RESULT:=86}"
  echo -e "\nDone. Your build exited with ${TRAVIS_TEST_RESULT}."
  travis_terminate "${TRAVIS_TEST_RESULT}"
}
