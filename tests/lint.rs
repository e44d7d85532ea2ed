//! `travis-local lint` end to end: the real binary on temp files, expected output inline.

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_travis-local"));
    c.env_remove("NO_COLOR");
    c
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Lint `yaml` as JSON and summarise each finding as `level code key line:col`.
fn findings(yaml: &str) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), ".travis.yml", yaml);
    let out = bin()
        .args(["lint", "--format", "json", &f])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let lines = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] != "default")
        .map(|d| {
            assert_eq!(d["file"], f.as_str());
            for k in ["line", "column", "end_line", "end_column"] {
                assert!(d[k].as_u64().unwrap() >= 1, "{k} missing in {d}");
            }
            format!(
                "{} {} {} {}:{}",
                d["level"].as_str().unwrap(),
                d["code"].as_str().unwrap(),
                d["key"].as_str().unwrap(),
                d["line"],
                d["column"]
            )
        })
        .collect();
    (out.status.code().unwrap(), lines)
}

#[track_caller]
fn check(yaml: &str, code: i32, expected: &[&str]) {
    let (c, lines) = findings(yaml);
    assert_eq!(lines, expected, "findings for {yaml:?}");
    assert_eq!(c, code, "exit code for {yaml:?}");
}

#[test]
fn one_test_per_code() {
    check(
        "language: python\nscirpt: pytest\n",
        0,
        &["warn find_key root 2:1"],
    );
    check(
        "language: python\nfoo: bar\n",
        0,
        &["warn unknown_key root 2:1"],
    );
    check(
        "language: python\nsudo: required\n",
        0,
        &["warn deprecated_key root 2:1"],
    );
    check(
        "language: python\nmatrix:\n  fast_finish: true\n",
        0,
        &["info alias_key root 2:1"],
    );
    check(
        "language: python\nmatrix:\n  fast_finish: true\njobs:\n  fast_finish: false\n",
        1,
        &["info alias_key root 2:1", "error overwrite root 2:1"],
    );
    check("language: node\n", 0, &["info alias_value language 1:11"]);
    check("language: Python\n", 0, &["info downcase language 1:11"]);
    check(
        "language: python\nscript: a\nscript: b\n",
        1,
        &["error duplicate_key root 3:1"],
    );
    check(
        "language:\n  - python\n  - ruby\n",
        0,
        &["warn unexpected_seq language 2:3"],
    );
    check(
        "language: python\njobs:\n  include:\n    - sudo: 9000\n",
        1,
        &[
            "warn deprecated_key jobs.include 4:7",
            "error invalid_type jobs.include.sudo 4:13",
        ],
    );
    check(
        "language: python\ngit:\n  strategy: rsync\n",
        1,
        &["error unknown_value git.strategy 3:13"],
    );
    check("language: pyhton\n", 0, &["warn find_value language 1:11"]);
    check(
        "language: python\nafter success: x\n",
        0,
        &["warn clean_key root 2:1"],
    );
    check(
        "language: python\nbefore-install: x\n",
        0,
        &["info underscore_key root 2:1"],
    );
    check(
        "language: python\n\"script \": x\n",
        0,
        &["warn strip_key root 2:1"],
    );
    check(
        "language: python\ndeploy:\n  provider: pypi\n  password: hunter2\n",
        1,
        &["alert secure deploy.password 4:13"],
    );
    check(
        "language: python\ndeploy:\n  provider: pypi\n  password:\n    secure: \"PLEASE REPLACE\"\n",
        0,
        &["warn invalid_secure deploy.password.secure 5:13"],
    );
    check(
        "version: \"1.0\"\nlanguage: python\n",
        1,
        &["error invalid_format version 1:10"],
    );
    check(
        "language: python\nenv: FOO=\"bar\n",
        1,
        &["error invalid_env_var env.jobs 2:6"],
    );
    check(
        "language: python\ndeploy:\n  on: master\n",
        1,
        &["error required deploy 3:3"],
    );
    check(
        "language: __connie__\n",
        0,
        &["warn deprecated_value language 1:11"],
    );
    check(
        "language: python\nenv:\n  - secure:\n",
        0,
        &["warn empty env.jobs.secure 3:5"],
    );
    check(
        "language: python\nscript: [a, b\n",
        1,
        &["error invalid_yaml root 2:14"],
    );
}

#[test]
fn default_findings_are_info() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), ".travis.yml", "script: make\n");
    let out = bin()
        .args(["lint", "--format", "json", &f])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["level"].clone(), d["code"].clone()))
        .collect();
    assert_eq!(codes.len(), 3);
    assert!(codes.iter().all(|(l, c)| l == "info" && c == "default"));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn invalid_condition_points_at_the_column() {
    let (code, lines) = findings("language: python\njobs:\n  include:\n    - if: branch = $FOO\n");
    assert_eq!(lines, ["error invalid_condition jobs.include.if 4:20"]);
    assert_eq!(code, 1);
}

#[test]
fn human_output_has_snippet_and_caret() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".travis.yml",
        "language: python\n\nscript: pytest\n\n\n\nscirpt:\n  - x\n",
    );
    let out = bin()
        .current_dir(dir.path())
        .args(["lint", "--color", "never"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = "\
warning[find_key]: unknown key `scirpt`, did you mean `script`?
 --> .travis.yml:7:1
  |
7 | scirpt:
  | ^^^^^^
  |
  = help: travis-yml uses `script`
";
    assert!(stdout.starts_with(expected), "got:\n{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour with --color never");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn colour_flags_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.yml", "language: python\nfoo: 1\n");
    let out = bin()
        .args(["lint", "--color", "always", &f])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let out = bin()
        .env("NO_COLOR", "1")
        .args(["lint", &f])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
}

#[test]
fn quiet_prints_only_errors_and_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "a.yml",
        "language: python\nsudo: true\nscript: [a, b]\nscript: c\n",
    );
    let out = bin()
        .args(["lint", "--quiet", "--format", "json", &f])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["duplicate_key"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn many_files_stdin_and_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.yml", "language: python\nfoo: 1\n");
    let b = write(dir.path(), "b.yml", "language: python\nscript: [x\n");
    let out = bin()
        .args(["lint", "--format", "json", &a, &b])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: std::collections::BTreeSet<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 2);
    assert_eq!(out.status.code(), Some(1));

    let out = bin()
        .args(["lint", "--format", "json", "-"])
        .write_stdin("language: python\nscirpt: x\n")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["file"] == "<stdin>" && d["code"] == "find_key"));
    assert_eq!(out.status.code(), Some(0));

    let missing = dir.path().join("nope.yml").display().to_string();
    let out = bin().args(["lint", &a, &missing]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.yml") && err.contains("no such file"),
        "{err}"
    );
    assert_eq!(err.lines().filter(|l| l.contains("nope.yml")).count(), 1);
}

#[test]
fn default_path_is_travis_yml_in_cwd() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin().current_dir(dir.path()).arg("lint").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".travis.yml"));
}

#[test]
fn lints_every_corpus_file_without_crashing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/travis");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared data is missing under CI=true: this test must run in CI"
        );
        eprintln!("notice: ../shared/corpus/travis not found, skipping");
        return;
    };
    let files: Vec<String> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".travis.yml"))
        .map(|p| p.display().to_string())
        .collect();
    for chunk in files.chunks(64) {
        let out = bin()
            .args(["lint", "--format", "json"])
            .args(chunk)
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        assert!(code == 0 || code == 1, "exit {code}");
        let _: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    }
}

/// fixtures/lint/NAME.yml is linted and compared with fixtures/lint/NAME.expected
/// (`level code key line:col` per finding, in output order).
#[test]
fn fixtures_match_expected_findings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("yml") {
            continue;
        }
        let expected = std::fs::read_to_string(p.with_extension("expected")).unwrap();
        let out = bin()
            .args(["lint", "--format", "json"])
            .arg(&p)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let got: String = v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} {}:{}\n",
                    d["level"].as_str().unwrap(),
                    d["code"].as_str().unwrap(),
                    d["key"].as_str().unwrap(),
                    d["line"],
                    d["column"]
                )
            })
            .collect();
        assert_eq!(got, expected, "fixture {}", p.display());
        let failing = expected
            .lines()
            .any(|l| l.starts_with("error") || l.starts_with("alert"));
        assert_eq!(
            out.status.code(),
            Some(if failing { 1 } else { 0 }),
            "{}",
            p.display()
        );
        n += 1;
    }
    assert!(n >= 5, "fixtures found: {n}");
}
