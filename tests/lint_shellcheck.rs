//! `lint --shellcheck` through the real binary: ShellCheck findings on phase commands
//! at the YAML line and column of the command (human and JSON), the `lint:` setting of
//! `.travis-local/config.yml` making it the default, `--no-shellcheck`, the job's env
//! names and Travis's helpers known, and ShellCheck missing said once.
//!
//! Needs Debian's `shellcheck` (scripts/test.sh installs it); without it the tests
//! print a notice and pass, except under CI=true where they fail.

mod common;
use common::ci;

use std::path::Path;

fn shellcheck_ready(test: &str) -> bool {
    let ok = std::process::Command::new("shellcheck")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(!ci(), "{test}: shellcheck is not installed under CI=true");
        eprintln!(
            "NOTICE {test}: skipped, shellcheck is not installed (apt-get install shellcheck)"
        );
    }
    ok
}

const CONFIG: &str = "language: shell\nenv:\n  global:\n    - lower_name=1\nscript: echo $UNQUOTED && cd foo\nafter_script:\n  - travis_retry echo \"$lower_name\"\n";

fn lint(dir: &Path, args: &[&str]) -> common::Run {
    let mut all = vec!["lint"];
    all.extend_from_slice(args);
    common::run_bin(dir, &all, &[("NO_COLOR", "1")])
}

#[test]
fn reports_sc2086_and_sc2164_at_the_command_line_and_column() {
    if !shellcheck_ready("reports_sc2086_and_sc2164") {
        return;
    }
    let dir = common::committed_repo(CONFIG, &[]);
    let r = lint(dir.path(), &["--shellcheck"]);
    // SC2164 is a warning, SC2086 info: lint passes.
    r.exit(0);
    assert!(
        r.stdout
            .contains("info[SC2086]: Double quote to prevent globbing")
            && r.stdout.contains(" --> .travis.yml:5:14")
            && r.stdout.contains("warning[SC2164]: Use 'cd ... || exit'")
            && r.stdout.contains(" --> .travis.yml:5:27"),
        "{}",
        r.dump()
    );
    // Env names and helpers are known: nothing about the after_script line.
    assert!(!r.stdout.contains(".travis.yml:7:"), "{}", r.dump());
    assert!(!r.stdout.contains("SC2154"), "{}", r.dump());

    let r = lint(dir.path(), &["--shellcheck", "--format", "json"]);
    r.exit(0);
    let items: Vec<serde_json::Value> =
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}\n{}", r.dump()));
    let find = |code: &str| {
        items
            .iter()
            .find(|i| i["code"] == code)
            .unwrap_or_else(|| panic!("{code} missing\n{}", r.dump()))
            .clone()
    };
    let sc2086 = find("SC2086");
    assert_eq!(
        (&sc2086["line"], &sc2086["column"], &sc2086["end_column"]),
        (&5.into(), &14.into(), &23.into())
    );
    assert_eq!(
        (&sc2086["level"], &sc2086["key"]),
        (&"info".into(), &"script".into())
    );
    let sc2164 = find("SC2164");
    assert_eq!(
        (&sc2164["line"], &sc2164["column"]),
        (&5.into(), &27.into())
    );
    assert_eq!(sc2164["level"], "warn");
    assert_eq!(sc2164["file"], ".travis.yml");

    // Without the flag (and no setting), no ShellCheck findings.
    let r = lint(dir.path(), &[]);
    assert!(!r.stdout.contains("SC2"), "{}", r.dump());
}

#[test]
fn setting_makes_it_the_default_and_the_flag_turns_it_off() {
    if !shellcheck_ready("setting_makes_it_the_default") {
        return;
    }
    let dir = common::committed_repo(
        "script:\n  - |\n    echo ok\n    cd $DIR\n",
        &[(".travis-local/config.yml", "lint: {shellcheck: true}\n")],
    );
    let r = lint(dir.path(), &[]);
    // Block scalar: line 4 of the file, column 5 (`cd`) and 8 (`$DIR`).
    assert!(
        r.stdout.contains("warning[SC2164]") && r.stdout.contains(" --> .travis.yml:4:5"),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout.contains("info[SC2086]") && r.stdout.contains(" --> .travis.yml:4:8"),
        "{}",
        r.dump()
    );
    let r = lint(dir.path(), &["--no-shellcheck"]);
    assert!(!r.stdout.contains("SC2"), "{}", r.dump());
    // A shell syntax error is an error finding: lint fails.
    let bad = common::committed_repo("script: 'if true; then echo'\n", &[]);
    let r = lint(bad.path(), &["--shellcheck"]);
    r.exit(1);
    assert!(r.stdout.contains("error[SC"), "{}", r.dump());
}

#[test]
fn missing_shellcheck_is_said_once_and_lint_goes_on() {
    let dir = common::committed_repo(CONFIG, &[]);
    std::fs::write(dir.path().join("second.yml"), CONFIG).expect("write");
    let r = common::run_bin(
        dir.path(),
        &["lint", "--shellcheck", ".travis.yml", "second.yml"],
        &[("PATH", "/nonexistent"), ("NO_COLOR", "1")],
    );
    r.exit(0);
    assert_eq!(
        r.stderr.matches("shellcheck is not installed").count(),
        1,
        "{}",
        r.dump()
    );
    assert!(r.stderr.contains("lint: 2 files, 0 errors"), "{}", r.dump());
}
