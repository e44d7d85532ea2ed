//! End-to-end tests of `travis-local condition` (the real binary): exit codes, JSON
//! output, the caret under the offending column, `--parse`, `--data`.

use assert_cmd::Command;
use serde_json::Value;

fn cmd() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_travis-local"));
    c.arg("condition");
    c
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/conditions/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn true_exits_0_and_false_exits_1() {
    cmd()
        .args([
            "branch = master AND type IN (push, api)",
            "--branch",
            "master",
            "--event",
            "push",
        ])
        .assert()
        .code(0)
        .stdout("true\n");
    cmd()
        .args(["branch = master", "--branch", "dev"])
        .assert()
        .code(1)
        .stdout("false\n");
}

#[test]
fn parse_error_exits_2_with_caret() {
    let out = cmd()
        .args(["branch = master AND"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    // rustc-style, like lint: code, position, the source line and a caret under column 20
    assert!(
        err.starts_with(
            "error[parse_error]: invalid condition: expected an operand\n --> <condition>:1:20\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("\n1 | branch = master AND\n  |                    ^\n"),
        "{err:?}"
    );
}

#[test]
fn dollar_strings_are_rejected_with_upstream_message() {
    let out = cmd()
        .args(["$TRAVIS_BRANCH = master"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("Strings cannot start with a dollar"), "{err}");
    assert!(err.contains("<condition>:1:1\n"), "{err}");
}

#[test]
fn eval_error_exits_2_and_json_reports_column() {
    let out = cmd()
        .args(["branch =~ /[z-a]/", "--branch", "x", "--format", "json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["result"], false);
    assert_eq!(v["error"], "Invalid regular expression: /[z-a]/");
    assert_eq!(v["column"], 11);
}

#[test]
fn json_output_shape() {
    let out = cmd()
        .args(["tag IS present", "--tag", "v1.0", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"ok": true, "result": true, "error": null, "column": null})
    );

    let out = cmd()
        .args(["(branch = x", "--format", "json"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["result"], Value::Null);
    assert_eq!(v["error"], "expected `)`");
    assert_eq!(v["column"], 12);
}

#[test]
fn parse_prints_the_tree() {
    cmd().args(["--parse", "NOT branch IN (a, b) OR env(X) =~ ^v"])
        .assert()
        .code(0)
        .stdout("[\"or\",[\"not\",[\"in\",[\"var\",\"branch\"],[[\"val\",\"a\"],[\"val\",\"b\"]]]],[\"match\",[\"call\",\"env\",[[\"val\",\"X\"]]],[\"reg\",\"^v\"]]]\n");
    // Travis quirk (travis-config.md §4.5): `nothing = x` is `NOT (hing = x)`.
    cmd()
        .args(["--parse", "nothing = x"])
        .assert()
        .code(0)
        .stdout("[\"not\",[\"eq\",[\"val\",\"hing\"],[\"val\",\"x\"]]]\n");
}

#[test]
fn data_file_env_and_fork() {
    let data = format!("@{}", fixture("pr-data.json"));
    cmd()
        .args([
            "type = pull_request AND fork = true AND env(FOO) = 'foo bar' AND env(SERVICE) = api",
            "--data",
            &data,
        ])
        .assert()
        .code(0);
    // env(DEPLOY) is "false", cast to a boolean: IS present is false.
    cmd()
        .args(["env(DEPLOY) IS present", "--data", &data])
        .assert()
        .code(1);
    // Line anchors are Ruby's: `^\[skip deploy\]$` matches the last line.
    cmd()
        .args(["commit_message =~ /^\\[skip deploy\\]$/", "--data", &data])
        .assert()
        .code(0);
    // A bare regex cannot contain a space, even escaped (upstream: "Could not parse").
    cmd()
        .args(["commit_message =~ ^\\[skip\\ deploy\\]$", "--data", &data])
        .assert()
        .code(2);
    // Flags override --data; --env entries come last and win.
    cmd()
        .args([
            "fork IS false AND env(SERVICE) = web",
            "--data",
            &data,
            "--fork=false",
            "--env",
            "SERVICE=web",
        ])
        .assert()
        .code(0);
}

#[test]
fn usage_errors_exit_2() {
    cmd().args(["true", "--event", "merge"]).assert().code(2);
    cmd().args(["true", "--env", "NOEQUALS"]).assert().code(2);
    cmd().args(["true", "--data", "[1]"]).assert().code(2);
}

#[test]
fn condition_from_stdin_with_continuation() {
    cmd()
        .args(["-", "--branch", "master"])
        .write_stdin("branch = master AND \\\n  NOT tag IS present\n")
        .assert()
        .code(0);
}

#[test]
fn fork_flag_without_value_does_not_swallow_the_condition() {
    cmd()
        .args(["--fork", "fork = true"])
        .assert()
        .code(0)
        .stdout("true\n");
    cmd().args(["--fork=false", "fork = true"]).assert().code(1);
}
