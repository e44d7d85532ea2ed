//! Scale smoke tests (issue 14, item 3): `lint`, `jobs`, `compile` and `run` on configs
//! with 100k env entries and thousands of jobs, through the real binary.
//!
//! These are not timing tests: each command gets a very generous limit (60 s, or more for
//! `run`) that the linear implementation meets by a wide margin even in a debug build on a
//! loaded machine, while the former quadratic one needed 65 s for `jobs` on 100k entries
//! with a *release* build. Actual figures come from `scripts/bench-scale.sh`. The structure
//! of the matrix's rule index (N rules, N jobs → N checks) is pinned by the unit test
//! `rule_index_is_linear` in crates/matrix.

mod common;

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");
const FACTS: &[&str] = &[
    "--branch",
    "master",
    "--repo",
    "o/r",
    "--commit-message",
    "scale",
];

/// Runs the binary in `dir`; kills it and fails the test after `limit`. Returns the exit
/// status and stdout (written to a file, so a big output never blocks the child).
fn run_limited(dir: &Path, args: &[&str], limit: Duration) -> (ExitStatus, String) {
    let out_path = dir.join(format!(".out-{}", args[0]));
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`travis-local {}` did not finish within {limit:?} (super-linear again?)",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&out_path).expect("read output");
    let _ = std::fs::remove_file(&out_path);
    (status, text)
}

fn env_global(n: usize) -> String {
    let mut s = String::from("language: shell\nos: linux\nscript: true\nenv:\n  global:\n");
    for i in 1..=n {
        s.push_str(&format!("    - V{i:06}=value{i}\n"));
    }
    s
}

#[test]
fn lint_jobs_compile_with_100k_env_entries() {
    let n = 100_000;
    let repo = common::committed_repo(&env_global(n), &[]);
    let dir = repo.path();
    let limit = Duration::from_secs(60);

    let (status, _) = run_limited(dir, &["lint", "--quiet"], limit);
    assert_eq!(status.code(), Some(0), "lint");

    let mut args = vec!["jobs", "--format", "json"];
    args.extend_from_slice(FACTS);
    let (status, out) = run_limited(dir, &args, limit);
    assert_eq!(status.code(), Some(0), "jobs");
    let v: serde_json::Value = serde_json::from_str(&out).expect("jobs JSON");
    let jobs = v["jobs"].as_array().expect("jobs list");
    assert_eq!(jobs.len(), 1);
    let env = jobs[0]["config"]["env"].as_array().expect("env list");
    assert_eq!(env.len(), n);
    assert_eq!(env[n - 1], serde_json::json!({"V100000": "value100000"}));

    let mut args = vec!["compile"];
    args.extend_from_slice(FACTS);
    let (status, out) = run_limited(dir, &args, limit);
    assert_eq!(status.code(), Some(0), "compile");
    assert_eq!(out.matches("travis_cmd 'export V").count(), n);
    assert!(out.contains("'export V100000=value100000'"));
}

#[test]
fn jobs_with_10k_matrix_entries_excludes_and_allow_failures() {
    let n = 10_000;
    let mut yml =
        String::from("language: shell\nscript: true\nenv:\n  global:\n    - G=1\n  jobs:\n");
    for i in 1..=n {
        yml.push_str(&format!("    - J={i}\n"));
    }
    yml.push_str("jobs:\n  exclude:\n");
    for i in (1..=n).step_by(2) {
        yml.push_str(&format!("    - env: J={i}\n"));
    }
    yml.push_str("  allow_failures:\n");
    for i in (2..=n).step_by(4) {
        yml.push_str(&format!("    - env: J={i}\n"));
    }
    yml.push_str("  include:\n");
    for i in 1..=n {
        yml.push_str(&format!(
            "    - name: extra {i}\n      stage: s{}\n      env: I={i}\n      script: echo {i}\n",
            i % 3
        ));
    }
    let repo = common::committed_repo(&yml, &[]);
    let mut args = vec!["jobs", "--format", "json"];
    args.extend_from_slice(FACTS);
    let (status, out) = run_limited(repo.path(), &args, Duration::from_secs(60));
    assert_eq!(status.code(), Some(0), "jobs");
    let v: serde_json::Value = serde_json::from_str(&out).expect("jobs JSON");
    let jobs = v["jobs"].as_array().expect("jobs list");
    // n/2 matrix jobs survive the excludes, plus n included jobs (with their own env:
    // without one they would inherit the first `env.jobs` entry, J=1, which is excluded).
    assert_eq!(jobs.len(), n / 2 + n);
    let allowed = jobs
        .iter()
        .filter(|j| j["allow_failure"] == serde_json::Value::Bool(true))
        .count();
    assert_eq!(allowed, n / 4);
    let stages = v["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 4, "test, s1, s2, s0");
    let excluded = v["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .filter(|s| {
            s["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("excluded by"))
        })
        .count();
    assert_eq!(excluded, n / 2);
}

#[test]
fn run_on_the_host_with_10k_env_entries() {
    let n = 10_000;
    let mut yml = env_global(n);
    yml = yml.replace(
        "script: true",
        "script: 'test \"$V010000\" = value10000 && echo LAST=$V010000'",
    );
    let repo = common::committed_repo(&yml, &[]);
    let mut args = vec!["run", "--executor", "host"];
    args.extend_from_slice(FACTS);
    let (status, out) = run_limited(repo.path(), &args, Duration::from_secs(120));
    assert_eq!(
        status.code(),
        Some(0),
        "run: {}",
        &out[out.len().saturating_sub(2000)..]
    );
    assert!(
        out.contains("LAST=value10000"),
        "{}",
        &out[out.len().saturating_sub(2000)..]
    );
}
