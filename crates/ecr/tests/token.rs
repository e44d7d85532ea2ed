//! EcrHook against real HTTP: a tiny in-process fake of the ECR JSON API (always
//! runs) and moto's server mode (runs when reachable; started by
//! scripts/e2e-services.sh when CI=true, skipped with a notice otherwise).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use travis_local_ecr::{shim, EcrHook};
use travis_local_runner::executor::JobHook;

/// Serve `status`/`body` to every request; return the base URL and the requests seen.
fn fake_ecr(status: u16, body: &'static str) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let seen = seen2.clone();
            std::thread::spawn(move || serve_one(stream, status, body, &seen));
        }
    });
    (url, seen)
}

fn serve_one(stream: TcpStream, status: u16, body: &str, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut req_body = vec![0; len];
    let _ = reader.read_exact(&mut req_body);
    seen.lock().unwrap().push(head);
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn job_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("TRAVIS_BRANCH", "staging"),
        ("AWS_ACCESS_KEY_ID", "AKIDTESTKEY"),
        ("AWS_SECRET_ACCESS_KEY", "sEcReT/value"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[test]
fn token_from_fake_service_becomes_secret_and_shim() {
    // base64("AWS:s3cr3t-pass")
    let (url, seen) = fake_ecr(
        200,
        r#"{"authorizationData":[{"authorizationToken":"QVdTOnMzY3IzdC1wYXNz","expiresAt":1.7E9,"proxyEndpoint":"https://111122223333.dkr.ecr.us-east-1.amazonaws.com"}]}"#,
    );
    let out = EcrHook.before_job(&job_env(&url)).expect("token");
    assert_eq!(
        out.secret_env,
        vec![(shim::PASSWORD_VAR.to_string(), "s3cr3t-pass".to_string())]
    );
    assert!(out.env.contains(&(
        shim::REGISTRY_VAR.to_string(),
        "111122223333.dkr.ecr.us-east-1.amazonaws.com".to_string()
    )));
    assert_eq!(out.home_files[0].0, ".travis-local/bin/aws");
    let requests = seen.lock().unwrap();
    assert!(requests[0].contains("AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"));
    // SigV4-signed with the job's key, for the job's region.
    assert!(requests[0].contains("AKIDTESTKEY/"));
    assert!(requests[0].contains("/us-east-1/ecr/aws4_request"));
    assert!(!requests[0].contains("sEcReT/value"));
}

#[test]
fn bad_credentials_are_one_clear_line() {
    let (url, _) = fake_ecr(
        400,
        r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
    );
    let err = EcrHook.before_job(&job_env(&url)).unwrap_err();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("UnrecognizedClientException"), "{err}");
    assert!(
        err.contains("security token included in the request is invalid"),
        "{err}"
    );
    assert!(err.contains(&url), "{err}");
    assert!(
        !err.contains("sEcReT/value") && !err.contains("AKIDTESTKEY"),
        "{err}"
    );
}

#[test]
fn unreachable_endpoint_fails_fast_in_one_line() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let start = Instant::now();
    let err = EcrHook.before_job(&job_env(&url)).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "{:?}",
        start.elapsed()
    );
    assert!(!err.contains('\n'), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains("DispatchFailure {"), "no Debug dump: {err}");
    assert!(
        err.starts_with("cannot get an ECR authorization token from"),
        "{err}"
    );
}

#[test]
fn garbage_answer_is_reported() {
    let (url, _) = fake_ecr(200, r#"{"authorizationData":[]}"#);
    let err = EcrHook.before_job(&job_env(&url)).unwrap_err();
    assert!(err.contains("no authorization data"), "{err}");
    let (url, _) = fake_ecr(
        200,
        r#"{"authorizationData":[{"authorizationToken":"bm9jb2xvbg=="}]}"#,
    );
    let err = EcrHook.before_job(&job_env(&url)).unwrap_err();
    assert!(err.contains("malformed"), "{err}");
    assert!(!err.contains("bm9jb2xvbg"), "{err}");
}

#[test]
fn hook_works_inside_a_tokio_runtime() {
    let (url, _) = fake_ecr(
        200,
        r#"{"authorizationData":[{"authorizationToken":"QVdTOnB3","proxyEndpoint":"https://1.dkr.ecr.us-east-1.amazonaws.com"}]}"#,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(async { EcrHook.before_job(&job_env(&url)) });
    assert_eq!(out.unwrap().secret_env[0].1, "pw");
}

// ---- moto ----

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// moto's URL: already running, or started by scripts/e2e-services.sh under CI=true.
fn moto_url() -> Option<String> {
    let url = std::env::var("TL_MOTO_URL").unwrap_or_else(|_| "http://127.0.0.1:5001".into());
    let addr = url.trim_start_matches("http://").to_string();
    if TcpStream::connect(&addr).is_ok() {
        return Some(url);
    }
    if std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("NOTICE: moto is not running at {url}; skipping (start it with scripts/e2e-services.sh)");
        return None;
    }
    let out = std::process::Command::new("bash")
        .arg(repo_root().join("scripts/e2e-services.sh"))
        .arg("start")
        .output()
        .expect("run scripts/e2e-services.sh");
    assert!(
        out.status.success(),
        "scripts/e2e-services.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("MOTO_URL=").map(str::to_string))
}

#[test]
fn moto_get_authorization_token() {
    let Some(url) = moto_url() else { return };
    let out = EcrHook.before_job(&job_env(&url)).expect("token from moto");
    // moto's token decodes to AWS:<account>-auth-token.
    assert_eq!(out.secret_env[0].1, "123456789012-auth-token");
    assert!(out.env.contains(&(
        shim::REGISTRY_VAR.to_string(),
        "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_string()
    )));
    assert!(out.notices[0].contains(&url));
    // The service-specific endpoint variable wins over the generic one.
    let mut env = job_env("http://127.0.0.1:9");
    env.push(("AWS_ENDPOINT_URL_ECR".into(), url.clone()));
    assert!(EcrHook.before_job(&env).is_ok());
}
