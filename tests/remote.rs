//! Remote engines over TLS and SSH through the real binary, against the private engine
//! of `scripts/swarm-engine.sh` (TLS with --tlsverify on tcp://127.0.0.1:23752, a
//! private CA and client certificate) and the private sshd of `scripts/ssh-engine.sh`
//! (ssh://root@127.0.0.1:23753, its own keys; the forced command points the remote
//! `docker` at the private engine):
//! - a job through the TLS engine (DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, and a Docker
//!   context with TLS material) reads the shipped tree and gives the right result;
//!   a client that trusts another CA is refused with exit 4 and a TLS error; a
//!   `services: docker` job's own `docker` reaches the TLS engine (certificates given);
//! - a `services: docker` job on the plain tcp engine: what the job writes into its
//!   build directory is what a container it starts with a bind mount of that directory
//!   sees (the tree lives at its own path on the engine's host), and that directory is
//!   gone from the engine's host afterwards;
//! - a passing and a failing job over ssh:// (TRAVIS_LOCAL_SSH_CONFIG gives the key and
//!   known_hosts) read the shipped tree; no ssh process or proxy directory is left,
//!   and a stale one of a killed run is swept; an ssh that cannot connect is exit 4
//!   with ssh's own message.
//!
//! Needs both (`bash scripts/swarm-engine.sh start; bash scripts/ssh-engine.sh start`,
//! root; `scripts/test.sh` does it); without them the tests print a notice and pass,
//! except under CI=true. `TL_SWARM_TLS`, `TL_SWARM_CERTS`, `TL_SSH_HOST`,
//! `TL_SSH_CONFIG` override the addresses.

mod common;
use common::ci;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const IMAGE: &str = "travis-local/bookworm:ci";

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

fn tls_host() -> String {
    var("TL_SWARM_TLS", "tcp://127.0.0.1:23752")
}

fn certs() -> PathBuf {
    PathBuf::from(var("TL_SWARM_CERTS", "/run/travis-local-swarm/tls/client"))
}

fn ssh_host() -> String {
    var("TL_SSH_HOST", "ssh://root@127.0.0.1:23753")
}

fn ssh_config() -> String {
    var("TL_SSH_CONFIG", "/run/travis-local-ssh/ssh_config")
}

fn notice(test: &str, ok: bool, why: &str) -> bool {
    if !ok {
        assert!(!ci(), "{test}: {why} under CI=true");
        eprintln!("NOTICE {test}: skipped, {why}");
    }
    ok
}

/// The TLS endpoint answers the docker CLI with the client certificate.
fn tls_ready(test: &str) -> bool {
    let dir = certs();
    let ok = Command::new("docker")
        .arg("--tlsverify")
        .arg("--tlscacert")
        .arg(dir.join("ca.pem"))
        .arg("--tlscert")
        .arg(dir.join("cert.pem"))
        .arg("--tlskey")
        .arg(dir.join("key.pem"))
        .args(["-H", &tls_host(), "image", "inspect", IMAGE])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    notice(
        test,
        ok,
        &format!(
            "the private engine's TLS endpoint {} does not answer or lacks {IMAGE} (bash scripts/swarm-engine.sh start)",
            tls_host()
        ),
    )
}

/// The private sshd lets us in and the remote `docker` reaches the private engine.
fn ssh_ready(test: &str) -> bool {
    let port = ssh_host().rsplit(':').next().unwrap_or("23753").to_string();
    let ok = Command::new("ssh")
        .args(["-F", &ssh_config(), "-p", &port, "root@127.0.0.1", "--"])
        .args(["docker", "image", "inspect", IMAGE])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    notice(
        test,
        ok,
        &format!(
            "the private sshd at {} does not answer or its engine lacks {IMAGE} (bash scripts/ssh-engine.sh start)",
            ssh_host()
        ),
    )
}

fn run(dir: &Path, envs: &[(&str, &str)]) -> common::Run {
    let mut all: Vec<(&str, &str)> = vec![("DOCKER_CONTEXT", ""), ("DOCKER_TLS_VERIFY", "")];
    all.extend_from_slice(envs);
    common::run_bin(
        dir,
        &[
            "run",
            "--executor",
            "docker",
            "--network",
            "host",
            "--image",
            IMAGE,
            "--pull",
            "never",
        ],
        &all,
    )
}

const SHIPPED_JOB: &str = "language: minimal\nenv: [OK=yes, OK=no]\nscript:\n  - cat shipped.txt\n  - \"! mount | grep -q /home/travis\"\n  - test \"$OK\" = yes\n";

fn assert_shipped(r: &common::Run, marker: &str) {
    r.exit(1).job("1.1", "passed").job("1.2", "failed");
    assert_eq!(
        r.lines().iter().filter(|l| **l == marker).count(),
        2,
        "{}",
        r.dump()
    );
}

#[test]
fn tls_engine_runs_jobs_and_refuses_a_wrong_ca() {
    if !tls_ready("tls_engine") {
        return;
    }
    let dir = common::committed_repo(SHIPPED_JOB, &[("shipped.txt", "over-tls\n")]);
    let certs = certs();
    let certs_s = certs.display().to_string();
    // DOCKER_TLS_VERIFY + DOCKER_CERT_PATH, as with the docker CLI.
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", &tls_host()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &certs_s),
        ],
    );
    assert_shipped(&r, "over-tls");
    // `services: docker`: the job's own docker reaches the TLS engine too.
    let docker_job = common::committed_repo(
        "language: minimal\nservices: [docker]\nscript:\n  - docker run --rm -v \"$TRAVIS_BUILD_DIR:/src\" travis-local/busybox:ci cat /src/shipped.txt\n",
        &[("shipped.txt", "job-docker-over-tls\n")],
    );
    let r = run(
        docker_job.path(),
        &[
            ("DOCKER_HOST", &tls_host()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &certs_s),
        ],
    );
    r.exit(0);
    assert!(r.has_line("job-docker-over-tls"), "{}", r.dump());

    // A Docker context with the same TLS material (contexts/tls/<sha256>/docker/).
    let config = tempfile::tempdir().expect("tmp");
    let hash = Command::new("sh")
        .args(["-c", "printf %s secure | sha256sum | cut -d' ' -f1"])
        .output()
        .expect("sha256sum");
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    let meta = config.path().join("contexts/meta").join(&hash);
    let tls = config
        .path()
        .join("contexts/tls")
        .join(&hash)
        .join("docker");
    std::fs::create_dir_all(&meta).expect("mkdir");
    std::fs::create_dir_all(&tls).expect("mkdir");
    std::fs::write(
        meta.join("meta.json"),
        format!(
            r#"{{"Name":"secure","Metadata":{{}},"Endpoints":{{"docker":{{"Host":"{}","SkipTLSVerify":false}}}}}}"#,
            tls_host()
        ),
    )
    .expect("meta");
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(certs.join(f), tls.join(f)).expect("copy cert");
    }
    let config_s = config.path().display().to_string();
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", ""),
            ("DOCKER_CONTEXT", "secure"),
            ("DOCKER_CONFIG", &config_s),
        ],
    );
    assert_shipped(&r, "over-tls");

    // A client that trusts another CA: refused, exit 4, the TLS error and where the
    // certificates came from.
    let wrong = certs.parent().expect("certs dir").join("wrong-ca");
    let wrong_s = wrong.display().to_string();
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", &tls_host()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &wrong_s),
        ],
    );
    r.exit(4);
    assert!(
        r.stderr.contains("TLS connection failed")
            && r.stderr.contains("UnknownIssuer")
            && r.stderr.contains(&wrong_s),
        "{}",
        r.dump()
    );
    // No CA at all: said before connecting.
    let empty = tempfile::tempdir().expect("tmp");
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", &tls_host()),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", &empty.path().display().to_string()),
        ],
    );
    r.exit(4);
    assert!(r.stderr.contains("no CA certificate at"), "{}", r.dump());
}

#[test]
fn ssh_engine_runs_jobs_on_the_shipped_tree() {
    if !ssh_ready("ssh_engine") {
        return;
    }
    let dir = common::committed_repo(SHIPPED_JOB, &[("shipped.txt", "over-ssh\n")]);
    let config = ssh_config();
    // The proxy directory of a travis-local killed with -9 (its pid is gone).
    let stale = std::env::temp_dir().join("travis-local-ssh-stale-test");
    std::fs::create_dir_all(&stale).expect("mkdir");
    std::fs::write(stale.join("pid"), "999999999").expect("pid");
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", &ssh_host()),
            ("TRAVIS_LOCAL_SSH_CONFIG", &config),
        ],
    );
    assert_shipped(&r, "over-ssh");
    assert!(!stale.exists(), "the stale proxy directory was not swept");
    // No ssh process and no proxy directory outlive the run.
    let left = Command::new("pgrep")
        .args(["-f", "travis-local-ssh-"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(left.trim().is_empty(), "ssh processes left: {left}");
    let dirs: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .expect("tmp")
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("travis-local-ssh-")
        })
        .collect();
    assert!(dirs.is_empty(), "{dirs:?}");

    // Nobody listens there: exit 4 with ssh's own words.
    let r = run(
        dir.path(),
        &[
            ("DOCKER_HOST", "ssh://root@127.0.0.1:1"),
            ("TRAVIS_LOCAL_SSH_CONFIG", &config),
        ],
    );
    r.exit(4);
    assert!(
        r.stderr.contains("ssh://root@127.0.0.1:1") && r.stderr.contains("Connection refused"),
        "{}",
        r.dump()
    );
}

#[test]
fn services_docker_bind_mounts_resolve_on_the_remote_engine_host() {
    if !tls_ready("remote_services_docker") {
        return;
    }
    let tcp = var("TL_SWARM_TCP", "tcp://127.0.0.1:23751");
    let yml = "language: minimal\nservices: [docker]\nscript:\n  - echo written-by-the-job > marker.txt\n  - docker run --rm -v \"$TRAVIS_BUILD_DIR:/src\" travis-local/busybox:ci cat /src/shipped.txt /src/marker.txt\n  - echo \"build=$TRAVIS_BUILD_DIR\"\n";
    let dir = common::committed_repo(yml, &[("shipped.txt", "shipped-to-the-engine-host\n")]);
    let r = run(dir.path(), &[("DOCKER_HOST", &tcp)]);
    r.exit(0).job("1.1", "passed");
    for line in ["shipped-to-the-engine-host", "written-by-the-job"] {
        assert!(r.has_line(line), "{line}\n{}", r.dump());
    }
    let build = r
        .lines()
        .iter()
        .find_map(|l| l.strip_prefix("build="))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no build dir\n{}", r.dump()));
    // The engine's host is this machine: the directory must be gone there.
    assert!(!Path::new(&build).exists(), "{build} is left");
    let left = Command::new("docker")
        .args(["-H", &tcp, "ps", "-aq", "--filter"])
        .arg(format!("label=travis-local.owner={}:{}", hostname(), r.pid))
        .output()
        .expect("docker ps");
    assert!(
        String::from_utf8_lossy(&left.stdout).trim().is_empty(),
        "containers left: {}",
        String::from_utf8_lossy(&left.stdout)
    );
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap_or_default()
        .trim()
        .to_string()
}
