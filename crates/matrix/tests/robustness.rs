//! No panics on odd input: every corpus config with key values replaced by values of the
//! wrong type (and odd include/exclude/allow_failures/stages entries) must plan cleanly,
//! and every plan must be self-consistent (numbers 1..n, stage lists match the jobs,
//! rejected builds carry a reason).

use serde_json::{json, Value};
use travis_local_matrix::{plan, select, BuildFacts};

mod common;

fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(false),
        json!(3),
        json!("x"),
        json!(""),
        json!([]),
        json!({}),
        json!([null]),
        json!([{}]),
        json!([[1, [2]], "a"]),
        json!({"include": 5, "exclude": [{}], "allow_failures": "x", "fast_finish": "yes"}),
        json!({"global": "A=1", "jobs": {"B": "2"}}),
        json!([{"stage": 5, "if": ["a"], "env": [[{"X": "1"}]]}, {"stage": null, "name": {"a": 1}}]),
        json!([{"name": null, "if": "branch = ("}, "plain", {"if": "env(X) =~ ^(a"}]),
    ]
}

fn check(config: &Value, label: &str) {
    for facts in [
        BuildFacts::push("o/r", "master"),
        BuildFacts::pull_request("o/r", "dev", 2),
    ] {
        let p = plan(config, &facts);
        for (i, j) in p.jobs.iter().enumerate() {
            assert_eq!(j.number, format!("1.{}", i + 1), "{label}");
        }
        let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
        for j in &p.jobs {
            assert!(
                names.contains(&j.stage.as_str()),
                "{label}: job stage {:?} not in {names:?}",
                j.stage
            );
        }
        let listed: usize = p.stages.iter().map(|s| s.jobs.len()).sum();
        assert_eq!(listed, p.jobs.len(), "{label}: stages list every job once");
        if !p.runs {
            assert!(
                p.reason.is_some(),
                "{label}: a build that does not run needs a reason"
            );
        }
        for s in &p.skipped {
            assert!(!s.reason.is_empty(), "{label}: skipped without reason");
        }
        let _ = select(&p, &["1".into(), "nope".into()], Some("test"));
    }
}

#[test]
fn odd_values_never_panic() {
    let Some(paths) = common::expected_entries() else {
        return;
    };
    let mut configs: Vec<Value> = paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .filter_map(|t| serde_json::from_str::<Value>(&t).ok())
        .filter_map(|v| v.get("config").cloned())
        .filter(Value::is_object)
        .collect();
    configs.truncate(60);
    let keys = [
        "env", "jobs", "stages", "os", "arch", "python", "language", "if", "branches", "dist",
        "compiler", "rvm",
    ];
    let mut n = 0;
    for cfg in &configs {
        check(cfg, "original");
        for key in keys {
            for v in odd_values() {
                let mut c = cfg.clone();
                c[key] = v.clone();
                check(&c, &format!("{key} = {v}"));
                n += 1;
            }
        }
        for sub in ["include", "exclude", "allow_failures"] {
            for v in odd_values() {
                let mut c = cfg.clone();
                c["jobs"] = json!({ sub: v.clone() });
                check(&c, &format!("jobs.{sub} = {v}"));
                n += 1;
            }
        }
    }
    for v in odd_values() {
        check(&v, "whole config");
    }
    println!("{n} mutated configs planned without panics");
}
