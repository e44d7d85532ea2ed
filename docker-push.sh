#!/bin/sh
# Publish the API image to the registry (Amazon ECR), on staging builds only.
# Needs AWS_REGION, AWS_REGISTRY and AWS credentials (repository settings,
# available to the staging branch only) and the `aws` CLI, which travis-local
# emulates for `aws ecr get-login-password` when the job image has none.
set -e

if [ "${TRAVIS_BRANCH}" != "staging" ]; then
  echo "Branch '${TRAVIS_BRANCH}' is not staging: the API image is not published."
  exit 0
fi

: "${AWS_REGION:?AWS_REGION must be set to publish}"
: "${AWS_REGISTRY:?AWS_REGISTRY must be set to publish}"
image="${AWS_REGISTRY}/docker-ci-demo-api:staging"

aws ecr get-login-password --region "${AWS_REGION}" |
  docker login --username AWS --password-stdin "${AWS_REGISTRY}"
# Don't leave the registry credentials in the job's home, even when a step fails.
trap 'docker logout "${AWS_REGISTRY}" >/dev/null 2>&1' EXIT

# Same base image as the Compose stack (public default, local image offline).
set -- build ./api -f ./api/Dockerfile -t "${image}"
if [ -n "${API_BASE_IMAGE}" ]; then
  set -- "$@" --build-arg "BASE_IMAGE=${API_BASE_IMAGE}"
fi
docker "$@"
docker push "${image}"
echo "Published ${image}"
