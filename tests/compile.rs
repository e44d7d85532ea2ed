//! `travis-local compile` and `travis-local secrets`, run as the real binary on temporary
//! git repositories.

mod common;

use assert_cmd::Command;
use common::{git, Test};
use std::path::Path;

const CIPHER: &str = "ZmFrZSBjaXBoZXJ0ZXh0IGZvciB0ZXN0cw==";

fn repo(travis_yml: &str) -> tempfile::TempDir {
    common::committed_repo(travis_yml, &[])
}

fn secure_id() -> String {
    travis_local_script::secrets::secure_id(CIPHER)
}

fn with_secrets(dir: &Path) {
    std::fs::create_dir_all(dir.join(".travis-local")).unwrap();
    std::fs::write(
        dir.join(".travis-local/secrets.yml"),
        format!(
            "env:\n  - {{name: API_KEY, value: \"k3y-v4lue\", branch: master}}\n  - {{name: LOG_LEVEL, value: debug, public: true}}\nsecure:\n  {}: \"DEPLOY_TOKEN=t0ken-v4lue\"\n",
            secure_id()
        ),
    )
    .unwrap();
}

fn bin() -> Command {
    Command::cargo_bin("travis-local").unwrap()
}

const YML: &str = "language: minimal\nenv:\n  global:\n    - secure: ZmFrZSBjaXBoZXJ0ZXh0IGZvciB0ZXN0cw==\n  jobs:\n    - A=1\n    - A=2\nscript:\n  - echo \"a=$A\"\n";

#[test]
fn compile_prints_a_valid_script_without_secret_values() {
    let dir = repo(YML);
    with_secrets(dir.path());
    let out = bin()
        .args(["compile", "--repo", "o/r", "--branch", "master"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("#!/bin/bash"));
    assert!(stdout.contains("travis_run_script"));
    assert!(stdout.contains("'export A=1'"));
    assert!(stdout.contains("--display 'export API_KEY=[secure]'"));
    assert!(stdout.contains("--display 'export DEPLOY_TOKEN=[secure]'"));
    assert!(stdout.contains("'export LOG_LEVEL=debug'"));
    for secret in ["k3y-v4lue", "t0ken-v4lue"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(stdout.as_ref())
        .status()
        .unwrap();
    assert!(syntax.success());
    // Deterministic.
    let again = bin()
        .args(["compile", "--repo", "o/r", "--branch", "master"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn compile_selects_a_job_and_the_script_runs() {
    let dir = repo(YML);
    let build = dir.path().join("build");
    std::fs::create_dir_all(&build).unwrap();
    let out = bin()
        .args([
            "compile",
            "2",
            "--repo",
            "o/r",
            "--branch",
            "dev",
            "--no-color",
            "--build-dir",
        ])
        .arg(&build)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(script.contains("'export A=2'"));
    // The secure entry has no local value: a notice, not a failure.
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no local value; not exported"));
    let path = dir.path().join("build.sh");
    std::fs::write(&path, &script).unwrap();
    let run = std::process::Command::new("bash")
        .arg(&path)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{log}");
    assert!(log.contains("\na=2\n"));
    assert!(log.contains("Done. Your build exited with 0."));
}

#[test]
fn tracked_secrets_file_is_refused() {
    let dir = repo(YML);
    with_secrets(dir.path());
    git(dir.path(), &["add", "-f", ".travis-local/secrets.yml"]);
    let out = bin()
        .args(["compile", "--repo", "o/r"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tracked by git") && err.contains("git rm --cached"),
        "{err}"
    );
    assert!(!err.contains("k3y-v4lue"));
    let out = bin()
        .args(["compile", "--repo", "o/r", "--allow-tracked-secrets"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = bin()
        .args(["secrets"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn secrets_lists_without_values() {
    let dir = repo(YML);
    with_secrets(dir.path());
    let out = bin()
        .args(["secrets", "--secret", "EXTRA=fl4g-value"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&secure_id()));
    assert!(text.contains("env.global[0]"));
    assert!(text.contains("DEPLOY_TOKEN"));
    assert!(text.contains("local value: yes"));
    assert!(text.contains("API_KEY") && text.contains("branch: master"));
    assert!(text.contains("EXTRA"));
    for secret in ["k3y-v4lue", "t0ken-v4lue", "fl4g-value"] {
        assert!(!text.contains(secret));
    }
    let out = bin()
        .args(["secrets", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["secure"][0]["location"], "env.global[0]");
    assert_eq!(v["secure"][0]["has_local_value"], true);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("k3y-v4lue"));
}

#[test]
fn bad_flags_and_files_fail_clearly() {
    let compile = || Test::new().config(YML).args(&["compile"]);
    compile()
        .args(&["--secret", "no-equals"])
        .run()
        .exit(2)
        .stderr("--secret");
    compile()
        .args(&["--secrets-file", "missing.yml"])
        .run()
        .exit(2);
    // Ignored, so that the builder's commit leaves it untracked.
    compile()
        .file(".gitignore", ".travis-local/secrets.yml\n")
        .file(".travis-local/secrets.yml", "env: [{name: X}]\n")
        .args(&["--repo", "o/r"])
        .run()
        .exit(3)
        .stderr("env[0]");
}

#[test]
fn unignored_secrets_file_gives_a_warning() {
    let dir = repo(YML);
    with_secrets(dir.path());
    let out = bin()
        .args(["secrets"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("is not ignored by git"));
    std::fs::write(dir.path().join(".gitignore"), ".travis-local/secrets.yml\n").unwrap();
    let out = bin()
        .args(["secrets"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("is not ignored by git"));
}

/// README "Exit codes": `compile` exits 0 when done, also when no job would run (the
/// reason on stderr, no script), 2 for usage or I/O errors, 3 for an unusable config.
#[test]
fn compile_exit_codes_match_the_readme() {
    let dir = repo("language: minimal\nif: branch = release\nscript: echo hi\n");
    let out = bin()
        .args(["compile", "--repo", "o/r", "--branch", "master"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty(), "no script when no job runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no job would run"), "{err}");
    // selected by stage, matching nothing: done too
    let out = bin()
        .args([
            "compile", "--repo", "o/r", "--branch", "release", "--stage", "nope",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown stage is a usage error: {out:?}"
    );
    // a usage error
    let out = bin()
        .args(["compile", "--no-such-flag"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // an I/O error: the named config does not exist
    let out = bin()
        .args(["compile", "--config", "missing.yml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // an unusable config
    let bad = repo("script: [echo hi\n");
    let out = bin()
        .args(["compile", "--repo", "o/r"])
        .current_dir(bad.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}

/// `.travis-local/config.yml` is read once from the repository root (also from a
/// subdirectory); an unknown key is reported at its line and column, a mistyped one
/// stops with exit 3.
#[test]
fn local_settings_are_read_from_the_root_and_checked() {
    let dir = repo("language: minimal\nscript: echo \"x=$FROM_LOCAL\"\n");
    std::fs::create_dir_all(dir.path().join(".travis-local")).unwrap();
    std::fs::create_dir_all(dir.path().join("sub/dir")).unwrap();
    std::fs::write(
        dir.path().join(".travis-local/config.yml"),
        "env:\n  - FROM_LOCAL=yes\nimage:\n  default: x\n",
    )
    .unwrap();
    let out = bin()
        .args(["compile", "--repo", "o/r", "--branch", "master"])
        .current_dir(dir.path().join("sub/dir"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains("FROM_LOCAL"), "root settings' env is used");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".travis-local/config.yml:3:1: warn[unknown_key]: unknown key `image`")
            && err.contains("did you mean `images`?"),
        "{err}"
    );
    std::fs::write(
        dir.path().join(".travis-local/config.yml"),
        "network: host\ntrust_host_ca: perhaps\n",
    )
    .unwrap();
    let out = bin()
        .args(["compile", "--repo", "o/r", "--branch", "master"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".travis-local/config.yml:2:") && err.contains("trust_host_ca"),
        "{err}"
    );
}
