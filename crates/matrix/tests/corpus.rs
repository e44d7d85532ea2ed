//! Conformance with travis-yml on the real-world corpus: feed the expected normalised
//! `config` of every `expected/*.json` into the planner (push to `master`, and a pull
//! request into `master`) and compare with `jobs` / `jobs_pr` and `stages` / `stages_pr`.
//! This measures the matrix logic independently of the config loader.

use serde_json::Value;
use std::path::{Path, PathBuf};
use travis_local_matrix::{expand, BuildFacts, BuildPlan, EXPAND_KEYS};

mod common;
use common::corpus_dir;

/// The job keys compared with travis-yml's: these, then every matrix expansion key.
const COMPARED_FIRST: &[&str] = &[
    "language",
    "os",
    "dist",
    "arch",
    "env",
    "stage",
    "name",
    "allow_failure",
];

fn compared() -> impl Iterator<Item = &'static str> {
    COMPARED_FIRST.iter().copied().chain(
        EXPAND_KEYS
            .iter()
            .copied()
            .filter(|k| !COMPARED_FIRST.contains(k)),
    )
}

/// The corpus file an expected file describes (`expected/NAME.json` → `NAME`).
fn stem(path: &Path) -> String {
    path.file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".json")
        .to_string()
}

/// The repository slug of an expected file (`o/r` when absent).
fn slug(exp: &Value) -> String {
    exp.get("slug")
        .and_then(Value::as_str)
        .unwrap_or("o/r")
        .to_string()
}

/// One build compared: label, facts, and the keys of travis-yml's jobs, stages and
/// messages for it.
type Build = (
    &'static str,
    BuildFacts,
    &'static str,
    &'static str,
    &'static str,
);

/// The two builds compared: a push to master and a pull request into master.
fn builds(slug: &str) -> [Build; 2] {
    [
        (
            "push",
            BuildFacts::push(slug, "master"),
            "jobs",
            "stages",
            "msgs_push",
        ),
        (
            "pr",
            BuildFacts::pull_request(slug, "master", 1),
            "jobs_pr",
            "stages_pr",
            "msgs_pr",
        ),
    ]
}

/// Our jobs (plain configs) and travis-yml's under `jobs_key`.
fn jobs_of(plan: &BuildPlan, exp: &Value, jobs_key: &str) -> (Vec<Value>, Vec<Value>) {
    let ours: Vec<Value> = plan.jobs.iter().map(|j| j.config.clone()).collect();
    let theirs: Vec<Value> = exp
        .get(jobs_key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    (ours, theirs)
}

/// Compare our jobs with travis-yml's on the compared keys; Err describes the first difference.
fn compare(ours: &[Value], theirs: &[Value]) -> Result<(), String> {
    if ours.len() != theirs.len() {
        return Err(format!(
            "job count {} vs expected {}",
            ours.len(),
            theirs.len()
        ));
    }
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        for key in compared() {
            let (x, y) = (a.get(key), b.get(key));
            let same = match (x, y) {
                (Some(Value::Bool(false)), None) | (None, Some(Value::Bool(false)))
                    if key == "allow_failure" =>
                {
                    true
                }
                _ => x == y,
            };
            if !same {
                return Err(format!(
                    "job {}: `{key}` is {} but travis-yml has {}",
                    i + 1,
                    x.map(|v| v.to_string()).unwrap_or("absent".into()),
                    y.map(|v| v.to_string()).unwrap_or("absent".into())
                ));
            }
        }
    }
    Ok(())
}

fn stage_names(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn corpus_agreement() {
    let Some(entries) = common::expected_entries() else {
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut total, mut ok, mut full_equal) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read expected file");
        let exp: Value = serde_json::from_str(&text).expect("expected file is JSON");
        let name = stem(path);
        let config = exp.get("config").cloned().unwrap_or(Value::Null);
        let slug = slug(&exp);
        total += 1;
        let mut problems = Vec::new();
        let mut all_equal = true;
        for (label, facts, jobs_key, stages_key, msgs_key) in builds(&slug) {
            let plan = expand(&config, &facts);
            let (ours, theirs) = jobs_of(&plan, &exp, jobs_key);
            if let Err(e) = compare(&ours, &theirs) {
                problems.push(format!("{label}: {e}"));
            }
            if ours != theirs {
                all_equal = false;
            }
            // travis-yml's skip_job / skip_stage messages must match our skipped entries.
            for kind in ["job", "stage"] {
                let mut want: Vec<String> = exp
                    .get(msgs_key)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter(|m| m.get(2).and_then(Value::as_str) == Some(&format!("skip_{kind}")))
                    .filter_map(|m| m.get(3)?.get("condition")?.as_str().map(str::to_string))
                    .collect();
                let mut got: Vec<String> = plan
                    .skipped
                    .iter()
                    .filter(|s| s.kind == kind)
                    .filter_map(|s| {
                        let rest = s.reason.strip_prefix("`if: ")?;
                        let end = rest.find("` is ")?;
                        Some(rest[..end].to_string())
                    })
                    .collect();
                // travis-yml de-duplicates its messages; we list every skipped job.
                want.sort();
                want.dedup();
                got.sort();
                got.dedup();
                if want != got {
                    problems.push(format!(
                        "{label}: skip_{kind} conditions {got:?} vs expected {want:?}"
                    ));
                }
            }
            let our_stages: Vec<String> = plan
                .stages
                .iter()
                .filter(|s| s.named)
                .map(|s| s.name.clone())
                .collect();
            let their_stages = stage_names(exp.get(stages_key).unwrap_or(&Value::Null));
            if our_stages != their_stages {
                problems.push(format!(
                    "{label}: stages {our_stages:?} vs expected {their_stages:?}"
                ));
            }
        }
        if problems.is_empty() {
            ok += 1;
            if all_equal {
                full_equal += 1;
            }
        } else {
            failures.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    let rate = 100.0 * ok as f64 / total.max(1) as f64;
    // (b) end to end: raw .travis.yml through travis-local-config's loader, then the planner.
    let (mut e2e_ok, mut e2e_total) = (0usize, 0usize);
    let mut e2e_fail = Vec::new();
    for path in &files {
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        let name = stem(path);
        let Ok(text) = std::fs::read_to_string(corpus_dir().join(&name)) else {
            continue;
        };
        e2e_total += 1;
        let loaded = travis_local_config::load_str(".travis.yml", &text);
        let config = loaded.config.unwrap_or(Value::Null);
        let mut problems = Vec::new();
        for (label, facts, jobs_key, ..) in builds(&slug(&exp)) {
            let plan = expand(&config, &facts);
            let (ours, theirs) = jobs_of(&plan, &exp, jobs_key);
            if let Err(e) = compare(&ours, &theirs) {
                problems.push(format!("{label}: {e}"));
            }
        }
        if problems.is_empty() {
            e2e_ok += 1;
        } else {
            e2e_fail.push(format!("{name}: {}", problems.join("; ")));
        }
    }
    // (c) imports: what load_build reports as unresolved, with the corpus file alone in a
    // directory (its local imports are absent, remote ones are never fetched).
    let (mut imp_ok, mut imp_total) = (0usize, 0usize);
    for path in &files {
        let exp: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        let want: Vec<String> = exp
            .get("unresolved_imports")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if want.is_empty() {
            continue;
        }
        imp_total += 1;
        let name = stem(path);
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::copy(corpus_dir().join(&name), dir.path().join(".travis.yml")).expect("copy");
        let facts = BuildFacts::push(&slug(&exp), "master");
        let loaded = travis_local_matrix::load_build(
            dir.path(),
            std::path::Path::new(".travis.yml"),
            &facts,
        )
        .expect("load_build");
        let mut got = loaded.unresolved_imports.clone();
        got.sort();
        let mut want = want;
        want.sort();
        if got == want {
            imp_ok += 1;
        } else {
            failures.push(format!(
                "{name}: unresolved imports {got:?} vs expected {want:?}"
            ));
        }
    }
    println!(
        "imports: {imp_ok}/{imp_total} files report the same unresolved imports as travis-yml"
    );
    assert_eq!(
        imp_ok, imp_total,
        "unresolved imports differ: {failures:#?}"
    );
    if e2e_total > 0 {
        println!(
            "end to end (raw .travis.yml -> travis-local-config -> jobs): {e2e_ok}/{e2e_total} files agree ({:.1}%)",
            100.0 * e2e_ok as f64 / e2e_total as f64
        );
        for f in &e2e_fail {
            println!("  E2E DIFF {f}");
        }
    }
    println!("matrix conformance (expected config -> jobs): {ok}/{total} files agree ({rate:.1}%), {full_equal} with byte-identical job configs");
    for f in &failures {
        println!("  DIFF {f}");
    }
    assert!(rate >= 95.0, "agreement {rate:.1}% is below 95%");
}
