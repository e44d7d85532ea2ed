//! Obtaining an Amazon ECR login (GetAuthorizationToken) with aws-sdk-ecr.
//!
//! One job: turn credentials + region (+ optional endpoint, for emulators such as
//! moto) into the registry user name and password that `aws ecr get-login-password`
//! would print, and describe every failure in one line. The SDK is async; callers
//! here are synchronous and may themselves run inside a Tokio runtime, so each fetch
//! runs on its own thread with its own small current-thread runtime.

use std::time::Duration;

use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::timeout::TimeoutConfig;
use aws_sdk_ecr::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ecr::error::ProvideErrorMetadata;
use base64::Engine as _;

/// Explicit credentials and placement for one GetAuthorizationToken call (taken from
/// a job's environment, never from the host's).
#[derive(Clone)]
pub struct TokenRequest {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub region: String,
    /// `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL`; `None` means the real AWS endpoint.
    pub endpoint_url: Option<String>,
}

impl std::fmt::Debug for TokenRequest {
    // Never print the secret key or session token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRequest")
            .field("access_key_id", &"<redacted>")
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .finish_non_exhaustive()
    }
}

/// A decoded ECR authorization token.
#[derive(Clone, PartialEq, Eq)]
pub struct EcrLogin {
    /// Registry user name (always `AWS` on real ECR).
    pub username: String,
    /// What `aws ecr get-login-password` prints.
    pub password: String,
    /// Registry host from `proxyEndpoint`, without the scheme
    /// (`123456789012.dkr.ecr.us-east-1.amazonaws.com`).
    pub registry: Option<String>,
    /// Expiry as reported by the service (RFC 3339), when present.
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for EcrLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EcrLogin")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("registry", &self.registry)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Connect timeout and whole-operation budget: an unreachable endpoint must fail
/// the token fetch quickly, not hang the job start.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// SDK client configuration for a job's explicit credentials.
pub fn client_config(req: &TokenRequest) -> aws_sdk_ecr::Config {
    let creds = Credentials::new(
        req.access_key_id.clone(),
        req.secret_access_key.clone(),
        req.session_token.clone(),
        None,
        "travis-local-job-env",
    );
    let mut builder = aws_sdk_ecr::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(req.region.clone()))
        .credentials_provider(creds)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        );
    if let Some(url) = &req.endpoint_url {
        builder = builder.endpoint_url(url.clone());
    }
    builder.build()
}

/// Where a request goes, for messages.
pub fn endpoint_label(endpoint_url: Option<&str>, region: &str) -> String {
    match endpoint_url {
        Some(url) => url.to_string(),
        None => format!("api.ecr.{region}.amazonaws.com"),
    }
}

/// Fetch a token with the job's explicit credentials (blocking).
pub fn fetch(req: &TokenRequest) -> Result<EcrLogin, String> {
    let conf = client_config(req);
    let label = endpoint_label(req.endpoint_url.as_deref(), &req.region);
    block_on(move || async move { get_login(&aws_sdk_ecr::Client::from_conf(conf), &label).await })
}

/// Run an async computation to completion on a private runtime in a fresh thread
/// (safe to call from inside another Tokio runtime).
pub fn block_on<F, Fut, T>(make: F) -> Result<T, String>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, String>>,
    T: Send + 'static,
{
    let handle = std::thread::Builder::new()
        .name("travis-local-ecr".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime for the ECR client: {e}"))?;
            rt.block_on(make())
        })
        .map_err(|e| format!("cannot start the ECR client thread: {e}"))?;
    handle
        .join()
        .unwrap_or_else(|_| Err("the ECR client thread panicked".to_string()))
}

/// GetAuthorizationToken and decode the first authorization entry.
pub async fn get_login(client: &aws_sdk_ecr::Client, label: &str) -> Result<EcrLogin, String> {
    let out = client
        .get_authorization_token()
        .send()
        .await
        .map_err(|err| {
            let detail = match err.as_service_error() {
                Some(service) => match (service.code(), service.message()) {
                    (Some(code), Some(msg)) => format!("{code}: {msg}"),
                    (Some(code), None) => code.to_string(),
                    _ => error_chain(&err),
                },
                None => error_chain(&err),
            };
            format!(
                "cannot get an ECR authorization token from {label}: {}",
                one_line(&detail)
            )
        })?;
    let data = out.authorization_data().first().ok_or_else(|| {
        format!("cannot get an ECR authorization token from {label}: the answer holds no authorization data")
    })?;
    let token = data.authorization_token().ok_or_else(|| {
        format!("cannot get an ECR authorization token from {label}: the answer holds no token")
    })?;
    let (username, password) = decode_token(token)
        .map_err(|e| format!("the ECR authorization token from {label} is malformed: {e}"))?;
    Ok(EcrLogin {
        username,
        password,
        registry: data.proxy_endpoint().map(registry_host),
        expires_at: data
            .expires_at()
            .and_then(|t| t.fmt(aws_smithy_types_format()).ok()),
    })
}

fn aws_smithy_types_format() -> aws_sdk_ecr::primitives::DateTimeFormat {
    aws_sdk_ecr::primitives::DateTimeFormat::DateTime
}

/// Decode `base64("user:password")`. The error never contains the token.
pub fn decode_token(token: &str) -> Result<(String, String), String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token.trim())
        .map_err(|_| "not valid base64".to_string())?;
    let text = String::from_utf8(raw).map_err(|_| "not UTF-8 once decoded".to_string())?;
    let (user, pass) = text
        .split_once(':')
        .ok_or_else(|| "no `user:password` pair once decoded".to_string())?;
    if user.is_empty() || pass.is_empty() {
        return Err("empty user name or password once decoded".to_string());
    }
    Ok((user.to_string(), pass.to_string()))
}

/// `https://123.dkr.ecr.r.amazonaws.com/` → `123.dkr.ecr.r.amazonaws.com`.
pub fn registry_host(endpoint: &str) -> String {
    let host = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .unwrap_or(endpoint);
    host.trim_end_matches('/').to_string()
}

/// `outer: cause: root cause`, each level's Display once (no Debug dumps).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

/// Collapse an error chain to one line.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_user_and_password() {
        // base64("AWS:123456789012-auth-token"), what moto returns.
        let (u, p) = decode_token("QVdTOjEyMzQ1Njc4OTAxMi1hdXRoLXRva2Vu").unwrap();
        assert_eq!(u, "AWS");
        assert_eq!(p, "123456789012-auth-token");
        // A password may itself contain ':'.
        let t = base64::engine::general_purpose::STANDARD.encode("AWS:a:b");
        assert_eq!(decode_token(&t).unwrap().1, "a:b");
    }

    #[test]
    fn rejects_malformed_tokens_without_echoing_them() {
        for bad in ["!!!", "QVdT", "OnBhc3M=", "QVdTOg=="] {
            let err = decode_token(bad).unwrap_err();
            assert!(!err.contains(bad), "{err}");
        }
    }

    #[test]
    fn registry_host_strips_scheme_and_slash() {
        assert_eq!(
            registry_host("https://1.dkr.ecr.eu-west-1.amazonaws.com/"),
            "1.dkr.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(registry_host("127.0.0.1:5000"), "127.0.0.1:5000");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let req = TokenRequest {
            access_key_id: "AKIDSECRETLOOKING".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("sess".into()),
            region: "us-east-1".into(),
            endpoint_url: None,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("AKIDSECRETLOOKING"));
        let login = EcrLogin {
            username: "AWS".into(),
            password: "pw-123".into(),
            registry: None,
            expires_at: None,
        };
        assert!(!format!("{login:?}").contains("pw-123"));
    }
}
