//! Hostile `.travis.yml` input through the real binary (issue 14): alias bombs (the
//! "billion laughs" shape, merge keys, nested sequences, long text), oversized files and
//! invalid UTF-8 make `lint` exit 1 and `jobs`, `compile`, `run --executor host` exit 3,
//! with the finding at the right line and column.
//!
//! Memory is enforced, not measured: every command runs under `ulimit -d` (RLIMIT_DATA:
//! heap and other private writable memory; `ulimit -v` would also count the address space
//! malloc reserves per thread) of [`LIMIT_KB`], which the normal binary fits in (checked
//! below) but an unchecked alias expansion does not (also checked below: the same bomb
//! with the limits lifted dies). A 20 s watchdog only guards against a hang; it is not a
//! performance assertion.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");
/// Data limit (RLIMIT_DATA) for every command, in KiB (≈100 MB).
const LIMIT_KB: u32 = 100_000;

const BOMB: &[u8] = include_bytes!("../crates/config/fuzz/seeds/load/alias_bomb.yml");
const MERGE_BOMB: &[u8] = include_bytes!("../crates/config/fuzz/seeds/load/alias_bomb_merge.yml");
const NESTED_BOMB: &[u8] = include_bytes!("../crates/config/fuzz/seeds/load/alias_bomb_nested.yml");
const TEXT_BOMB: &[u8] =
    include_bytes!("../crates/config/fuzz/seeds/load/alias_bomb_long_text.yml");

const NODES: &str = "alias expansion exceeds 100000 nodes";
const TEXT: &str = "alias expansion exceeds 8388608 bytes of text";

/// (name, file, message, line, column of the alias that crosses the limit)
const BOMBS: &[(&str, &[u8], &str, usize, usize)] = &[
    ("billion laughs", BOMB, NODES, 7, 8),
    ("merge keys", MERGE_BOMB, NODES, 6, 48),
    ("nested sequences", NESTED_BOMB, NODES, 7, 21),
    ("long text", TEXT_BOMB, TEXT, 423, 5),
];

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run the binary in `dir` under the address-space limit, with `env` set, feeding `stdin`.
fn capped(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&[u8]>) -> Out {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!("ulimit -d {LIMIT_KB} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TRAVIS_LOCAL_MAX_CONFIG_BYTES")
        .env_remove("TRAVIS_LOCAL_MAX_ALIAS_NODES")
        .env_remove("TRAVIS_LOCAL_MAX_ALIAS_BYTES")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("bash runs");
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(data);
    }
    // read the pipes on threads so a chatty child cannot block on a full pipe
    let read = |p: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut p) = p {
                let _ = p.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let out_t = read(child.stdout.take().map(|p| Box::new(p) as _));
    let err_t = read(child.stderr.take().map(|p| Box::new(p) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("travis-local {args:?} still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out {
        code: status.code().unwrap_or(-1),
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// A committed repository (origin o/r, branch master) whose `.travis.yml` is `bytes`.
fn repo(bytes: &[u8]) -> tempfile::TempDir {
    let dir = common::committed_repo("language: shell\n", &[]);
    std::fs::write(dir.path().join(".travis.yml"), bytes).expect("write config");
    common::git(dir.path(), &["commit", "-qam", "config", "--allow-empty"]);
    dir
}

/// `jobs`, `compile` and `run --executor host`: the config is refused with exit 3.
const BUILD_COMMANDS: &[&[&str]] = &[&["jobs"], &["compile"], &["run", "--executor", "host"]];

fn lint_json(dir: &Path, file: &str, env: &[(&str, &str)]) -> (i32, Vec<serde_json::Value>) {
    let out = capped(dir, &["lint", "--format", "json", file], env, None);
    let v: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}\n{}", out.stdout, out.stderr));
    (out.code, v.as_array().cloned().unwrap_or_default())
}

#[test]
fn the_normal_binary_fits_in_the_memory_limit() {
    let dir = repo(b"language: shell\nscript: echo hello\n");
    let out = capped(dir.path(), &["lint"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for args in BUILD_COMMANDS {
        let out = capped(dir.path(), args, &[], None);
        assert_eq!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
    }
}

#[test]
fn without_the_alias_cap_the_bomb_breaks_the_memory_limit() {
    // proves the limit bites: the same file with the alias budget lifted cannot load
    let dir = repo(BOMB);
    let lifted = [
        ("TRAVIS_LOCAL_MAX_ALIAS_NODES", "100000000000"),
        ("TRAVIS_LOCAL_MAX_ALIAS_BYTES", "100G"),
    ];
    let out = capped(dir.path(), &["lint"], &lifted, None);
    assert!(
        out.code != 0 && out.code != 1,
        "expected an abort, got exit {}: {}",
        out.code,
        out.stderr
    );
}

#[test]
fn alias_bombs_are_an_error_finding_for_lint() {
    for (name, bytes, message, line, column) in BOMBS {
        let dir = repo(bytes);
        let (code, findings) = lint_json(dir.path(), ".travis.yml", &[]);
        assert_eq!(code, 1, "{name}");
        assert_eq!(findings.len(), 1, "{name}: {findings:?}");
        let f = &findings[0];
        assert_eq!(f["level"], "error", "{name}");
        assert_eq!(f["code"], "limit_exceeded", "{name}");
        assert_eq!(f["message"], *message, "{name}");
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(*line as u64), Some(*column as u64)),
            "{name}"
        );
        assert!(
            f["help"]
                .as_str()
                .unwrap_or("")
                .contains("TRAVIS_LOCAL_MAX_ALIAS_"),
            "{name}: {f}"
        );
        // human output: the caret line names the file and position
        let out = capped(dir.path(), &["lint"], &[], None);
        assert_eq!(out.code, 1, "{name}");
        assert!(
            out.stdout
                .contains(&format!("--> .travis.yml:{line}:{column}")),
            "{name}: {}",
            out.stdout
        );
    }
}

#[test]
fn alias_bombs_stop_jobs_compile_and_run_with_exit_3() {
    for (name, bytes, message, line, column) in BOMBS {
        let dir = repo(bytes);
        for args in BUILD_COMMANDS {
            let out = capped(dir.path(), args, &[], None);
            assert_eq!(out.code, 3, "{name} {args:?}: {}", out.stderr);
            assert!(
                out.stderr.contains(message),
                "{name} {args:?}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains(&format!(".travis.yml:{line}:{column}")),
                "{name} {args:?}: {}",
                out.stderr
            );
            assert!(
                !out.stdout.contains("lol"),
                "{name} {args:?} printed the expansion"
            );
        }
    }
}

#[test]
fn a_bomb_on_stdin_is_an_error_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = capped(dir.path(), &["lint", "-"], &[], Some(BOMB));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains(NODES), "{}", out.stdout);
    assert!(out.stdout.contains("--> <stdin>:7:8"), "{}", out.stdout);
}

#[test]
fn the_alias_limit_follows_its_variable() {
    // the nested-sequence bomb cut after level 4 expands to 34,110 nodes: fine by default,
    // refused with a base of 20,000, fine again with the factor's share (10 × ~60 nodes)
    let text = String::from_utf8_lossy(NESTED_BOMB);
    let cut: String = text.lines().take(6).collect::<Vec<_>>().join("\n") + "\n";
    let dir = repo(cut.as_bytes());
    let (_, findings) = lint_json(dir.path(), ".travis.yml", &[]);
    assert!(
        findings.iter().all(|f| f["code"] != "limit_exceeded"),
        "{findings:?}"
    );
    let (code, findings) = lint_json(
        dir.path(),
        ".travis.yml",
        &[("TRAVIS_LOCAL_MAX_ALIAS_NODES", "20000")],
    );
    assert_eq!(code, 1);
    assert_eq!(findings[0]["code"], "limit_exceeded");
    assert_eq!(
        findings[0]["message"],
        "alias expansion exceeds 20000 nodes"
    );
}

#[test]
fn a_config_over_the_size_limit_is_refused_naming_the_file() {
    let config = format!("language: shell\nscript:\n{}", "  - echo hi\n".repeat(20));
    let dir = repo(config.as_bytes());
    let small = [("TRAVIS_LOCAL_MAX_CONFIG_BYTES", "100")];
    let (code, findings) = lint_json(dir.path(), ".travis.yml", &small);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["code"], "limit_exceeded");
    assert_eq!(
        findings[0]["message"],
        format!(
            ".travis.yml is too large: {} bytes, the limit is 100 bytes",
            config.len()
        )
    );
    assert!(findings[0]["help"]
        .as_str()
        .unwrap_or("")
        .contains("TRAVIS_LOCAL_MAX_CONFIG_BYTES"));
    // stdin: read up to the limit only
    let out = capped(dir.path(), &["lint", "-"], &small, Some(config.as_bytes()));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("<stdin> is too large: more than 100 bytes"),
        "{}",
        out.stdout
    );
    for args in BUILD_COMMANDS {
        let out = capped(dir.path(), args, &small, None);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is too large"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // the default limit (32 MiB) and a raised one accept it
    assert_eq!(lint_json(dir.path(), ".travis.yml", &[]).0, 0);
    assert_eq!(
        lint_json(
            dir.path(),
            ".travis.yml",
            &[("TRAVIS_LOCAL_MAX_CONFIG_BYTES", "1k")]
        )
        .0,
        0
    );
}

#[test]
fn an_invalid_limit_variable_is_a_usage_error_naming_it() {
    let dir = repo(b"language: shell\n");
    let bad = [("TRAVIS_LOCAL_MAX_CONFIG_BYTES", "lots")];
    let out = capped(dir.path(), &["lint"], &bad, None);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("TRAVIS_LOCAL_MAX_CONFIG_BYTES: expected a size"),
        "{}",
        out.stderr
    );
    let out = capped(dir.path(), &["jobs"], &bad, None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("TRAVIS_LOCAL_MAX_CONFIG_BYTES"),
        "{}",
        out.stderr
    );
}

#[test]
fn invalid_utf8_is_an_error_finding_at_the_first_bad_byte() {
    // line 3 is `  - echo é \xff`: the bad byte is at column 12 (characters), byte 36
    let bytes = b"language: shell\nscript:\n  - echo \xc3\xa9 \xff\n  - echo \xfe\n";
    let dir = repo(bytes);
    let (code, findings) = lint_json(dir.path(), ".travis.yml", &[]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f["level"], "error");
    assert_eq!(f["code"], "invalid_encoding");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(12))
    );
    assert_eq!(
        f["message"],
        "invalid UTF-8 at byte offset 36 (line 3, column 12): byte 0xff; Travis CI rejects a config that is not UTF-8"
    );
    let out = capped(dir.path(), &["lint", "-"], &[], Some(bytes));
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("--> <stdin>:3:12"), "{}", out.stdout);
    for args in BUILD_COMMANDS {
        let out = capped(dir.path(), args, &[], None);
        assert_eq!(out.code, 3, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("invalid UTF-8 at byte offset 36"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("echo"),
            "{args:?} ran or printed the job"
        );
    }
}

#[test]
fn findings_on_a_very_long_line_give_their_position_without_the_line() {
    // 3,000 unknown keys on one 40 KB line: each finding names its column; the line is
    // not rendered 3,000 times (that was quadratic)
    let keys: Vec<String> = (0..3000).map(|i| format!("zz{i}: 1")).collect();
    let config = format!("{{{}}}\n", keys.join(", "));
    let last_col = config.rfind("zz2999").map(|i| i + 1).unwrap_or(0);
    let dir = repo(config.as_bytes());
    let out = capped(dir.path(), &["lint"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "--> .travis.yml:1:{last_col} (line longer than 4096 bytes, not shown)"
        )),
        "{}",
        &out.stdout[out.stdout.len().saturating_sub(600)..]
    );
    assert!(!out.stdout.contains("zz1: 1, zz2: 1"), "the line was shown");
}
