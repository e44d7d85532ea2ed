//! Crash-safe records of what a run owns, so `travis-local clean` can find it after a
//! `kill -9` of travis-local.
//!
//! Each `run` writes one small JSON file, `<run id>.json`, under
//! `$XDG_RUNTIME_DIR/travis-local/runs/` (when that variable names a usable directory)
//! or else `${XDG_CACHE_HOME:-~/.cache}/travis-local/runs/`, mode 0600 in a 0700
//! directory. It holds the run id, the travis-local pid and its start time (from
//! `/proc/<pid>/stat`, so a reused pid is not mistaken for the run), the boot id and
//! host name, the run directory, the executor, and what the executors created: host
//! job process groups (with their start times), container names and compose projects.
//! Never a secret or any environment. Every update is atomic (temporary file +
//! rename); the file is removed when the run ends normally or after Ctrl-C/SIGTERM.
//!
//! [`stale_runs`] lists the records whose travis-local process is gone; [`kill_group`]
//! and [`remove_run_dir`] undo the host side of one (the Docker side is in the docker
//! crate's `clean`).

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Version of the file format.
const FORMAT: u32 = 1;
/// Prefix of run directories (`/tmp/travis-local-XXXX`).
pub const RUN_DIR_PREFIX: &str = "travis-local-";

/// A host process group of a job, identified by its leader's pid and start time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessGroup {
    pub pgid: i32,
    /// Start time of the leader, in clock ticks after boot (`/proc/<pid>/stat` field 22).
    pub start_time: u64,
}

/// What one run owns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    pub format: u32,
    pub run_id: String,
    pub pid: u32,
    /// Start time of the travis-local process (clock ticks after boot).
    pub start_time: u64,
    pub boot_id: String,
    pub hostname: String,
    pub run_dir: PathBuf,
    /// `--keep`: the run directory is the user's to keep.
    pub keep: bool,
    pub executor: String,
    #[serde(default)]
    pub process_groups: Vec<ProcessGroup>,
    #[serde(default)]
    pub containers: Vec<String>,
    #[serde(default)]
    pub compose_projects: Vec<String>,
    /// Swarm objects of `--executor swarm`: `service:NAME`, `secret:NAME`, `config:NAME`.
    #[serde(default)]
    pub swarm_objects: Vec<String>,
}

impl RunState {
    /// Whether the travis-local process of this run still runs (same host, same boot,
    /// same pid and start time, not a zombie).
    pub fn liveness(&self) -> Liveness {
        if self.hostname != hostname() {
            return Liveness::OtherHost;
        }
        if !self.boot_id.is_empty() && self.boot_id != boot_id() {
            return Liveness::Gone;
        }
        match proc_stat(self.pid as i32) {
            Some(p) if p.start_time == self.start_time && !p.zombie => Liveness::Alive,
            _ => Liveness::Gone,
        }
    }
    /// Resources that need the Docker engine to be removed.
    pub fn needs_engine(&self) -> bool {
        !self.containers.is_empty()
            || !self.compose_projects.is_empty()
            || !self.swarm_objects.is_empty()
    }
}

/// Is a run's travis-local process alive?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    Gone,
    /// Recorded on another host (a shared home directory): cannot tell, never touched.
    OtherHost,
}

/// The directories state files may be in: the one new runs use first, then the other
/// (a run started with another `XDG_RUNTIME_DIR` is still found).
pub fn state_dirs() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(rt) = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| usable_runtime_dir(p))
    {
        out.push(rt.join("travis-local").join("runs"));
    }
    if let Some(cache) = cache_dir() {
        out.push(cache.join("travis-local").join("runs"));
    }
    out
}

/// `${XDG_CACHE_HOME:-~/.cache}` (absolute paths only).
pub(crate) fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".cache"))
        })
}

/// An absolute directory that is ours and that we can write to.
fn usable_runtime_dir(p: &Path) -> bool {
    if !p.is_absolute() {
        return false;
    }
    match std::fs::metadata(p) {
        // SAFETY: geteuid has no preconditions.
        Ok(m) => m.is_dir() && m.uid() == unsafe { libc::geteuid() } && writable(p),
        Err(_) => false,
    }
}

fn writable(p: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated path.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

/// Creates `dir` (and `travis-local/` above it) mode 0700, or checks an existing one is
/// ours and makes it 0700.
fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    let parent = dir.parent().unwrap_or(dir);
    for d in [parent, dir] {
        match std::fs::symlink_metadata(d) {
            Ok(m) => {
                // SAFETY: geteuid has no preconditions.
                if !m.is_dir() || m.uid() != unsafe { libc::geteuid() } {
                    return Err(format!(
                        "{} is not a directory owned by this user",
                        d.display()
                    ));
                }
                if m.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
                        .map_err(|e| format!("cannot make {} private: {e}", d.display()))?;
                }
            }
            Err(_) => std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?,
        }
    }
    Ok(())
}

/// The running process's own record (one run per process).
struct Current {
    path: PathBuf,
    state: RunState,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

fn lock() -> std::sync::MutexGuard<'static, Option<Current>> {
    match CURRENT.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Writes `state` to `path` atomically (temporary file mode 0600, then rename).
fn write_atomic(path: &Path, state: &RunState) -> Result<(), String> {
    let text = serde_json::to_vec_pretty(state).map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&text)?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}: {e}", path.display())
    })
}

/// Removes the state file (and the current record) when dropped: at the end of the run,
/// after the run directory is gone.
#[must_use]
pub struct StateGuard {
    active: bool,
}

impl StateGuard {
    /// A guard that does nothing (no state file could be written).
    pub fn none() -> Self {
        StateGuard { active: false }
    }
}

impl Drop for StateGuard {
    fn drop(&mut self) {
        if self.active {
            finish();
        }
    }
}

/// Starts this process's record. Fails (with a message for a warning) when no state
/// directory is usable; the run goes on without one.
pub fn begin(
    run_id: &str,
    run_dir: &Path,
    executor: &str,
    keep: bool,
) -> Result<StateGuard, String> {
    let pid = std::process::id();
    let state = RunState {
        format: FORMAT,
        run_id: run_id.to_string(),
        pid,
        start_time: proc_stat(pid as i32).map(|p| p.start_time).unwrap_or(0),
        boot_id: boot_id(),
        hostname: hostname(),
        run_dir: run_dir.to_path_buf(),
        keep,
        executor: executor.to_string(),
        ..Default::default()
    };
    let mut last_err = "no state directory (set XDG_RUNTIME_DIR, XDG_CACHE_HOME or HOME)".into();
    for dir in state_dirs() {
        let attempt = ensure_private_dir(&dir).and_then(|()| {
            let path = dir.join(format!("{}.json", file_stem(run_id)));
            write_atomic(&path, &state).map(|()| path)
        });
        match attempt {
            Ok(path) => {
                *lock() = Some(Current { path, state });
                return Ok(StateGuard { active: true });
            }
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// Changes the current record (no-op when there is none) and writes it.
pub fn update(change: impl FnOnce(&mut RunState)) {
    let mut guard = lock();
    if let Some(cur) = guard.as_mut() {
        let before = cur.state.clone();
        change(&mut cur.state);
        if cur.state != before {
            // A failed write keeps the previous file; `clean` then knows a little less.
            let _ = write_atomic(&cur.path, &cur.state);
        }
    }
}

/// Removes the current record and its file (end of the run).
pub fn finish() {
    if let Some(cur) = lock().take() {
        let _ = std::fs::remove_file(&cur.path);
    }
}

/// A run id as a file name (ids are `[a-z0-9]`; anything else is replaced).
fn file_stem(run_id: &str) -> String {
    run_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A record found on disk.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub state: RunState,
}

/// What a scan of the state directories found.
#[derive(Debug, Default)]
pub struct Scan {
    /// Runs whose travis-local process is gone.
    pub stale: Vec<Found>,
    /// Runs still in progress (never touched).
    pub live: usize,
    /// Records from another host (never touched).
    pub other_host: usize,
    /// Files that could not be read (path, why).
    pub unreadable: Vec<(PathBuf, String)>,
}

/// Reads every record (or only `run_id`'s) in the state directories.
pub fn scan(run_id: Option<&str>) -> Scan {
    let mut out = Scan::default();
    let mut seen = std::collections::BTreeSet::new();
    let me = std::process::id();
    for dir in state_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.ends_with(".tmp") {
                remove_orphan_tmp(&path, &name);
                continue;
            }
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if run_id.is_some_and(|id| file_stem(id) != stem) {
                continue;
            }
            let state = match read_state(&path) {
                Ok(s) => s,
                Err(e) => {
                    out.unreadable.push((path, e));
                    continue;
                }
            };
            if !seen.insert(path.clone()) {
                continue;
            }
            if state.pid == me && state.hostname == hostname() {
                continue; // this very run
            }
            match state.liveness() {
                Liveness::Alive => out.live += 1,
                Liveness::OtherHost => out.other_host += 1,
                Liveness::Gone => out.stale.push(Found { path, state }),
            }
        }
    }
    out
}

/// A temporary file of a writer that is gone (`<id>.json.<pid>.tmp`).
fn remove_orphan_tmp(path: &Path, name: &str) {
    let pid = name
        .strip_suffix(".tmp")
        .and_then(|s| s.rsplit('.').next())
        .and_then(|p| p.parse::<i32>().ok());
    if let Some(pid) = pid {
        if proc_stat(pid).is_none_or(|p| p.zombie) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn read_state(path: &Path) -> Result<RunState, String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    // SAFETY: geteuid has no preconditions.
    if !meta.is_file() || meta.uid() != unsafe { libc::geteuid() } {
        return Err("not a regular file owned by this user".into());
    }
    if meta.len() > 1024 * 1024 {
        return Err("larger than 1 MiB".into());
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("invalid JSON: {e}"))
}

/// Removes a stale record's file.
pub fn forget(found: &Found) -> Result<(), String> {
    std::fs::remove_file(&found.path)
        .or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(e)
            }
        })
        .map_err(|e| format!("cannot remove {}: {e}", found.path.display()))
}

/// What happened to a run directory.
#[derive(Debug, PartialEq, Eq)]
pub enum DirOutcome {
    Removed,
    AlreadyGone,
    /// `--keep` was given for that run.
    Kept,
}

/// Removes the run directory of a stale record. Refuses a path that is not a
/// `travis-local-<id>` directory (a record is only trusted so far).
pub fn remove_run_dir(state: &RunState) -> Result<DirOutcome, String> {
    let dir = &state.run_dir;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ours = dir.is_absolute()
        && name
            .strip_prefix(RUN_DIR_PREFIX)
            .is_some_and(|id| !id.is_empty() && id.eq_ignore_ascii_case(&state.run_id));
    if !ours {
        return Err(format!(
            "{} does not look like a travis-local run directory; left alone",
            dir.display()
        ));
    }
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(DirOutcome::AlreadyGone),
        Err(e) => return Err(format!("cannot inspect {}: {e}", dir.display())),
    };
    if !meta.is_dir() {
        return Err(format!("{} is not a directory; left alone", dir.display()));
    }
    if state.keep {
        return Ok(DirOutcome::Kept);
    }
    std::fs::remove_dir_all(dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    Ok(DirOutcome::Removed)
}

/// One line of `/proc/<pid>/stat`, the fields we use.
#[derive(Debug, Clone, Copy)]
pub struct ProcStat {
    pub pgid: i32,
    pub start_time: u64,
    pub zombie: bool,
}

/// Reads `/proc/<pid>/stat` (None when there is no such process).
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    if pid <= 0 {
        return None;
    }
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // `pid (comm) state ppid pgrp ...`: comm may hold spaces and parentheses.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        zombie: matches!(fields.first(), Some(&"Z") | Some(&"X")),
        pgid: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// Start time of a process (for records); 0 when unknown.
pub fn start_time_of(pid: u32) -> u64 {
    i32::try_from(pid)
        .ok()
        .and_then(proc_stat)
        .map(|p| p.start_time)
        .unwrap_or(0)
}

/// Live (non-zombie) members of a recorded group. Empty when the group id now belongs
/// to another process (its leader exists with another start time).
pub fn group_members(group: &ProcessGroup) -> Vec<i32> {
    if group.pgid <= 1 {
        return Vec::new();
    }
    if let Some(leader) = proc_stat(group.pgid) {
        if leader.start_time != group.start_time {
            return Vec::new(); // the id was reused
        }
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        if let Some(p) = proc_stat(pid) {
            // A member cannot be older than the group's leader.
            if p.pgid == group.pgid && !p.zombie && p.start_time >= group.start_time {
                out.push(pid);
            }
        }
    }
    out
}

fn signal_all(pids: &[i32], signal: libc::c_int) {
    for &pid in pids {
        // SAFETY: kill only sends a signal; a vanished pid gives ESRCH.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Stops what is left of a recorded host job's process group: SIGTERM, then SIGKILL
/// after `grace`. Returns how many processes were signalled.
pub fn kill_group(group: &ProcessGroup, grace: Duration) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    let first = group_members(group);
    if first.is_empty() {
        return 0;
    }
    seen.extend(first.iter().copied());
    signal_all(&first, libc::SIGTERM);
    let start = Instant::now();
    while start.elapsed() < grace {
        let left = group_members(group);
        if left.is_empty() {
            return seen.len();
        }
        seen.extend(left);
        std::thread::sleep(Duration::from_millis(50));
    }
    // Members may fork meanwhile: repeat until none is left (SIGKILLed ones cannot).
    for _ in 0..50 {
        let left = group_members(group);
        if left.is_empty() {
            break;
        }
        seen.extend(left.iter().copied());
        signal_all(&left, libc::SIGKILL);
        std::thread::sleep(Duration::from_millis(20));
    }
    seen.len()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_command_names() {
        let line = "42 (a (b) c) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 1 2 3";
        let p = parse_stat(line).unwrap();
        assert_eq!(p.pgid, 42);
        assert_eq!(p.start_time, 98765);
        assert!(!p.zombie);
        assert!(parse_stat("garbage").is_none());
        assert!(parse_stat("1 (x) Z 1").is_none());
    }

    #[test]
    fn own_process_is_alive_and_a_changed_start_time_is_not() {
        let me = std::process::id();
        let mut s = RunState {
            pid: me,
            start_time: start_time_of(me),
            hostname: hostname(),
            boot_id: boot_id(),
            ..Default::default()
        };
        assert_eq!(s.liveness(), Liveness::Alive);
        s.start_time += 1;
        assert_eq!(s.liveness(), Liveness::Gone);
        s.hostname = "elsewhere.invalid".into();
        assert_eq!(s.liveness(), Liveness::OtherHost);
    }

    #[test]
    fn run_dir_removal_refuses_foreign_paths() {
        let s = RunState {
            run_id: "abc".into(),
            run_dir: "/etc".into(),
            ..Default::default()
        };
        assert!(remove_run_dir(&s).is_err());
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("travis-local-abc");
        std::fs::create_dir_all(dir.join("x/y")).unwrap();
        let mut s = RunState {
            run_id: "abc".into(),
            run_dir: dir.clone(),
            keep: true,
            ..Default::default()
        };
        assert_eq!(remove_run_dir(&s), Ok(DirOutcome::Kept));
        s.keep = false;
        s.run_id = "other".into();
        assert!(remove_run_dir(&s).is_err());
        s.run_id = "abc".into();
        assert_eq!(remove_run_dir(&s), Ok(DirOutcome::Removed));
        assert!(!dir.exists());
        assert_eq!(remove_run_dir(&s), Ok(DirOutcome::AlreadyGone));
    }

    #[test]
    fn a_reused_group_id_is_not_killed() {
        let me = std::process::id() as i32;
        let g = ProcessGroup {
            pgid: me,
            start_time: start_time_of(me as u32) + 1,
        };
        assert!(group_members(&g).is_empty());
    }
}
