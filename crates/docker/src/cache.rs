//! `cache:` on Docker: one named volume per cache key (`travis-local-cache-<hash>`,
//! labelled `travis-local.cache` with the repository, branch and slug — never an env
//! value or a secret), mounted into the job container under [`MOUNT`]: the job's own
//! cache read-write at `push`, the fallbacks that exist read-only at `fetch.N`. The
//! volumes outlive the containers (`--rm` or not); `travis-local clean` leaves them
//! alone unless `--caches`. Also the `travis-local cache list|clear` subcommand, which
//! covers the host executor's caches too (`travis_local_runner::cache`).

use crate::engine::api_message;
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptionsBuilder, RemoveVolumeOptionsBuilder};
use bollard::Docker;
use std::collections::HashMap;
use travis_local_runner::cache::{self as host_cache, Entry};
use travis_local_script::cache::{CacheKey, CacheSpec};

/// Label present on every cache volume (value `1`).
pub const LABEL_CACHE: &str = "travis-local.cache";
const LABEL_REPO: &str = "travis-local.cache.repo";
const LABEL_BRANCH: &str = "travis-local.cache.branch";
const LABEL_SLUG: &str = "travis-local.cache.slug";
const LABEL_IDENTITY: &str = "travis-local.cache.identity";
/// Where the job container sees its cache stores (`TRAVIS_LOCAL_CACHE_DIR`).
pub const MOUNT: &str = "/var/cache/travis-local";

fn labels(key: &CacheKey) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_CACHE.to_string(), "1".to_string()),
        (LABEL_REPO.to_string(), key.repo.clone()),
        (LABEL_BRANCH.to_string(), key.branch.clone()),
        (LABEL_SLUG.to_string(), key.slug.clone()),
        (LABEL_IDENTITY.to_string(), key.identity.clone()),
    ])
}

/// Creates the job's own volume when missing and returns the binds of the stores:
/// `push` (read-write) and the fallbacks that exist (`fetch.N`, read-only).
pub(crate) async fn binds(docker: &Docker, spec: &CacheSpec) -> Result<Vec<String>, String> {
    let own = spec.push.id();
    if docker.inspect_volume(&own).await.is_err() {
        docker
            .create_volume(VolumeCreateRequest {
                name: Some(own.clone()),
                labels: Some(labels(&spec.push)),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot create the cache volume {own}: {}", api_message(&e)))?;
    }
    let mut out = vec![format!("{own}:{MOUNT}/push")];
    let mut n = 0;
    for key in &spec.fetch {
        let id = key.id();
        if docker.inspect_volume(&id).await.is_ok() {
            n += 1;
            out.push(format!("{id}:{MOUNT}/fetch.{n}:ro"));
        }
    }
    Ok(out)
}

/// The cache volumes on the engine, with what this host recorded about them.
pub async fn volumes(docker: &Docker) -> Result<Vec<Entry>, String> {
    let filter = HashMap::from([("label".to_string(), vec![LABEL_CACHE.to_string()])]);
    let list = docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ))
        .await
        .map_err(|e| format!("cannot list volumes: {}", api_message(&e)))?;
    let mut out = Vec::new();
    for v in list.volumes.unwrap_or_default() {
        let label = |k: &str| v.labels.get(k).cloned().unwrap_or_default();
        let rec = host_cache::docker_record(&v.name);
        out.push(Entry {
            id: v.name.clone(),
            repo: label(LABEL_REPO),
            branch: label(LABEL_BRANCH),
            slug: label(LABEL_SLUG),
            size: rec.as_ref().and_then(|r| r.size),
            last_use: rec.as_ref().map(|r| r.last_use),
            executor: "docker",
            identity: label(LABEL_IDENTITY),
        });
    }
    Ok(out)
}

/// Removes a cache volume (and this host's record of it).
pub async fn remove(docker: &Docker, id: &str) -> Result<(), String> {
    let opts = RemoveVolumeOptionsBuilder::default().build();
    docker
        .remove_volume(id, Some(opts))
        .await
        .map_err(|e| format!("cannot remove the cache volume {id}: {}", api_message(&e)))?;
    host_cache::forget_docker(id);
    Ok(())
}

/// Which caches `cache list` and `cache clear` act on.
#[derive(Debug, Default)]
pub struct CacheFilter {
    /// Every repository's caches, not only this one's.
    pub all: bool,
    /// Only the caches of this branch (`PR.<n>` for a pull request's).
    pub branch: Option<String>,
    /// One cache: its key (`travis-local-cache-…`) or its slug.
    pub key: Option<String>,
}

/// The caches found (`list`: sorted by repository, branch, slug and executor).
#[derive(Debug, Default)]
pub struct CacheListing {
    pub entries: Vec<Entry>,
    /// Why some caches are not shown (the Docker engine did not answer).
    pub warnings: Vec<String>,
}

/// What `cache clear` did: each matching cache and whether it was removed.
#[derive(Debug, Default)]
pub struct Cleared {
    pub results: Vec<(Entry, Result<(), String>)>,
    pub warnings: Vec<String>,
}

impl Cleared {
    pub fn removed(&self) -> usize {
        self.results.iter().filter(|(_, r)| r.is_ok()).count()
    }
}

/// The cache subcommand cannot run at all (no async runtime): an environment problem.
#[derive(Debug)]
pub struct CacheError(pub String);

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheError {}

/// Every cache: the host executor's and, when the engine answers, Docker's (else a
/// warning).
fn all_entries(
    rt: &tokio::runtime::Runtime,
    warnings: &mut Vec<String>,
) -> (Vec<Entry>, Option<Docker>) {
    let mut entries = host_cache::host_entries();
    let docker = rt.block_on(async {
        let e = match crate::engine::connect().await {
            Ok(d) => match volumes(&d).await {
                Ok(v) => {
                    entries.extend(v);
                    return Some(d);
                }
                Err(e) => e,
            },
            Err(e) => e.message,
        };
        warnings.push(format!("{e}; Docker caches are not shown"));
        None
    });
    (entries, docker)
}

fn this_repo_identity() -> String {
    let root = travis_local_matrix::repo_root();
    travis_local_script::cache::CacheOptions::for_repo(&root)
        .repo_identity
        .unwrap_or_default()
}

/// The caches `filter` selects, with the engine (when it answers).
fn select(
    rt: &tokio::runtime::Runtime,
    filter: &CacheFilter,
    warnings: &mut Vec<String>,
) -> (Vec<Entry>, Option<Docker>) {
    let (mut entries, docker) = all_entries(rt, warnings);
    if !filter.all {
        let me = this_repo_identity();
        entries.retain(|e| e.identity == me);
    }
    if let Some(b) = &filter.branch {
        entries.retain(|e| &e.branch == b);
    }
    if let Some(k) = &filter.key {
        entries.retain(|e| &e.id == k || &e.slug == k);
    }
    (entries, docker)
}

fn runtime() -> Result<tokio::runtime::Runtime, CacheError> {
    crate::engine::runtime().map_err(|e| CacheError(e.message))
}

/// `travis-local cache list`: the caches `filter` selects (the binary prints them).
pub fn list(filter: &CacheFilter) -> Result<CacheListing, CacheError> {
    let rt = runtime()?;
    let mut warnings = Vec::new();
    let (mut entries, _) = select(&rt, filter, &mut warnings);
    entries.sort_by(|x, y| {
        (&x.repo, &x.branch, &x.slug, x.executor).cmp(&(&y.repo, &y.branch, &y.slug, y.executor))
    });
    Ok(CacheListing { entries, warnings })
}

/// `travis-local cache clear`: remove the caches `filter` selects.
pub fn clear(filter: &CacheFilter) -> Result<Cleared, CacheError> {
    let rt = runtime()?;
    let mut warnings = Vec::new();
    let (entries, docker) = select(&rt, filter, &mut warnings);
    let results = entries
        .into_iter()
        .map(|e| {
            let r = if e.executor == "host" {
                host_cache::remove_host(&e.id)
            } else if let Some(d) = &docker {
                rt.block_on(remove(d, &e.id))
            } else {
                Err("the Docker engine is unreachable".into())
            };
            (e, r)
        })
        .collect();
    Ok(Cleared { results, warnings })
}

/// `clean --caches`: every cache, Docker volumes (when `docker` is given) and host
/// directories. Returns (removed, problems).
pub fn clean_caches(rt: &tokio::runtime::Runtime, docker: Option<&Docker>) -> (usize, Vec<String>) {
    let mut removed = 0;
    let mut problems = Vec::new();
    for e in host_cache::host_entries() {
        match host_cache::remove_host(&e.id) {
            Ok(()) => removed += 1,
            Err(p) => problems.push(p),
        }
    }
    if let Some(d) = docker {
        match rt.block_on(volumes(d)) {
            Ok(list) => {
                for e in list {
                    match rt.block_on(remove(d, &e.id)) {
                        Ok(()) => removed += 1,
                        Err(p) => problems.push(p),
                    }
                }
            }
            Err(p) => problems.push(p),
        }
    }
    (removed, problems)
}
