//! Integration tests for `travis-local jobs`: the real binary in a temporary git repository.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?} failed");
}

/// A git repo on branch `branch` with origin acme/widget and the given .travis.yml.
fn repo(travis_yml: &str, branch: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q", "-b", branch]);
    git(
        dir.path(),
        &[
            "remote",
            "add",
            "origin",
            "https://github.com/acme/widget.git",
        ],
    );
    std::fs::write(dir.path().join(".travis.yml"), travis_yml).expect("write config");
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first commit"]);
    dir
}

fn jobs(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(env!("CARGO_BIN_EXE_travis-local"))
        .current_dir(dir)
        .arg("jobs")
        .args(args)
        .assert()
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = jobs(dir, &all).success().get_output().stdout.clone();
    serde_json::from_slice(&out).expect("jobs --format json prints JSON")
}

const STAGED: &str = r#"
language: python
python: ["3.8", "3.9"]
env:
  global:
    - secure: "ZW5jcnlwdGVkLWJsb2I="
    - PUBLIC=1
stages:
  - test
  - name: deploy
    if: branch = master
jobs:
  allow_failures:
    - python: "3.9"
  include:
    - stage: deploy
      name: publish
      script: ./publish.sh
"#;

#[test]
fn text_table_defaults_from_git_and_skip_reasons() {
    let dir = repo(STAGED, "dev");
    let out = jobs(dir.path(), &[]).success().get_output().stdout.clone();
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.contains("Build 1 of acme/widget: push to `dev`"),
        "{out}"
    );
    assert!(out.contains("Stage test"), "{out}");
    assert!(
        out.contains("1.1") && out.contains("python 3.8") && out.contains("linux/focal"),
        "{out}"
    );
    assert!(
        out.contains("[secure] PUBLIC=1"),
        "secure env must be masked: {out}"
    );
    assert!(!out.contains("ZW5jcnlwdGVkLWJsb2I="), "{out}");
    assert!(out.contains("yes"), "allow_failure column: {out}");
    assert!(
        out.contains("stage `deploy`: `if: branch = master` is false for branch `dev`"),
        "{out}"
    );
    assert!(
        out.contains("(name: publish): its stage `deploy` is skipped"),
        "{out}"
    );
}

#[test]
fn json_shape_and_order() {
    let dir = repo(STAGED, "dev");
    let v = json(dir.path(), &["--branch", "master", "--build-number", "7"]);
    assert_eq!(v["build"]["runs"], true);
    assert!(v["build"]["reason"].is_null());
    let jobs = v["jobs"].as_array().expect("jobs array");
    let numbers: Vec<&str> = jobs
        .iter()
        .map(|j| j["number"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(numbers, ["7.1", "7.2", "7.3"]);
    // the allowed failure moves to the end of its stage
    assert_eq!(jobs[1]["allow_failure"], true);
    assert_eq!(jobs[1]["config"]["python"], "3.9");
    assert_eq!(jobs[2]["stage"], "deploy");
    assert_eq!(jobs[2]["name"], "publish");
    assert_eq!(jobs[2]["config"]["script"][0], "./publish.sh");
    assert_eq!(jobs[0]["config"]["env"][1]["PUBLIC"], "1");
    assert_eq!(jobs[0]["config"]["language"], "python");
    let stages: Vec<&str> = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(stages, ["test", "deploy"]);
    assert_eq!(v["build"]["facts"]["repo"], "acme/widget");
    assert_eq!(v["build"]["facts"]["commit_message"], "first commit");
    assert!(v["skipped"].as_array().unwrap().is_empty());
}

#[test]
fn build_that_would_not_run_says_why_and_exits_zero() {
    let dir = repo(
        "language: shell\nbranches:\n  only: [master, /^release-/]\n",
        "feature",
    );
    let out = jobs(dir.path(), &[]).success().get_output().stdout.clone();
    let out = String::from_utf8_lossy(&out);
    assert!(
        out.contains("The build would not run: branch `feature` not in branches.only"),
        "{out}"
    );
    let v = json(dir.path(), &[]);
    assert_eq!(v["build"]["runs"], false);
    assert!(v["build"]["reason"]
        .as_str()
        .unwrap_or("")
        .contains("branches.only"));
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(0));
    let v = json(dir.path(), &["--branch", "release-2"]);
    assert_eq!(v["build"]["runs"], true);
}

#[test]
fn pull_request_facts_and_job_if() {
    let cfg = "language: shell\njobs:\n  include:\n    - name: a\n    - name: not-on-prs\n      if: type != pull_request\n    - name: forks\n      if: fork = true\n";
    let dir = repo(cfg, "topic");
    let v = json(
        dir.path(),
        &[
            "--pr",
            "12",
            "--branch",
            "master",
            "--pr-head-repo",
            "someone/widget",
        ],
    );
    let facts = &v["build"]["facts"];
    assert_eq!(facts["event"], "pull_request");
    assert_eq!(facts["pull_request"], 12);
    assert_eq!(facts["fork"], true);
    assert_eq!(facts["pr_head_branch"], "topic");
    let v2 = json(
        dir.path(),
        &[
            "--event",
            "pull_request",
            "--pr",
            "12",
            "--branch",
            "master",
            "--pr-head-repo",
            "someone/widget",
        ],
    );
    assert_eq!(v2["jobs"], v["jobs"]);
    let names: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["a", "forks"]);
    let skipped = v["skipped"].to_string();
    assert!(
        skipped.contains("not-on-prs") && skipped.contains("type != pull_request"),
        "{skipped}"
    );
}

#[test]
fn selection_by_number_name_and_stage() {
    let dir = repo(STAGED, "master");
    let v = json(dir.path(), &["2"]);
    let numbers: Vec<&str> = v["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["number"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(numbers, ["1.2"]);
    let v = json(dir.path(), &["publish"]);
    assert_eq!(v["jobs"][0]["number"], "1.3");
    let v = json(dir.path(), &["--stage", "DEPLOY"]);
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(1));
    jobs(dir.path(), &["9.9"])
        .code(2)
        .stderr(predicates::str::contains("no job matches `9.9`"));
    jobs(dir.path(), &["--stage", "nope"])
        .code(2)
        .stderr(predicates::str::contains("stages are: test, deploy"));
}

#[test]
fn imports_local_same_repo_and_unresolvable() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/matrix/imports");
    let cfg = std::fs::read_to_string(fixtures.join("travis.yml")).expect("fixture");
    let dir = repo(&cfg, "main");
    std::fs::create_dir_all(dir.path().join("ci")).expect("mkdir");
    for f in ["base.yml", "extra.yml", "never.yml"] {
        std::fs::copy(fixtures.join("ci").join(f), dir.path().join("ci").join(f)).expect("copy");
    }
    let v = json(dir.path(), &[]);
    let jobs = v["jobs"].as_array().expect("jobs");
    // the single matrix job is replaced by the imported include (single-job rule)
    assert_eq!(jobs.len(), 1, "{v:#}");
    let job = &jobs[0]["config"];
    assert_eq!(jobs[0]["name"], "extra-lint");
    assert_eq!(job["language"], "python");
    assert_eq!(job["script"][0], "flake8");
    assert_eq!(job["before_install"][0], "echo base");
    assert_eq!(job["env"][0]["FROM_BASE"], "1");
    assert_eq!(
        v["unresolved_imports"][0],
        "other/shared-configs:python.yml@master"
    );
    let notes = v["notes"].to_string();
    assert!(notes.contains("cannot be resolved offline"), "{notes}");
    assert!(
        notes.contains("ci/never.yml") && notes.contains("`if: branch = nope` is false"),
        "{notes}"
    );
    // and the text output reports them too
    let out = jobs_text(dir.path());
    assert!(
        out.contains(
            "note: import `other/shared-configs:python.yml@master` cannot be resolved offline"
        ),
        "{out}"
    );
}

fn jobs_text(dir: &Path) -> String {
    let out = jobs(dir, &[]).success().get_output().stdout.clone();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn errors_have_exit_codes() {
    let dir = repo("language: [unclosed\n", "main");
    jobs(dir.path(), &[])
        .code(3)
        .stderr(predicates::str::contains("invalid YAML"));
    let empty = tempfile::tempdir().expect("tempdir");
    jobs(empty.path(), &["--repo", "o/r", "--branch", "x"])
        .code(2)
        .stderr(predicates::str::contains(".travis.yml"));
    jobs(empty.path(), &["--repo", "bad"])
        .code(2)
        .stderr(predicates::str::contains("--repo expects OWNER/NAME"));
    jobs(empty.path(), &["--event", "push", "--pr", "3"])
        .code(2)
        .stderr(predicates::str::contains("--pr"));
}

/// Every subcommand works on the repository root: `jobs` run in a subdirectory reads the
/// root's .travis.yml (it used to look for one in the current directory).
#[test]
fn jobs_in_a_subdirectory_reads_the_root_config() {
    let dir = repo(
        "language: minimal\nenv: [A=1, A=2]\nscript: true\n",
        "master",
    );
    let sub = dir.path().join("docs/deep");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let out = jobs(&sub, &["--format", "json"]).success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(v["jobs"].as_array().map(Vec::len), Some(2), "{v}");
}
