//! `travis-local run --executor docker` through the real binary: a subset of the
//! host-executor phase cases give the same results in a container; `services: docker`
//! (docker + docker-compose against the host engine); cleanup after SIGINT and after a
//! `docker kill` of the job container (zero labelled containers); environment errors
//! (`--pull never` with a missing image, `DOCKER_HOST=unix:///nonexistent`) are exit 4.
//!
//! Needs a Docker engine and the test image `travis-local/bookworm:ci`
//! (scripts/images.sh). Without them the tests print a notice and pass, except under
//! CI=true where they fail.

mod common;
use common::containers_of;

use common::Run;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");
const IMAGE: &str = "travis-local/bookworm:ci";

fn docker_ready(test: &str) -> bool {
    common::docker_image_ready(test, IMAGE)
}

/// A committed repo (branch master, origin github.com/o/r) with these files.
fn repo(travis_yml: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    common::committed_repo(travis_yml, files)
}

fn run_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut all = vec!["run", "--executor", "docker"];
    all.extend_from_slice(args);
    common::run_bin(dir, &all, envs)
}

fn run(yml: &str, extra: &[&str]) -> Run {
    let dir = repo(yml, &[]);
    let mut args = vec!["--image", IMAGE, "--pull", "never"];
    args.extend_from_slice(extra);
    run_in(dir.path(), &args, &[])
}

// ---------------------------------------------------------------- phase semantics

#[test]
fn pass() {
    if !docker_ready("pass") {
        return;
    }
    run("language: minimal\nscript: [echo hi]\n", &[])
        .seq(&[
            "$ echo hi",
            "hi",
            "The command \"echo hi\" exited with 0.",
            "Done. Your build exited with 0.",
        ])
        .exit(0);
}

#[test]
fn script_failure_keeps_going_and_fails() {
    if !docker_ready("script_failure") {
        return;
    }
    run("language: shell\nscript:\n  - echo hi\n  - \"false\"\n  - echo after\nafter_failure: [echo af]\nafter_script: [echo as]\n", &[])
        .seq(&["hi", "$ false", "The command \"false\" exited with 1.", "after", "af", "as", "Done. Your build exited with 1."])
        .exit(1);
}

#[test]
fn install_error_stops_the_job() {
    if !docker_ready("install_error") {
        return;
    }
    run(
        "language: minimal\ninstall: [\"(exit 3)\"]\nscript: [echo s]\nafter_script: [echo as]\n",
        &[],
    )
    .seq(&["The command \"(exit 3)\" failed and exited with 3 during ."])
    .absent(&["s"])
    .exit(2);
}

#[test]
fn after_script_runs_and_its_failure_is_ignored() {
    if !docker_ready("after_script") {
        return;
    }
    run(
        "language: minimal\nscript: [\"true\"]\nafter_script: [\"false\", echo still]\n",
        &[],
    )
    .seq(&["$ false", "still", "Done. Your build exited with 0."])
    .exit(0);
}

#[test]
fn runs_as_travis_in_the_same_path_with_state_across_phases() {
    if !docker_ready("travis_user") {
        return;
    }
    let r = run(
        "language: minimal\nbefore_install: [\"export X=1\", \"mkdir -p sub && cd sub\"]\nscript: ['echo \"who=$(id -un):$(id -u) x=$X home=$HOME\"', '[ -t 1 ] && echo tty=yes', 'echo \"dir=$PWD build=$TRAVIS_BUILD_DIR\"']\n",
        &[],
    );
    r.seq(&["who=travis:2000 x=1 home=/home/travis", "tty=yes"])
        .exit(0);
    let dir_line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("dir="))
        .unwrap_or_default()
        .to_string();
    let (dir, build) = dir_line
        .trim_start_matches("dir=")
        .split_once(" build=")
        .unwrap_or_else(|| panic!("{}", r.dump()));
    assert_eq!(dir, format!("{build}/sub"), "{}", r.dump());
}

#[test]
fn secrets_are_masked_with_a_tty() {
    if !docker_ready("secrets") {
        return;
    }
    let dir = repo("language: minimal\nscript: ['echo \"token=$API_TOKEN\"', 'printf \"%s\\n\" \"$API_TOKEN\" | rev | rev']\n", &[]);
    let p = dir.path();
    std::fs::create_dir_all(p.join(".travis-local")).expect("mkdir");
    std::fs::write(
        p.join(".travis-local/secrets.yml"),
        "env:\n  - {name: API_TOKEN, value: v3ry-s3cret-42}\n",
    )
    .expect("write");
    std::fs::write(p.join(".git/info/exclude"), ".travis-local/secrets.yml\n").expect("exclude");
    let r = run_in(p, &["--image", IMAGE, "--pull", "never"], &[]);
    r.exit(0);
    assert!(
        !r.stdout.contains("v3ry-s3cret-42") && !r.stderr.contains("v3ry-s3cret-42"),
        "{}",
        r.dump()
    );
    assert!(r.stdout.contains("token=[secure]"), "{}", r.dump());
}

#[test]
fn job_timeout_errors_and_leaves_no_container() {
    if !docker_ready("timeout") {
        return;
    }
    let r = run(
        "language: minimal\nscript: ['while true; do echo tick; sleep 0.2; done']\n",
        &["--job-timeout", "3s"],
    );
    r.seq(&["The job exceeded the maximum time limit for jobs, and has been terminated."])
        .exit(2);
    common::assert_no_containers(r.pid);
}

#[test]
fn config_yml_maps_the_language_version_to_a_local_image_and_sets_the_network() {
    if !docker_ready("config_yml") {
        return;
    }
    let dir = repo(
        "language: python\npython: \"3.11\"\nscript: ['echo \"debian=$(cat /etc/debian_version)\"', 'test -e /sys/class/net/docker0 && echo net=host']\n",
        &[(
            ".travis-local/config.yml",
            "images:\n  default: travis-local/does-not-exist:1\n  python:\n    \"3.11\": travis-local/bookworm:ci\nnetwork: host\n",
        )],
    );
    let r = run_in(dir.path(), &["--pull", "never"], &[]);
    r.seq(&["net=host", "Done. Your build exited with 0."])
        .exit(0);
    assert!(
        r.stdout.lines().any(|l| l.starts_with("debian=12")),
        "{}",
        r.dump()
    );
}

#[test]
fn run_from_a_subdirectory_uses_the_root_config_yml() {
    if !docker_ready("config_yml_subdir") {
        return;
    }
    // Images and network come from the root's .travis-local/config.yml even when
    // travis-local runs in a subdirectory (it used to read the current directory's).
    // Without the mapping, python 3.11 would need the built-in image, which is absent.
    common::Test::new()
        .config("language: python\npython: \"3.11\"\nscript: ['test -e /sys/class/net/docker0 && echo net=host']\n")
        .file(
            ".travis-local/config.yml",
            "images:\n  python:\n    \"3.11\": travis-local/bookworm:ci\nnetwork: host\n",
        )
        .in_subdir("sub/dir")
        .args(&["run", "--executor", "docker", "--pull", "never"])
        .run()
        .seq(&["net=host", "Done. Your build exited with 0."])
        .exit(0);
}

// ---------------------------------------------------------------- services: docker

#[test]
fn services_docker_runs_docker_and_compose_against_the_host_engine() {
    if !docker_ready("services_docker") {
        return;
    }
    let compose = "version: \"3\"\nservices:\n  idle:\n    image: travis-local/busybox:ci\n    command: [\"sleep\", \"300\"]\n    volumes: [\"./:/code\"]\n";
    let dir = repo(
        "language: minimal\nservices: [docker]\nscript:\n  - docker version --format 'server={{.Server.Version}}'\n  - docker-compose up -d\n  - docker-compose exec -T idle cat /code/marker.txt\n  - echo \"project=$COMPOSE_PROJECT_NAME\"\n",
        &[("docker-compose.yml", compose), ("marker.txt", "marker-from-the-repo\n")],
    );
    let r = run_in(dir.path(), &["--image", IMAGE, "--pull", "never"], &[]);
    r.seq(&["marker-from-the-repo", "Done. Your build exited with 0."])
        .exit(0);
    assert!(
        r.stdout.lines().any(|l| l.starts_with("server=")),
        "{}",
        r.dump()
    );
    let project = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("project="))
        .unwrap_or_else(|| panic!("{}", r.dump()))
        .trim()
        .to_string();
    let filter = format!("label=com.docker.compose.project={project}");
    let ps = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
        .expect("ps");
    assert!(
        String::from_utf8_lossy(&ps.stdout).trim().is_empty(),
        "compose containers left"
    );
    let nets = Command::new("docker")
        .args(["network", "ls", "-q", "--filter", &filter])
        .output()
        .expect("net");
    assert!(
        String::from_utf8_lossy(&nets.stdout).trim().is_empty(),
        "compose networks left"
    );
}

// ---------------------------------------------------------------- cleanup

/// Starts a long job, waits for `started`, then calls `interrupt(child pid)`.
fn interrupted_run(interrupt: impl FnOnce(u32)) -> (Option<i32>, String, Duration, u32) {
    let dir = repo(
        "language: minimal\nscript: [\"echo started\", \"sleep 120\", \"echo never\"]\n",
        &[],
    );
    let mut child = common::spawn_bin(
        dir.path(),
        &[
            "run",
            "--executor",
            "docker",
            "--image",
            IMAGE,
            "--pull",
            "never",
        ],
    );
    let stdout = child.stdout.take().expect("stdout");
    let (rx, reader) = common::watch_for_line(stdout, "started");
    if rx.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        let out = reader.join().unwrap_or_default();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        panic!("job never started\n{out}\n{err}");
    }
    let start = Instant::now();
    let pid = child.id();
    interrupt(pid);
    let status = child.wait().expect("wait");
    let took = start.elapsed();
    (status.code(), reader.join().expect("reader"), took, pid)
}

#[test]
fn sigint_stops_the_job_and_removes_its_container() {
    if !docker_ready("sigint") {
        return;
    }
    let (code, out, took, pid) = interrupted_run(|pid| {
        let ok = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok);
    });
    assert_eq!(code, Some(130), "{out}");
    assert!(took < Duration::from_secs(10), "cleanup took {took:?}");
    assert!(!out.lines().any(|l| l == "never"), "{out}");
    common::assert_no_containers(pid);
}

#[test]
fn docker_kill_of_the_job_container_errors_the_job_and_leaves_nothing() {
    if !docker_ready("docker_kill") {
        return;
    }
    let (code, out, _, pid) = interrupted_run(|pid| {
        let mine = containers_of(pid);
        assert_eq!(mine.len(), 1, "one job container: {mine:?}");
        for name in mine {
            let _ = Command::new("docker").args(["kill", &name]).output();
        }
    });
    assert_eq!(code, Some(2), "errored\n{out}");
    assert!(!out.lines().any(|l| l == "never"), "{out}");
    common::assert_no_containers(pid);
}

#[test]
fn kill_9_of_a_docker_run_then_clean_leaves_no_container_directory_or_secret() {
    if !docker_ready("kill_9_docker") {
        return;
    }
    const SECRET: &str = "dkill9-Sup3rSecret-value";
    let dir = repo(
        "language: minimal\nscript: [\"echo started; sleep 300\", \"echo never\"]\n",
        &[(".gitignore", ".travis-local/secrets.yml\n")],
    );
    std::fs::create_dir_all(dir.path().join(".travis-local")).expect("mkdir");
    std::fs::write(
        dir.path().join(".travis-local/secrets.yml"),
        format!("env:\n  - {{name: API_TOKEN, value: {SECRET}}}\n"),
    )
    .expect("secrets");
    let home = common::StateHome::new();
    let envs = home.envs();
    let (pid, out) = common::kill9_at_marker(
        dir.path(),
        &[
            "run",
            "--executor",
            "docker",
            "--image",
            IMAGE,
            "--pull",
            "never",
        ],
        &envs,
        "started",
    );
    assert!(!out.contains(SECRET), "{out}");
    let left = containers_of(pid);
    assert_eq!(
        left.len(),
        1,
        "the job container outlives travis-local: {left:?}"
    );
    let records = home.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["executor"], "docker");
    assert_eq!(records[0]["containers"][0].as_str(), Some(left[0].as_str()));
    let run_dir = std::path::PathBuf::from(records[0]["run_dir"].as_str().expect("run_dir"));
    assert!(run_dir.is_dir());
    for d in [home.runtime.path(), home.cache.path(), run_dir.as_path()] {
        let leaks = common::files_containing(d, SECRET);
        assert!(leaks.is_empty(), "secret on disk: {leaks:?}");
    }

    let mut cmd = Command::new(BIN);
    cmd.arg("clean").stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let c = cmd.output().expect("clean runs");
    let cout = String::from_utf8_lossy(&c.stdout);
    assert_eq!(
        c.status.code(),
        Some(0),
        "{cout}{}",
        String::from_utf8_lossy(&c.stderr)
    );
    assert!(cout.contains("stale run"), "{cout}");
    common::assert_no_containers(pid);
    assert!(
        !run_dir.exists(),
        "run directory left: {}",
        run_dir.display()
    );
    assert!(home.records().is_empty(), "state file left");
    assert!(
        common::processes_with_env(SECRET).is_empty(),
        "a process still holds the secret"
    );
    for d in [home.runtime.path(), home.cache.path()] {
        let leaks = common::files_containing(d, SECRET);
        assert!(leaks.is_empty(), "secret left in {leaks:?}");
    }
}

// ---------------------------------------------------------------- environment errors

#[test]
fn missing_image_with_pull_never_is_exit_4_naming_the_image() {
    if !docker_ready("pull_never") {
        return;
    }
    let dir = repo("language: minimal\nscript: [echo hi]\n", &[]);
    let r = run_in(
        dir.path(),
        &["--image", "travis-local/not-there:1", "--pull", "never"],
        &[],
    );
    r.exit(4);
    assert!(
        r.stderr.contains("travis-local/not-there:1"),
        "{}",
        r.dump()
    );
    assert!(r.stderr.contains("image bootstrap"), "{}", r.dump());
}

#[test]
fn unreachable_engine_is_exit_4_with_one_line() {
    let dir = repo("language: minimal\nscript: [echo hi]\n", &[]);
    let r = run_in(dir.path(), &[], &[("DOCKER_HOST", "unix:///nonexistent")]);
    r.exit(4);
    let lines: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("Docker engine"))
        .collect();
    assert_eq!(lines.len(), 1, "{}", r.dump());
    assert!(lines[0].contains("unix:///nonexistent"), "{}", r.dump());
    // No state files here: `clean` has only the engine to ask.
    let home = common::StateHome::new();
    for sub in [["clean"].as_slice(), ["image", "list"].as_slice()] {
        let out = Command::new(BIN)
            .args(sub)
            .env("DOCKER_HOST", "unix:///nonexistent")
            .envs(home.envs())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(4), "{sub:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{sub:?}: {err}");
    }
}
