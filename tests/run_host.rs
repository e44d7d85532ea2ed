//! Acceptance tests of `travis-local run --executor host`: the cases of
//! ../shared/spec/travis-execution.md §8 that need no Docker, run through the real
//! binary in a temporary git repository (push to `master` of `o/r` unless a case says
//! otherwise), asserting the job/build result, the exit code, the order of what ran and
//! the log lines the spec quotes. Plus: secrets never leak (output, JSON, files),
//! timeouts, Ctrl-C, JSON lines, `-j`, `--keep`, and the "nothing runs" paths.

mod common;

use common::Run;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");

struct Repo {
    dir: tempfile::TempDir,
}

/// A committed git repository on branch master with origin github.com/o/r.
fn repo(travis_yml: &str) -> Repo {
    repo_with(travis_yml, &[])
}

fn repo_with(travis_yml: &str, files: &[(&str, &str)]) -> Repo {
    Repo {
        dir: common::committed_repo(travis_yml, files),
    }
}

impl Repo {
    fn path(&self) -> &Path {
        self.dir.path()
    }
    /// An untracked, git-ignored secrets file.
    fn secrets(&self, yaml: &str) {
        let p = self.path();
        std::fs::create_dir_all(p.join(".travis-local")).expect("mkdir");
        std::fs::write(p.join(".travis-local/secrets.yml"), yaml).expect("write secrets");
        std::fs::write(p.join(".git/info/exclude"), ".travis-local/secrets.yml\n")
            .expect("exclude");
    }
    fn run(&self, args: &[&str]) -> Run {
        let mut all = vec!["run", "--executor", "host"];
        all.extend_from_slice(args);
        common::run_bin(self.path(), &all, &[])
    }
}

fn no_footer(r: &Run) {
    assert!(
        !r.stdout.contains("Done. Your build exited"),
        "no footer expected\n{}",
        r.dump()
    );
}

// ---------------------------------------------------------------- phase semantics

#[test]
fn case01_pass() {
    let r = repo("language: minimal\nscript: [echo hi]\n").run(&[]);
    r.seq(&[
        "$ echo hi",
        "hi",
        "The command \"echo hi\" exited with 0.",
        "",
        "Done. Your build exited with 0.",
    ])
    .exit(0)
    .job("1.1", "passed")
    .build("passed");
}

#[test]
fn case02_failing_script_keeps_going() {
    let r = repo("language: minimal\nscript: [false, echo after]\nafter_failure: [echo af]\nafter_script: [echo as]\n").run(&[]);
    r.seq(&[
        "$ false",
        "The command \"false\" exited with 1.",
        "after",
        "af",
        "as",
        "Done. Your build exited with 1.",
    ])
    .exit(1)
    .job("1.1", "failed")
    .build("failed");
}

#[test]
fn case03_script_exit_code_normalised() {
    let r = repo(
        "language: minimal\nscript: [\"(exit 2)\"]\nafter_script: ['echo r=$TRAVIS_TEST_RESULT']\n",
    )
    .run(&[]);
    r.seq(&[
        "The command \"(exit 2)\" exited with 2.",
        "r=1",
        "Done. Your build exited with 1.",
    ])
    .exit(1);
}

#[test]
fn case04_before_install_failure_errors_and_stops() {
    let r = repo(
        "language: minimal\nbefore_install: [false, echo never]\nscript: [echo s]\nafter_failure: [echo af]\nafter_script: [echo as]\n",
    )
    .run(&[]);
    r.seq(&[
        "$ false",
        "The command \"false\" failed and exited with 1 during .",
        "",
        "Your build has been stopped.",
    ])
    .absent(&["never", "s", "af", "as"])
    .exit(2)
    .job("1.1", "errored (exit 2)")
    .build("errored");
    no_footer(&r);
}

#[test]
fn case05_install_failure_any_code() {
    let r = repo("language: minimal\ninstall: [\"(exit 3)\"]\nscript: [echo s]\n").run(&[]);
    r.seq(&["The command \"(exit 3)\" failed and exited with 3 during ."])
        .absent(&["s"])
        .exit(2);
}

#[test]
fn case06_before_script_failure() {
    let r = repo("language: minimal\nbefore_script: [false]\nscript: [echo s]\n").run(&[]);
    r.seq(&[
        "The command \"false\" failed and exited with 1 during .",
        "",
        "Your build has been stopped.",
    ])
    .absent(&["s"])
    .exit(2);
}

#[test]
fn case07_after_success_gating() {
    let r = repo(
        "language: minimal\nscript: [\"true\"]\nafter_success: [echo ok, \"false\"]\nafter_failure: [echo bad]\nafter_script: [echo as]\n",
    )
    .run(&[]);
    r.seq(&[
        "$ true",
        "ok",
        "$ false",
        "as",
        "Done. Your build exited with 0.",
    ])
    .absent(&["bad"])
    .exit(0);
}

#[test]
fn case08_after_failure_gating() {
    let r = repo("language: minimal\nscript: [\"false\"]\nafter_success: [echo ok]\nafter_failure: ['echo r=$TRAVIS_TEST_RESULT']\n").run(&[]);
    r.seq(&["$ false", "r=1"]).absent(&["ok"]).exit(1);
}

#[test]
fn case09_after_script_failure_ignored() {
    let r = repo("language: minimal\nscript: [\"true\"]\nafter_script: [\"false\", echo still]\n")
        .run(&[]);
    r.seq(&["$ false", "still", "Done. Your build exited with 0."])
        .exit(0);
}

#[test]
fn case10_full_order() {
    let phases = [
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "before_deploy",
        "after_deploy",
        "after_script",
    ];
    let mut yml =
        String::from("language: minimal\ndeploy: {provider: script, script: echo deploy}\n");
    for p in phases {
        yml.push_str(&format!("{p}: [echo {p}]\n"));
    }
    let r = repo(&yml).run(&[]);
    r.seq(&[
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "before_deploy",
        "deploy",
        "after_deploy",
        "after_script",
    ])
    .exit(0);
}

#[test]
fn case11_install_skip() {
    let r = repo_with(
        "language: ruby\ninstall: skip\nscript: [echo s]\n",
        &[("Gemfile", "source 'https://rubygems.org'\n")],
    )
    .run(&[]);
    r.seq(&[
        "Skipping the install step, as specified in the configuration.",
        "s",
    ])
    .lacks("bundle install");
}

#[test]
fn case12_script_skip() {
    let r =
        repo("language: minimal\nscript: skip\nafter_success: ['echo r=$TRAVIS_TEST_RESULT']\n")
            .run(&[]);
    r.seq(&[
        "Skipping the script step, as specified in the configuration.",
        "r=0",
    ])
    .exit(0);
    assert!(
        r.lines()
            .iter()
            .any(|l| l.starts_with("The command \"") && l.ends_with("\" exited with 0.")),
        "{}",
        r.dump()
    );
}

#[test]
fn case13_script_true() {
    repo("language: minimal\nscript: true\n")
        .run(&[])
        .seq(&["$ true"])
        .exit(0);
}

#[test]
fn case14_multi_line_entry_counts_only_last_line() {
    let r = repo("language: minimal\nscript:\n  - |\n    false\n    true\n").run(&[]);
    // The echo and the result line show the whole multi-line text.
    r.seq(&["$ false", "true", "The command \"false"])
        .absent(&["The command \"false\" exited with 1."])
        .exit(0);
    assert!(
        r.lines().iter().any(|l| l.ends_with("\" exited with 0.")),
        "{}",
        r.dump()
    );
}

#[test]
fn case15_test_result_mid_script() {
    let r = repo("language: minimal\nbefore_install: ['echo \"[$TRAVIS_TEST_RESULT]\"']\nscript: [\"false\", 'echo r=$TRAVIS_TEST_RESULT']\n")
        .run(&[]);
    r.seq(&["[]", "r=1"]).exit(1);
}

#[test]
fn case16_shell_state_persists() {
    let r = repo("language: minimal\nbefore_install: [\"mkdir -p sub && cd sub\", \"export X=1\"]\nscript: ['echo \"$PWD $X\"']\n").run(&[]);
    assert!(
        r.lines()
            .iter()
            .any(|l| l.ends_with("/home/travis/build/o/r/sub 1")),
        "{}",
        r.dump()
    );
    r.exit(0);
}

#[test]
fn case17_set_e_is_sticky() {
    let r = repo(
        "language: minimal\nbefore_script: [\"set -e\"]\nscript: [echo a, \"(exit 4)\", echo b]\nafter_failure: [echo af]\nafter_script: [echo as]\n",
    )
    .run(&[]);
    r.seq(&["a", "$ (exit 4)"])
        .absent(&["b", "af", "as"])
        .lacks("\"(exit 4)\" exited with")
        .exit(2)
        .job("1.1", "errored (exit 4)");
    no_footer(&r);
}

#[test]
fn case18_exit_in_script() {
    let r = repo("language: minimal\nscript: [\"exit 1\", echo never]\nafter_script: [echo as]\n")
        .run(&[]);
    r.absent(&["never", "as"]).exit(1).job("1.1", "failed");
    no_footer(&r);
}

#[test]
fn case19_exit_0_masks_a_failure() {
    let r = repo("language: minimal\nscript: [\"false\"]\nafter_failure: [\"exit 0\"]\nafter_script: [echo never]\n").run(&[]);
    r.absent(&["never"]).exit(0).job("1.1", "passed");
}

#[test]
fn case20_travis_retry_gives_up() {
    let r = repo("language: minimal\ninstall: [\"travis_retry false\"]\n").run(&[]);
    r.contains("The command \"false\" failed. Retrying, 2 of 3.")
        .contains("The command \"false\" failed. Retrying, 3 of 3.")
        .contains("The command \"false\" failed 3 times.")
        .seq(&["The command \"travis_retry false\" failed and exited with 1 during ."])
        .exit(2);
}

#[test]
fn case21_travis_retry_recovers() {
    let r = repo("language: minimal\ninstall: ['travis_retry bash -c \"test -f m || { touch m; exit 1; }\"']\nscript: [echo s]\n").run(&[]);
    r.contains("Retrying, 2 of 3")
        .lacks("Retrying, 3 of 3")
        .seq(&["s"])
        .exit(0);
}

#[test]
fn case22_travis_terminate() {
    let r =
        repo("language: minimal\nbefore_script: [\"travis_terminate 0\"]\nscript: [echo never]\n")
            .run(&[]);
    r.absent(&["never"]).exit(0);
    let r = repo("language: minimal\nscript: [\"travis_terminate 1\", echo never]\n").run(&[]);
    r.absent(&["never"]).exit(1);
    no_footer(&r);
}

#[test]
fn case23_python_without_script() {
    let r = repo("language: python\nafter_failure: [echo af]\nafter_script: [echo as]\n").run(&[]);
    r.seq(&[
        "Please override the script: key in your .travis.yml to run tests.",
        "af",
    ])
    .absent(&["as"])
    .exit(1);
    no_footer(&r);
}

#[test]
fn case24_no_output_timeout() {
    let start = Instant::now();
    let r =
        repo("language: minimal\nscript: [\"sleep 60\"]\n").run(&["--log-silence-timeout", "2s"]);
    r.seq(&[
        "No output has been received in the last 2s, this potentially indicates a stalled build or something wrong with the build itself.",
        "Check the details on how to adjust your build configuration on: https://docs.travis-ci.com/user/common-build-problems/#build-times-out-because-no-output-was-received",
        "",
        "The build has been terminated",
    ])
    .exit(2)
    .job("1.1", "errored")
    .build("errored");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "the job was not stopped promptly"
    );
}

#[test]
fn job_timeout_errors_the_job() {
    let start = Instant::now();
    let r = repo("language: minimal\nscript: ['while true; do echo tick; sleep 0.2; done']\n")
        .run(&["--job-timeout", "2s"]);
    r.seq(&["The job exceeded the maximum time limit for jobs, and has been terminated."])
        .exit(2)
        .job("1.1", "errored");
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn bad_duration_is_a_usage_error() {
    let r = repo("script: [echo]\n").run(&["--job-timeout", "10x"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("10x"), "{}", r.dump());
}

#[test]
fn case25_travis_wait_keeps_it_alive() {
    let r = repo("language: minimal\nscript: [\"travis_wait 1 sleep 2\"]\n").run(&["--keep"]);
    r.contains("Still running (1 of 1): sleep 2")
        .contains("The command sleep 2 exited with 0.")
        .contains("Log:")
        .contains("The command \"travis_wait 1 sleep 2\" exited with 0.")
        .exit(0);
    let kept = kept_dir(&r);
    let build = kept.join("1.1/home/travis/build/o/r");
    let logs: Vec<_> = std::fs::read_dir(&build)
        .expect("kept build dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("travis_wait_"))
        .collect();
    assert_eq!(
        logs.len(),
        1,
        "travis_wait_<pid>.log should remain in {}",
        build.display()
    );
    let _ = std::fs::remove_dir_all(kept);
}

fn kept_dir(r: &Run) -> PathBuf {
    let all = format!("{}\n{}", r.stdout, r.stderr);
    let line = all
        .lines()
        .find(|l| l.starts_with("Kept the job directories in "))
        .unwrap_or_else(|| panic!("no kept path\n{}", r.dump()));
    let rest = line.trim_start_matches("Kept the job directories in ");
    PathBuf::from(rest.split(" (").next().unwrap_or(rest))
}

// ---------------------------------------------------------------- environment

#[test]
fn case26_precedence() {
    let r = repo(
        "language: minimal\nenv: {global: [FOO=global], jobs: [FOO=job]}\nscript: ['echo $FOO']\n",
    );
    r.secrets("env:\n  - {name: FOO, value: settings, public: true}\n");
    let r = r.run(&[]);
    r.seq(&[
        "Setting environment variables from repository settings",
        "$ export FOO=settings",
        "",
        "Setting environment variables from .travis.yml",
        "$ export FOO=global",
        "$ export FOO=job",
        "job",
    ])
    .exit(0);
}

#[test]
fn case27_expansion_and_quoting() {
    let r = repo("language: minimal\nenv: {global: ['A=1', 'B=${A}2', 'C=\"x y\"', 'D=x y']}\nscript: ['echo \"$B|$C|$D\"']\n").run(&[]);
    r.seq(&["12|x y|x"]).exit(0);
}

#[test]
fn case28_secure_display() {
    let r = repo("language: minimal\nscript: ['echo $TOKEN', 'echo sv=$TRAVIS_SECURE_ENV_VARS']\n");
    r.secrets("env:\n  - {name: TOKEN, value: s3cr3t}\n");
    let r = r.run(&[]);
    r.seq(&["$ export TOKEN=[secure]", "[secure]", "sv=true"])
        .lacks("s3cr3t")
        .exit(0);
}

#[test]
fn case29_branch_restricted_settings_var() {
    let yml = "language: minimal\nscript: ['echo \"key=$DEPLOY_KEY mode=$MODE\"']\n";
    let secrets = "env:\n  - {name: DEPLOY_KEY, value: k1xyz, branch: master, public: true}\n  - {name: MODE, value: default, public: true}\n  - {name: MODE, value: prod, branch: master, public: true}\n";
    let rp = repo(yml);
    rp.secrets(secrets);
    rp.run(&["--branch", "dev"])
        .seq(&["key= mode=default"])
        .lacks("export DEPLOY_KEY")
        .exit(0);
    rp.run(&[])
        .seq(&[
            "$ export MODE=default",
            "$ export MODE=prod",
            "key=k1xyz mode=prod",
        ])
        .exit(0);
}

#[test]
fn case30_fork_pull_request() {
    let r = repo(
        "language: minimal\nenv: [{secure: \"bm90IHJlYWxseSBlbmNyeXB0ZWQ=\"}]\nscript: ['echo \"tok=$TOKEN pub=$PUB sv=$TRAVIS_SECURE_ENV_VARS pr=$TRAVIS_PULL_REQUEST br=$TRAVIS_BRANCH slug=$TRAVIS_PULL_REQUEST_SLUG ev=$TRAVIS_EVENT_TYPE\"']\n",
    );
    r.secrets("env:\n  - {name: TOKEN, value: t0ken-value}\n  - {name: PUB, value: \"1\", public: true}\n");
    let r = r.run(&[
        "--pr",
        "7",
        "--pr-head-repo",
        "fork/r",
        "--branch",
        "master",
    ]);
    r.seq(&[
        "Encrypted environment variables have been removed for security reasons.",
        "See https://docs.travis-ci.com/user/pull-requests/#pull-requests-and-security-restrictions",
    ])
    .seq(&["tok= pub=1 sv=false pr=7 br=master slug=fork/r ev=pull_request"])
    .lacks("t0ken-value")
    .exit(0);
}

#[test]
fn case31_same_repo_pull_request() {
    let r = repo("language: minimal\nscript: ['echo \"sv=$TRAVIS_SECURE_ENV_VARS\"', 'test -n \"$TOKEN\"']\n");
    r.secrets("env:\n  - {name: TOKEN, value: t0ken-value}\n");
    let r = r.run(&["--pr", "7", "--pr-head-repo", "o/r", "--branch", "master"]);
    r.seq(&["$ export TOKEN=[secure]", "sv=true"])
        .lacks("have been removed")
        .exit(0);
}

#[test]
fn case32_builtin_values() {
    let r = repo(
        "language: minimal\nscript: ['echo \"$TRAVIS_TAG|$TRAVIS_BRANCH|$TRAVIS_PULL_REQUEST|$CI|$TRAVIS|$HAS_JOSH_K_SEAL_OF_APPROVAL|$TRAVIS_OS_NAME|$TRAVIS_LOCAL\"', 'echo \"dir=$TRAVIS_BUILD_DIR\"']\n",
    )
    .run(&["--tag", "v1.0"]);
    r.seq(&["v1.0|v1.0|false|true|true|true|linux|true"])
        .exit(0);
    assert!(
        r.lines()
            .iter()
            .any(|l| l.starts_with("dir=") && l.ends_with("/home/travis/build/o/r")),
        "{}",
        r.dump()
    );
}

#[test]
fn case33_clone_options_shown_not_run() {
    // The working tree is copied instead of cloned; the checkout fold shows Travis's
    // commands. With depth: false there is no --depth, and no submodule step.
    let r = repo("language: minimal\ngit: {depth: false, submodules: false}\nscript: [echo s]\n")
        .run(&["--verbose"]);
    r.contains("git clone --branch=master")
        .lacks("--depth=50")
        .lacks("git submodule update")
        .exit(0);
    let r = repo("language: minimal\nscript: [echo s]\n").run(&[]);
    r.contains("git clone --depth=50 --branch=master").exit(0);
}

// ---------------------------------------------------------------- deployment

const DEPLOY_SH: (&str, &str) = ("d.sh", "#!/bin/bash\necho deployed-by-d\n");

#[test]
fn case34_default_branch_only() {
    let rp = repo_with(
        "language: minimal\nscript: [\"true\"]\ndeploy: {provider: script, script: ./d.sh}\n",
        &[DEPLOY_SH],
    );
    rp.run(&[]).seq(&["deployed-by-d"]).exit(0);
    rp.run(&["--branch", "dev"])
        .seq(&["Skipping a deployment with the script provider because this branch is not permitted: dev"])
        .absent(&["deployed-by-d"])
        .exit(0);
}

#[test]
fn case35_skipped_on_pull_request() {
    let rp = repo_with(
        "language: minimal\nscript: [\"true\"]\ndeploy: {provider: script, script: ./d.sh}\n",
        &[DEPLOY_SH],
    );
    rp.run(&["--pr", "3"])
        .seq(&["Skipping a deployment with the script provider because the current build is a pull request."])
        .absent(&["deployed-by-d"])
        .exit(0);
}

#[test]
fn case36_skipped_on_failure() {
    let rp = repo_with(
        "language: minimal\nscript: [\"false\"]\ndeploy: {provider: script, script: ./d.sh}\n",
        &[DEPLOY_SH],
    );
    rp.run(&[])
        .absent(&["deployed-by-d"])
        .lacks("Skipping a deployment")
        .exit(1);
}

#[test]
fn case37_before_deploy_failure() {
    let rp = repo_with(
        "language: minimal\nscript: [\"true\"]\nbefore_deploy: [\"false\"]\nafter_script: [echo as]\ndeploy: {provider: script, script: ./d.sh}\n",
        &[DEPLOY_SH],
    );
    rp.run(&[])
        .seq(&[
            "The command \"false\" failed and exited with 1 during .",
            "",
            "Your build has been stopped.",
        ])
        .absent(&["deployed-by-d", "as"])
        .exit(2);
}

#[test]
fn case38_deploy_failure() {
    let rp = repo("language: minimal\nscript: [\"true\"]\nafter_deploy: [echo ad]\nafter_script: [echo as]\ndeploy: {provider: script, script: \"false\"}\n");
    rp.run(&[])
        .seq(&["failed to deploy"])
        .absent(&["ad", "as"])
        .exit(2);
    let rp = repo(
        "language: minimal\nscript: [\"true\"]\nafter_deploy: [echo ad]\ndeploy: {provider: script, script: \"false\", allow_failure: true}\n",
    );
    rp.run(&[]).seq(&["ad"]).exit(0);
}

#[test]
fn case39_after_deploy_failure_ignored() {
    let rp = repo_with(
        "language: minimal\nscript: [\"true\"]\nafter_deploy: [\"false\", echo x]\ndeploy: {provider: script, script: ./d.sh}\n",
        &[DEPLOY_SH],
    );
    rp.run(&[]).seq(&["deployed-by-d", "x"]).exit(0);
}

#[test]
fn case40_tags() {
    let rp = repo_with(
        "language: minimal\nscript: [\"true\"]\ndeploy: {provider: script, script: ./d.sh, on: {tags: true}}\n",
        &[DEPLOY_SH],
    );
    rp.run(&["--tag", "v2.0", "--branch", "feature"])
        .seq(&["deployed-by-d"])
        .exit(0);
    rp.run(&[])
        .seq(&[
            "Skipping a deployment with the script provider because this is not a tagged commit",
        ])
        .absent(&["deployed-by-d"])
        .exit(0);
}

#[test]
fn case41_custom_condition_and_multiple_providers() {
    let rp = repo_with(
        "language: minimal\nenv: [CC=clang]\nscript: [\"true\"]\nbefore_deploy: [echo bd]\ndeploy:\n  - {provider: script, script: ./a.sh, on: {condition: $CC = gcc}}\n  - {provider: script, script: ./b.sh, on: {all_branches: true}}\n",
        &[("a.sh", "#!/bin/bash\necho ran-a\n"), ("b.sh", "#!/bin/bash\necho ran-b\n")],
    );
    let r = rp.run(&["--branch", "dev"]);
    r.seq(&[
        "Skipping a deployment with the script provider because this branch is not permitted: dev",
        "Skipping a deployment with the script provider because a custom condition was not met",
    ])
    .seq(&["bd", "ran-b"])
    .absent(&["ran-a"])
    .exit(0);
    assert_eq!(
        r.lines().iter().filter(|l| **l == "bd").count(),
        1,
        "{}",
        r.dump()
    );
}

#[test]
fn deploy_flag_errors_unemulated_providers() {
    let rp = repo("language: minimal\nscript: [\"true\"]\ndeploy: {provider: heroku, app: demo}\n");
    rp.run(&[]).exit(0);
    rp.run(&["--deploy"]).exit(2);
}

// ---------------------------------------------------------------- build level

#[test]
fn case42_failed_stage_cancels_later_stages() {
    let r = repo("language: minimal\njobs:\n  include:\n    - {stage: test, script: \"false\"}\n    - {script: \"true\"}\n    - {stage: deploy, script: \"true\"}\n")
        .run(&[]);
    r.job("1.1", "failed")
        .job("1.2", "passed")
        .job("1.3", "canceled")
        .build("failed")
        .exit(1);
}

#[test]
fn case43_allowed_failure() {
    let r = repo("language: minimal\nenv: [A=1, A=2]\nscript: ['test $A = 1', 'echo \"af=$TRAVIS_ALLOW_FAILURE\"']\njobs:\n  allow_failures: [{env: A=2}]\n")
        .run(&[]);
    r.job("1.1", "passed")
        .job("1.2", "failed (allowed)")
        .build("passed")
        .exit(0);
    r.seq(&["af=false", "af=true"]);
}

#[test]
fn case44_errored_outranks_failed() {
    let r = repo("language: minimal\njobs:\n  include:\n    - script: [\"false\"]\n    - before_script: [\"false\"]\n      script: [\"true\"]\n").run(&[]);
    r.job("1.1", "failed")
        .job("1.2", "errored (exit 2)")
        .build("errored")
        .exit(2);
}

#[test]
fn case45_default_stage_and_stage_env_var() {
    let r = repo(
        "language: python\nstages: [build, test]\npython: [\"3.8\", \"3.9\"]\nscript: ['echo \"stage=$TRAVIS_BUILD_STAGE_NAME py=$TRAVIS_PYTHON_VERSION\"']\njobs:\n  include:\n    - {stage: build, script: 'echo built-$TRAVIS_BUILD_STAGE_NAME'}\n",
    )
    .run(&[]);
    r.seq(&["built-build", "stage=test py=3.8", "stage=test py=3.9"])
        .build("passed")
        .exit(0);
    let r =
        repo("language: minimal\nscript: ['echo \"stage=[$TRAVIS_BUILD_STAGE_NAME]\"']\n").run(&[]);
    r.seq(&["stage=[]"]).exit(0);
}

#[test]
fn case46_fast_finish() {
    let start = Instant::now();
    let r = repo(
        "language: minimal\nenv: [SLOW=0, SLOW=1]\nscript: ['if [ $SLOW = 1 ]; then sleep 60; fi', 'echo done-$SLOW']\njobs:\n  fast_finish: true\n  allow_failures: [{env: SLOW=1}]\n",
    )
    .run(&["-j", "2"]);
    r.job("1.1", "passed").build("passed").exit(0);
    assert!(
        start.elapsed() < Duration::from_secs(40),
        "fast_finish did not end the build early\n{}",
        r.dump()
    );
}

// ---------------------------------------------------------------- secrets never leak

#[test]
fn secrets_never_leak() {
    const V1: &str = "hunter2-Sup3rSecret";
    const V2: &str = "AKIAEXAMPLEKEY42";
    let rp = repo(
        "language: minimal\nscript:\n  - echo \"$API_TOKEN\"\n  - env | sort\n  - 'set -x; echo \"token: $API_TOKEN\"; set +x'\n  - printf '%s' \"${API_TOKEN:0:8}\"; sleep 0.3; printf '%s\\n' \"${API_TOKEN:8}\"\n  - ls \"/nonexistent/$API_TOKEN\"\n  - echo \"$CLI_SECRET\" >&2\n  - echo \"$API_TOKEN\" > leaked.txt\n  - printf '%q\\n' \"$API_TOKEN\"\n  - python3 -c 'import json,os; print(json.dumps(os.environ[\"API_TOKEN\"]))' || true\n",
    );
    rp.secrets(&format!("env:\n  - {{name: API_TOKEN, value: {V1}}}\n"));
    let secret_flag = format!("CLI_SECRET={V2}");
    for format in ["human", "json"] {
        let r = rp.run(&["--keep", "--format", format, "--secret", &secret_flag]);
        for v in [V1, V2, &V1[..8], &V1[8..]] {
            assert!(
                !r.stdout.contains(v) && !r.stderr.contains(v),
                "{v} leaked in {format} output\n{}",
                r.dump()
            );
        }
        assert!(r.stdout.contains("[secure]"), "{}", r.dump());
        if format == "json" {
            let ev = r.events();
            assert!(ev.iter().any(|e| e["event"] == "output"));
            assert_eq!(
                ev.last().map(|e| e["event"].clone()),
                Some("build_finished".into())
            );
        }
        // leftover files: the job dir (script, copied tree, home) holds no secret value,
        // except the file the job itself wrote on purpose (the user's own doing).
        let kept = kept_dir(&r);
        for file in walk(&kept) {
            if file.ends_with("leaked.txt") {
                continue;
            }
            let bytes = std::fs::read(&file).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(V1) && !text.contains(V2),
                "secret in leftover file {}",
                file.display()
            );
        }
        assert!(!kept
            .join("1.1/home/travis/build/o/r/.travis-local/secrets.yml")
            .exists());
        let _ = std::fs::remove_dir_all(&kept);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.filter_map(Result::ok) {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(walk(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------- output, flags, exit codes

#[test]
fn json_lines() {
    let r = repo("language: minimal\nscript: [echo hi, \"false\"]\n").run(&["--format", "json"]);
    r.exit(1);
    let ev = r.events();
    assert_eq!(ev[0]["event"], "job_started");
    assert_eq!(ev[0]["job"], "1.1");
    assert!(ev
        .iter()
        .any(|e| e["event"] == "output" && e["line"] == "hi"));
    assert!(!r.stdout.contains("travis_fold:") && !r.stdout.contains("travis_time:"));
    let fin = ev
        .iter()
        .find(|e| e["event"] == "job_finished")
        .expect("job_finished");
    assert_eq!(fin["result"], "failed");
    assert_eq!(fin["exit_code"], 1);
    let last = ev.last().expect("events");
    assert_eq!(last["event"], "build_finished");
    assert_eq!(last["result"], "failed");
    assert_eq!(last["exit_code"], 1);
}

#[test]
fn markers_are_never_printed_raw() {
    let r = repo("language: minimal\ninstall: [echo inst]\nscript: [echo hi]\n").run(&[]);
    r.lacks("travis_fold:")
        .lacks("travis_time:")
        .lacks("\x1b")
        .seq(&["$ echo inst", "inst", "$ echo hi"])
        .exit(0);
}

#[test]
fn parallel_jobs_prefix_their_output() {
    let r =
        repo("language: minimal\nenv: [N=1, N=2, N=3]\nscript: ['echo n=$N']\n").run(&["-j", "3"]);
    r.seq(&["[1.1] n=1"])
        .seq(&["[1.2] n=2"])
        .seq(&["[1.3] n=3"])
        .build("passed")
        .exit(0);
}

#[test]
fn selection_and_stage_flag() {
    let rp = repo("language: minimal\nenv: [N=1, N=2]\nscript: ['echo n=$N']\n");
    rp.run(&["1.2"]).seq(&["n=2"]).absent(&["n=1"]).exit(0);
    rp.run(&["1"]).seq(&["n=1"]).absent(&["n=2"]).exit(0);
    assert_eq!(rp.run(&["9.9"]).code, 4);
    let rp = repo(
        "language: minimal\njobs:\n  include:\n    - {stage: one, script: echo in-one}\n    - {stage: two, script: echo in-two}\n",
    );
    rp.run(&["--stage", "two"])
        .seq(&["in-two"])
        .absent(&["in-one"])
        .exit(0);
}

#[test]
fn the_user_tree_is_not_modified_and_uncommitted_work_is_tested() {
    let rp = repo("language: minimal\nscript: ['cat wip.txt', 'touch created-by-job', 'git status --porcelain']\n");
    std::fs::write(rp.path().join("wip.txt"), "uncommitted\n").expect("write");
    let r = rp.run(&[]);
    r.seq(&["uncommitted", "?? wip.txt"]).exit(0);
    assert!(!rp.path().join("created-by-job").exists());
}

#[test]
fn home_is_fresh_and_tree_removed_without_keep() {
    let r = repo("language: minimal\nscript: ['echo \"home=$HOME\"', 'pwd']\n").run(&[]);
    let home = r
        .lines()
        .iter()
        .find_map(|l| l.strip_prefix("home="))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{}", r.dump()));
    assert!(home.ends_with("home/travis"), "{}", home.display());
    assert!(
        !home.exists(),
        "the job directory should be removed without --keep"
    );
}

#[test]
fn no_job_runs_says_why() {
    let r = repo("language: minimal\nbranches: {only: [release]}\nscript: [echo hi]\n").run(&[]);
    r.exit(0).contains("No job would run");
}

#[test]
fn invalid_config_exits_3() {
    let r = repo("language: minimal\nscript: [echo hi\n").run(&[]);
    assert_eq!(r.code, 3, "{}", r.dump());
}

#[test]
fn tracked_secrets_file_is_refused() {
    let rp = repo_with(
        "script: [echo]\n",
        &[(".travis-local/secrets.yml", "env: []\n")],
    );
    let r = rp.run(&[]);
    assert_eq!(r.code, 3, "{}", r.dump());
    assert!(r.stderr.contains("git rm --cached"), "{}", r.dump());
}

#[test]
fn sigint_stops_jobs_prints_summary_and_exits_130() {
    let rp = repo("language: minimal\nscript: ['echo started; sleep 60 & wait', 'echo never']\n");
    let mut child = common::spawn_bin(rp.path(), &["run", "--executor", "host"]);
    let stdout = child.stdout.take().expect("stdout");
    let (rx, reader) = common::watch_for_line(stdout, "started");
    rx.recv_timeout(Duration::from_secs(60))
        .expect("job started");
    let start = Instant::now();
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
    let status = child.wait().expect("wait");
    let out = reader.join().expect("reader");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "did not stop promptly"
    );
    assert_eq!(status.code(), Some(130), "{out}");
    assert!(
        out.contains("Build canceled.") || out.contains("Interrupted"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l == "never"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("1.1") && l.contains("canceled")),
        "{out}"
    );
}

#[test]
fn on_a_terminal_successful_folds_collapse_and_failed_ones_expand() {
    // util-linux `script` gives the binary a pseudo-terminal.
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("notice: `script` (util-linux) not found; terminal rendering not tested");
        return;
    }
    let rp = repo("language: minimal\ninstall: [echo inst-out]\nbefore_script: [echo bs-out, \"false\"]\nscript: [echo never]\n");
    let cmd = format!("{BIN} run --executor host");
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(rp.path())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("\u{25b8} install ("), "{text}");
    assert!(
        !text.contains("inst-out"),
        "a successful fold should be collapsed\n{text}"
    );
    assert!(text.contains("\u{25be} before_script.2"), "{text}");
    assert!(
        text.contains("$ false"),
        "the failed fold should be expanded\n{text}"
    );
    assert!(!text.contains("travis_fold:"), "{text}");
    let verbose = Command::new("script")
        .args(["-qec", &format!("{cmd} --verbose"), "/dev/null"])
        .current_dir(rp.path())
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&verbose.stdout);
    assert!(
        text.contains("inst-out"),
        "--verbose expands every fold\n{text}"
    );
}

// ---------------------------------------------------------------- signals and crash cleanup

#[test]
fn sigterm_is_reported_as_a_termination_with_exit_143() {
    let rp = repo("language: minimal\nscript: ['echo started; sleep 60 & wait', 'echo never']\n");
    for format in ["human", "json"] {
        let mut child = Command::new(BIN)
            .args(["run", "--executor", "host", "--format", format])
            .current_dir(rp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let marker = if format == "json" {
            // JSON lines: watch for the output event of the marker instead.
            r#"{"event":"output","job":"1.1","line":"started"}"#
        } else {
            "started"
        };
        let (rx, reader) = common::watch_for_line(stdout, marker);
        let started = rx.recv_timeout(Duration::from_secs(60));
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok);
        let status = child.wait().expect("wait");
        let out = reader.join().expect("reader");
        assert!(started.is_ok(), "job never started\n{out}");
        assert_eq!(status.code(), Some(143), "{format}\n{out}");
        assert!(!out.contains("Ctrl-C"), "{format}\n{out}");
        assert!(!out.lines().any(|l| l == "never"), "{out}");
        if format == "human" {
            assert!(out.lines().any(|l| l == "Terminated (SIGTERM)."), "{out}");
            assert!(
                out.contains("Terminated (SIGTERM): the job was stopped."),
                "{out}"
            );
        } else {
            let last: serde_json::Value =
                serde_json::from_str(out.lines().last().unwrap_or_default()).expect("JSON");
            assert_eq!(last["event"], "build_finished", "{out}");
            assert_eq!(last["exit_code"], 143, "{out}");
            assert_eq!(last["signal"], "SIGTERM", "{out}");
            assert_eq!(last["result"], "canceled", "{out}");
            assert_eq!(last["jobs"][0]["reason"], "terminated (SIGTERM)", "{out}");
        }
    }
}

#[test]
fn kill_9_of_a_host_run_then_clean_leaves_no_process_directory_or_secret() {
    const SECRET: &str = "kill9-Sup3rSecret-value";
    let rp =
        repo("language: minimal\nscript: ['echo started; sleep 300 & sleep 301; echo never']\n");
    rp.secrets(&format!("env:\n  - {{name: API_TOKEN, value: {SECRET}}}\n"));
    let home = common::StateHome::new();
    let envs = home.envs();
    let (_pid, out) =
        common::kill9_at_marker(rp.path(), &["run", "--executor", "host"], &envs, "started");
    assert!(!out.contains(SECRET), "{out}");
    // What the killed run left: its record, its job still running with the secret.
    let records = home.records();
    assert_eq!(records.len(), 1, "one state file: {records:?}");
    let rec = &records[0];
    assert_eq!(rec["executor"], "host");
    let run_dir = PathBuf::from(rec["run_dir"].as_str().expect("run_dir"));
    let pgid = rec["process_groups"][0]["pgid"].as_i64().expect("pgid");
    assert!(run_dir.is_dir(), "{}", run_dir.display());
    assert!(
        !common::group_members(pgid).is_empty(),
        "the job should outlive a kill -9 of travis-local"
    );
    assert!(!common::processes_with_env(SECRET).is_empty());
    for dir in [home.runtime.path(), home.cache.path()] {
        let leaks = common::files_containing(dir, SECRET);
        assert!(leaks.is_empty(), "secret in state files: {leaks:?}");
    }
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(home.runs_dir())
            .expect("runs dir")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);
    let leaks = common::files_containing(&run_dir, SECRET);
    assert!(leaks.is_empty(), "secret in the run directory: {leaks:?}");

    // `clean` without a Docker engine still does the host part (and says the engine
    // is unreachable: exit 4).
    let mut cmd = Command::new(BIN);
    cmd.arg("clean")
        .env("DOCKER_HOST", "unix:///nonexistent")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let c = cmd.output().expect("clean runs");
    let (cout, cerr) = (
        String::from_utf8_lossy(&c.stdout),
        String::from_utf8_lossy(&c.stderr),
    );
    assert_eq!(c.status.code(), Some(4), "{cout}{cerr}");
    assert!(cerr.contains("unix:///nonexistent"), "{cerr}");
    assert!(cout.contains("stale run"), "{cout}");
    assert!(cout.contains("stopped"), "{cout}");
    assert!(common::group_members(pgid).is_empty(), "job processes left");
    assert!(
        common::processes_with_env(SECRET).is_empty(),
        "a process still holds the secret"
    );
    assert!(
        !run_dir.exists(),
        "run directory left: {}",
        run_dir.display()
    );
    assert!(home.records().is_empty(), "state file left");
    for dir in [home.runtime.path(), home.cache.path()] {
        let leaks = common::files_containing(dir, SECRET);
        assert!(leaks.is_empty(), "secret left in {leaks:?}");
    }
}

#[test]
fn a_new_run_warns_once_about_stale_runs_until_clean() {
    let rp = repo("language: minimal\nscript: ['echo started; sleep 300']\n");
    let home = common::StateHome::new();
    let envs = home.envs();
    common::kill9_at_marker(rp.path(), &["run", "--executor", "host"], &envs, "started");
    let records = home.records();
    assert_eq!(records.len(), 1, "{records:?}");
    let id = records[0]["run_id"].as_str().expect("run_id").to_string();
    let quick = repo("language: minimal\nscript: [echo hi]\n");
    let run = |expect_warning: bool| {
        let mut cmd = Command::new(BIN);
        cmd.args(["run", "--executor", "host"])
            .current_dir(quick.path())
            .stdin(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.output().expect("run");
        let err = String::from_utf8_lossy(&o.stderr);
        let warnings: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("travis-local clean"))
            .collect();
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert_eq!(warnings.len(), usize::from(expect_warning), "{err}");
        if expect_warning {
            assert!(warnings[0].starts_with("warning: 1 earlier"), "{err}");
        }
    };
    run(true);
    run(true); // still there: nothing was cleaned
               // `clean --run ID` of a host run needs no engine at all.
    let mut cmd = Command::new(BIN);
    cmd.args(["clean", "--run", &id])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .stdin(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let c = cmd.output().expect("clean");
    assert_eq!(
        c.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&c.stdout),
        String::from_utf8_lossy(&c.stderr)
    );
    assert!(String::from_utf8_lossy(&c.stdout).contains(&format!("stale run {id}")));
    run(false);
    assert!(home.records().is_empty());
}
