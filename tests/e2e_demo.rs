//! End-to-end test of the showcase project (issue 7) through the real binary: the
//! tutorial's workflow run offline with the Docker executor.
//!
//! Services (scripts/e2e-services.sh, loopback only): moto's ECR API and Debian's
//! docker-registry on 127.0.0.1:5000 (basic auth, user AWS, password = moto's token).
//! In a temp clone of this repository, with a secrets file in a temp dir:
//! 1. `--branch development`: tests pass, nothing pushed, no AWS secret exported;
//! 3. `--branch staging` with a failing API test: job fails, after_failure, nothing pushed;
//! 2. `--branch staging`: tests pass, `docker-ci-demo-api:staging` lands in the registry,
//!    no secret value in any output;
//! 4. after each run, nothing labelled by the run or its compose project is left.
//!
//! Plus an unreachable ECR endpoint (one clear log line, nothing pushed), the staging
//! build as JSON lines (no secret), and `travis-local ecr login`.
//!
//! (Run in the order 1, 3, 2 so "nothing pushed" is checked against an empty registry.)
//! Skips with a notice when no Docker engine is reachable, except with CI=true.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_travis-local");

const KEY_ID: &str = "AKIAE2EDEMOKEY000001";
const SECRET_KEY: &str = "e2e-demo/secret-access-key-0001";
const ACCOUNT_ID: &str = "123456789012";
const REGION: &str = "us-east-1";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

fn docker(args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .output()
        .expect("run the docker CLI")
}

fn engine_available() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Services {
    registry: String,
    user: String,
    password: String,
    moto_url: String,
}

fn start_services() -> Services {
    let out = Command::new("bash")
        .arg(root().join("scripts/e2e-services.sh"))
        .args(["start", "--fresh-registry"])
        .output()
        .expect("run scripts/e2e-services.sh");
    assert!(
        out.status.success(),
        "scripts/e2e-services.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")).map(str::to_string))
            .unwrap_or_else(|| panic!("e2e-services.sh printed no {k}: {text}"))
    };
    Services {
        registry: get("REGISTRY"),
        user: get("REGISTRY_USER"),
        password: get("REGISTRY_PASSWORD"),
        moto_url: get("MOTO_URL"),
    }
}

/// GET on the registry's HTTP API with basic auth (the registry is plain HTTP).
fn registry_get(s: &Services, path: &str) -> String {
    let out = Command::new("curl")
        .args(["-s", "-m", "10", "-u"])
        .arg(format!("{}:{}", s.user, s.password))
        .arg(format!("http://{}{path}", s.registry))
        .output()
        .expect("run curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn catalog(s: &Services) -> serde_json::Value {
    let body = registry_get(s, "/v2/_catalog");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("catalog {body:?}: {e}"))
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "__pycache__" || name == ".pytest_cache" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(name));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// A clone of this repository with the demo files of the working tree on top (so
/// uncommitted changes to the demo are what is tested).
fn clone_repo(dir: &Path) -> PathBuf {
    let repo = dir.join("docker-ci-demo");
    let cloned = Command::new("git")
        .args(["clone", "-q"])
        .arg(root())
        .arg(&repo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !cloned {
        // Not a git checkout (e.g. an unpacked archive): a fresh repository holding
        // the demo files stands in for the clone.
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q"]);
    }
    for p in [
        "api",
        "nginx",
        "docker-compose.yml",
        "test.sh",
        "docker-push.sh",
        ".travis.yml",
        ".travis-local/config.yml",
    ] {
        let from = root().join(p);
        let to = repo.join(p);
        if to.is_dir() {
            std::fs::remove_dir_all(&to).unwrap();
        }
        copy_tree(&from, &to);
    }
    if !cloned {
        git(&repo, &["add", "-A"]);
        git(
            &repo,
            &[
                "-c",
                "user.name=e2e",
                "-c",
                "user.email=e2e@invalid",
                "commit",
                "-qm",
                "demo",
            ],
        );
    }
    repo
}

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .current_dir(dir)
        .args(args)
        .status()
        .expect("run git");
    assert!(st.success(), "git {args:?} failed in {}", dir.display());
}

/// A host port nobody listens on, so the demo's nginx never collides with another
/// stack (or another test) publishing port 80.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

fn write_secrets(dir: &Path, s: &Services) -> PathBuf {
    let path = dir.join("secrets.yml");
    let text = format!(
        "env:\n\
         \x20 - {{name: AWS_ACCESS_KEY_ID, value: \"{KEY_ID}\", branch: staging}}\n\
         \x20 - {{name: AWS_SECRET_ACCESS_KEY, value: \"{SECRET_KEY}\", branch: staging}}\n\
         \x20 - {{name: AWS_ACCOUNT_ID, value: \"{ACCOUNT_ID}\", branch: staging}}\n\
         \x20 - {{name: AWS_REGISTRY, value: \"{}\", branch: staging}}\n\
         \x20 - {{name: AWS_ENDPOINT_URL, value: \"{}\", public: true}}\n\
         \x20 - {{name: NGINX_PORT, value: \"{}\", public: true}}\n",
        s.registry,
        s.moto_url,
        free_port()
    );
    std::fs::write(&path, text).unwrap();
    path
}

struct RunResult {
    code: i32,
    text: String,
}

fn run(repo: &Path, branch: &str, secrets: &Path) -> RunResult {
    run_with(repo, branch, secrets, &[])
}

fn run_with(repo: &Path, branch: &str, secrets: &Path, extra: &[&str]) -> RunResult {
    // Another Docker test running in parallel may `docker kill` containers it did not
    // create (seen with tests/docker.rs's kill test, which kills every new labelled
    // container): retry such externally killed runs, and only those, saying so.
    for attempt in 1..=3 {
        let r = run_once(repo, branch, secrets, extra);
        if !r.text.contains("stopped from outside") || attempt == 3 {
            return r;
        }
        eprintln!(
            "NOTICE: the {branch} job container was killed from outside; retrying ({attempt}/2)"
        );
    }
    unreachable!()
}

fn run_once(repo: &Path, branch: &str, secrets: &Path, extra: &[&str]) -> RunResult {
    let out = Command::new(BIN)
        .current_dir(repo)
        .args(["run", "--executor", "docker", "--branch", branch])
        .args(extra)
        .args(["--repo", "demo/docker-ci-demo", "--job-timeout", "20m"])
        .arg("--secrets-file")
        .arg(secrets)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("NO_COLOR", "1")
        .output()
        .expect("run travis-local");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    RunResult {
        code: out.status.code().unwrap_or(-1),
        text,
    }
}

/// The compose project of the run, from compose's "Creating <project>_api_1" line.
fn compose_project(text: &str) -> Option<String> {
    let start = text.find("Creating travis-local-")? + "Creating ".len();
    let rest = &text[start..];
    let end = rest.find("_api_1")?;
    let project = &rest[..end];
    project
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        .then(|| project.to_string())
}

fn ids(args: &[&str]) -> Vec<String> {
    let out = docker(args);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Point 4: nothing labelled by the run or by its compose project is left; then
/// remove the images compose built for it (not part of the check, just tidy).
fn assert_nothing_left(r: &RunResult, what: &str) {
    let project = compose_project(&r.text)
        .unwrap_or_else(|| panic!("{what}: no compose project in the output:\n{}", r.text));
    let run_id = project
        .trim_start_matches("travis-local-")
        .split('-')
        .next()
        .unwrap_or_default()
        .to_string();
    let by_project = format!("label=com.docker.compose.project={project}");
    let by_run = format!("label=travis-local.run={run_id}");
    for (kind, list) in [
        (
            "containers of the project",
            ids(&["ps", "-aq", "--filter", &by_project]),
        ),
        (
            "containers of the run",
            ids(&["ps", "-aq", "--filter", &by_run]),
        ),
        (
            "networks of the project",
            ids(&["network", "ls", "-q", "--filter", &by_project]),
        ),
        (
            "networks of the run",
            ids(&["network", "ls", "-q", "--filter", &by_run]),
        ),
        (
            "volumes of the project",
            ids(&["volume", "ls", "-q", "--filter", &by_project]),
        ),
        (
            "volumes of the run",
            ids(&["volume", "ls", "-q", "--filter", &by_run]),
        ),
    ] {
        assert!(list.is_empty(), "{what}: {kind} left behind: {list:?}");
    }
    // The images compose built under this project name exist: the name (and so the
    // label filters above) is right. Remove them.
    for service in ["api", "nginx"] {
        let out = docker(&["rmi", &format!("{project}_{service}")]);
        assert!(
            out.status.success(),
            "{what}: no image {project}_{service}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn assert_no_secret(r: &RunResult, s: &Services, what: &str) {
    for secret in [
        KEY_ID,
        SECRET_KEY,
        ACCOUNT_ID,
        s.password.as_str(),
        s.registry.as_str(),
    ] {
        assert!(
            !r.text.contains(secret),
            "{what}: secret value {secret:?} appears in the output:\n{}",
            r.text
        );
    }
}

fn ensure_images() {
    let have = docker(&["image", "inspect", "travis-local/bookworm:ci"]);
    if have.status.success() {
        return;
    }
    let st = Command::new("bash")
        .arg(root().join("scripts/images.sh"))
        .status()
        .expect("run scripts/images.sh");
    assert!(st.success(), "scripts/images.sh failed");
}

#[test]
fn tutorial_workflow_offline() {
    if !engine_available() {
        assert!(!ci(), "CI=true but no Docker engine is reachable");
        eprintln!("NOTICE: no Docker engine reachable; skipping the demo end-to-end test");
        return;
    }
    ensure_images();
    let services = start_services();
    assert_eq!(catalog(&services)["repositories"], serde_json::json!([]));

    let tmp = tempfile::tempdir().unwrap();
    let repo = clone_repo(tmp.path());
    let secrets = write_secrets(tmp.path(), &services);

    // 1. development: tests, no push, no AWS secret.
    let dev = run(&repo, "development", &secrets);
    let t = &dev.text;
    assert_eq!(dev.code, 0, "development build should pass:\n{t}");
    assert!(t.contains("2 passed"), "{t}");
    assert!(t.contains("TESTS SUCCEEDED"), "{t}");
    assert!(
        t.contains("$ bash docker-push.sh"),
        "after_success runs:\n{t}"
    );
    assert!(
        t.contains("is not staging: the API image is not published"),
        "{t}"
    );
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCOUNT_ID",
    ] {
        assert!(
            !t.contains(&format!("$ export {name}")),
            "{name} exported on development:\n{t}"
        );
    }
    assert!(!t.contains("$ export AWS_REGISTRY=[secure]"), "{t}");
    assert!(
        !t.contains("ECR login token"),
        "no ECR token without credentials:\n{t}"
    );
    assert_no_secret(&dev, &services, "development");
    assert_eq!(catalog(&services)["repositories"], serde_json::json!([]));
    assert_nothing_left(&dev, "development");

    // 3. staging with a failing API test: failed, after_failure, nothing pushed.
    let failing = tempfile::tempdir().unwrap();
    let broken = clone_repo(failing.path());
    let test_ping = broken.join("api/app/test/test_ping.py");
    let src = std::fs::read_to_string(&test_ping).unwrap();
    assert!(src.contains("== \"pong\""));
    std::fs::write(&test_ping, src.replace("== \"pong\"", "== \"not pong\"")).unwrap();
    let fail = run(&broken, "staging", &secrets);
    let t = &fail.text;
    assert_eq!(fail.code, 1, "a failing test fails the build:\n{t}");
    assert!(t.contains("1 failed, 1 passed"), "{t}");
    assert!(t.contains("TESTS FAILED: api"), "{t}");
    assert!(
        t.contains("The tests failed; the API image is not published."),
        "{t}"
    );
    assert!(
        !t.contains("$ bash docker-push.sh"),
        "after_success must not run:\n{t}"
    );
    assert_no_secret(&fail, &services, "failing staging");
    assert_eq!(catalog(&services)["repositories"], serde_json::json!([]));
    assert_nothing_left(&fail, "failing staging");

    // Token errors: one clear line in the job log; the publish step then fails
    // (after_success does not change the result, as on Travis) and nothing is pushed.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let bad_dir = tempfile::tempdir().unwrap();
    let bad_secrets = write_secrets(
        bad_dir.path(),
        &Services {
            moto_url: closed.clone(),
            registry: services.registry.clone(),
            user: services.user.clone(),
            password: services.password.clone(),
        },
    );
    let bad = run(&repo, "staging", &bad_secrets);
    let t = &bad.text;
    assert_eq!(bad.code, 0, "{t}");
    let line = t
        .lines()
        .find(|l| l.contains("cannot get an ECR authorization token"))
        .unwrap_or_else(|| panic!("no token error line:\n{t}"));
    assert!(
        line.starts_with("Note: ecr: cannot get an ECR authorization token from "),
        "{line}"
    );
    assert!(
        line.contains(&closed) && line.contains("Connection refused"),
        "{line}"
    );
    assert!(
        t.contains("TESTS SUCCEEDED") && t.contains("$ bash docker-push.sh"),
        "{t}"
    );
    assert!(!t.contains("Published "), "{t}");
    assert_no_secret(&bad, &services, "token error");
    assert_eq!(catalog(&services)["repositories"], serde_json::json!([]));
    assert_nothing_left(&bad, "token error");

    // 2. staging: tests, then the image is published to the registry.
    let staging = run(&repo, "staging", &secrets);
    let t = &staging.text;
    assert_eq!(staging.code, 0, "staging build should pass:\n{t}");
    assert!(
        t.contains("2 passed") && t.contains("TESTS SUCCEEDED"),
        "{t}"
    );
    assert!(
        t.contains("$ export AWS_ACCESS_KEY_ID=[secure]"),
        "secrets exported on staging:\n{t}"
    );
    assert!(t.contains("ECR login token"), "the ECR hook ran:\n{t}");
    assert!(t.contains("Login Succeeded"), "{t}");
    assert!(t.contains("/docker-ci-demo-api:staging"), "{t}");
    assert_no_secret(&staging, &services, "staging");
    let repos = catalog(&services);
    assert_eq!(
        repos["repositories"],
        serde_json::json!(["docker-ci-demo-api"])
    );
    let tags: serde_json::Value =
        serde_json::from_str(&registry_get(&services, "/v2/docker-ci-demo-api/tags/list")).unwrap();
    assert_eq!(tags["tags"], serde_json::json!(["staging"]));
    assert_nothing_left(&staging, "staging");

    // The same build as JSON lines: no secret there either.
    let json = run_with(&repo, "staging", &secrets, &["--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.text);
    assert!(json.text.contains("\"build_finished\""), "{}", json.text);
    assert_no_secret(&json, &services, "staging, JSON output");
    // Tidy: the images compose built (output lines are split into JSON events, so
    // look for any `<project>_api` name).
    let mut projects: Vec<&str> = json
        .text
        .match_indices("travis-local-")
        .filter_map(|(i, _)| {
            let rest = &json.text[i..];
            let end = rest.find("_api")?;
            let name = &rest[..end];
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                .then_some(name)
        })
        .collect();
    projects.dedup();
    for project in projects {
        for service in ["api", "nginx"] {
            let _ = docker(&["rmi", &format!("{project}_{service}")]);
        }
    }
    let _ = docker(&[
        "rmi",
        &format!("{}/docker-ci-demo-api:staging", services.registry),
    ]);

    // `travis-local ecr login` logs the host's Docker in (to a throwaway config dir).
    let docker_config = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "ecr",
            "login",
            "--region",
            REGION,
            "--registry",
            &services.registry,
        ])
        .args(["--endpoint-url", &services.moto_url])
        .env("AWS_ACCESS_KEY_ID", KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("DOCKER_CONFIG", docker_config.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ecr login: {stdout}{stderr}");
    let config_json = docker_config.path().join("config.json");
    assert!(
        stdout.contains(&format!("stored in {}", config_json.display())),
        "{stdout}"
    );
    assert!(!stdout.contains(&services.password) && !stderr.contains(&services.password));
    let config = std::fs::read_to_string(&config_json).unwrap();
    assert!(config.contains(&services.registry), "{config}");
}

// ---- The demo's shell scripts with stub tools (no engine needed) ----

/// Run `sh SCRIPT` from a copy of the demo with stub `docker-compose`, `docker` and
/// `aws` first on PATH; each stub appends its argv (and stdin for `docker login`) to
/// `calls.log`. `fail` names a stub invocation prefix that must exit 1.
fn run_with_stubs(script: &str, env: &[(&str, &str)], fail: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.path().join("calls.log");
    for tool in ["docker-compose", "docker", "aws"] {
        let stub = format!(
            "#!/bin/sh\n\
             line=\"{tool} $*\"\n\
             case \"$line\" in *--password-stdin*) line=\"$line <$(cat)>\" ;; esac\n\
             echo \"$line\" >> '{log}'\n\
             case \"$line\" in '{fail}'*) exit 1 ;; esac\n\
             case \"$line\" in 'aws ecr get-login-password'*) echo stub-password ;; esac\n\
             exit 0\n",
            log = log.display(),
        );
        let path = bin.join(tool);
        std::fs::write(&path, stub).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = Command::new("sh")
        .arg(root().join(script))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
        calls,
    )
}

#[test]
fn scripts_are_posix_sh() {
    for script in ["test.sh", "docker-push.sh"] {
        let path = root().join(script);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{script}");
        assert!(
            !text.contains("[["),
            "{script}: bash test syntax under /bin/sh"
        );
        for shell in ["sh", "dash"] {
            let Ok(out) = Command::new(shell).arg("-n").arg(&path).output() else {
                continue;
            };
            assert!(out.status.success(), "{shell} -n {script}: {out:?}");
        }
    }
}

#[test]
fn test_sh_reports_and_always_tears_down() {
    let (code, out, calls) = run_with_stubs("test.sh", &[], "no-failure");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("TESTS SUCCEEDED"), "{out}");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            "docker-compose up -d --build",
            // stdin is not a terminal here: no TTY for exec.
            "docker-compose exec -T api python manage.py test",
            "docker-compose down --remove-orphans",
        ]
    );

    let (code, out, calls) = run_with_stubs("test.sh", &[], "docker-compose exec");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TESTS FAILED: api"), "{out}");
    assert!(
        calls.ends_with("docker-compose down --remove-orphans\n"),
        "{calls}"
    );

    let (code, out, calls) = run_with_stubs("test.sh", &[], "docker-compose up");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("TESTS FAILED: stack"), "{out}");
    assert!(!calls.contains("exec"), "{calls}");
    assert!(
        calls.ends_with("docker-compose down --remove-orphans\n"),
        "{calls}"
    );
}

#[test]
fn docker_push_sh_publishes_only_from_staging() {
    let env = [
        ("AWS_REGION", "eu-west-1"),
        ("AWS_REGISTRY", "reg.example:5000"),
    ];
    let (code, out, calls) = run_with_stubs(
        "docker-push.sh",
        &[&env[..], &[("TRAVIS_BRANCH", "development")]].concat(),
        "none",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is not staging"), "{out}");
    assert!(calls.is_empty(), "nothing may run off staging: {calls}");

    let staging = [
        &env[..],
        &[
            ("TRAVIS_BRANCH", "staging"),
            ("API_BASE_IMAGE", "local/base:1"),
        ],
    ]
    .concat();
    let (code, out, calls) = run_with_stubs("docker-push.sh", &staging, "none");
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        calls.lines().collect::<Vec<_>>(),
        [
            "aws ecr get-login-password --region eu-west-1",
            "docker login --username AWS --password-stdin reg.example:5000 <stub-password>",
            "docker build ./api -f ./api/Dockerfile -t reg.example:5000/docker-ci-demo-api:staging --build-arg BASE_IMAGE=local/base:1",
            "docker push reg.example:5000/docker-ci-demo-api:staging",
            "docker logout reg.example:5000",
        ]
    );

    // A failed login stops the script: nothing is built or pushed.
    let (code, _, calls) = run_with_stubs("docker-push.sh", &staging, "docker login");
    assert_ne!(code, 0);
    assert!(!calls.contains("docker push"), "{calls}");

    // Missing settings are named.
    let (code, out, _) = run_with_stubs("docker-push.sh", &[("TRAVIS_BRANCH", "staging")], "none");
    assert_ne!(code, 0);
    assert!(out.contains("AWS_REGION"), "{out}");
}
