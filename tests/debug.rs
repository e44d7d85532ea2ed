//! `run --debug` through the real binary. Without a TTY, a failed job's container is
//! kept and the exact `docker exec -it` command to attach is printed; the rc file it
//! names defines the `travis_run_<phase>` functions and gives the job's environment
//! (a secret included, read from the container's tmpfs, never from the rc file on
//! disk); Ctrl-C then removes the container. The host executor refuses `--debug`.
//!
//! The Docker case needs an engine and `travis-local/bookworm:ci` (scripts/images.sh);
//! without them it prints a notice and passes, except under CI=true where it fails.

mod common;
use common::containers_of;

use std::io::{BufRead, BufReader};
use std::process::Command;
use std::time::Duration;

const IMAGE: &str = "travis-local/bookworm:ci";

fn docker_ready(test: &str) -> bool {
    common::docker_image_ready(test, IMAGE)
}

const SECRET: &str = "dbg-s3cr3t-value";

/// Runs `travis-local run ... DEBUG` without a TTY, waits for the attach command,
/// checks what the attached shell gets, presses Ctrl-C, and checks the clean-up.
/// Returns the stdout of the run.
fn debug_session(flag: &str) -> String {
    let dir = common::committed_repo(
        "language: minimal\nenv: MYVAR=hello\nscript:\n  - echo first-run\n  - \"false\"\n",
        &[],
    );
    let token = format!("TOKEN={SECRET}");
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
            "--network",
            "host",
            flag,
            "--secret",
            &token,
        ],
    );
    let pid = child.id();
    let stderr = child.stderr.take().expect("stderr");
    let mut stdout = child.stdout.take().expect("stdout");
    let out_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim_start().starts_with("docker exec -it ") {
                let _ = tx.send(line.trim().to_string());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let attach = rx.recv_timeout(Duration::from_secs(300));
    let Ok(attach) = attach else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "no attach command printed\n{}",
            reader.join().unwrap_or_default()
        );
    };
    // docker exec -it -u travis -w BUILD NAME bash --rcfile RC -i
    let words: Vec<&str> = attach.split(' ').collect();
    assert_eq!(
        &words[..6],
        ["docker", "exec", "-it", "-u", "travis", "-w"],
        "{attach}"
    );
    let (build, name) = (words[6], words[7]);
    assert_eq!(
        &words[8..],
        ["bash", "--rcfile", "/home/travis/.travis-debug.rc", "-i"],
        "{attach}"
    );
    assert_eq!(containers_of(pid), vec![name.to_string()]);
    // What the attached shell gets: the phase functions, the job's env, the build dir.
    let out = Command::new("docker")
        .args(["exec", "-u", "travis", "-w", build, name, "bash", "-c"])
        .arg("source /home/travis/.travis-debug.rc >/dev/null 2>&1; type -t travis_run_script; echo \"$MYVAR $TOKEN\"; pwd; travis_run_script")
        .output()
        .expect("docker exec");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("function\nhello dbg-s3cr3t-value\n") && text.contains(build),
        "{text}"
    );
    assert!(
        text.contains("first-run"),
        "travis_run_script re-runs the phase: {text}"
    );
    // The rc file on the host (in the run directory) holds no secret.
    let home = build.split("/home/travis/").next().expect("home");
    let rc = std::fs::read_to_string(format!("{home}/home/travis/.travis-debug.rc"))
        .expect("rc file on the host");
    assert!(rc.contains("travis_run_script()") && !rc.contains(SECRET));

    // Ctrl-C ends the session and removes the container.
    let _ = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status();
    let status = child.wait().expect("wait");
    let err = reader.join().unwrap_or_default();
    let out = out_reader.join().unwrap_or_default();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(containers_of(pid).is_empty(), "container left\n{err}");
    assert!(!err.contains(SECRET) && !out.contains(SECRET), "{err}{out}");
    out
}

#[test]
fn debug_without_a_tty_prints_the_attach_command_and_cleans_up() {
    if !docker_ready("debug_without_a_tty") {
        return;
    }
    let out = debug_session("--debug");
    assert!(out.contains("first-run"), "the script ran first\n{out}");
}

#[test]
fn debug_start_opens_the_session_before_the_script() {
    if !docker_ready("debug_start") {
        return;
    }
    let out = debug_session("--debug=start");
    assert!(!out.contains("first-run"), "the script ran\n{out}");
}

#[test]
fn debug_with_the_host_executor_is_refused() {
    let dir = common::committed_repo("language: minimal\nscript: \"false\"\n", &[]);
    let r = common::run_bin(dir.path(), &["run", "--executor", "host", "--debug"], &[]);
    r.exit(2);
    assert!(
        r.stderr.contains("--debug needs the docker executor"),
        "{}",
        r.dump()
    );
    let r = common::run_bin(dir.path(), &["run", "--debug=later"], &[]);
    r.exit(2);
}
