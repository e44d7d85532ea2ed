//! Every subcommand's exit codes, as README.md ("Exit codes") and src/exit.rs list them,
//! through the real binary (host executor for `run`; nothing here needs Docker).

mod common;

use common::Test;

const FACTS: [&str; 4] = ["--repo", "o/r", "--branch", "master"];

fn with_facts(cmd: &str, extra: &[&str]) -> Vec<String> {
    let mut v = vec![cmd.to_string()];
    v.extend(FACTS.iter().map(|s| s.to_string()));
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn lint_exit_codes() {
    Test::new().args(&["lint"]).run().exit(0);
    Test::new()
        .config("language: [unclosed\n")
        .args(&["lint"])
        .run()
        .exit(1);
    Test::new()
        .args(&["lint", "missing.yml"])
        .run()
        .exit(2)
        .stderr("missing.yml");
}

#[test]
fn condition_exit_codes() {
    Test::new()
        .args(&["condition", "branch = master", "--branch", "master"])
        .run()
        .exit(0)
        .stdout("true");
    Test::new()
        .args(&["condition", "branch = master", "--branch", "dev"])
        .run()
        .exit(1)
        .stdout("false");
    Test::new()
        .args(&["condition", "branch = master AND"])
        .run()
        .exit(2)
        .stderr("<condition>:1:20");
}

#[test]
fn jobs_exit_codes() {
    let ok = with_facts("jobs", &[]);
    Test::new().args(&args(&ok)).run().exit(0);
    let none = with_facts("jobs", &[]);
    Test::new()
        .config("if: branch = nope\nscript: [true]\n")
        .args(&args(&none))
        .run()
        .exit(0)
        .stdout("The build would not run");
    let bad = with_facts("jobs", &["9.9"]);
    Test::new().args(&args(&bad)).run().exit(2);
    Test::new()
        .args(&["jobs", "--repo", "nope"])
        .run()
        .exit(2)
        .stderr("--repo");
    let invalid = with_facts("jobs", &[]);
    Test::new()
        .config("language: [unclosed\n")
        .args(&args(&invalid))
        .run()
        .exit(3);
}

#[test]
fn compile_exit_codes() {
    let ok = with_facts("compile", &[]);
    Test::new()
        .args(&args(&ok))
        .run()
        .exit(0)
        .stdout("#!/bin/bash");
    // No job would run: not an error (README), nothing on stdout.
    let none = with_facts("compile", &[]);
    let r = Test::new()
        .config("if: branch = nope\nscript: [true]\n")
        .args(&args(&none))
        .run();
    r.exit(0).stderr("no job would run");
    assert_eq!(r.stdout, "", "{}", r.dump());
    let bad = with_facts("compile", &["nosuchjob"]);
    Test::new().args(&args(&bad)).run().exit(2);
    let secret = with_facts("compile", &["--secret", "NOVALUE"]);
    Test::new()
        .args(&args(&secret))
        .run()
        .exit(2)
        .stderr("--secret #1");
    let invalid = with_facts("compile", &[]);
    Test::new()
        .config("language: [unclosed\n")
        .args(&args(&invalid))
        .run()
        .exit(3);
    let local = with_facts("compile", &[]);
    Test::new()
        .file(".travis-local/config.yml", "env: 3\n")
        .args(&args(&local))
        .run()
        .exit(3);
}

#[test]
fn secrets_exit_codes() {
    Test::new().args(&["secrets"]).run().exit(0);
    Test::new()
        .args(&["secrets", "--secrets-file", "nope.yml"])
        .run()
        .exit(2)
        .stderr("--secrets-file");
    // A secrets file that git tracks is refused.
    Test::new()
        .file(".travis-local/secrets.yml", "env:\n  A: b\n")
        .args(&["secrets"])
        .run()
        .exit(3)
        .stderr("tracked by git");
}

#[test]
fn run_exit_codes() {
    let host = |extra: &[&str]| with_facts("run", &[&["--executor", "host"], extra].concat());
    Test::new()
        .args(&args(&host(&[])))
        .run()
        .exit(0)
        .stdout("Build passed.");
    Test::new()
        .config("language: minimal\nscript: [false]\n")
        .args(&args(&host(&[])))
        .run()
        .exit(1);
    Test::new()
        .config("language: minimal\nbefore_install: [false]\nscript: [true]\n")
        .args(&args(&host(&[])))
        .run()
        .exit(2);
    Test::new()
        .args(&args(&host(&["--secret", "NOVALUE"])))
        .run()
        .exit(2);
    Test::new()
        .config("language: [unclosed\n")
        .args(&args(&host(&[])))
        .run()
        .exit(3);
    Test::new().args(&args(&host(&["9.9"]))).run().exit(4);
    // From a subdirectory, the repository root's config is the one that runs.
    Test::new()
        .config("language: minimal\nscript: [echo from-the-root]\n")
        .in_subdir("sub/dir")
        .args(&args(&host(&[])))
        .run()
        .exit(0)
        .stdout("from-the-root");
}

#[test]
fn image_usage_is_exit_2() {
    Test::new()
        .args(&["image", "bootstrap", "--attempts", "0"])
        .run()
        .exit(2)
        .stderr("--attempts");
}

/// An unknown key of `.travis-local/config.yml` is a finding with its line and column
/// (and a did-you-mean), not silently ignored.
#[test]
fn local_config_unknown_key_has_its_line() {
    let a = with_facts("compile", &[]);
    Test::new()
        .file(
            ".travis-local/config.yml",
            "network: host\nimagse:\n  default: x\n",
        )
        .in_subdir("sub")
        .args(&args(&a))
        .run()
        .exit(0)
        .stderr(".travis-local/config.yml:2:1: warn[unknown_key]: unknown key `imagse`");
}

#[test]
fn completions_and_man_exit_codes() {
    Test::new()
        .args(&["completions", "bash"])
        .run()
        .exit(0)
        .stdout("travis-local");
    Test::new()
        .args(&["completions", "nosuchshell"])
        .run()
        .exit(2);
    Test::new().args(&["man"]).run().exit(0);
}

/// `cache`, `clean` and `ecr login` exit codes (README "Exit codes"), with the Docker
/// engine unreachable on purpose so that nothing here touches a real engine, cache or
/// AWS account.
#[test]
fn cache_clean_and_ecr_exit_codes() {
    let state = tempfile::tempdir().unwrap();
    let cache_home = state.path().join("cache");
    let runtime = state.path().join("runtime");
    let aws = state.path().join("no-aws-config");
    let t = || {
        Test::new()
            .env("DOCKER_HOST", "unix:///nonexistent/travis-local-test.sock")
            .env("DOCKER_CONTEXT", "")
            .env("XDG_CACHE_HOME", cache_home.to_str().unwrap())
            .env("XDG_RUNTIME_DIR", runtime.to_str().unwrap())
            .env("AWS_CONFIG_FILE", aws.to_str().unwrap())
            .env("AWS_SHARED_CREDENTIALS_FILE", aws.to_str().unwrap())
            .env("AWS_PROFILE", "")
            .env("AWS_DEFAULT_REGION", "")
    };
    // cache: 0 done (the unreachable engine is a notice), 1 nothing matched, 2 usage.
    t().args(&["cache", "list"])
        .run()
        .exit(0)
        .stderr("cannot reach the Docker engine")
        .stdout("no caches for this repository");
    t().args(&["cache", "clear", "--branch", "nosuch"])
        .run()
        .exit(1)
        .stderr("no cache matches");
    t().args(&["cache", "clear", "--bogus"]).run().exit(2);
    // clean: 4 when the engine is needed and unreachable (host leftovers first).
    t().args(&["clean"])
        .run()
        .exit(4)
        .stderr("Docker leftovers were not checked");
    // ecr login: 2 without a region, and with an empty one (`AWS_REGION=`).
    t().env("AWS_REGION", "")
        .args(&["ecr", "login"])
        .run()
        .exit(2)
        .stderr("region");
    t().args(&["ecr", "login", "--region", "not a region"])
        .run()
        .exit(2)
        .stderr("is not a region name");
}
