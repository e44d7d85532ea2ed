//! Hand-written fixtures, one per rule: `fixtures/matrix/*.yml`. Each file is a config
//! plus a private `_cases` key (keys starting with `_` are ignored by Travis; we strip it
//! before planning) listing build facts and the expected outcome:
//!
//! ```yaml
//! _cases:
//!   - facts: {branch: dev, event: push, tag: v1, pr: 3, commit_message: "..."}
//!     runs: true                    # default true
//!     reason: "substring"           # when runs is false
//!     jobs: ["1.1 test python=3.8 env=A=1", ...]   # see `summary`
//!     skipped: ["substring of `what: reason`", ...]
//! ```

use serde_json::Value;
use std::path::PathBuf;
use travis_local_matrix::{plan, BuildFacts, Event, Job};

/// `NUMBER STAGE|- [name="..."] key=value... [env=...] [allow_failure]`
fn summary(job: &Job) -> String {
    let mut parts = vec![
        job.number.clone(),
        if job.stage.is_empty() {
            "-".into()
        } else {
            job.stage.clone()
        },
    ];
    if let Some(n) = &job.name {
        parts.push(format!("name=\"{n}\""));
    }
    let keys = [
        "os",
        "arch",
        "dist",
        "osx_image",
        "language",
        "compiler",
        "jdk",
        "node_js",
        "go",
        "php",
        "python",
        "rvm",
        "gemfile",
        "rust",
        "scala",
    ];
    for k in keys {
        if let Some(v) = job.config.get(k) {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{k}={s}"));
        }
    }
    if let Some(Value::Array(env)) = job.config.get("env") {
        let vars: Vec<String> = env
            .iter()
            .flat_map(|m| {
                m.as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                format!(
                                    "{k}={}",
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| "[secure]".into())
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            })
            .collect();
        parts.push(format!("env={}", vars.join(",")));
    }
    if job.allow_failure {
        parts.push("allow_failure".into());
    }
    parts.join(" ")
}

fn facts_from(v: Option<&Value>) -> BuildFacts {
    let get = |k: &str| {
        v.and_then(|v| v.get(k)).and_then(|x| {
            x.as_str()
                .map(str::to_string)
                .or_else(|| x.as_u64().map(|n| n.to_string()))
        })
    };
    let mut f = BuildFacts::push(
        "owner/repo",
        &get("branch").unwrap_or_else(|| "master".into()),
    );
    if let Some(r) = get("repo") {
        f.repo = r;
    }
    f.tag = get("tag");
    if let Some(pr) = get("pr") {
        f.event = Event::PullRequest;
        f.pull_request = pr.parse().ok();
        f.pr_head_repo = Some(get("pr_head_repo").unwrap_or_else(|| f.repo.clone()));
        f.pr_head_branch = Some(get("pr_branch").unwrap_or_else(|| "feature".into()));
    }
    match get("event").as_deref() {
        Some("api") => f.event = Event::Api,
        Some("cron") => f.event = Event::Cron,
        _ => {}
    }
    f.commit_message = get("commit_message");
    if let Some(n) = get("build_number") {
        f.build_number = n.parse().unwrap_or(1);
    }
    f.derive();
    f
}

#[test]
fn fixtures() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/matrix");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures/matrix exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the rule fixtures in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    let mut cases_run = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read fixture");
        let raw = travis_local_config::yaml_to_json(&text).expect("fixture is YAML");
        let cases = raw
            .get("_cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert!(!cases.is_empty(), "{} has no _cases", path.display());
        let loaded = travis_local_config::load_str(&path.display().to_string(), &text);
        let mut config = loaded.config.expect("fixture config loads");
        if let Value::Object(m) = &mut config {
            m.shift_remove("_cases");
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        for (i, case) in cases.iter().enumerate() {
            cases_run += 1;
            let facts = facts_from(case.get("facts"));
            let p = plan(&config, &facts);
            let label = format!("{name} case {i}");
            let runs = case.get("runs").and_then(Value::as_bool).unwrap_or(true);
            if p.runs != runs {
                failures.push(format!(
                    "{label}: runs = {} (reason {:?}), expected {runs}",
                    p.runs, p.reason
                ));
            }
            if let Some(r) = case.get("reason").and_then(Value::as_str) {
                if !p.reason.as_deref().unwrap_or("").contains(r) {
                    failures.push(format!(
                        "{label}: reason {:?} does not contain {r:?}",
                        p.reason
                    ));
                }
            }
            if let Some(jobs) = case.get("jobs").and_then(Value::as_array) {
                let want: Vec<String> = jobs
                    .iter()
                    .filter_map(|j| j.as_str().map(str::to_string))
                    .collect();
                let got: Vec<String> = p.jobs.iter().map(summary).collect();
                if want != got {
                    failures.push(format!(
                        "{label}: jobs\n      got:  {got:#?}\n      want: {want:#?}"
                    ));
                }
            }
            let skipped: Vec<String> = p
                .skipped
                .iter()
                .map(|s| format!("{} {}: {}", s.kind, s.what, s.reason))
                .collect();
            for want in case
                .get("skipped")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let want = want.as_str().unwrap_or_default();
                if !skipped.iter().any(|s| s.contains(want)) {
                    failures.push(format!(
                        "{label}: no skipped entry contains {want:?}; skipped: {skipped:#?}"
                    ));
                }
            }
            if let Some(n) = case.get("skipped_count").and_then(Value::as_u64) {
                if skipped.len() as u64 != n {
                    failures.push(format!(
                        "{label}: {} skipped entries, expected {n}: {skipped:#?}",
                        skipped.len()
                    ));
                }
            }
            if let Some(ff) = case.get("fast_finish").and_then(Value::as_bool) {
                if p.fast_finish != ff {
                    failures.push(format!("{label}: fast_finish {}", p.fast_finish));
                }
            }
            if let Some(st) = case.get("stages").and_then(Value::as_array) {
                let want: Vec<&str> = st.iter().filter_map(Value::as_str).collect();
                let got: Vec<&str> = p
                    .stages
                    .iter()
                    .filter(|s| s.named)
                    .map(|s| s.name.as_str())
                    .collect();
                if want != got {
                    failures.push(format!("{label}: stages {got:?}, expected {want:?}"));
                }
            }
        }
    }
    println!("{} fixture files, {cases_run} cases", files.len());
    assert!(
        failures.is_empty(),
        "fixture failures:\n{}",
        failures.join("\n")
    );
}
