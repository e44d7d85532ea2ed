//! The job's machine through the real binary: `addons:` and `services:` in a Docker job
//! (apt packages from the Debian archive, redis and PostgreSQL started in the job's
//! container with Travis's users, an unknown apt package erroring the job with the
//! `apt` fold), the host executor's refusals, and `compile` showing the steps.
//!
//! The Docker cases need the engine, the test image `travis-local/bookworm:ci` and the
//! Debian archive through host networking (`--network host --trust-host-ca`, see
//! docker-offline.md §8). Without the engine or the image they print a notice and pass,
//! except under CI=true where they fail.

mod common;

use common::Run;
use std::path::Path;
use std::process::Command;

const IMAGE: &str = "travis-local/bookworm:ci";

fn docker_ready(test: &str) -> bool {
    common::docker_image_ready(test, IMAGE)
}

/// `run --executor docker` with host networking and the host's CA (the Debian archive
/// is reachable only that way on offline machines).
fn docker_run(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "run",
        "--executor",
        "docker",
        "--image",
        IMAGE,
        "--pull",
        "never",
        "--network",
        "host",
        "--trust-host-ca",
    ];
    args.extend_from_slice(extra);
    common::run_bin(dir, &args, &[])
}

fn fold_names(r: &Run, event: &str) -> Vec<String> {
    r.events()
        .iter()
        .filter(|e| e["event"] == event)
        .filter_map(|e| e["name"].as_str().map(String::from))
        .collect()
}

fn output_text(r: &Run) -> String {
    r.events()
        .iter()
        .filter(|e| e["event"] == "output")
        .filter_map(|e| e["line"].as_str().or(e["text"].as_str()).map(String::from))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn apt_packages_and_services_in_a_docker_job() {
    if !docker_ready("apt_packages_and_services_in_a_docker_job") {
        return;
    }
    let dir = common::committed_repo(
        "language: shell\nservices: [redis, postgresql]\naddons:\n  apt:\n    packages: [jq]\nscript:\n  - jq -n '40 + 2'\n  - redis-cli ping\n  - psql -U postgres -c 'select 1'\n  - psql -tAc 'select current_user'\n",
        &[],
    );
    let r = docker_run(dir.path(), &["-v"]);
    r.exit(0).job("1.1", "passed");
    r.seq(&[
        "$ sudo -E apt-get -yq --no-install-suggests --no-install-recommends $(travis_apt_get_options) install jq",
        "$ sudo service redis-server start",
        "$ sudo service postgresql start",
        "$ jq -n '40 + 2'",
        "42",
        "$ redis-cli ping",
        "PONG",
        "$ psql -U postgres -c 'select 1'",
        "$ psql -tAc 'select current_user'",
        "travis",
    ]);
    assert!(
        r.stdout.contains("travis-local: redis is ready ("),
        "{}",
        r.dump()
    );
    assert!(
        r.stdout.contains("travis-local: postgresql is ready ("),
        "{}",
        r.dump()
    );
    // One shared `apt-get update`: the apt addon's; the services' installs reuse it.
    assert_eq!(
        r.stdout.matches("$ travis_apt_get_update").count(),
        1,
        "{}",
        r.dump()
    );
}

#[test]
fn unknown_apt_package_errors_the_job_with_the_apt_fold() {
    if !docker_ready("unknown_apt_package_errors_the_job_with_the_apt_fold") {
        return;
    }
    let dir = common::committed_repo(
        "language: shell\naddons:\n  apt:\n    packages: [travis-local-no-such-package]\nbefore_install: echo NOT-REACHED\nscript: true\n",
        &[],
    );
    let r = docker_run(dir.path(), &["--format", "json"]);
    assert_eq!(r.code, 2, "{}", r.dump());
    let starts = fold_names(&r, "fold_start");
    assert!(
        starts.contains(&"apt".to_string()),
        "{starts:?}\n{}",
        r.dump()
    );
    assert!(
        starts.contains(&"apt-get.diagnostics".to_string()),
        "{starts:?}\n{}",
        r.dump()
    );
    let text = output_text(&r);
    assert!(text.contains("apt-get install failed"), "{}", r.dump());
    assert!(
        text.contains("E: Unable to locate package travis-local-no-such-package"),
        "{}",
        r.dump()
    );
    assert!(
        text.contains("install travis-local-no-such-package\" failed and exited with 100 during"),
        "{}",
        r.dump()
    );
    assert!(!text.contains("NOT-REACHED"), "{}", r.dump());
}

#[test]
fn host_executor_refuses_machine_changes_unless_asked() {
    let dir = common::committed_repo(
        "language: shell\nservices: [mongodb]\naddons:\n  apt:\n    packages: [jq]\n  hosts: [db.local]\nscript: echo SCRIPT-RAN\n",
        &[],
    );
    let state = common::StateHome::new();
    let envs: Vec<(&str, &str)> = state
        .envs()
        .iter()
        .map(|(k, v)| (*k, v.to_str().unwrap()))
        .collect();
    let r = common::run_bin(dir.path(), &["run", "--executor", "host", "-v"], &envs);
    r.exit(0).job("1.1", "passed");
    r.seq(&[
        "travis-local: addons.apt not applied: it would install packages as root on this host; run with --apply-addons to allow it (or use the Docker executor)",
        "travis-local: services are not started on this host (pass --start-services to start them): mongodb",
        "travis-local: addons.hosts not applied: it would edit /etc/hosts on this host; run with --apply-addons to allow it (or use the Docker executor)",
        "SCRIPT-RAN",
    ]);
    // --start-services without --apply-addons: nothing is installed on the host.
    let r = common::run_bin(
        dir.path(),
        &["run", "--executor", "host", "-v", "--start-services"],
        &envs,
    );
    r.exit(0).job("1.1", "passed").contains("SCRIPT-RAN");
    let mongod = Command::new("sh")
        .args(["-c", "command -v mongod"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mongod {
        r.contains(
            "travis-local: service mongodb cannot be started: MongoDB is not in Debian's archive",
        );
    }
    r.lacks("apt-get -yq");
}

#[test]
fn compile_shows_the_machine_per_executor() {
    let dir = common::committed_repo(
        "language: shell\nservices: [redis]\naddons:\n  apt:\n    packages: [jq]\n  ssh_known_hosts: github.com\nscript: true\n",
        &[],
    );
    let docker = common::run_bin(dir.path(), &["compile"], &[]);
    docker.exit(0);
    let s = &docker.stdout;
    let apt = s.find("travis_fold start apt\n").expect("apt fold");
    let services = s
        .find("travis_fold start services\n")
        .expect("services fold");
    let known = s
        .find("travis_fold start ssh_known_hosts.0\n")
        .expect("ssh fold");
    let checkout = s
        .find("travis_fold start git.checkout\n")
        .expect("checkout");
    assert!(
        apt < services && services < known && known < checkout,
        "{s}"
    );
    assert!(s.contains("install jq' --echo --timing"));
    assert!(s.contains("travis_local_service redis "));
    let host = common::run_bin(dir.path(), &["compile", "--executor", "host"], &[]);
    host.exit(0)
        .contains("travis-local: addons.apt not applied")
        .contains("services are not started on this host")
        .contains("travis_fold start ssh_known_hosts.0")
        .lacks("travis_local_service redis");
    let allowed = common::run_bin(
        dir.path(),
        &[
            "compile",
            "--executor",
            "host",
            "--start-services",
            "--apply-addons",
        ],
        &[],
    );
    allowed
        .exit(0)
        .contains("travis_fold start apt\n")
        .contains("travis_local_service redis ");
}

#[test]
fn lint_reports_bad_addon_and_service_input() {
    let dir = common::committed_repo(
        "language: shell\naddons:\n  apt:\n    packages: {a: 1}\n  chrome: nightly\n  ssh_known_hosts: github.com\nservices: [redis, nosuch]\nscript: true\n",
        &[],
    );
    let r = common::run_bin(dir.path(), &["lint", "--color", "never"], &[]);
    assert_eq!(r.code, 1, "{}", r.dump());
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("error[invalid_type]: dropping unexpected map, expected str"),
        "{all}"
    );
    assert!(all.contains(".travis.yml:4:15"), "{all}");
    assert!(
        all.contains("error[unknown_value]: dropping unknown value: nightly"),
        "{all}"
    );
    assert!(
        all.contains("error[unknown_value]: dropping unknown value: nosuch"),
        "{all}"
    );
    assert!(all.contains(".travis.yml:7:19"), "{all}");
    // ssh_known_hosts takes plain host names (travis-yml: `secures` with strict: false).
    assert!(!all.contains("alert[secure]"), "{all}");
}
