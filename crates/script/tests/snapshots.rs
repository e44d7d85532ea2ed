//! Snapshot tests of `compile` output (deterministic text) plus a `bash -n` syntax check
//! of every snapshot.

use serde_json::{json, Value};
use travis_local_matrix::{BuildFacts, Job};
use travis_local_script::secrets::{SecurePlain, SettingsVar};
use travis_local_script::{compile, CompileOptions, Secret, Secrets};

fn job(config: Value) -> Job {
    Job {
        number: "7.2".into(),
        stage: "test".into(),
        name: Some("unit".into()),
        allow_failure: false,
        config,
    }
}

fn secrets() -> Secrets {
    Secrets {
        settings: vec![
            SettingsVar {
                name: "PUBLIC_LEVEL".into(),
                value: Secret::new("debug"),
                branch: None,
                public: true,
                origin: "t".into(),
            },
            SettingsVar {
                name: "AWS_SECRET_ACCESS_KEY".into(),
                value: Secret::new("wJalrXUtnFEMI/K7MDENG"),
                branch: Some("master".into()),
                public: false,
                origin: "t".into(),
            },
        ],
        secure: vec![SecurePlain {
            id: travis_local_script::secrets::secure_id("CIPHERTEXT"),
            plain: Secret::new("DEPLOY_TOKEN=tok-123"),
        }],
        file: None,
        warnings: Vec::new(),
    }
}

fn facts() -> BuildFacts {
    let mut f = BuildFacts::push("octo/demo", "master");
    f.commit = Some("0123456789abcdef0123456789abcdef01234567".into());
    f.commit_message = Some("Fix 'quotes' and $vars".into());
    f.build_number = 7;
    f
}

fn check(name: &str, config: Value, facts: &BuildFacts, opts: &CompileOptions) {
    let c = compile(&job(config), facts, &secrets(), opts);
    for (_, v) in &c.env {
        assert!(!c.script.contains(v.as_str()));
    }
    let status = std::process::Command::new("bash")
        .arg("-n")
        .arg("-c")
        .arg(&c.script)
        .status()
        .expect("bash");
    assert!(status.success(), "bash -n failed for {name}");
    let shown = format!(
        "{}\n# notices: {:?}\n# env names: {:?}",
        c.script,
        c.notices,
        c.env.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    insta::assert_snapshot!(name, shown);
}

#[test]
fn snapshot_python_full() {
    check(
        "python_full",
        json!({
            "language": "python", "python": "3.11", "os": "linux", "dist": "focal",
            "services": ["docker"],
            "env": [{"AWS_REGION": "eu-west-1"}, {"AWS_REGISTRY": "${AWS_ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com"}, {"secure": "CIPHERTEXT"}, {"secure": "UNKNOWN"}],
            "before_install": ["pip install -U pip"],
            "script": ["pytest -q", "echo 'it''s'\nmulti line"],
            "after_success": ["echo ok"],
            "before_deploy": ["echo bd"],
            "deploy": [
                {"provider": "script", "script": "./deploy.sh", "on": {"branch": ["master", "main"], "condition": "$AWS_REGION = eu-west-1"}},
                {"provider": "s3", "bucket": "b", "on": {"tags": true}}
            ],
            "after_deploy": ["echo ad"],
            "after_script": ["echo done"]
        }),
        &facts(),
        &CompileOptions::default(),
    );
}

/// `cache:` steps in travis-build's order: `cache.1` (fetch + directories) and the
/// language's `cache.pip` before `announce` and `before_install`; `travis_run_cache`
/// (fold `cache.2`) after `before_cache`, before `after_success`. Branch `feature` reads
/// its own cache, then the default branch's.
#[test]
fn snapshot_cache_steps() {
    let mut f = facts();
    f.branch = "feature".into();
    check(
        "cache_steps",
        json!({
            "language": "python", "python": "3.11", "os": "linux", "dist": "focal",
            "env": [{"A": "1"}, {"secure": "CIPHERTEXT"}],
            "cache": {"pip": true, "directories": ["$HOME/.mycache", "vendor/deps"], "timeout": 300},
            "install": ["pip install -r requirements.txt"],
            "script": ["pytest"],
            "before_cache": ["rm -f $HOME/.cache/pip/log/debug.log"],
            "after_success": ["echo ok"]
        }),
        &f,
        &CompileOptions {
            cache: travis_local_script::cache::CacheOptions {
                default_branch: Some("main".into()),
                repo_identity: Some("0".repeat(64)),
            },
            ..Default::default()
        },
    );
}

fn machine_config() -> Value {
    json!({
        "language": "python", "python": "3.11", "os": "linux", "dist": "focal",
        "services": ["redis", "postgresql", "mysql", "xvfb", "docker", "cassandra"],
        "addons": {
            "apt": {"packages": ["jq", "libpq-dev"], "sources": [{"sourceline": "ppa:deadsnakes/ppa"}, "llvm-toolchain-focal"], "update": true, "config": {"retries": true}},
            "apt_packages": ["curl"],
            "hosts": ["db.local", "cache.local"],
            "hostname": "build-host",
            "ssh_known_hosts": ["github.com", "git.example.org:2222"],
            "postgresql": "12",
            "mariadb": "10.6",
            "chrome": "stable",
            "firefox": "latest-esr",
            "snaps": ["hello", {"name": "kubectl", "confinement": "classic", "channel": "1.28/stable"}],
            "homebrew": {"packages": ["jq"]},
            "sonarcloud": {"organization": "o"}
        },
        "before_install": ["echo before"],
        "script": ["pytest"]
    })
}

/// What the Docker executor runs: addons applied and services started in the job's
/// container, in travis-build's order.
#[test]
fn snapshot_machine_docker() {
    check(
        "machine_docker",
        machine_config(),
        &facts(),
        &CompileOptions {
            start_services: true,
            apply_addons: true,
            ..Default::default()
        },
    );
}

/// The host executor without --start-services / --apply-addons: one line per refusal.
#[test]
fn snapshot_machine_host() {
    check(
        "machine_host",
        machine_config(),
        &facts(),
        &CompileOptions::default(),
    );
}

/// travis-build's order: before_configure (apt retries), before_prepare (apt, snaps),
/// prepare (services), after_prepare (hosts, hostname, postgresql, mariadb, chrome,
/// firefox), before_checkout (ssh_known_hosts), checkout, export, before_install.
#[test]
fn machine_steps_in_travis_order() {
    let c = compile(
        &job(machine_config()),
        &facts(),
        &secrets(),
        &CompileOptions {
            start_services: true,
            apply_addons: true,
            ..Default::default()
        },
    );
    let order = [
        "Configuring default apt-get retries",
        "travis_fold start apt\n",
        "travis_fold start snap\n",
        "travis_fold start services\n",
        "travis_fold start hosts.before\n",
        "Set hostname to build-host",
        "travis_fold start postgresql\n",
        "travis_fold start mariadb\n",
        "travis_fold start install_chrome\n",
        "travis_fold start install_firefox\n",
        "travis_fold start ssh_known_hosts.0\n",
        "travis_fold start git.checkout\n",
        "export TRAVIS=true",
        "travis_run_before_install() {",
    ];
    let mut last = 0;
    for step in order {
        let at = c.script[last..]
            .find(step)
            .unwrap_or_else(|| panic!("{step} missing or out of order"))
            + last;
        last = at;
    }
    // The postgresql addon replaces the service, as in travis-build.
    assert_eq!(
        c.script.matches("travis_local_service postgresql").count(),
        1
    );
    assert!(c
        .script
        .contains("travis_cmd 'export DISPLAY=:99.0' --echo"));
    assert!(c.notices.iter().any(|n| n.contains("addons.sonarcloud")));
    assert!(c
        .notices
        .iter()
        .any(|n| n.contains("addons.homebrew applies only")));
    assert!(c.notices.iter().any(|n| n.contains("`cassandra`")));
}

#[test]
fn snapshot_minimal_fork_pr() {
    let mut f = BuildFacts::pull_request("octo/demo", "master", 12);
    f.pr_head_repo = Some("fork/demo".into());
    f.derive();
    f.commit = Some("abc".into());
    f.commit_message = Some("m".into());
    check(
        "minimal_fork_pr",
        json!({"language": "minimal", "env": [{"secure": "CIPHERTEXT"}], "script": "skip", "deploy": {"provider": "script", "script": "x"}}),
        &f,
        &CompileOptions {
            color: false,
            build_dir: Some("/tmp/b".into()),
            home_dir: Some("/tmp/h".into()),
            ..Default::default()
        },
    );
}

#[test]
fn snapshot_language_defaults() {
    for lang in [
        "ruby", "node_js", "go", "rust", "java", "c", "cpp", "generic", "bash",
    ] {
        check(
            &format!("default_{lang}"),
            json!({"language": lang}),
            &facts(),
            &CompileOptions::default(),
        );
    }
}

#[test]
fn odd_values_never_panic_and_stay_valid_bash() {
    let odd = [
        json!(null),
        json!(42),
        json!(true),
        json!({"a": 1}),
        json!([[1, 2], {"x": "y"}, null]),
        json!("it's \"quoted\" $HOME `cmd` \\ \n multi\nline ü 🚀"),
        json!(["'", "\"", "$(", "]]", "fi", "}"]),
        json!(""),
    ];
    let keys = [
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "after_failure",
        "after_script",
        "before_deploy",
        "after_deploy",
        "env",
        "deploy",
        "git",
        "services",
        "language",
        "python",
        "addons",
        "addons.apt",
        "addons.apt.packages",
        "addons.apt.sources",
        "addons.snaps",
        "addons.hosts",
        "addons.firefox",
        "addons.ssh_known_hosts",
        "addons.hostname",
        "addons.postgresql",
        "addons.mariadb",
        "addons.chrome",
    ];
    for key in keys {
        for v in &odd {
            let mut config = json!({"language": "minimal", "deploy": {"provider": "script", "script": "x", "on": {"condition": "]] ; fi"}}});
            let mut slot = &mut config;
            for part in key.split('.') {
                if !slot.is_object() {
                    *slot = json!({});
                }
                slot = &mut slot[part];
            }
            *slot = v.clone();
            let machine = CompileOptions {
                start_services: true,
                apply_addons: true,
                ..Default::default()
            };
            let c = compile(&job(config), &facts(), &secrets(), &machine);
            let status = std::process::Command::new("bash")
                .arg("-n")
                .arg("-c")
                .arg(&c.script)
                .status()
                .expect("bash");
            assert!(status.success(), "bash -n failed for {key} = {v}");
        }
    }
    // Not a mapping at all.
    let c = compile(
        &job(json!(["x"])),
        &facts(),
        &secrets(),
        &CompileOptions::default(),
    );
    assert!(c.script.contains("exit 2"));
}
