//! Compiles every job of every corpus config (the `jobs` of `expected/*.json`, i.e.
//! travis-yml's own expansion) for a push on master and for a pull request: never a
//! panic, every script passes `bash -n`, and no secret value ever appears in a script.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use travis_local_matrix::{BuildFacts, Job};
use travis_local_script::secrets::{secure_id, SecurePlain, SettingsVar};
use travis_local_script::{compile, CompileOptions, Secret, Secrets};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/travis/expected")
}

fn collect_ciphers(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if let Some(serde_json::Value::String(c)) = m.get("secure") {
                out.push(c.clone());
            }
            m.values().for_each(|x| collect_ciphers(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_ciphers(x, out)),
        _ => {}
    }
}

#[test]
fn every_corpus_job_compiles_to_valid_bash() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared data is missing under CI=true: this test must run in CI"
        );
        println!("notice: corpus not found at {}; skipping", dir.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    // Scripts are written to files and syntax-checked by one driver bash below.
    let tmp = tempfile::tempdir().unwrap();
    let mut scripts = Vec::new();
    let mut jobs_total = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        for (key, facts) in [
            ("jobs", BuildFacts::push("o/r", "master")),
            ("jobs_pr", BuildFacts::pull_request("o/r", "master", 5)),
        ] {
            let Some(jobs) = doc.get(key).and_then(|j| j.as_array()) else {
                continue;
            };
            for (i, config) in jobs.iter().enumerate() {
                let mut ciphers = Vec::new();
                collect_ciphers(config, &mut ciphers);
                let mut secrets = Secrets {
                    settings: vec![SettingsVar {
                        name: "CORPUS_TOKEN".into(),
                        value: Secret::new("corpus-secret-value-1"),
                        branch: None,
                        public: false,
                        origin: "test".into(),
                    }],
                    ..Default::default()
                };
                for (n, c) in ciphers.iter().enumerate() {
                    secrets.secure.push(SecurePlain {
                        id: secure_id(c),
                        plain: Secret::new(format!("SECURE_{n}=corpus-secure-value-{n}")),
                    });
                }
                let job = Job {
                    number: format!("1.{}", i + 1),
                    stage: String::new(),
                    name: None,
                    allow_failure: false,
                    config: config.clone(),
                };
                let compiled = compile(&job, &facts, &secrets, &CompileOptions::default());
                assert!(
                    !compiled.script.contains("corpus-secret-value-1"),
                    "{}",
                    file.display()
                );
                assert!(
                    !compiled.script.contains("corpus-secure-value-"),
                    "{}",
                    file.display()
                );
                let path = tmp.path().join(format!("{}.{key}.{i}.sh", scripts.len()));
                std::fs::write(&path, &compiled.script).unwrap();
                scripts.push((path, format!("{} {key}[{i}]", file.display())));
                jobs_total += 1;
            }
        }
    }
    // Syntax-check all scripts with one bash: `bash -n FILE` per line of a driver.
    let mut child = Command::new("bash")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let stdin = child.stdin.as_mut().unwrap();
        for (i, (path, _)) in scripts.iter().enumerate() {
            writeln!(
                stdin,
                "bash -n {} 2>/dev/null || echo BAD {i}",
                path.display()
            )
            .unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    let bad: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("BAD "))
        .filter_map(|i| i.parse::<usize>().ok())
        .map(|i| scripts[i].1.clone())
        .collect();
    println!(
        "compiled {jobs_total} corpus jobs from {} files; bash -n failures: {}",
        files.len(),
        bad.len()
    );
    assert!(bad.is_empty(), "scripts failing bash -n: {bad:#?}");
}
