//! Remote engines and `run --executor swarm` through the real binary, against the
//! private second engine of `scripts/swarm-engine.sh` (a single-node swarm on its own
//! socket, also listening on tcp://127.0.0.1:23751; the main engine is never put in
//! swarm mode):
//! - a failing and a passing job on the tcp engine run on the shipped tree (a file
//!   the job writes never reaches the host copy: no bind mount);
//! - a 6-job, 2-stage matrix with an allowed failure gives the same summary and exit
//!   code through `--executor swarm` as through the Docker executor;
//! - a secret is masked and absent from `docker service inspect`, `docker inspect` of
//!   the task and of its container;
//! - Ctrl-C leaves no service, secret, config, container or volume behind;
//! - `docker kill` of the task's container makes the job errored.
//! - a Docker context (`currentContext` in DOCKER_CONFIG) points `run` at the tcp
//!   engine; a missing context is exit 4 naming it;
//! - after `kill -9` of travis-local, `travis-local clean` removes the recorded
//!   service, secret and configs (and the task's container).
//!
//! Needs the private engine (`bash scripts/swarm-engine.sh start`, root) with the test
//! images loaded; without it the tests print a notice and pass, except under CI=true.
//! `TL_SWARM_HOST` / `TL_SWARM_TCP` override its addresses.

mod common;
use common::ci;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");
const IMAGE: &str = "travis-local/bookworm:ci";
const SECRET: &str = "swarm-s3cr3t-Zq81";

fn unix_host() -> String {
    std::env::var("TL_SWARM_HOST")
        .unwrap_or_else(|_| "unix:///run/travis-local-swarm/docker.sock".into())
}

fn tcp_host() -> String {
    std::env::var("TL_SWARM_TCP").unwrap_or_else(|_| "tcp://127.0.0.1:23751".into())
}

fn on_private(args: &[&str]) -> String {
    let out = Command::new("docker")
        .arg("-H")
        .arg(unix_host())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("docker runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The private engine answers, is a swarm manager and has the test image.
fn ready(test: &str) -> bool {
    let manager = on_private(&["info", "--format", "{{.Swarm.ControlAvailable}}"]);
    let image = !on_private(&["image", "inspect", "--format", "{{.Id}}", IMAGE])
        .trim()
        .is_empty();
    let ok = manager.trim() == "true" && image;
    if !ok {
        let why = format!(
            "the private swarm engine at {} is not running or lacks {IMAGE} (bash scripts/swarm-engine.sh start)",
            unix_host()
        );
        assert!(!ci(), "{test}: {why} under CI=true");
        eprintln!("NOTICE {test}: skipped, {why}");
    }
    ok
}

fn owner(pid: u32) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("label=travis-local.owner={}:{pid}", host.trim())
}

/// Everything on the private engine that the travis-local process `pid` owns.
fn leftovers(pid: u32) -> Vec<String> {
    let filter = owner(pid);
    let mut left = Vec::new();
    for kind in [
        vec!["service", "ls"],
        vec!["secret", "ls"],
        vec!["config", "ls"],
        vec!["ps", "-a"],
        vec!["volume", "ls"],
    ] {
        let mut args = kind.clone();
        args.extend(["-q", "--filter", &filter]);
        for id in on_private(&args).lines().filter(|l| !l.trim().is_empty()) {
            left.push(format!("{} {id}", kind[0]));
        }
    }
    left
}

/// The summary table (job, stage, result), without the durations.
fn summary(run: &common::Run) -> Vec<String> {
    let lines = run.lines();
    let start = lines
        .iter()
        .position(|l| l.starts_with("Job  Stage"))
        .unwrap_or_else(|| panic!("no summary\n{}", run.dump()));
    lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim().is_empty())
        .map(|l| {
            let mut cols: Vec<&str> = l
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            cols.pop();
            cols.join(" | ")
        })
        .collect()
}

fn run_with(dir: &Path, args: &[&str], docker_host: &str) -> common::Run {
    let mut all = vec!["run", "--image", IMAGE, "--pull", "never"];
    all.extend_from_slice(args);
    common::run_bin(dir, &all, &[("DOCKER_HOST", docker_host)])
}

#[test]
fn tcp_engine_runs_failing_and_passing_jobs_on_the_shipped_tree() {
    if !ready("tcp_engine") {
        return;
    }
    let dir = common::committed_repo(
        "language: minimal\nenv: [OK=yes, OK=no]\nscript:\n  - cat shipped.txt\n  - echo written-in-job > job-marker.txt\n  - test \"$OK\" = yes\n",
        &[("shipped.txt", "only-in-the-archive\n")],
    );
    let r = run_with(
        dir.path(),
        &["--executor", "docker", "--network", "host", "--keep"],
        &tcp_host(),
    );
    r.exit(1).job("1.1", "passed").job("1.2", "failed");
    assert_eq!(
        r.lines()
            .iter()
            .filter(|l| **l == "only-in-the-archive")
            .count(),
        2,
        "{}",
        r.dump()
    );
    // The kept host copy never saw what the job wrote: the job ran on the shipped
    // tree, not on a bind mount of this path.
    let copies: Vec<String> = r
        .lines()
        .iter()
        .filter_map(|l| l.split("the working tree was copied to ").nth(1))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(copies.len(), 2, "{}", r.dump());
    for copy in &copies {
        let copy = Path::new(copy);
        assert!(copy.join("shipped.txt").is_file(), "{}", copy.display());
        assert!(
            !copy.join("job-marker.txt").exists(),
            "the job wrote into the host copy {}",
            copy.display()
        );
    }
    if let Some(run_dir) = copies
        .first()
        .and_then(|c| c.split("/1.1/").next())
        .filter(|d| d.starts_with("/tmp/travis-local-"))
    {
        let _ = std::fs::remove_dir_all(run_dir);
    }
}

#[test]
fn swarm_matrix_with_an_allowed_failure_matches_the_docker_executor() {
    if !ready("swarm_matrix") {
        return;
    }
    let yml = "language: minimal\n\
stages: [test, after]\n\
env: [N=1, N=2, N=3, N=4, N=5]\n\
script: test \"$N\" != 3 && test \"$N\" != 5 && echo \"job $N ok\"\n\
jobs:\n  allow_failures:\n    - env: N=3\n  include:\n    - stage: after\n      env: N=6\n";
    let dir = common::committed_repo(yml, &[]);
    let docker = common::run_bin(
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
        &[],
    );
    let swarm = run_with(
        dir.path(),
        &["--executor", "swarm", "--network", "host"],
        &unix_host(),
    );
    assert_eq!(docker.code, 1, "{}", docker.dump());
    assert_eq!(swarm.code, docker.code, "{}", swarm.dump());
    let expected = summary(&docker);
    assert_eq!(expected.len(), 6, "{}", docker.dump());
    assert_eq!(summary(&swarm), expected, "{}", swarm.dump());
    let rows = summary(&swarm);
    let count = |r: &str| {
        rows.iter()
            .filter(|l| l.ends_with(&format!("| {r}")))
            .count()
    };
    assert_eq!(
        (
            count("passed"),
            count("failed"),
            count("failed (allowed)"),
            count("canceled")
        ),
        (3, 1, 1, 1),
        "{rows:?}"
    );
    assert!(
        leftovers(swarm.pid).is_empty(),
        "{:?}",
        leftovers(swarm.pid)
    );
}

/// Starts `run --executor swarm` on a job that prints `marker` then sleeps; returns
/// the child once the marker was printed, with the output reader.
fn started(
    yml: &str,
    marker: &'static str,
    extra: &[&str],
) -> (
    std::process::Child,
    std::thread::JoinHandle<String>,
    tempfile::TempDir,
) {
    let dir = common::committed_repo(yml, &[]);
    let mut args = vec![
        "run",
        "--executor",
        "swarm",
        "--network",
        "host",
        "--image",
        IMAGE,
        "--pull",
        "never",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(dir.path())
        .env("DOCKER_HOST", unix_host())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let (rx, reader) = common::watch_for_line(stdout, marker);
    if rx.recv_timeout(Duration::from_secs(120)).is_err() {
        let _ = child.kill();
        let out = reader.join().unwrap_or_default();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        panic!("the job never printed {marker}\n{out}\n{err}");
    }
    (child, reader, dir)
}

#[test]
fn swarm_secret_is_masked_and_absent_from_service_and_task_inspect() {
    if !ready("swarm_secret") {
        return;
    }
    let (mut child, reader, _dir) = started(
        "language: minimal\nscript:\n  - echo \"value=$MY_TOKEN\"\n  - echo inspect-now\n  - sleep 6\n",
        "inspect-now",
        &["--secret", &format!("MY_TOKEN={SECRET}")],
    );
    let filter = owner(child.id());
    let services = on_private(&["service", "ls", "-q", "--filter", &filter]);
    let service = services.lines().next().expect("one service").to_string();
    let service_json = on_private(&["service", "inspect", &service]);
    assert!(service_json.contains("travis-local-env"), "{service_json}");
    let tasks = on_private(&["service", "ps", "-q", "--no-trunc", &service]);
    let task = tasks.lines().next().expect("one task").to_string();
    let task_json = on_private(&["inspect", &task]);
    let containers = on_private(&["ps", "-aq", "--no-trunc", "--filter", &filter]);
    let container = containers.lines().next().expect("a task container");
    let container_json = on_private(&["inspect", container]);
    for (what, json) in [
        ("service", &service_json),
        ("task", &task_json),
        ("container", &container_json),
    ] {
        assert!(!json.trim().is_empty(), "{what} inspect is empty");
        assert!(
            !json.contains(SECRET),
            "the secret is in the {what}: {json}"
        );
    }
    let status = child.wait().expect("wait");
    let out = reader.join().expect("reader");
    assert_eq!(status.code(), Some(0), "{out}");
    assert!(out.lines().any(|l| l == "value=[secure]"), "{out}");
    assert!(!out.contains(SECRET), "{out}");
}

#[test]
fn swarm_ctrl_c_leaves_no_service_secret_container_or_volume() {
    if !ready("swarm_ctrl_c") {
        return;
    }
    let (mut child, reader, _dir) = started(
        "language: minimal\nenv: [A=1, A=2]\nscript: [\"echo started\", \"sleep 120\", \"echo never\"]\n",
        "[1.2] started",
        &["--secret", &format!("MY_TOKEN={SECRET}")],
    );
    let pid = child.id();
    assert!(!leftovers(pid).is_empty(), "the run created nothing?");
    let ok = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
    let status = child.wait().expect("wait");
    let out = reader.join().expect("reader");
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(!out.lines().any(|l| l.ends_with("never")), "{out}");
    assert!(leftovers(pid).is_empty(), "left: {:?}", leftovers(pid));
}

#[test]
fn swarm_task_killed_from_outside_errors_the_job() {
    if !ready("swarm_kill") {
        return;
    }
    let (mut child, reader, _dir) = started(
        "language: minimal\nscript: [\"echo started\", \"sleep 120\", \"echo never\"]\n",
        "started",
        &[],
    );
    let pid = child.id();
    let containers = on_private(&["ps", "-q", "--filter", &owner(pid)]);
    let container = containers.lines().next().expect("the task's container");
    on_private(&["kill", container]);
    let status = child.wait().expect("wait");
    let out = reader.join().expect("reader");
    assert_eq!(status.code(), Some(2), "errored\n{out}");
    assert!(!out.lines().any(|l| l == "never"), "{out}");
    assert!(leftovers(pid).is_empty(), "left: {:?}", leftovers(pid));
}

#[test]
fn kill_9_of_a_swarm_run_then_clean_removes_its_swarm_objects() {
    if !ready("swarm_kill_9") {
        return;
    }
    let dir = common::committed_repo(
        "language: minimal\nscript: [\"echo started; sleep 300\", \"echo never\"]\n",
        &[],
    );
    let home = common::StateHome::new();
    let host = unix_host();
    let mut envs: Vec<(&str, &Path)> = home.envs().to_vec();
    envs.push(("DOCKER_HOST", Path::new(&host)));
    let (pid, out) = common::kill9_at_marker(
        dir.path(),
        &[
            "run",
            "--executor",
            "swarm",
            "--network",
            "host",
            "--image",
            IMAGE,
            "--pull",
            "never",
            "--secret",
            &format!("MY_TOKEN={SECRET}"),
        ],
        &envs,
        "started",
    );
    assert!(!out.contains(SECRET), "{out}");
    assert!(!leftovers(pid).is_empty(), "nothing outlived travis-local?");
    let records = home.records();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["executor"], "swarm");
    let objects = records[0]["swarm_objects"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        objects.len() >= 3,
        "service, secret, config recorded: {objects:?}"
    );
    let mut cmd = Command::new(BIN);
    cmd.arg("clean").current_dir(dir.path());
    for (k, v) in &envs {
        cmd.env(k, v);
    }
    let clean = cmd.output().expect("clean runs");
    let text = String::from_utf8_lossy(&clean.stdout).into_owned()
        + &String::from_utf8_lossy(&clean.stderr);
    assert_eq!(clean.status.code(), Some(0), "{text}");
    assert!(
        leftovers(pid).is_empty(),
        "left: {:?}\n{text}",
        leftovers(pid)
    );
    assert!(home.records().is_empty(), "{text}");
}

#[test]
fn docker_context_points_run_at_the_tcp_engine() {
    if !ready("docker_context") {
        return;
    }
    // A docker CLI config with a context "far" → the private engine's tcp endpoint.
    let config = tempfile::tempdir().expect("tmp");
    let hash = Command::new("sh")
        .args(["-c", "printf %s far | sha256sum | cut -d' ' -f1"])
        .output()
        .expect("sha256sum");
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    let meta = config.path().join("contexts/meta").join(hash);
    std::fs::create_dir_all(&meta).expect("mkdir");
    std::fs::write(
        meta.join("meta.json"),
        format!(
            r#"{{"Name":"far","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{}","SkipTLSVerify":false}}}}}}"#,
            tcp_host()
        ),
    )
    .expect("meta");
    std::fs::write(
        config.path().join("config.json"),
        r#"{"currentContext":"far"}"#,
    )
    .expect("config");
    let dir = common::committed_repo(
        "language: minimal\nscript:\n  - cat shipped.txt\n  - \"! mount | grep -q /home/travis\"\n",
        &[("shipped.txt", "via-context\n")],
    );
    let mut cmd = Command::new(BIN);
    cmd.args([
        "run",
        "--executor",
        "docker",
        "--network",
        "host",
        "--image",
        IMAGE,
        "--pull",
        "never",
    ])
    .current_dir(dir.path())
    .env_remove("DOCKER_HOST")
    .env_remove("DOCKER_CONTEXT")
    .env("DOCKER_CONFIG", config.path())
    .stdin(Stdio::null());
    let out = cmd.output().expect("run");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.lines().any(|l| l == "via-context"), "{text}");
    // A context that does not exist is an environment error naming it.
    let out = Command::new(BIN)
        .args(["run", "--executor", "docker"])
        .current_dir(dir.path())
        .env_remove("DOCKER_HOST")
        .env("DOCKER_CONFIG", config.path())
        .env("DOCKER_CONTEXT", "nowhere")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("\"nowhere\""), "{err}");
}

/// `docker` on the main engine (this machine's), never the private one.
fn on_main(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker")
        .args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null())
        .output()
        .expect("docker runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn swarm_loads_a_missing_image_onto_the_manager_or_names_the_node() {
    if !ready("swarm_images") {
        return;
    }
    // A tag only the main engine has (same image as the test image: its layers load fast).
    let tag = format!("travis-local/bookworm:swarm-load-{}", std::process::id());
    let (ok, text) = on_main(&["tag", IMAGE, &tag]);
    assert!(ok, "{text}");
    on_private(&["image", "rm", &tag]);
    let dir = common::committed_repo("language: minimal\nscript: cat /etc/debian_version\n", &[]);
    let swarm_run = |image: &str| {
        common::run_bin(
            dir.path(),
            &[
                "run",
                "--executor",
                "swarm",
                "--network",
                "host",
                "--pull",
                "never",
                "--image",
                image,
            ],
            &[("DOCKER_HOST", &unix_host())],
        )
    };
    let r = swarm_run(&tag);
    let node = on_private(&["info", "--format", "{{.Name}}"])
        .trim()
        .to_string();
    let present = !on_private(&["image", "inspect", "--format", "{{.Id}}", &tag])
        .trim()
        .is_empty();
    on_main(&["image", "rm", &tag]);
    on_private(&["image", "rm", &tag]);
    r.exit(0).job("1.1", "passed");
    assert!(
        r.stderr.contains(&format!("loaded {tag} onto node {node}")),
        "{}",
        r.dump()
    );
    assert!(present, "{tag} was not on the private engine after the run");

    // On neither engine, with --pull never: exit 4 naming the node.
    let r = swarm_run("travis-local/absent-everywhere:ci");
    r.exit(4);
    assert!(
        r.stderr.contains(&format!("not on swarm node {node}")),
        "{}",
        r.dump()
    );
    assert!(leftovers(r.pid).is_empty(), "{:?}", leftovers(r.pid));
}
