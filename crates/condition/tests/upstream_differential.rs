//! Frozen differential results: random and mutated conditions (tools/differential/gen.py,
//! seed 21) and a regex escape/syntax matrix, each evaluated by the Ruby implementation
//! (travis-conditions 1.0.16 + sh_vars 1.0.2, tools/differential/oracle.rb). The Ruby
//! outcomes are stored in fixtures/conditions/upstream-*.jsonl, so this runs without Ruby.

use std::path::PathBuf;

use serde_json::Value;
use travis_local_condition::{eval_spanned, parse, Facts};

mod common;
use common::{json_lines, norm};

fn fixture(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/conditions")
        .join(name);
    json_lines(&path)
}

#[test]
fn conditions_agree_with_upstream() {
    let cases = fixture("upstream-differential.jsonl");
    let mut failures = Vec::new();
    for case in &cases {
        let cond = case["cond"].as_str().expect("cond");
        let up = &case["upstream"];
        let got = match parse(cond) {
            Err(e) => {
                if up.get("parse_error").is_none() {
                    failures.push(format!("{cond:?}: we reject ({e}), upstream parses"));
                }
                continue;
            }
            Ok(expr) => expr,
        };
        let Some(tree) = up.get("tree") else {
            failures.push(format!(
                "{cond:?}: we parse, upstream rejects ({})",
                up["parse_error"]
            ));
            continue;
        };
        if norm(tree) != got.to_sexp() {
            failures.push(format!(
                "{cond:?}: tree {} != upstream {tree}",
                got.to_sexp()
            ));
            continue;
        }
        let facts = Facts::from_json(&case["data"]).expect("data");
        match (eval_spanned(&got, &facts), up.get("result")) {
            (Ok(r), Some(Value::Bool(u))) if r == *u => {}
            (Err(_), None) => {}
            (ours, _) => failures.push(format!("{cond:?}: we say {ours:?}, upstream {up}")),
        }
    }
    eprintln!("{} conditions compared with upstream", cases.len());
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Patterns whose Ruby feature we do not support, listed here rather than skipped silently.
const KNOWN_UNSUPPORTED: &[&str] = &["(?<a>x)\\g<a>"];

#[test]
fn regex_matrix_agrees_with_upstream() {
    let cases = fixture("upstream-regex.jsonl");
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in &cases {
        let pattern = case["pattern"].as_str().expect("pattern");
        if KNOWN_UNSUPPORTED.contains(&pattern) {
            eprintln!("NOTICE: regex {pattern:?} uses an unsupported Ruby feature; not compared");
            continue;
        }
        let expr = parse("env(S) =~ env(P)").expect("parses");
        for (subject, want) in case["subjects"].as_object().expect("subjects") {
            let facts = Facts {
                env: vec![("S".into(), subject.clone()), ("P".into(), pattern.into())],
                ..Default::default()
            };
            compared += 1;
            let got = eval_spanned(&expr, &facts);
            let ok = match (want, &got) {
                (Value::Bool(w), Ok(g)) => w == g,
                (Value::String(e), Err(_)) => e == "error",
                _ => false,
            };
            if !ok {
                failures.push(format!(
                    "/{pattern}/ on {subject:?}: we say {got:?}, upstream {want}"
                ));
            }
        }
    }
    eprintln!("{compared} regex matches compared with upstream");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
