//! Helpers shared by the integration tests that drive the real `travis-local` binary.

use std::io::Read;
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
