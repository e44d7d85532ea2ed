//! Helpers shared by the integration tests that drive the real `travis-local` binary:
//! temporary committed repositories, running the binary, and assertions on its output.
#![allow(dead_code)] // each test file uses a part of them

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ChildStdout;
use std::sync::mpsc::{channel, Receiver};
use std::thread::JoinHandle;

/// Reads a running child's stdout on its own thread. The receiver gets one message as
/// soon as a line equal to `marker` has been printed (so a test can interrupt the job
/// at a known point); joining the handle gives everything that was read.
pub fn watch_for_line(
    mut stdout: ChildStdout,
    marker: &'static str,
) -> (Receiver<()>, JoinHandle<String>) {
    let (tx, rx) = channel();
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let mut seen = false;
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    all.extend_from_slice(&buf[..n]);
                    if !seen && String::from_utf8_lossy(&all).lines().any(|l| l == marker) {
                        seen = true;
                        let _ = tx.send(());
                    }
                }
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    (rx, reader)
}

/// Runs `git ARGS` in `dir` quietly and fails the test when it fails.
pub fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?} failed");
}

/// A committed git repository on branch `master` with origin `github.com/o/r`, holding
/// `.travis.yml` and `files` (a `*.sh` file is made executable).
pub fn committed_repo(travis_yml: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    git(p, &["init", "-q", "-b", "master"]);
    git(p, &["config", "user.email", "t@example.com"]);
    git(p, &["config", "user.name", "T"]);
    git(
        p,
        &["remote", "add", "origin", "https://github.com/o/r.git"],
    );
    std::fs::write(p.join(".travis.yml"), travis_yml).expect("write config");
    for (name, text) in files {
        let path = p.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write file");
        if name.ends_with(".sh") {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
    }
    git(p, &["add", "-A"]);
    git(p, &["commit", "-qm", "init"]);
    dir
}

/// Fresh, private `XDG_RUNTIME_DIR` and `XDG_CACHE_HOME` for one test, so that runs of
/// tests in parallel do not see each other's state files.
pub struct StateHome {
    pub runtime: tempfile::TempDir,
    pub cache: tempfile::TempDir,
}

impl StateHome {
    pub fn new() -> Self {
        StateHome {
            runtime: tempfile::tempdir().expect("tempdir"),
            cache: tempfile::tempdir().expect("tempdir"),
        }
    }
    /// The variables to give every travis-local command of the test.
    pub fn envs(&self) -> [(&'static str, &Path); 2] {
        [
            ("XDG_RUNTIME_DIR", self.runtime.path()),
            ("XDG_CACHE_HOME", self.cache.path()),
        ]
    }
    /// Where state files go (XDG_RUNTIME_DIR is usable).
    pub fn runs_dir(&self) -> PathBuf {
        self.runtime.path().join("travis-local/runs")
    }
    /// The state files (parsed), whatever directory they are in.
    pub fn records(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for root in [self.runtime.path(), self.cache.path()] {
            for f in files_under(root) {
                if f.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&f).expect("read state file");
                    out.push(serde_json::from_str(&text).expect("state file is JSON"));
                }
            }
        }
        out
    }
}

/// Every regular file under `dir` (recursively; symlinks not followed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.filter_map(Result::ok) {
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_under(&e.path())),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
    out
}

/// Files under `dir` whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            std::fs::read(f)
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// Pids of live (non-zombie) processes whose environment holds `needle`.
pub fn processes_with_env(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.filter_map(Result::ok) {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .map(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if !zombie && env.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Live members of process group `pgid` (from /proc).
pub fn group_members(pgid: i64) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.filter_map(Result::ok) {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        if f.first() != Some(&"Z") && f.get(2).and_then(|g| g.parse::<i64>().ok()) == Some(pgid) {
            out.push(pid);
        }
    }
    out
}

/// Starts `travis-local ARGS` in `dir` with `envs`, waits until its stdout shows the line
/// `marker`, then kills it with SIGKILL and reaps it. Returns its pid and output.
pub fn kill9_at_marker(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &Path)],
    marker: &'static str,
) -> (u32, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_travis-local"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn travis-local");
    let stdout = child.stdout.take().expect("stdout");
    let (rx, reader) = watch_for_line(stdout, marker);
    let started = rx.recv_timeout(std::time::Duration::from_secs(120));
    let pid = child.id();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    let out = reader.join().unwrap_or_default();
    assert!(started.is_ok(), "the job never printed {marker:?}\n{out}");
    (pid, out)
}

/// Starts `travis-local ARGS` in `dir` (stdin closed, stdout and stderr piped) without
/// waiting, for tests that watch its output or signal it.
pub fn spawn_bin(dir: &Path, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_travis-local"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("travis-local starts")
}

/// Runs `travis-local ARGS` in `dir` with extra environment variables (stdin closed,
/// `NO_COLOR` unset so the binary decides colour from the terminal), and waits for it.
pub fn run_bin(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_travis-local"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("travis-local runs");
    let pid = child.id();
    let out = child.wait_with_output().expect("travis-local ends");
    Run {
        pid,
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        repo: None,
    }
}

/// A binary test, just-style: a committed repository, a command line, then assertions on
/// the [`Run`]:
///
/// ```ignore
/// Test::new().config("script: [true]\n").args(&["run", "--executor", "host"]).run()
///     .exit(0).stdout("Build passed.");
/// ```
///
/// The repository is [`committed_repo`] (branch master, origin github.com/o/r); it lives
/// as long as the returned `Run`.
#[derive(Default)]
pub struct Test {
    config: String,
    files: Vec<(String, String)>,
    args: Vec<String>,
    envs: Vec<(String, String)>,
    subdir: Option<String>,
}

impl Test {
    pub fn new() -> Self {
        Test {
            config: "language: minimal\nscript: [true]\n".into(),
            ..Default::default()
        }
    }
    /// The `.travis.yml` text.
    pub fn config(mut self, yml: &str) -> Self {
        self.config = yml.into();
        self
    }
    /// Another committed file (`*.sh` is made executable).
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.into(), text.into()));
        self
    }
    /// The command line after `travis-local` (appends).
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.envs.push((name.into(), value.into()));
        self
    }
    /// Run from this subdirectory of the repository (created, with a file in it).
    pub fn in_subdir(mut self, dir: &str) -> Self {
        self.files.push((format!("{dir}/.keep"), String::new()));
        self.subdir = Some(dir.into());
        self
    }
    /// Make the repository, run the binary in it and wait.
    pub fn run(self) -> Run {
        let files: Vec<(&str, &str)> = self
            .files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let repo = committed_repo(&self.config, &files);
        let dir = match &self.subdir {
            Some(sub) => repo.path().join(sub),
            None => repo.path().to_path_buf(),
        };
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let envs: Vec<(&str, &str)> = self
            .envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut r = run_bin(&dir, &args, &envs);
        r.repo = Some(repo);
        r
    }
}

/// What one run of the binary gave, with assertion helpers that chain
/// (`r.seq(&[..]).exit(0).job("1.1", "passed")`).
pub struct Run {
    /// Pid of the travis-local process (its containers carry it in travis-local.owner).
    pub pid: u32,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The repository a [`Test`] made (removed when the `Run` is dropped).
    pub repo: Option<tempfile::TempDir>,
}

impl Run {
    /// Standard output contains `text`.
    pub fn stdout(&self, text: &str) -> &Self {
        self.contains(text)
    }
    /// Standard error contains `text`.
    pub fn stderr(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "{text:?} not on stderr\n{}",
            self.dump()
        );
        self
    }
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
    pub fn dump(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
    /// The lines appear, exactly, in this order (other lines may come between).
    pub fn seq(&self, expected: &[&str]) -> &Self {
        let lines = self.lines();
        let mut at = 0;
        for e in expected {
            match lines[at..].iter().position(|l| l == e) {
                Some(p) => at += p + 1,
                None => panic!("line {e:?} missing (or out of order)\n{}", self.dump()),
            }
        }
        self
    }
    pub fn has_line(&self, line: &str) -> bool {
        self.lines().contains(&line)
    }
    pub fn absent(&self, lines: &[&str]) -> &Self {
        for l in lines {
            assert!(
                !self.has_line(l),
                "line {l:?} should not be there\n{}",
                self.dump()
            );
        }
        self
    }
    pub fn contains(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "{text:?} not in output\n{}",
            self.dump()
        );
        self
    }
    pub fn lacks(&self, text: &str) -> &Self {
        assert!(
            !self.stdout.contains(text),
            "{text:?} should not be in output\n{}",
            self.dump()
        );
        self
    }
    pub fn exit(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n{}", self.dump());
        self
    }
    /// The summary row of a job says this result (`passed`, `failed (allowed)`, ...).
    pub fn job(&self, number: &str, result: &str) -> &Self {
        let ok = self.lines().iter().any(|l| {
            let cols: Vec<&str> = l
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            cols.first() == Some(&number) && cols.contains(&result)
        });
        assert!(ok, "summary row {number} {result} missing\n{}", self.dump());
        self
    }
    pub fn build(&self, result: &str) -> &Self {
        self.seq(&[&format!("Build {result}.")])
    }
    /// JSON lines (for --format json).
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}\n{}", self.dump()))
            })
            .collect()
    }
}

/// True under `CI=true`, where a missing prerequisite is a failure, not a skip.
pub fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// True when the Docker engine answers and `image` is present; otherwise a notice
/// (or a failure under CI=true).
pub fn docker_image_ready(test: &str, image: &str) -> bool {
    let ok = |args: &[&str]| {
        std::process::Command::new("docker")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let engine = ok(&["version", "--format", "{{.Server.Version}}"]);
    let present = engine && ok(&["image", "inspect", image]);
    if !present {
        let why = if engine {
            format!("{image} is missing (scripts/images.sh builds it)")
        } else {
            "no Docker engine".into()
        };
        assert!(!ci(), "{test}: {why} under CI=true");
        eprintln!("NOTICE {test}: skipped, {why}");
    }
    present
}

/// Fails the test when the travis-local process `pid` left a container.
pub fn assert_no_containers(pid: u32) {
    let left = containers_of(pid);
    assert!(left.is_empty(), "containers left: {left:?}");
}

/// Names of the containers owned by the travis-local process `pid` (label
/// `travis-local.owner=<host>:<pid>`), so tests running in parallel do not see each other.
pub fn containers_of(pid: u32) -> Vec<String> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("label=travis-local.owner={}:{pid}", host.trim()),
            "--format",
            "{{.Names}}",
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}
