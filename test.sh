#!/bin/sh
# Container tests for the demo: build and start the Compose stack, run the API's
# test suite inside the api container, always take the stack down, and exit
# non-zero when a test suite failed. POSIX sh (no bash-isms).

failed_tests=""

# inspect STATUS NAME: remember NAME when STATUS is non-zero.
inspect() {
  if [ "$1" -ne 0 ]; then
    failed_tests="${failed_tests:+${failed_tests} }$2"
  fi
}

# `docker-compose exec` allocates a TTY unless told not to, and fails without one.
exec_tty=""
if [ ! -t 0 ] || [ ! -t 1 ]; then
  exec_tty="-T"
fi

docker-compose up -d --build
inspect $? stack

if [ -z "${failed_tests}" ]; then
  # shellcheck disable=SC2086 # exec_tty is empty or a single flag
  docker-compose exec ${exec_tty} api python manage.py test
  inspect $? api
fi

docker-compose down --remove-orphans

if [ -n "${failed_tests}" ]; then
  echo "TESTS FAILED: ${failed_tests}"
  exit 1
fi
echo "TESTS SUCCEEDED"
exit 0
