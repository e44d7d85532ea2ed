//! The Docker executor against the real engine, with hand-written scripts (independent
//! of the runner and script crates). Skips with a notice when no engine or no test
//! image is available, except under CI=true where that is a failure.

use serde_json::json;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use travis_local_docker::images::PullPolicy;
use travis_local_docker::DockerOptions as DockerArgs;
use travis_local_runner::executor::{
    CancelReason, CancelToken, ExecError, Executor, JobEnd, JobRun, OutputSink,
};

const IMAGE: &str = "travis-local/bookworm:ci";

#[derive(Default, Clone)]
struct Collect(Arc<Mutex<Vec<u8>>>);

impl OutputSink for Collect {
    fn output(&self, bytes: &[u8]) {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(bytes);
        }
    }
}

impl Collect {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .unwrap_or_default()
    }
}

fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// The executor, or None (with a notice) when the engine or image is missing.
fn executor(args: DockerArgs, test: &str) -> Option<Box<dyn Executor>> {
    let image_ok = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    match travis_local_docker::executor_from_args(
        &args,
        &travis_local_config::local::LocalConfig::default(),
    ) {
        Ok(ex) if image_ok => Some(ex),
        Ok(_) => {
            assert!(
                !ci(),
                "{test}: {IMAGE} is missing under CI=true (scripts/images.sh builds it)"
            );
            eprintln!("NOTICE {test}: skipped, {IMAGE} is missing (run scripts/images.sh)");
            None
        }
        Err(e) => {
            assert!(!ci(), "{test}: no Docker engine under CI=true: {e}");
            eprintln!("NOTICE {test}: skipped, no Docker engine: {e}");
            None
        }
    }
}

fn args() -> DockerArgs {
    DockerArgs {
        image: Some(IMAGE.into()),
        pull: PullPolicy::Never,
        ..Default::default()
    }
}

struct Job {
    _dir: tempfile::TempDir,
    run: JobRun,
}

fn job(name: &str, script: &str, config: serde_json::Value) -> Job {
    let dir = tempfile::Builder::new()
        .prefix("tl-docker-test.")
        .tempdir()
        .expect("tempdir");
    let home = dir.path().join("home/travis");
    let build = home.join("build/owner/repo");
    std::fs::create_dir_all(&build).expect("mkdir");
    std::fs::write(build.join("README"), "hello from the host\n").expect("write");
    let run_id = format!("test-{name}-{}", std::process::id());
    Job {
        run: JobRun {
            number: "1.1".into(),
            run_id,
            script: script.into(),
            env: vec![("SECRET_VALUE".into(), "s3cr3t".into())],
            build_dir: build,
            home_dir: home,
            repo_slug: "owner/repo".into(),
            config,
            cache: None,
        },
        _dir: dir,
    }
}

fn labelled(run_id: &str) -> Vec<String> {
    let out = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=travis-local.run={run_id}"),
        ])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

fn run(ex: &dyn Executor, j: &Job, cancel: &CancelToken) -> (Result<JobEnd, ExecError>, String) {
    let sink = Collect::default();
    ex.prepare(std::slice::from_ref(&j.run), &sink)
        .expect("prepare");
    let end = ex.run(&j.run, &sink, cancel);
    ex.cleanup(&j.run.run_id).expect("cleanup");
    (end, sink.text())
}

#[test]
fn runs_script_as_travis_in_the_build_dir_and_returns_the_exit_code() {
    let Some(ex) = executor(args(), "exit_code") else {
        return;
    };
    let script = r#"
echo "user=$(id -un) uid=$(id -u) home=$HOME"
echo "pwd=$(pwd)"
cat README
echo "secret=$SECRET_VALUE"
[ -t 1 ] && echo "tty=yes"
sudo -n true && echo "sudo=yes"
echo "compose=$COMPOSE_PROJECT_NAME"
touch made-in-container
exit 3
"#;
    let j = job("exit", script, json!({"language": "shell"}));
    let (end, out) = run(ex.as_ref(), &j, &CancelToken::new());
    assert_eq!(end.expect("run"), JobEnd::Exited(3), "{out}");
    assert!(
        out.contains("user=travis uid=2000 home=/home/travis"),
        "{out}"
    );
    assert!(
        out.contains(&format!("pwd={}", j.run.build_dir.display())),
        "{out}"
    );
    assert!(out.contains("hello from the host"), "{out}");
    assert!(out.contains("secret=s3cr3t"), "{out}");
    assert!(out.contains("tty=yes") && out.contains("sudo=yes"), "{out}");
    assert!(out.contains("compose=travis-local-test-exit-"), "{out}");
    assert!(!out.contains("\r\n"), "no CR from the TTY: {out:?}");
    // The file written by uid 2000 is back in the host user's hands, on the host.
    let made = j.run.build_dir.join("made-in-container");
    assert!(made.exists());
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    assert_eq!(std::fs::metadata(&made).expect("meta").uid(), uid);
    assert!(labelled(&j.run.run_id).is_empty(), "container left behind");
}

#[test]
fn zero_exit_and_state_across_lines() {
    let Some(ex) = executor(args(), "zero") else {
        return;
    };
    let j = job(
        "zero",
        "export A=1\ncd /tmp\necho \"A=$A $(pwd)\"\n",
        json!({}),
    );
    let (end, out) = run(ex.as_ref(), &j, &CancelToken::new());
    assert_eq!(end.expect("run"), JobEnd::Exited(0), "{out}");
    assert!(out.contains("A=1 /tmp"), "{out}");
}

#[test]
fn cancel_stops_the_job_quickly_and_leaves_nothing() {
    let Some(ex) = executor(args(), "cancel") else {
        return;
    };
    let j = job(
        "cancel",
        "echo started\nsleep 120\necho not-reached\n",
        json!({}),
    );
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let sink = Collect::default();
    ex.prepare(std::slice::from_ref(&j.run), &sink)
        .expect("prepare");
    let s2 = sink.clone();
    let waiter = std::thread::spawn(move || {
        let start = Instant::now();
        while !s2.text().contains("started") && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(50));
        }
        c2.cancel(CancelReason::Interrupted);
        Instant::now()
    });
    let end = ex.run(&j.run, &sink, &cancel);
    let cancelled_at = waiter.join().expect("thread");
    let took = cancelled_at.elapsed();
    assert_eq!(
        end.expect("run"),
        JobEnd::Cancelled(CancelReason::Interrupted)
    );
    assert!(took < Duration::from_secs(10), "cancel took {took:?}");
    assert!(!sink.text().contains("not-reached"));
    assert!(labelled(&j.run.run_id).is_empty(), "container left behind");
    ex.cleanup(&j.run.run_id).expect("cleanup");
}

#[test]
fn docker_kill_of_the_job_container_is_reported_as_killed() {
    let Some(ex) = executor(args(), "kill") else {
        return;
    };
    let j = job("kill", "echo started\nsleep 120\n", json!({}));
    let run_id = j.run.run_id.clone();
    let sink = Collect::default();
    ex.prepare(std::slice::from_ref(&j.run), &sink)
        .expect("prepare");
    let s2 = sink.clone();
    let killer = std::thread::spawn(move || {
        let start = Instant::now();
        while !s2.text().contains("started") && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(50));
        }
        for id in labelled(&run_id) {
            let _ = Command::new("docker").args(["kill", &id]).output();
        }
    });
    let end = ex.run(&j.run, &sink, &CancelToken::new());
    killer.join().expect("thread");
    match end.expect("run") {
        JobEnd::Killed(why) => assert!(why.contains("stopped from outside"), "{why}"),
        other => panic!("expected Killed, got {other:?}"),
    }
    assert!(labelled(&j.run.run_id).is_empty(), "container left behind");
}

#[test]
fn services_docker_gives_the_job_the_engine_and_cleans_the_compose_project() {
    let Some(ex) = executor(args(), "services_docker") else {
        return;
    };
    let script = r#"
set -e
docker version --format 'server={{.Server.Version}}'
docker-compose version --short
cat > docker-compose.yml <<'EOF'
version: "3"
services:
  idle:
    image: travis-local/busybox:ci
    command: ["sleep", "300"]
    volumes: ["data:/data", "./:/code"]
volumes:
  data: {}
EOF
docker-compose up -d
docker-compose exec -T idle cat /code/README
echo "project=$COMPOSE_PROJECT_NAME"
"#;
    let j = job("svc", script, json!({"services": ["docker"]}));
    let (end, out) = run(ex.as_ref(), &j, &CancelToken::new());
    assert_eq!(end.expect("run"), JobEnd::Exited(0), "{out}");
    assert!(out.contains("server="), "{out}");
    assert!(
        out.contains("hello from the host"),
        "bind mount at the same path: {out}"
    );
    let project = out
        .lines()
        .find_map(|l| l.strip_prefix("project="))
        .expect("project line")
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
    let vols = Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", &filter])
        .output()
        .expect("vol");
    assert!(
        String::from_utf8_lossy(&vols.stdout).trim().is_empty(),
        "compose volumes left"
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

#[test]
fn missing_image_with_pull_never_is_an_environment_error() {
    let mut a = args();
    a.image = Some("travis-local/does-not-exist:never".into());
    let Some(ex) = executor(a, "pull_never") else {
        return;
    };
    let j = job("pullnever", "true\n", json!({}));
    let err = ex
        .prepare(std::slice::from_ref(&j.run), &Collect::default())
        .expect_err("must fail");
    assert!(err.environment, "{err}");
    assert!(
        err.message.contains("travis-local/does-not-exist:never"),
        "{err}"
    );
    assert!(err.message.contains("image bootstrap"), "{err}");
}

#[test]
fn keep_on_failure_keeps_the_container() {
    let mut a = args();
    a.keep_on_failure = true;
    let Some(ex) = executor(a, "keep") else {
        return;
    };
    let j = job("keep", "exit 1\n", json!({}));
    let sink = Collect::default();
    ex.prepare(std::slice::from_ref(&j.run), &sink)
        .expect("prepare");
    assert_eq!(
        ex.run(&j.run, &sink, &CancelToken::new()).expect("run"),
        JobEnd::Exited(1)
    );
    ex.cleanup(&j.run.run_id).expect("cleanup");
    let left = labelled(&j.run.run_id);
    assert_eq!(left.len(), 1, "kept container");
    let _ = Command::new("docker").args(["rm", "-f", &left[0]]).output();
}

/// Services other than docker are started by the compiled script (the single truth of
/// what a job does), never behind its back by the executor.
#[test]
fn other_services_are_left_to_the_script() {
    let Some(ex) = executor(args(), "services_other") else {
        return;
    };
    let script =
        "if pgrep -x nginx >/dev/null; then echo nginx-running; else echo nginx-not-running; fi\n";
    let j = job(
        "svcother",
        script,
        json!({"services": ["nginx", "postgresql"]}),
    );
    let (end, out) = run(ex.as_ref(), &j, &CancelToken::new());
    assert_eq!(end.expect("run"), JobEnd::Exited(0), "{out}");
    assert!(out.contains("nginx-not-running"), "{out}");
    assert!(!out.contains("started service"), "{out}");
    assert!(labelled(&j.run.run_id).is_empty(), "container left behind");
}
