//! Executes compiled scripts with plain `bash` and checks Travis's phase semantics, env
//! order, secret rules and deployment (spec §8 cases, numbered as there).

use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use travis_local_matrix::{BuildFacts, Job};
use travis_local_script::secrets::{SecurePlain, SettingsVar};
use travis_local_script::{compile, CompileOptions, Masker, Secret, Secrets};

struct Outcome {
    code: i32,
    /// Output with fold/time markers removed.
    log: String,
    raw: String,
}

impl Outcome {
    fn has(&self, needle: &str) -> bool {
        self.log.contains(needle)
    }
    /// Lines that are exactly one of `wanted`, in order of appearance.
    fn lines_among(&self, wanted: &[&str]) -> Vec<String> {
        self.log
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| wanted.contains(l))
            .map(str::to_string)
            .collect()
    }
}

fn strip_markers(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    loop {
        let next = [rest.find("travis_fold:"), rest.find("travis_time:")]
            .into_iter()
            .flatten()
            .min();
        match next {
            None => {
                out.push_str(rest);
                break;
            }
            Some(i) => {
                out.push_str(&rest[..i]);
                match rest[i..].find("\r\x1b[0K") {
                    Some(end) => rest = &rest[i + end + 4..],
                    None => {
                        out.push_str(&rest[i..]);
                        break;
                    }
                }
            }
        }
    }
    out
}

fn job(config: Value) -> Job {
    Job {
        number: "1.1".into(),
        stage: String::new(),
        name: None,
        allow_failure: false,
        config,
    }
}

fn master() -> BuildFacts {
    BuildFacts::push("o/r", "master")
}

fn run_with(
    job: &Job,
    facts: &BuildFacts,
    secrets: &Secrets,
    opts: CompileOptions,
    setup: &dyn Fn(&Path),
) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join("home/travis/build/o/r");
    std::fs::create_dir_all(&build).unwrap();
    setup(&build);
    let opts = CompileOptions {
        build_dir: Some(build.display().to_string()),
        home_dir: Some(dir.path().join("home/travis").display().to_string()),
        color: false,
        ..opts
    };
    let compiled = compile(job, facts, secrets, &opts);
    for (_, v) in &compiled.env {
        assert!(
            !compiled.script.contains(v.as_str()),
            "secret value in script"
        );
    }
    let path = dir.path().join("build.sh");
    std::fs::write(&path, &compiled.script).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg("exec bash \"$0\" 2>&1")
        .arg(&path)
        .envs(compiled.env.iter().cloned())
        .env("TRAVIS_LOCAL_RETRY_SLEEP", "0")
        .env("TRAVIS_LOCAL_JIGGER_INTERVAL", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let mut masker = Masker::new(&compiled.mask);
    let mut masked = masker.push(&out.stdout);
    masked.extend(masker.finish());
    let raw = String::from_utf8_lossy(&masked).into_owned();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        log: strip_markers(&raw),
        raw,
    }
}

fn run(config: Value) -> Outcome {
    run_with(
        &job(config),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    )
}

fn minimal(extra: Value) -> Value {
    let mut c = json!({"language": "minimal", "os": "linux"});
    if let (Value::Object(m), Value::Object(e)) = (&mut c, extra) {
        m.extend(e);
    }
    c
}

#[test]
fn case01_pass() {
    let o = run(minimal(json!({"script": ["echo hi"]})));
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("$ echo hi\nhi\n"), "{}", o.log);
    assert!(o.has("The command \"echo hi\" exited with 0.\n"));
    assert!(o.has("\nDone. Your build exited with 0.\n"));
    assert!(o.raw.contains("travis_time:start:"));
    assert!(o.raw.contains(",event=script\r\x1b[0K"));
}

#[test]
fn case02_failing_script_keeps_going() {
    let o = run(minimal(
        json!({"script": ["false", "echo after"], "after_failure": ["echo af"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 1, "{}", o.log);
    assert_eq!(o.lines_among(&["after", "af", "as"]), ["after", "af", "as"]);
    assert!(o.has("The command \"false\" exited with 1."));
    assert!(o.has("Done. Your build exited with 1."));
}

#[test]
fn case03_exit_code_normalised() {
    let o = run(minimal(
        json!({"script": ["(exit 2)"], "after_script": ["echo r=$TRAVIS_TEST_RESULT"]}),
    ));
    assert_eq!(o.code, 1);
    assert!(o.has("The command \"(exit 2)\" exited with 2."));
    assert!(o.has("\nr=1\n"));
    assert!(o.has("Done. Your build exited with 1."));
}

#[test]
fn case04_before_install_errors_and_stops() {
    let o = run(minimal(
        json!({"before_install": ["false", "echo never"], "script": ["echo s"], "after_failure": ["echo af"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 2, "{}", o.log);
    assert!(o.has(
        "The command \"false\" failed and exited with 1 during .\n\nYour build has been stopped."
    ));
    assert!(o.lines_among(&["never", "s", "af", "as"]).is_empty());
    assert!(!o.has("Done."));
    // The fold of the failed command is never closed.
    assert!(o.raw.contains("travis_fold:start:before_install.1"));
    assert!(!o.raw.contains("travis_fold:end:before_install.1"));
}

#[test]
fn case05_install_failure_any_code() {
    let o = run(minimal(
        json!({"install": ["(exit 3)"], "script": ["echo s"]}),
    ));
    assert_eq!(o.code, 2);
    assert!(o.has("failed and exited with 3 during ."));
    assert!(o.lines_among(&["s"]).is_empty());
}

#[test]
fn case06_before_script_failure() {
    let o = run(minimal(
        json!({"before_script": ["false"], "script": ["echo s"]}),
    ));
    assert_eq!(o.code, 2);
    assert!(o.lines_among(&["s"]).is_empty());
}

#[test]
fn case07_after_success_gating() {
    let o = run(minimal(
        json!({"script": ["true"], "after_success": ["echo ok", "false"], "after_failure": ["echo bad"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 0, "{}", o.log);
    assert_eq!(o.lines_among(&["ok", "bad", "as"]), ["ok", "as"]);
}

#[test]
fn case08_after_failure_gating() {
    let o = run(minimal(
        json!({"script": ["false"], "after_success": ["echo ok"], "after_failure": ["echo r=$TRAVIS_TEST_RESULT"]}),
    ));
    assert_eq!(o.code, 1);
    assert_eq!(o.lines_among(&["ok", "r=1"]), ["r=1"]);
}

#[test]
fn case09_after_script_failure_ignored() {
    let o = run(minimal(
        json!({"script": ["true"], "after_script": ["false", "echo still"]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.has("\nstill\n"));
}

#[test]
fn case10_full_order() {
    let mut c = json!({"deploy": [{"provider": "script", "script": "echo deploy"}]});
    for p in [
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "after_failure",
        "before_deploy",
        "after_deploy",
        "after_script",
    ] {
        c[p] = json!([format!("echo {p}")]);
    }
    let o = run(minimal(c));
    assert_eq!(o.code, 0, "{}", o.log);
    let names = [
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "before_deploy",
        "deploy",
        "after_deploy",
        "after_script",
        "after_failure",
    ];
    assert_eq!(
        o.lines_among(&names),
        [
            "before_install",
            "install",
            "before_script",
            "script",
            "before_cache",
            "after_success",
            "before_deploy",
            "deploy",
            "after_deploy",
            "after_script"
        ]
    );
}

#[test]
fn case11_install_skip() {
    let o = run_with(
        &job(json!({"language": "ruby", "install": "skip", "script": ["echo s"]})),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|d| std::fs::write(d.join("Gemfile"), "").unwrap(),
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("Skipping the install step, as specified in the configuration."));
    assert!(!o.has("bundle install"));
}

#[test]
fn case12_script_skip() {
    let o = run(minimal(
        json!({"script": "skip", "after_success": ["echo r=$TRAVIS_TEST_RESULT"]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.has("Skipping the script step, as specified in the configuration."));
    assert!(o.has("exited with 0."));
    assert!(o.has("\nr=0\n"));
}

#[test]
fn case13_script_true() {
    let o = run(minimal(json!({"script": true})));
    assert_eq!(o.code, 0);
    assert!(o.has("$ true\n"));
}

#[test]
fn case14_multiline_counts_last_line() {
    let o = run(minimal(json!({"script": ["false\ntrue"]})));
    assert_eq!(o.code, 0);
    assert!(o.has("$ false\ntrue\n"));
    assert!(o.has("The command \"false\ntrue\" exited with 0."));
}

#[test]
fn case15_test_result_mid_script() {
    let o = run(minimal(
        json!({"before_install": ["echo \"[$TRAVIS_TEST_RESULT]\""], "script": ["false", "echo r=$TRAVIS_TEST_RESULT"]}),
    ));
    assert_eq!(o.code, 1);
    assert!(o.has("\n[]\n"));
    assert!(o.has("\nr=1\n"));
}

#[test]
fn case16_shell_state_persists() {
    let o = run(minimal(
        json!({"before_install": ["mkdir -p sub && cd sub", "export X=1"], "script": ["echo \"$PWD $X\""]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.has("/home/travis/build/o/r/sub 1\n"), "{}", o.log);
}

#[test]
fn case17_set_e_sticky() {
    let o = run(minimal(
        json!({"before_script": ["set -e"], "script": ["echo a", "(exit 4)", "echo b"], "after_failure": ["echo af"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 4, "{}", o.log);
    assert_eq!(o.lines_among(&["a", "b", "af", "as"]), ["a"]);
    assert!(!o.has("\"(exit 4)\" exited with"));
    assert!(!o.has("Done."));
}

#[test]
fn case18_exit_in_script() {
    let o = run(minimal(
        json!({"script": ["exit 1", "echo never"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 1);
    assert!(o.lines_among(&["never", "as"]).is_empty());
    assert!(!o.has("Done."));
}

#[test]
fn case19_exit_0_masks_failure() {
    let o = run(minimal(
        json!({"script": ["false"], "after_failure": ["exit 0"], "after_script": ["echo never"]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.lines_among(&["never"]).is_empty());
}

#[test]
fn case20_retry_gives_up() {
    let o = run(minimal(json!({"install": ["travis_retry false"]})));
    assert_eq!(o.code, 2);
    assert!(o.has("The command \"false\" failed. Retrying, 2 of 3."));
    assert!(o.has("The command \"false\" failed. Retrying, 3 of 3."));
    assert!(o.has("The command \"false\" failed 3 times."));
    assert!(o.has("The command \"travis_retry false\" failed and exited with 1 during ."));
}

#[test]
fn case21_retry_recovers() {
    let o = run(minimal(
        json!({"install": ["travis_retry bash -c \"test -f m || { touch m; exit 1; }\""], "script": ["true"]}),
    ));
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("Retrying, 2 of 3."));
    assert!(!o.has("Retrying, 3 of 3."));
}

#[test]
fn case22_terminate() {
    let o = run(minimal(
        json!({"before_script": ["travis_terminate 0"], "script": ["echo never"]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.lines_among(&["never"]).is_empty());
    let o = run(minimal(
        json!({"script": ["travis_terminate 1", "echo never"]}),
    ));
    assert_eq!(o.code, 1);
    assert!(!o.has("Done."));
}

#[test]
fn case23_python_without_script() {
    let o = run(
        json!({"language": "python", "python": "3.8", "install": "skip", "after_failure": ["echo af"], "after_script": ["echo as"]}),
    );
    assert_eq!(o.code, 1, "{}", o.log);
    assert!(o.has("Please override the script: key in your .travis.yml to run tests."));
    assert_eq!(o.lines_among(&["af", "as"]), ["af"]);
    assert!(!o.has("Done."));
}

#[test]
fn case25_travis_wait() {
    let o = run(minimal(json!({"script": ["travis_wait 1 sleep 0.2"]})));
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("Still running (1 of 1): sleep 0.2"));
    assert!(o.has("The command sleep 0.2 exited with 0."));
    assert!(o.has("Log:"));
    assert!(o.has("The command \"travis_wait 1 sleep 0.2\" exited with 0."));
    // Variant: timeout (interval shortened to 1s by TRAVIS_LOCAL_JIGGER_INTERVAL).
    let o = run(minimal(json!({"script": ["travis_wait 1 sleep 30"]})));
    assert_eq!(o.code, 1, "{}", o.log);
    assert!(o.has("Timeout (1 minutes) reached. Terminating \"sleep 30\""));
    assert!(o.has("exited with 137."));
}

#[test]
fn case26_precedence() {
    let secrets = Secrets {
        settings: vec![SettingsVar {
            name: "FOO".into(),
            value: Secret::new("settings"),
            branch: None,
            public: true,
            origin: "t".into(),
        }],
        ..Default::default()
    };
    let c = minimal(json!({"env": [{"FOO": "global"}, {"FOO": "job"}], "script": ["echo $FOO"]}));
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0);
    let order = o.lines_among(&[
        "Setting environment variables from repository settings",
        "$ export FOO=settings",
        "Setting environment variables from .travis.yml",
        "$ export FOO=global",
        "$ export FOO=job",
        "job",
    ]);
    assert_eq!(
        order,
        [
            "Setting environment variables from repository settings",
            "$ export FOO=settings",
            "Setting environment variables from .travis.yml",
            "$ export FOO=global",
            "$ export FOO=job",
            "job"
        ]
    );
}

#[test]
fn case27_expansion_and_quoting() {
    let o = run(minimal(
        json!({"env": [{"A": "1"}, {"B": "${A}2"}, {"C": "\"x y\""}, {"D": "x y"}], "script": ["echo \"$B|$C|$D\""]}),
    ));
    assert!(o.has("\n12|x y|x\n"), "{}", o.log);
    // AWS_REGISTRY-style interpolation.
    let o = run(minimal(
        json!({"env": [{"ID": "123"}, {"R": "eu"}, {"REG": "${ID}.dkr.ecr.${R}.amazonaws.com"}], "script": ["echo $REG"]}),
    ));
    assert!(o.has("\n123.dkr.ecr.eu.amazonaws.com\n"));
}

fn hidden(name: &str, value: &str, branch: Option<&str>) -> SettingsVar {
    SettingsVar {
        name: name.into(),
        value: Secret::new(value),
        branch: branch.map(str::to_string),
        public: false,
        origin: "t".into(),
    }
}

#[test]
fn case28_secure_display_and_masking() {
    let secrets = Secrets {
        settings: vec![hidden("TOKEN", "s3cr3t", None)],
        ..Default::default()
    };
    let c = minimal(
        json!({"script": ["echo $TOKEN", "echo TRAVIS_SECURE_ENV_VARS=$TRAVIS_SECURE_ENV_VARS"]}),
    );
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("$ export TOKEN=[secure]\n"));
    assert!(o.has("\n[secure]\n"));
    assert!(o.has("TRAVIS_SECURE_ENV_VARS=true"));
    assert!(!o.raw.contains("s3cr3t"));
}

#[test]
fn case29_branch_scoped_settings() {
    let secrets = Secrets {
        settings: vec![
            hidden("DEPLOY_KEY", "k1-key", Some("master")),
            SettingsVar {
                name: "MODE".into(),
                value: Secret::new("default"),
                branch: None,
                public: true,
                origin: "t".into(),
            },
            SettingsVar {
                name: "MODE".into(),
                value: Secret::new("prod"),
                branch: Some("master".into()),
                public: true,
                origin: "t".into(),
            },
        ],
        ..Default::default()
    };
    let c = minimal(json!({"script": ["echo \"key=${DEPLOY_KEY:-unset} mode=$MODE\""]}));
    let o = run_with(
        &job(c.clone()),
        &BuildFacts::push("o/r", "dev"),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert!(o.has("key=unset mode=default"), "{}", o.log);
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert!(o.has("key=[secure] mode=prod"), "{}", o.log);
    assert_eq!(
        o.lines_among(&["$ export MODE=default", "$ export MODE=prod"]),
        ["$ export MODE=default", "$ export MODE=prod"]
    );
}

fn fork_setup() -> (Secrets, Value) {
    let secrets = Secrets {
        settings: vec![
            hidden("TOKEN", "tok-value", None),
            SettingsVar {
                name: "PUB".into(),
                value: Secret::new("1"),
                branch: None,
                public: true,
                origin: "t".into(),
            },
        ],
        secure: vec![SecurePlain {
            id: travis_local_script::secrets::secure_id("CIPHER"),
            plain: Secret::new("SEC=sec-value"),
        }],
        file: None,
        warnings: Vec::new(),
    };
    let c = minimal(
        json!({"env": [{"secure": "CIPHER"}], "script": ["echo \"tok=${TOKEN:-unset} sec=${SEC:-unset} pub=$PUB sev=$TRAVIS_SECURE_ENV_VARS pr=$TRAVIS_PULL_REQUEST br=$TRAVIS_BRANCH slug=$TRAVIS_PULL_REQUEST_SLUG ev=$TRAVIS_EVENT_TYPE\""]}),
    );
    (secrets, c)
}

#[test]
fn case30_fork_pr() {
    let (secrets, c) = fork_setup();
    let mut facts = BuildFacts::pull_request("o/r", "master", 7);
    facts.pr_head_repo = Some("fork/r".into());
    facts.derive();
    let o = run_with(
        &job(c),
        &facts,
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("Encrypted environment variables have been removed for security reasons."));
    assert!(o.has("See https://docs.travis-ci.com/user/pull-requests/#pull-requests-and-security-restrictions"));
    assert!(
        o.has("tok=unset sec=unset pub=1 sev=false pr=7 br=master slug=fork/r ev=pull_request"),
        "{}",
        o.log
    );
}

#[test]
fn case31_same_repo_pr() {
    let (secrets, c) = fork_setup();
    let facts = BuildFacts::pull_request("o/r", "master", 7);
    let o = run_with(
        &job(c),
        &facts,
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert!(!o.has("Encrypted environment variables have been removed"));
    assert!(
        o.has("tok=[secure] sec=[secure] pub=1 sev=true pr=7"),
        "{}",
        o.log
    );
    assert!(o.has("$ export SEC=[secure]"));
    assert!(!o.raw.contains("tok-value") && !o.raw.contains("sec-value"));
}

#[test]
fn case32_builtins() {
    let mut facts = BuildFacts::push("o/r", "v1.0");
    facts.tag = Some("v1.0".into());
    let c = minimal(
        json!({"script": ["echo \"$TRAVIS_TAG|$TRAVIS_BRANCH|$TRAVIS_PULL_REQUEST|$CI|$TRAVIS|$HAS_JOSH_K_SEAL_OF_APPROVAL|$TRAVIS_OS_NAME|$TRAVIS_LOCAL|$TRAVIS_REPO_SLUG|$TRAVIS_JOB_NUMBER|$CONTINUOUS_INTEGRATION\""]}),
    );
    let o = run_with(
        &job(c),
        &facts,
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert!(
        o.has("\nv1.0|v1.0|false|true|true|true|linux|true|o/r|1.1|true\n"),
        "{}",
        o.log
    );
    assert!(o.has("git clone --depth=50 --branch=v1.0 https://github.com/o/r.git o/r"));
    assert!(o.has("git checkout -qf v1.0"));
    // Default build dir.
    let s = compile(
        &job(minimal(json!({}))),
        &master(),
        &Secrets::default(),
        &CompileOptions::default(),
    )
    .script;
    assert!(s.contains("export TRAVIS_BUILD_DIR='/home/travis/build/o/r'"));
}

#[test]
fn case33_clone_options() {
    let o = run(minimal(
        json!({"git": {"depth": false, "submodules": false}, "script": ["true"]}),
    ));
    assert!(
        o.has("$ git clone --branch=master https://github.com/o/r.git o/r"),
        "{}",
        o.log
    );
    assert!(!o.has("submodule"));
}

fn deploy_job(extra: Value) -> Value {
    minimal(extra)
}

#[test]
fn case34_default_branch_only() {
    let c = deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "echo DEPLOYED"}]}),
    );
    let o = run(c.clone());
    assert_eq!(o.code, 0);
    assert!(o.has("\nDEPLOYED\n"));
    let o = run_with(
        &job(c),
        &BuildFacts::push("o/r", "dev"),
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0);
    assert!(o.has("Skipping a deployment with the script provider because this branch is not permitted: dev"), "{}", o.log);
    assert!(!o.has("\nDEPLOYED\n"));
}

#[test]
fn case35_skipped_on_pr() {
    let c = deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "echo DEPLOYED"}]}),
    );
    let o = run_with(
        &job(c),
        &BuildFacts::pull_request("o/r", "master", 3),
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0);
    assert!(o.has("Skipping a deployment with the script provider because the current build is a pull request."));
}

#[test]
fn case36_skipped_on_failure() {
    let o = run(deploy_job(
        json!({"script": ["false"], "deploy": [{"provider": "script", "script": "echo DEPLOYED"}]}),
    ));
    assert_eq!(o.code, 1);
    assert!(!o.has("DEPLOYED") && !o.has("Skipping a deployment"));
}

#[test]
fn case37_before_deploy_failure() {
    let o = run(deploy_job(
        json!({"script": ["true"], "before_deploy": ["false"], "deploy": [{"provider": "script", "script": "echo DEPLOYED"}], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 2, "{}", o.log);
    assert!(o.has("Your build has been stopped."));
    assert!(o.lines_among(&["DEPLOYED", "as"]).is_empty());
}

#[test]
fn case38_deploy_failure() {
    let o = run(deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "false"}], "after_deploy": ["echo ad"], "after_script": ["echo as"]}),
    ));
    assert_eq!(o.code, 2, "{}", o.log);
    assert!(o.has("failed to deploy"));
    assert!(o.lines_among(&["ad", "as"]).is_empty());
    let o = run(deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "false", "allow_failure": true}], "after_deploy": ["echo ad"]}),
    ));
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("\nad\n"));
}

#[test]
fn case39_after_deploy_failure_ignored() {
    let o = run(deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "true"}], "after_deploy": ["false", "echo x"]}),
    ));
    assert_eq!(o.code, 0);
    assert!(o.has("\nx\n"));
}

#[test]
fn case40_tags() {
    let c = deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "echo DEPLOYED", "on": {"tags": true}}]}),
    );
    let mut facts = BuildFacts::push("o/r", "v2");
    facts.tag = Some("v2".into());
    let o = run_with(
        &job(c.clone()),
        &facts,
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert!(o.has("\nDEPLOYED\n"), "{}", o.log);
    let o = run(c);
    assert_eq!(o.code, 0);
    assert!(
        o.has("Skipping a deployment with the script provider because this is not a tagged commit")
    );
}

#[test]
fn case41_condition_and_multiple_providers() {
    let c = deploy_job(json!({
        "env": [{"CC": "clang"}],
        "script": ["true"],
        "before_deploy": ["echo bd"],
        "deploy": [
            {"provider": "script", "script": "echo A", "on": {"condition": "$CC = gcc"}},
            {"provider": "script", "script": "echo B", "on": {"all_branches": true}}
        ]
    }));
    let o = run_with(
        &job(c.clone()),
        &BuildFacts::push("o/r", "dev"),
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has(
        "Skipping a deployment with the script provider because this branch is not permitted: dev"
    ));
    assert!(o.has(
        "Skipping a deployment with the script provider because a custom condition was not met"
    ));
    assert_eq!(o.lines_among(&["bd", "A", "B"]), ["bd", "B"]);
    let mut c2 = c;
    c2["env"] = json!([{"CC": "gcc"}]);
    c2["deploy"][0]["on"]["all_branches"] = json!(true);
    let o = run_with(
        &job(c2),
        &BuildFacts::push("o/r", "dev"),
        &Secrets::default(),
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.lines_among(&["bd", "A", "B"]), ["bd", "A", "bd", "B"]);
}

#[test]
fn other_providers_not_run_locally_unless_deploy() {
    let c = deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "pages", "token": "x"}], "after_script": ["echo as"]}),
    );
    let o = run(c.clone());
    assert_eq!(o.code, 0);
    assert!(o.has("the pages provider is not run locally"));
    let o = run_with(
        &job(c),
        &master(),
        &Secrets::default(),
        CompileOptions {
            deploy: true,
            ..Default::default()
        },
        &|_| {},
    );
    assert_eq!(o.code, 2);
    assert!(o.has("travis-local cannot deploy with the pages provider"));
    assert!(o.lines_among(&["as"]).is_empty());
}

#[test]
fn language_defaults_and_versions() {
    let o = run_with(
        &job(json!({"language": "node_js", "node_js": "18"})),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|d| std::fs::write(d.join("Makefile"), "test:\n\techo made-test\n").unwrap(),
    );
    // No package.json: `make test`.
    assert!(o.has("$ make test"), "{}", o.log);
    assert!(o.has("\nmade-test\n"));
    let s = compile(
        &job(json!({"language": "python", "python": ["3.9", "3.8"]})),
        &master(),
        &Secrets::default(),
        &CompileOptions::default(),
    )
    .script;
    assert!(s.contains("export TRAVIS_PYTHON_VERSION=3.9"));
    let s = compile(
        &job(json!({"language": "rust"})),
        &master(),
        &Secrets::default(),
        &CompileOptions::default(),
    )
    .script;
    assert!(s.contains("'cargo build --verbose'") && s.contains("'cargo test --verbose'"));
    let o = run(json!({"language": "generic"}));
    assert_eq!(o.code, 0, "{}", o.log);
    let o = run(json!({"language": "c"}));
    assert_eq!(o.code, 1, "{}", o.log);
    assert!(o.has("$ ./configure && make && make test"));
}

#[test]
fn missing_secure_value_is_a_notice() {
    let c = minimal(json!({"env": [{"secure": "NOPE"}], "script": ["true"]}));
    let compiled = compile(
        &job(c),
        &master(),
        &Secrets::default(),
        &CompileOptions::default(),
    );
    assert!(
        compiled
            .notices
            .iter()
            .any(|n| n.contains("has no local value; not exported")),
        "{:?}",
        compiled.notices
    );
}

#[test]
fn local_bin_is_on_path_behind_real_tools() {
    let o = run_with(
        &job(minimal(
            json!({"script": ["mytool", "ls --version >/dev/null && echo real-ls"]}),
        )),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|d| {
            let bin = d.join("../../../.travis-local/bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("mytool"), "#!/bin/sh\necho shim-ran\n").unwrap();
            std::fs::write(bin.join("ls"), "#!/bin/sh\necho fake-ls\n").unwrap();
            for f in ["mytool", "ls"] {
                Command::new("chmod")
                    .arg("+x")
                    .arg(bin.join(f))
                    .status()
                    .unwrap();
            }
        },
    );
    assert!(o.has("\nshim-ran\n"), "{}", o.log);
    assert!(o.has("\nreal-ls\n"));
}

#[test]
fn leak_test_secrets_printed_many_ways() {
    let value = "Sup3r-S3cret/val+ue";
    let secrets = Secrets {
        settings: vec![hidden("API_TOKEN", value, None)],
        secure: vec![SecurePlain {
            id: travis_local_script::secrets::secure_id("C2"),
            plain: Secret::new("DB_PASS=an0ther-pass"),
        }],
        file: None,
        warnings: Vec::new(),
    };
    let c = minimal(json!({
        "env": [{"secure": "C2"}],
        "script": [
            "echo $API_TOKEN",
            "env | grep -E 'API_TOKEN|DB_PASS|__TL'",
            "set -x; echo \"$DB_PASS\"; set +x",
            "printf '%s' \"$API_TOKEN\" | base64",
            "printf 'user:%s' \"$API_TOKEN\" | base64",
            "python3 -c 'import os,urllib.parse;print(urllib.parse.quote(os.environ[\"API_TOKEN\"], safe=\"\"))' || true",
            "printf '%q\\n' \"$API_TOKEN\"",
            "for i in $(seq 1 ${#API_TOKEN}); do printf '%s' \"${API_TOKEN:i-1:1}\"; done; echo",
            "ls /nonexistent/$DB_PASS",
            "echo \"$TRAVIS_CMD\""
        ]
    }));
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    for leak in [
        value,
        "an0ther-pass",
        "U3VwM3ItUzNjcmV0L3ZhbCt1ZQ",
        "Sup3r-S3cret%2Fval%2Bue",
    ] {
        assert!(!o.raw.contains(leak), "leaked {leak}:\n{}", o.raw);
    }
    assert!(o.raw.matches("[secure]").count() >= 8, "{}", o.raw);
}

#[test]
fn escaped_secret_is_evaluated_like_travis_and_masked() {
    let secrets = Secrets {
        settings: vec![hidden("PW", "p\\$ss\\ word", None)],
        ..Default::default()
    };
    let c = minimal(json!({"script": ["echo \"pw=$PW\"", "echo ${#PW}"]}));
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("pw=[secure]\n"), "{}", o.log);
    assert!(o.has("\n9\n"), "{}", o.log);
    assert!(!o.raw.contains("p$ss word"));
    // A value bash cannot parse gives Travis's message and is not exported.
    let secrets = Secrets {
        settings: vec![hidden("BAD", "a\"b", None)],
        ..Default::default()
    };
    let c = minimal(json!({"script": ["echo \"bad=${BAD:-unset}\""]}));
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert!(
        o.has("We were unable to parse one of your secure environment variables."),
        "{}",
        o.log
    );
    assert!(o.has("bad=unset"));
}

#[test]
fn addons_are_reported() {
    let c = minimal(json!({"addons": {"apt": {"packages": ["jq"]}}, "script": ["true"]}));
    let compiled = compile(
        &job(c),
        &master(),
        &Secrets::default(),
        &CompileOptions::default(),
    );
    // The host executor's default: not applied, one line in the log saying so.
    assert!(compiled
        .script
        .contains("travis-local: addons.apt not applied"));
    assert!(!compiled.script.contains("apt-get -yq"));
    let applied = compile(
        &job(minimal(
            json!({"addons": {"apt": {"packages": ["jq"]}, "sauce_connect": true}, "script": ["true"]}),
        )),
        &master(),
        &Secrets::default(),
        &CompileOptions {
            apply_addons: true,
            ..Default::default()
        },
    );
    assert!(applied.script.contains("travis_fold start apt"));
    assert!(applied.script.contains("install jq'"));
    assert!(applied
        .notices
        .iter()
        .any(|n| n.contains("addons.sauce_connect is not applied")));
}

#[test]
fn example_fixture_files_stay_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/script");
    let text = std::fs::read_to_string(root.join("secrets.example.yml")).unwrap();
    let mut secrets = Secrets::default();
    travis_local_script::secrets::parse_secrets_file("secrets.example.yml", &text, &mut secrets)
        .unwrap();
    let yml = std::fs::read_to_string(root.join("example.travis.yml")).unwrap();
    let config = travis_local_config::yaml_to_json(&yml).unwrap();
    let entries = travis_local_script::secrets::find_secure_entries(&config, &secrets);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].location, "env.global[0]");
    assert_eq!(entries[0].name.as_deref(), Some("DEPLOY_TOKEN"));
    assert!(entries[0].has_local_value);
}

#[test]
fn script_provider_without_script_fails_to_deploy() {
    let o = run(deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script"}]}),
    ));
    assert_eq!(o.code, 2, "{}", o.log);
    assert!(o.has("the script provider needs a `script:` command"));
    assert!(o.has("failed to deploy"));
}

#[test]
fn case47_services_before_checkout_before_env() {
    let o = run(minimal(
        json!({"services": ["redis"], "env": [{"X": "1"}], "script": ["true"]}),
    ));
    let s = o.raw.find("travis_fold:start:services").unwrap();
    let c = o.raw.find("travis_fold:start:git.checkout").unwrap();
    let e = o
        .raw
        .find("Setting environment variables from .travis.yml")
        .unwrap();
    assert!(s < c && c < e, "{}", o.raw);
    let with = compile(
        &job(minimal(json!({"services": ["redis"]}))),
        &master(),
        &Secrets::default(),
        &CompileOptions {
            start_services: true,
            ..Default::default()
        },
    );
    assert!(with
        .script
        .contains("travis_local_service redis '[ -x /usr/bin/redis-server ]'"));
}

#[test]
fn python_setup_uses_virtualenv_or_shims() {
    // No virtualenv: python/pip shims when only python3 exists, announce lines.
    let c = json!({"language": "python", "python": "3.8", "install": "skip", "script": ["python -c 'print(40 + 2)'"]});
    let o = run(c.clone());
    if Command::new("python3").arg("--version").output().is_ok() {
        assert_eq!(o.code, 0, "{}", o.log);
        assert!(
            o.has("travis-local: no virtualenv for python 3.8"),
            "{}",
            o.log
        );
        assert!(o.has("$ python --version\nPython 3"), "{}", o.log);
        assert!(o.has("\n42\n"));
    }
    // A virtualenv in ~/virtualenv/python3.8 is activated as on Travis.
    let o = run_with(
        &job(c),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|d| {
            let venv = d.join("../../../virtualenv/python3.8/bin");
            std::fs::create_dir_all(&venv).unwrap();
            std::fs::write(venv.join("activate"), "export VENV_ACTIVE=yes\n").unwrap();
        },
    );
    assert!(
        o.has("$ source ~/virtualenv/python3.8/bin/activate"),
        "{}",
        o.log
    );
    assert!(!o.has("no virtualenv"));
}

#[test]
fn deploy_cleanup_stashes_untracked_files() {
    let c = deploy_job(
        json!({"script": ["true"], "deploy": [{"provider": "script", "script": "test ! -e build.out && echo CLEAN", "cleanup": true}], "after_script": ["test -e build.out && echo RESTORED"]}),
    );
    let o = run_with(
        &job(c),
        &master(),
        &Secrets::default(),
        CompileOptions::default(),
        &|d| {
            let git = |args: &[&str]| {
                Command::new("git")
                    .args(args)
                    .current_dir(d)
                    .env("GIT_AUTHOR_NAME", "t")
                    .env("GIT_AUTHOR_EMAIL", "t@e.invalid")
                    .env("GIT_COMMITTER_NAME", "t")
                    .env("GIT_COMMITTER_EMAIL", "t@e.invalid")
                    .output()
                    .unwrap();
            };
            git(&["init", "-q"]);
            git(&["config", "user.name", "t"]);
            git(&["config", "user.email", "t@e.invalid"]);
            std::fs::write(d.join("f"), "x").unwrap();
            git(&["add", "f"]);
            git(&["commit", "-qm", "i"]);
            std::fs::write(d.join("build.out"), "artifact").unwrap();
        },
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("$ git stash --all"));
    assert!(o.has("\nCLEAN\n"), "{}", o.log);
    assert!(o.has("\nRESTORED\n"), "{}", o.log);
}

/// Secrets that use variables: the job's real values are masked (earlier exports, the
/// fixed builtins, `HOME`), and the text of the expansions is not.
#[test]
fn secrets_are_masked_as_the_job_receives_them() {
    let secrets = Secrets {
        settings: vec![
            public_var("PUB", "pubval"),
            hidden("A", "${PUB}-x1y2", None),
            hidden("B", "\"$TRAVIS_BRANCH/q9z8 $TRAVIS_REPO_SLUG\"", None),
            hidden("C", "~/k3y", None),
            hidden("D", "'it'\\''s $HOME'", None),
        ],
        ..Default::default()
    };
    let c = minimal(json!({"script": [
        "echo \"a=$A b=$B\"",
        "echo \"c=$C d=$D\"",
        "echo '$PUB ${PUB}-x $TRAVIS_BRANCH $HOME'",
    ]}));
    let o = run_with(
        &job(c),
        &master(),
        &secrets,
        CompileOptions::default(),
        &|_| {},
    );
    assert_eq!(o.code, 0, "{}", o.log);
    assert!(o.has("a=[secure] b=[secure]\n"), "{}", o.log);
    assert!(o.has("c=[secure] d=[secure]\n"), "{}", o.log);
    assert!(o.has("\n$PUB ${PUB}-x $TRAVIS_BRANCH $HOME\n"), "{}", o.log);
    for leak in ["pubval-x1y2", "master/q9z8", "/k3y", "it's"] {
        assert!(!o.raw.contains(leak), "leaked {leak}:\n{}", o.raw);
    }
}

fn public_var(name: &str, value: &str) -> SettingsVar {
    SettingsVar {
        public: true,
        ..hidden(name, value, None)
    }
}
