//! Masking of the value a job actually receives, through the real binary
//! (`travis-local run --executor host`): settings secrets are exported the Travis way
//! (`export NAME=<raw value>`, eval'd by bash), so the job gets bash's reading of the
//! raw text. Each value is checked against real bash; the job prints them all, and
//! unrelated text that merely looks like part of a raw value (`$HOME`) stays visible.
//! Also: short values are warned about by name, and `--secret VALUE` without `NAME=` is a
//! usage error that never echoes the value.

mod common;

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");

/// What bash gives `S` for `eval "export S=<raw>"` (with HOME and TRAVIS_BRANCH as in
/// the job), `None` if it stays unset.
fn bash_value(raw: &str, home: &str) -> Option<String> {
    let out = Command::new("bash")
        .args([
            "--norc",
            "-c",
            "eval \"export S=$1\" 2>/dev/null >/dev/null; printf '%s\\001%s' \"${S+set}\" \"${S-}\"",
            "bash",
            raw,
        ])
        .env_clear()
        .env("HOME", home)
        .env("TRAVIS_BRANCH", "master")
        .env("PATH", "/nonexistent-travis-local")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let (set, value) = text.rsplit_once('\u{1}')?;
    (set.ends_with("set")).then(|| value.to_string())
}

/// A few values from a deterministic generator over the characters that matter.
fn generated(n: usize) -> Vec<String> {
    const TOKENS: &[&str] = &[
        "q7x", "Zz9", " ", "'", "\"", "\\", "$", "$HOME", "${HOME}", "$NOPE", "é", "日本",
        "{a,bc}", "~/", "$'\\t'", "=", ":", "w0rd",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut out = Vec::new();
    while out.len() < n {
        let mut v = String::new();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.push_str(TOKENS[(seed % TOKENS.len() as u64) as usize]);
        }
        out.push(v);
    }
    out
}

struct Case {
    name: String,
    raw: String,
}

#[test]
fn the_value_the_job_receives_is_masked_and_nothing_else() {
    let mut cases: Vec<Case> = [
        ("ISSUE", r"'it'\''s $HOME'"),
        ("SPACES", "tok3n-aa tok3n-bb"),
        ("DQ", "\"dq \\\"quoted\\\" $TRAVIS_BRANCH\""),
        ("ESC", r"p\$ss\ w0rd"),
        ("ANSI", r"$'line1-abc\nline2-xyz'"),
        ("HOLE", "abc${NOPE_UNSET}defgh"),
        ("BRACE", "{x1q,yz2}-brace"),
        ("UNI", "'日本語-ünï'"),
    ]
    .iter()
    .map(|(n, r)| Case {
        name: n.to_string(),
        raw: r.to_string(),
    })
    .collect();
    for (i, raw) in generated(4).into_iter().enumerate() {
        cases.push(Case {
            name: format!("GEN{i}"),
            raw,
        });
    }
    let mut secrets = String::from("env:\n");
    let mut script = String::from("script:\n");
    for c in &cases {
        let value = serde_json::to_string(&c.raw).expect("json");
        secrets.push_str(&format!("  - {{name: {}, value: {value}}}\n", c.name));
        let line = format!("printf '{0}=[%s]\\n' \"${0}\"", c.name);
        script.push_str(&format!(
            "  - {}\n",
            serde_json::to_string(&line).expect("json")
        ));
    }
    // Unrelated text that only looks like parts of the raw values.
    for line in [
        "echo '$HOME'",
        "echo 'literal-$HOME-text'",
        "echo \"it's\"",
        "echo \"home=$HOME\"",
        "echo '$TRAVIS_BRANCH' $TRAVIS_BRANCH",
        "echo '${HOME}'",
    ] {
        script.push_str(&format!(
            "  - {}\n",
            serde_json::to_string(line).expect("json")
        ));
    }
    let repo = common::committed_repo(&format!("language: minimal\n{script}"), &[]);
    let p = repo.path();
    std::fs::create_dir_all(p.join(".travis-local")).expect("mkdir");
    std::fs::write(p.join(".travis-local/secrets.yml"), &secrets).expect("secrets");
    std::fs::write(p.join(".git/info/exclude"), ".travis-local/secrets.yml\n").expect("exclude");

    for format in ["human", "json"] {
        let out = Command::new(BIN)
            .args(["run", "--executor", "host", "--format", format])
            .current_dir(p)
            .stdin(Stdio::null())
            .output()
            .expect("travis-local runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let dump = format!("--- stdout\n{stdout}--- stderr\n{stderr}");
        assert_eq!(out.status.code(), Some(0), "{dump}");
        // The job's output lines (JSON: the `line` of each output event).
        let lines: Vec<String> = if format == "json" {
            stdout
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|e| e["event"] == "output")
                .filter_map(|e| e["line"].as_str().map(str::to_string))
                .collect()
        } else {
            stdout.lines().map(str::to_string).collect()
        };
        let home = lines
            .iter()
            .find_map(|l| l.strip_prefix("home="))
            .unwrap_or_else(|| panic!("no home line\n{dump}"))
            .to_string();
        for c in &cases {
            let Some(value) = bash_value(&c.raw, &home) else {
                continue;
            };
            let all = format!("{stdout}\n{stderr}");
            for w in value.split_whitespace().filter(|w| w.chars().count() >= 3) {
                assert!(
                    !all.split(|ch: char| ch.is_whitespace() || "[]\"".contains(ch))
                        .any(|t| t == w),
                    "{}: word {w:?} of the value {value:?} shown ({format})\n{dump}",
                    c.name
                );
            }
            if value.chars().count() >= 3 && !value.contains('\n') {
                let want = format!("{}=[[secure]]", c.name);
                assert!(
                    lines.iter().any(|l| l == &want),
                    "{want} missing ({format}), value {value:?}\n{dump}"
                );
            }
        }
        for innocent in [
            "$HOME",
            "literal-$HOME-text",
            "it's",
            "$TRAVIS_BRANCH master",
            "${HOME}",
        ] {
            assert!(
                lines.iter().any(|l| l == innocent),
                "{innocent:?} was masked ({format})\n{dump}"
            );
        }
        assert!(!home.contains("[secure]"), "{dump}");
    }
}

fn secrets_repo(secrets: &str) -> tempfile::TempDir {
    let repo = common::committed_repo(
        "language: minimal\nscript: ['echo \"v=$SHORT_ONE\"']\n",
        &[],
    );
    let p = repo.path();
    std::fs::create_dir_all(p.join(".travis-local")).expect("mkdir");
    std::fs::write(p.join(".travis-local/secrets.yml"), secrets).expect("secrets");
    std::fs::write(p.join(".git/info/exclude"), ".travis-local/secrets.yml\n").expect("exclude");
    repo
}

#[test]
fn short_values_are_warned_about_by_name_never_by_value() {
    // `'Q7'` reaches the job as `Q7` (2 characters), `x Y9zz` as `x`.
    let repo = secrets_repo(
        "env:\n  - {name: SHORT_ONE, value: \"'Q7'\"}\n  - {name: SPLIT_ONE, value: \"x Y9zz\"}\n  - {name: LONG_ONE, value: \"'Q7-long'\"}\n",
    );
    let out = Command::new(BIN)
        .args(["secrets"])
        .current_dir(repo.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 2, "{text}");
    assert!(
        warnings[0].contains("`SHORT_ONE`") && warnings[0].contains("shorter than 3"),
        "{text}"
    );
    assert!(warnings[1].contains("`SPLIT_ONE`"), "{text}");
    for w in &warnings {
        assert!(!w.contains("Q7") && !w.contains("Y9zz"), "{w}");
    }
    for format in ["human", "json"] {
        let out = Command::new(BIN)
            .args(["run", "--executor", "host", "--format", format])
            .current_dir(repo.path())
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(0), "{all}");
        let warning = all
            .lines()
            .find(|l| l.contains("`SHORT_ONE`") && l.contains("shorter than 3"))
            .unwrap_or_else(|| panic!("no warning ({format})\n{all}"));
        assert!(!warning.contains("Q7"), "{warning}");
    }
}

#[test]
fn secret_without_name_is_a_usage_error_that_hides_the_value() {
    let repo = secrets_repo("env: []\n");
    for value in [
        "hunter2-N0-Name",
        "1X=hunter2-bad-name",
        "=hunter2-empty-name",
    ] {
        for cmd in [
            &["run", "--executor", "host"][..],
            &["compile"],
            &["secrets"],
        ] {
            let out = Command::new(BIN)
                .args(cmd)
                .args(["--secret", "GOOD=fine-value", "--secret", value])
                .current_dir(repo.path())
                .stdin(Stdio::null())
                .output()
                .expect("runs");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd:?} {value}\n{stdout}{stderr}"
            );
            assert!(
                !stdout.contains("hunter2") && !stderr.contains("hunter2"),
                "{cmd:?} echoed the value\n{stdout}{stderr}"
            );
            assert!(stderr.contains("--secret #2"), "{cmd:?}: {stderr}");
        }
    }
}
