//! `--commit REF` for `run`, `jobs` and `compile` through the real binary: the build is
//! the one of that commit (its .travis.yml, its tree, its SHA and message), taken from
//! git's object store, while the working tree holds uncommitted edits that neither leak
//! into the build nor change.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");

const OLD_YML: &str = "language: minimal\nscript:\n  - echo \"config=v1 file=$(cat file.txt) sha=$TRAVIS_COMMIT\"\n  - echo \"msg=$TRAVIS_COMMIT_MESSAGE\"\n";
const NEW_YML: &str = "language: minimal\nenv: [A=1, A=2]\nscript: echo config=v2\n";

fn tl(dir: &Path, tmp: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .output()
        .expect("travis-local runs")
}

fn git_out(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn status(dir: &Path) -> String {
    git_out(dir, &["status", "--porcelain", "--untracked-files=all"])
}

#[test]
fn commit_builds_the_old_config_and_tree_and_leaves_the_working_tree_alone() {
    let repo = common::committed_repo(OLD_YML, &[("file.txt", "old\n")]);
    let p = repo.path();
    let old_sha = git_out(p, &["rev-parse", "HEAD"]);
    std::fs::write(p.join(".travis.yml"), NEW_YML).expect("write");
    std::fs::write(p.join("file.txt"), "new\n").expect("write");
    common::git(p, &["commit", "-qam", "second"]);
    // uncommitted edits and an untracked file
    std::fs::write(p.join("file.txt"), "dirty\n").expect("write");
    std::fs::write(p.join("untracked.txt"), "u\n").expect("write");
    let before = status(p);
    let head_before = git_out(p, &["rev-parse", "HEAD"]);
    let tmp = tempfile::tempdir().expect("tempdir");

    let out = tl(
        p,
        tmp.path(),
        &["run", "--executor", "host", "--commit", "HEAD~1"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("config=v1 file=old sha={old_sha}")),
        "the old config and tree: {stdout}"
    );
    assert!(stdout.contains("msg=init"), "{stdout}");
    assert!(
        !stdout.contains("dirty") && !stdout.contains("config=v2"),
        "{stdout}"
    );
    // the working tree, index and HEAD are as they were
    assert_eq!(status(p), before);
    assert_eq!(
        std::fs::read_to_string(p.join("file.txt")).unwrap_or_default(),
        "dirty\n"
    );
    assert_eq!(git_out(p, &["rev-parse", "HEAD"]), head_before);
    // nothing left in the temporary directory
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    // jobs and compile see the same commit
    let out = tl(
        p,
        tmp.path(),
        &["jobs", "--format", "json", "--commit", "HEAD~1"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1), "{v}");
    let out = tl(p, tmp.path(), &["jobs", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        v["jobs"].as_array().map(Vec::len),
        Some(2),
        "the working tree's config: {v}"
    );
    let out = tl(p, tmp.path(), &["compile", "--commit", &old_sha[..10]]);
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("config=v1") && script.contains(&old_sha),
        "{script}"
    );
    assert_eq!(status(p), before);
}

#[test]
fn a_ref_that_is_not_a_commit_is_an_error() {
    let repo = common::committed_repo("language: minimal\nscript: true\n", &[]);
    let p = repo.path();
    let tmp = tempfile::tempdir().expect("tempdir");
    for (args, code) in [
        (
            vec!["run", "--executor", "host", "--commit", "no-such-ref"],
            4,
        ),
        (vec!["jobs", "--commit", "no-such-ref"], 2),
        (vec!["compile", "--commit", "no-such-ref"], 2),
        (vec!["jobs", "--commit", "--help"], 2),
    ] {
        let out = tl(p, tmp.path(), &args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--commit"), "{args:?}: {err}");
    }
    let tree = git_out(p, &["rev-parse", "HEAD^{tree}"]);
    let out = tl(p, tmp.path(), &["jobs", "--commit", &tree]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a tree is not a commit: {out:?}"
    );
}
