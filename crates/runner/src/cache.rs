//! The host side of `cache:` (keys and script steps are in `travis_local_script::cache`).
//!
//! Everything lives under `${XDG_CACHE_HOME:-~/.cache}/travis-local/caches/`:
//! - `host/<id>/` — a cache of the host executor: `key.json` (repository, branch, slug,
//!   repository identity hash, last use) and the store the script fills (`data/…`,
//!   marker `.travis-local-cache`);
//! - `docker/<id>.json` — the key and last use of a Docker cache (the data is the
//!   named volume `<id>`).
//!
//! A job's script finds its stores through `TRAVIS_LOCAL_CACHE_DIR`: for the host
//! executor a directory of symlinks in the job's home (`push` → its own store,
//! `fetch.N` → the fallbacks that exist).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use travis_local_script::cache::{CacheKey, CacheSpec, ID_PREFIX};

/// What `key.json` / `docker/<id>.json` hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    #[serde(flatten)]
    pub key: CacheKey,
    /// Unix seconds of the last job that used it.
    #[serde(default)]
    pub last_use: u64,
    /// Bytes of the last store (Docker caches; measured by the executor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
}

/// One cache, for `cache list` / `cache clear`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Store name (`travis-local-cache-…`): the volume or directory.
    pub id: String,
    pub repo: String,
    pub branch: String,
    pub slug: String,
    /// Bytes (None: unknown).
    pub size: Option<u64>,
    /// Unix seconds (None: never recorded).
    pub last_use: Option<u64>,
    /// `host` or `docker`.
    pub executor: &'static str,
    /// Identity hash of the repository (not shown; used to scope to the current one).
    #[serde(skip)]
    pub identity: String,
}

/// `${XDG_CACHE_HOME:-~/.cache}/travis-local/caches`.
pub fn root() -> Option<PathBuf> {
    crate::state::cache_dir().map(|c| c.join("travis-local").join("caches"))
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn valid_id(id: &str) -> bool {
    id.starts_with(ID_PREFIX)
        && id.len() > ID_PREFIX.len()
        && id[ID_PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

fn write_record(path: &Path, key: &CacheKey, size: Option<u64>) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let size = size.or_else(|| read_record(path).and_then(|r| r.size));
    let rec = Record {
        key: key.clone(),
        last_use: now(),
        size,
    };
    let text = serde_json::to_string_pretty(&rec).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

fn read_record(path: &Path) -> Option<Record> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Notes that a Docker cache volume was used now (and its size, when known).
pub fn touch_docker(key: &CacheKey, size: Option<u64>) {
    if let Some(root) = root() {
        let _ = write_record(
            &root.join("docker").join(format!("{}.json", key.id())),
            key,
            size,
        );
    }
}

/// The record of a Docker cache volume, if this host has one.
pub fn docker_record(id: &str) -> Option<Record> {
    if !valid_id(id) {
        return None;
    }
    read_record(&root()?.join("docker").join(format!("{id}.json")))
}

pub fn forget_docker(id: &str) {
    if let (true, Some(root)) = (valid_id(id), root()) {
        let _ = std::fs::remove_file(root.join("docker").join(format!("{id}.json")));
    }
}

/// Prepares the host executor's stores for a job: creates its own, records the use,
/// and links `push` / `fetch.N` in `<home>/.travis-local/cache`. Returns that
/// directory (for `TRAVIS_LOCAL_CACHE_DIR`), or why there is no cache this time.
pub fn prepare_host(home: &Path, spec: &CacheSpec) -> Result<PathBuf, String> {
    let root = root()
        .ok_or("no cache directory (set XDG_CACHE_HOME or HOME)")?
        .join("host");
    let own = root.join(spec.push.id());
    std::fs::create_dir_all(&own).map_err(|e| format!("cannot create {}: {e}", own.display()))?;
    write_record(&own.join("key.json"), &spec.push, None)
        .map_err(|e| format!("cannot write {}: {e}", own.join("key.json").display()))?;
    let links = home.join(".travis-local").join("cache");
    std::fs::create_dir_all(&links)
        .map_err(|e| format!("cannot create {}: {e}", links.display()))?;
    let link = |name: &str, target: &Path| -> Result<(), String> {
        let at = links.join(name);
        let _ = std::fs::remove_file(&at);
        std::os::unix::fs::symlink(target, &at)
            .map_err(|e| format!("cannot link {}: {e}", at.display()))
    };
    link("push", &own)?;
    let mut n = 0;
    for key in &spec.fetch {
        let dir = root.join(key.id());
        if dir.join(".travis-local-cache").is_file() {
            n += 1;
            link(&format!("fetch.{n}"), &dir)?;
        }
    }
    Ok(links)
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

/// The host executor's caches.
pub fn host_entries() -> Vec<Entry> {
    let Some(root) = root() else {
        return Vec::new();
    };
    let Ok(dirs) = std::fs::read_dir(root.join("host")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in dirs.flatten() {
        let id = d.file_name().to_string_lossy().into_owned();
        if !valid_id(&id) {
            continue;
        }
        let rec = read_record(&d.path().join("key.json"));
        out.push(Entry {
            id,
            repo: rec.as_ref().map(|r| r.key.repo.clone()).unwrap_or_default(),
            branch: rec
                .as_ref()
                .map(|r| r.key.branch.clone())
                .unwrap_or_default(),
            slug: rec.as_ref().map(|r| r.key.slug.clone()).unwrap_or_default(),
            size: Some(dir_size(&d.path())),
            last_use: rec.as_ref().map(|r| r.last_use),
            executor: "host",
            identity: rec.map(|r| r.key.identity).unwrap_or_default(),
        });
    }
    out
}

/// Removes a host cache directory.
pub fn remove_host(id: &str) -> Result<(), String> {
    if !valid_id(id) {
        return Err(format!("{id}: not a cache id"));
    }
    let root = root().ok_or("no cache directory")?;
    let dir = root.join("host").join(id);
    std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))
}

/// `1.2 MB`-style size.
pub fn human_size(bytes: Option<u64>) -> String {
    let Some(b) = bytes else {
        return "?".into();
    };
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// `2026-12-05 12:00 UTC`-style time (UTC, no dependency on a date crate).
pub fn human_time(secs: Option<u64>) -> String {
    let Some(s) = secs.filter(|s| *s > 0) else {
        return "never".into();
    };
    let days = (s / 86_400) as i64;
    let rem = s % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(human_time(Some(0)), "never");
        assert_eq!(human_time(Some(1_764_936_000)), "2025-12-05 12:00 UTC");
        assert_eq!(human_size(Some(999)), "999 B");
        assert_eq!(human_size(Some(1_500_000)), "1.5 MB");
        assert!(valid_id("travis-local-cache-0123abcd"));
        assert!(!valid_id("travis-local-cache-../x"));
        assert!(!valid_id("other"));
    }
}
