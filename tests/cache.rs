//! `cache:` through the real binary: a job's `cache.directories` seen again on its next
//! run, `--no-cache`, `cache list` / `cache clear`, the default-branch fallback (and no
//! other branch's cache), no sharing between repositories, `clean` keeping caches and
//! `clean --caches` removing them; on Docker (named volumes) and on the host executor
//! (directories under a temporary `XDG_CACHE_HOME`). Plus `compile`: the cache steps in
//! travis-build's order.
//!
//! The Docker tests need the engine and `travis-local/bookworm:ci` (scripts/images.sh):
//! without them they print a notice and pass, except under CI=true where they fail.

mod common;

use common::{Run, StateHome};
use std::path::Path;
use std::process::{Command, Stdio};

const IMAGE: &str = "travis-local/bookworm:ci";

fn docker_ready(test: &str) -> bool {
    common::docker_image_ready(test, IMAGE)
}

/// The job appends its branch to a cached file and prints what it found first.
const YML: &str = "language: shell
cache:
  directories:
    - $HOME/.mycache
script:
  - echo \"seen=$(tr '\\n' , < $HOME/.mycache/log 2>/dev/null)\"
  - echo \"$TRAVIS_BRANCH\" >> $HOME/.mycache/log
";

/// A committed repository whose origin is unique to this test (Docker volumes are
/// global: tests must not share a key).
fn repo(name: &str) -> tempfile::TempDir {
    let dir = common::committed_repo(YML, &[]);
    let url = format!(
        "https://github.com/o/cache-{name}-{}.git",
        std::process::id()
    );
    common::git(dir.path(), &["remote", "set-url", "origin", &url]);
    dir
}

struct Env {
    state: StateHome,
    docker_host: Option<String>,
}

impl Env {
    fn new() -> Self {
        Env {
            state: StateHome::new(),
            docker_host: None,
        }
    }
    fn bin(&self, dir: &Path, args: &[&str]) -> Run {
        let envs = self.state.envs();
        let mut e: Vec<(&str, &str)> = envs
            .iter()
            .map(|(k, v)| (*k, v.to_str().expect("utf-8 temp path")))
            .collect();
        if let Some(h) = &self.docker_host {
            e.push(("DOCKER_HOST", h));
        }
        common::run_bin(dir, args, &e)
    }
    fn run(&self, dir: &Path, executor: &str, extra: &[&str]) -> Run {
        let mut args = vec!["run", "--executor", executor];
        if executor == "docker" {
            args.extend(["--image", IMAGE, "--pull", "never", "--network", "host"]);
        }
        args.extend_from_slice(extra);
        self.bin(dir, &args)
    }
}

fn seen(r: &Run, what: &str) {
    assert!(
        r.has_line(&format!("seen={what}")),
        "expected `seen={what}`:\n{}",
        r.dump()
    );
}

fn volume_exists(id: &str) -> bool {
    Command::new("docker")
        .args(["volume", "inspect", id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// `cache list --format json` of the repository in `dir`.
fn list(env: &Env, dir: &Path) -> Vec<serde_json::Value> {
    let r = env.bin(dir, &["cache", "list", "--format", "json"]);
    r.exit(0);
    serde_json::from_str::<Vec<serde_json::Value>>(&r.stdout).expect("JSON list")
}

/// The whole life of a cache on one executor (one test, so the steps run in order).
fn lifecycle(executor: &str, env: &Env) {
    let a = repo(&format!("a-{executor}"));
    let b = repo(&format!("b-{executor}"));
    // First run: nothing cached; the fold names and casher's messages show.
    let r = env.run(a.path(), executor, &[]);
    r.exit(0);
    seen(&r, "");
    r.contains("Setting up build cache")
        .contains("could not download cache")
        .contains("store build cache")
        .contains("changes detected, packing new archive")
        .contains("cache uploaded");
    // Second run: the file written by the first.
    let r = env.run(a.path(), executor, &[]);
    r.exit(0).contains("found cache");
    seen(&r, "master,");
    // --no-cache: neither restored nor stored.
    let r = env.run(a.path(), executor, &["--no-cache"]);
    r.exit(0).contains("--no-cache");
    seen(&r, "");
    let r = env.run(a.path(), executor, &[]);
    seen(&r, "master,master,");
    // Another branch falls back to the default branch's cache and writes its own.
    let r = env.run(a.path(), executor, &["--branch", "feature"]);
    r.exit(0);
    seen(&r, "master,master,master,");
    let r = env.run(a.path(), executor, &["--branch", "feature"]);
    seen(&r, "master,master,master,feature,");
    // A third branch never sees `feature`'s cache, only the default branch's.
    let r = env.run(a.path(), executor, &["--branch", "other"]);
    seen(&r, "master,master,master,");
    // The default branch never sees another branch's writes.
    let r = env.run(a.path(), executor, &[]);
    seen(&r, "master,master,master,");
    // Another repository never sees this one's cache.
    let r = env.run(b.path(), executor, &[]);
    seen(&r, "");

    // cache list: this repository's caches only, with key, branch, size, last use.
    let entries: Vec<_> = list(env, a.path())
        .into_iter()
        .filter(|e| e["executor"] == executor)
        .collect();
    let branches: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["branch"].as_str())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    for br in ["master", "feature", "other"] {
        assert!(branches.contains(&br), "{branches:?}");
    }
    for e in &entries {
        assert!(e["id"].as_str().unwrap().starts_with("travis-local-cache-"));
        assert!(e["repo"].as_str().unwrap().starts_with("o/cache-a-"));
        assert!(e["last_use"].as_u64().unwrap() > 0, "{e}");
        assert!(e["size"].as_u64().unwrap() > 0, "{e}");
        assert!(e["slug"].as_str().unwrap().starts_with("cache-linux-"));
    }
    let human = env.bin(a.path(), &["cache", "list"]);
    human
        .exit(0)
        .contains("KEY")
        .contains("LAST USE")
        .contains("feature");
    let master_id = entries
        .iter()
        .find(|e| e["branch"] == "master")
        .and_then(|e| e["id"].as_str())
        .unwrap()
        .to_string();

    // clean keeps caches.
    let r = env.bin(a.path(), &["clean"]);
    assert!(r.code == 0 || r.code == 4, "{}", r.dump());
    assert_eq!(
        list(env, a.path())
            .iter()
            .filter(|e| e["executor"] == executor)
            .count(),
        3
    );

    // cache clear --branch feature: only that one goes.
    env.bin(a.path(), &["cache", "clear", "--branch", "feature"])
        .exit(0)
        .contains("removed 1 cache(s)");
    // cache clear KEY: the default branch's; a run then starts empty.
    env.bin(a.path(), &["cache", "clear", &master_id])
        .exit(0)
        .contains("removed 1 cache(s)");
    if executor == "docker" {
        assert!(!volume_exists(&master_id));
    }
    let r = env.run(a.path(), executor, &[]);
    seen(&r, "");
    let r = env.bin(a.path(), &["cache", "clear", "travis-local-cache-0000"]);
    r.exit(1);
    assert!(r.stderr.contains("no cache matches"), "{}", r.dump());

    // clean --caches removes every cache (of both repositories).
    let r = env.bin(a.path(), &["clean", "--caches"]);
    assert!(r.code == 0 || r.code == 4, "{}", r.dump());
    r.contains("build cache(s)");
    for d in [a.path(), b.path()] {
        assert!(
            list(env, d).iter().all(|e| e["executor"] != executor),
            "caches left after clean --caches"
        );
    }
}

#[test]
fn docker_cache_directories_across_runs_branches_repositories_and_clear() {
    if !docker_ready("docker_cache_directories_across_runs_branches_repositories_and_clear") {
        return;
    }
    let env = Env::new();
    lifecycle("docker", &env);
}

#[test]
fn host_cache_directories_live_under_xdg_cache_home() {
    let mut env = Env::new();
    // `clean --caches` must not touch the engine's volumes (other tests use them).
    env.docker_host = Some("unix:///nonexistent/docker.sock".into());
    let a = repo("xdg-host");
    let r = env.run(a.path(), "host", &[]);
    r.exit(0);
    let root = env.state.cache.path().join("travis-local/caches/host");
    let dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("host cache dir")
        .flatten()
        .collect();
    assert_eq!(dirs.len(), 1);
    let store = dirs[0].path();
    assert!(store.join("key.json").is_file());
    assert!(store.join("data/home/.mycache/log").is_file());
    // No file in the working tree.
    assert!(!a.path().join(".travis-local/cache").exists());
    lifecycle("host", &env);
}

#[test]
fn cache_timeout_aborts_the_store_and_keeps_the_job_result() {
    let mut env = Env::new();
    env.docker_host = Some("unix:///nonexistent/docker.sock".into());
    let dir = common::committed_repo(
        "language: shell\ncache:\n  timeout: 1\n  directories: [$HOME/.big]\nscript: true\nbefore_cache:\n  - mkdir -p $HOME/.big && for i in $(seq 1 3); do echo x > $HOME/.big/$i; done\n",
        &[],
    );
    // A `cp` that takes longer than the timeout.
    let shim = tempfile::tempdir().expect("tempdir");
    let cp = shim.path().join("cp");
    std::fs::write(&cp, "#!/bin/bash\nsleep 5\nexec /bin/cp \"$@\"\n").expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cp, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        shim.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let envs = env.state.envs();
    let mut e: Vec<(&str, &str)> = envs
        .iter()
        .map(|(k, v)| (*k, v.to_str().unwrap()))
        .collect();
    e.push(("PATH", &path));
    let r = common::run_bin(dir.path(), &["run", "--executor", "host"], &e);
    r.exit(0)
        .contains("took longer than 1 seconds and has been aborted")
        .contains("cache.timeout");
}

#[test]
fn cache_false_and_no_cache_config_compile_no_cache_steps() {
    let dir = common::committed_repo("language: node_js\ncache: false\nscript: true\n", &[]);
    let r = common::run_bin(dir.path(), &["compile"], &[]);
    r.exit(0).lacks("cache.1").lacks("travis_run_cache");
    // npm is cached by default for node_js, as on Travis.
    let dir = common::committed_repo("language: node_js\nscript: true\n", &[]);
    let r = common::run_bin(dir.path(), &["compile"], &[]);
    r.exit(0).contains("cache.npm");
}

#[test]
fn compile_shows_the_cache_steps_in_travis_order() {
    let dir = common::committed_repo(
        "language: python\npython: '3.11'\ncache:\n  pip: true\n  directories: [$HOME/.mycache]\nbefore_install: echo bi\ninstall: echo i\nscript: echo s\nbefore_cache: echo bc\nafter_success: echo as\n",
        &[],
    );
    let r = common::run_bin(dir.path(), &["compile", "--branch", "feature"], &[]);
    r.exit(0);
    let s = &r.stdout;
    let at = |needle: &str| {
        s.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` missing from:\n{s}"))
    };
    let order = [
        "travis_fold start git.checkout",
        "travis_fold start cache.1",
        "travis_cache_fetch push 'feature/cache-linux-",
        "fetch.1 'master/cache-linux-",
        "travis_cache_add '$HOME/.mycache'",
        "travis_fold start cache.pip",
        "travis_cache_add '${TRAVIS_HOME}/.cache/pip'",
        "travis_cmd 'python --version'",
        "travis_run_before_install\n",
        "travis_run_install\n",
        "travis_run_script\n",
        "travis_run_before_cache\n",
        "travis_run_cache\n",
        "travis_run_after_success; fi",
    ];
    let pos: Vec<usize> = order.iter().map(|n| at(n)).collect();
    for w in pos.windows(2).zip(order.windows(2)) {
        assert!(w.0[0] < w.0[1], "{:?} out of order", w.1);
    }
    assert!(s.contains("travis_fold start cache.2"));
    assert!(s.contains("--python-3.11'"));
}
