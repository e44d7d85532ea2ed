# travis-local's build cache: what Travis's casher does (fetch, add, push), with a
# directory store instead of an S3 archive. The executor provides the store in
# TRAVIS_LOCAL_CACHE_DIR: `push` is this job's cache (repository, branch, slug), `fetch.N`
# the fallbacks Travis reads (the pull request's target branch, the default branch).
# Each store holds `data/{home,build,root}/...` and the marker `.travis-local-cache`.
__tl_cache_dirs=()
__tl_cache_from=""
__tl_cache_sig=""

travis_cache_rel() {
  local p="${1%/}"
  case "${p}" in
    "${TRAVIS_BUILD_DIR}") echo "build" ;;
    "${TRAVIS_BUILD_DIR}"/*) echo "build/${p#"${TRAVIS_BUILD_DIR}"/}" ;;
    "${HOME}") echo "home" ;;
    "${HOME}"/*) echo "home/${p#"${HOME}"/}" ;;
    *) echo "root${p}" ;;
  esac
}

# `$NAME`, `${NAME}` and a leading `~` are expanded (nothing else is evaluated); relative
# paths are taken from the build directory, as casher does.
travis_cache_expand() {
  local s="${1}" out="" name
  if [[ "${s}" == "~" || "${s}" == "~/"* ]]; then s="${HOME}${s:1}"; fi
  while [[ "${s}" =~ ^([^\$]*)\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))(.*)$ ]]; do
    name="${BASH_REMATCH[3]}${BASH_REMATCH[4]}"
    out+="${BASH_REMATCH[1]}${!name:-}"
    s="${BASH_REMATCH[5]}"
  done
  out+="${s}"
  case "${out}" in
    /*) ;;
    *) out="${TRAVIS_BUILD_DIR}/${out}" ;;
  esac
  printf '%s' "${out}"
}

travis_cache_signature() {
  if [[ "${#__tl_cache_dirs[@]}" -eq 0 ]]; then echo none; return; fi
  find "${__tl_cache_dirs[@]}" -printf '%p %s %T@ %m\n' 2>/dev/null | LC_ALL=C sort | cksum
}

# travis_cache_fetch STORE NAME [STORE NAME ...]: the first store that holds a cache wins.
travis_cache_fetch() {
  __tl_cache_from=""
  if [[ -n "${TRAVIS_LOCAL_NO_CACHE:-}" ]]; then
    echo -e "${ANSI_YELLOW}travis-local: --no-cache: the build cache is neither restored nor stored in this run${ANSI_RESET}"
    return 0
  fi
  if [[ -z "${TRAVIS_LOCAL_CACHE_DIR:-}" || ! -d "${TRAVIS_LOCAL_CACHE_DIR}/push" ]]; then
    echo -e "${ANSI_YELLOW}travis-local: no cache store was given to this script (travis-local run provides one); the build cache is not used${ANSI_RESET}"
    return 0
  fi
  echo "attempting to download cache archive"
  while [[ "${#}" -ge 2 ]]; do
    echo "fetching ${2}"
    if [[ -f "${TRAVIS_LOCAL_CACHE_DIR}/${1}/.travis-local-cache" ]]; then
      __tl_cache_from="${TRAVIS_LOCAL_CACHE_DIR}/${1}"
      echo "found cache"
      return 0
    fi
    shift 2
  done
  echo "could not download cache"
}

# travis_cache_add DIR...: restore each directory from the fetched cache and remember it.
travis_cache_add() {
  local raw dir rel
  if [[ -n "${TRAVIS_LOCAL_NO_CACHE:-}" || -z "${TRAVIS_LOCAL_CACHE_DIR:-}" || ! -d "${TRAVIS_LOCAL_CACHE_DIR}/push" ]]; then
    # No cache this time: the directories exist (empty), as after a cache miss.
    for raw in "${@}"; do
      dir="$(travis_cache_expand "${raw}")"
      mkdir -p "${dir}"
    done
    return 0
  fi
  for raw in "${@}"; do
    dir="$(travis_cache_expand "${raw}")"
    rel="$(travis_cache_rel "${dir}")"
    __tl_cache_dirs+=("${dir%/}")
    echo "adding ${dir} to cache"
    if [[ -n "${__tl_cache_from}" && -d "${__tl_cache_from}/data/${rel}" ]]; then
      mkdir -p "${dir}" && cp -a "${__tl_cache_from}/data/${rel}/." "${dir}/" ||
        echo -e "${ANSI_YELLOW}travis-local: could not restore ${dir} from the cache${ANSI_RESET}"
    else
      echo "creating directory ${dir}"
      mkdir -p "${dir}"
    fi
  done
  __tl_cache_sig="$(travis_cache_signature)"
}

travis_cache_store_copy() {
  local store="${1}" tmp d rel
  shift
  tmp="${store}/.incoming.$$.${RANDOM}${RANDOM}"
  rm -rf "${tmp}" && mkdir -p "${tmp}/data" || return 1
  for d in "${@}"; do
    [[ -e "${d}" ]] || continue
    rel="$(travis_cache_rel "${d}")"
    mkdir -p "${tmp}/data/$(dirname "${rel}")" && cp -a "${d}" "${tmp}/data/${rel}" || {
      rm -rf "${tmp}"
      return 1
    }
  done
  rm -rf "${store}/data.old"
  rm -f "${store}/.travis-local-cache"
  if [[ -d "${store}/data" ]]; then mv "${store}/data" "${store}/data.old"; fi
  mv "${tmp}/data" "${store}/data" &&
    printf '%s %s\n' "$(date -u +%s)" "$(du -sk "${store}/data" 2>/dev/null | cut -f1)" >"${store}/.travis-local-cache"
  rm -rf "${store}/data.old" "${tmp}"
}

# travis_cache_push NAME: store the remembered directories as this job's cache.
travis_cache_push() {
  if [[ -n "${TRAVIS_LOCAL_NO_CACHE:-}" || -z "${TRAVIS_LOCAL_CACHE_DIR:-}" || ! -d "${TRAVIS_LOCAL_CACHE_DIR}/push" ]]; then
    echo -e "${ANSI_YELLOW}travis-local: the build cache is not stored in this run${ANSI_RESET}"
    return 0
  fi
  if [[ "$(travis_cache_signature)" == "${__tl_cache_sig}" ]]; then
    echo "nothing changed, not updating cache"
    return 0
  fi
  echo "changes detected, packing new archive"
  echo "uploading ${1}"
  local timeout="${CASHER_TIME_OUT:-180}" rc
  if command -v timeout >/dev/null 2>&1; then
    timeout "${timeout}" bash -c "$(declare -f travis_cache_rel travis_cache_store_copy); travis_cache_store_copy \"\$@\"" _ "${TRAVIS_LOCAL_CACHE_DIR}/push" "${__tl_cache_dirs[@]}"
  else
    travis_cache_store_copy "${TRAVIS_LOCAL_CACHE_DIR}/push" "${__tl_cache_dirs[@]}"
  fi
  rc="${?}"
  if [[ "${rc}" -eq 124 ]]; then
    echo -e "${ANSI_RED}running \`casher push\` took longer than ${timeout} seconds and has been aborted.${ANSI_RESET}"
    echo "You can extend the timeout with \`cache.timeout\`. See https://docs.travis-ci.com/user/caching/#setting-the-timeout for details"
  elif [[ "${rc}" -ne 0 ]]; then
    echo -e "${ANSI_RED}failed to upload cache${ANSI_RESET}"
  else
    echo "cache uploaded"
  fi
  return 0
}
