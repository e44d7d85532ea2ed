//! `travis-local run --junit PATH` through the real binary (host executor): a build with
//! passed, failed, errored and allowed-failure jobs in two stages gives a JUnit report
//! that a strict XML parser reads, with the right structure and counts, the masked log
//! tails, and no secret value.

mod common;

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");
const SECRET: &str = "jUn1t-s3cret-v4lue";

const YML: &str = "language: minimal
script: echo \"token=$TOKEN\"
jobs:
  allow_failures:
    - name: flaky
  include:
    - stage: test
      name: ok
    - name: broken
      script: [echo \"token=$TOKEN <&>\", 'false']
    - name: crashes
      install: 'false'
    - name: flaky
      script: 'false'
    - stage: deploy
      name: ship
";

#[test]
fn junit_report_has_one_case_per_job_grouped_by_stage_and_no_secret() {
    let repo = common::committed_repo(YML, &[]);
    let p = repo.path();
    std::fs::create_dir_all(p.join(".travis-local")).expect("mkdir");
    std::fs::write(
        p.join(".travis-local/secrets.yml"),
        format!("env:\n  - {{name: TOKEN, value: {SECRET}}}\n"),
    )
    .expect("secrets");
    std::fs::write(p.join(".git/info/exclude"), ".travis-local/secrets.yml\n").expect("exclude");
    let out_dir = tempfile::tempdir().expect("tempdir");
    let report = out_dir.path().join("report.xml");
    let out = Command::new(BIN)
        .args(["run", "--executor", "host", "--junit"])
        .arg(&report)
        .current_dir(p)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // a job errored, so the build errored, and deploy did not run
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let xml = std::fs::read_to_string(&report).expect("the report is written");
    assert!(!xml.contains(SECRET), "a secret reached the report:\n{xml}");
    assert!(xml.contains("token=[secure]"), "{xml}");
    let doc = roxmltree::Document::parse(&xml).expect("strict XML parser accepts it");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let attr = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap_or_default().to_string();
    assert_eq!(
        ["tests", "failures", "errors", "skipped"].map(|a| attr(root, a)),
        ["5", "1", "1", "2"].map(String::from),
        "{xml}"
    );
    let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
    assert_eq!(
        suites.iter().map(|s| attr(*s, "name")).collect::<Vec<_>>(),
        ["test", "deploy"]
    );
    for s in &suites {
        assert_eq!(s.tag_name().name(), "testsuite");
        for a in [
            "tests",
            "failures",
            "errors",
            "time",
            "timestamp",
            "hostname",
        ] {
            assert!(s.attribute(a).is_some(), "testsuite lacks {a}");
        }
    }
    let case = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && attr(*n, "name") == name)
            .unwrap_or_else(|| panic!("no test case {name}\n{xml}"))
    };
    let child = |n: roxmltree::Node, tag: &str| {
        n.children()
            .find(|c| c.has_tag_name(tag))
            .map(|c| (attr(c, "message"), c.text().unwrap_or_default().to_string()))
    };
    assert!(child(case("Job 1.1 · ok"), "failure").is_none());
    let (msg, log) = child(case("Job 1.2 · broken"), "failure").expect("failure");
    assert_eq!(msg, "the job failed (exit 1)");
    assert!(
        log.contains("token=[secure] <&>"),
        "the masked log tail: {log}"
    );
    let (msg, _) = child(case("Job 1.3 · crashes"), "error").expect("error");
    assert_eq!(msg, "the job errored (exit 2)");
    let (msg, _) = child(case("Job 1.4 · flaky (allowed to fail)"), "skipped").expect("skipped");
    assert!(msg.starts_with("allowed to fail: the job failed"), "{msg}");
    let (msg, _) = child(case("Job 1.5 · ship"), "skipped").expect("canceled");
    assert!(msg.starts_with("canceled"), "{msg}");
    assert_eq!(
        attr(case("Job 1.5 · ship"), "classname"),
        "travis-local.deploy"
    );
}

#[test]
fn junit_path_in_a_missing_directory_is_a_usage_error() {
    let repo = common::committed_repo("language: minimal\nscript: true\n", &[]);
    let out = Command::new(BIN)
        .args([
            "run",
            "--executor",
            "host",
            "--junit",
            "/nonexistent/dir/r.xml",
        ])
        .current_dir(repo.path())
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--junit /nonexistent/dir/r.xml"));
}
