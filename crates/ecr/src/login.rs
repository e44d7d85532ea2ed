//! `travis-local ecr login`: log the host's Docker in to Amazon ECR (the flags are parsed
//! by the binary).
//!
//! One job: the host-side equivalent of
//! `aws ecr get-login-password --region R | docker login --username AWS --password-stdin REGISTRY`
//! for users reproducing a publish step by hand, without installing the AWS CLI.
//! Credentials come from the host's usual AWS configuration (aws-config's default
//! chain: environment, profiles, ...), not from a job. The password goes to
//! `docker login` on stdin only; it is never printed or passed as an argument.
//!
//! Failures are a [`LoginError`] with a kind (the binary maps it: 1 token or `docker
//! login` failure, 2 usage, no region).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use aws_config::BehaviorVersion;
use aws_sdk_ecr::config::retry::RetryConfig;
use aws_sdk_ecr::config::timeout::TimeoutConfig;
use aws_sdk_ecr::config::Region;

use crate::token;

/// `ecr login` settings (parsed by the binary).
#[derive(Debug, Clone)]
pub struct LoginOptions {
    /// AWS region [default: the AWS SDK's chain].
    pub region: Option<String>,
    /// Registry host to log in to instead of the token's proxy endpoint.
    pub registry: Option<String>,
    /// ECR API endpoint [default: AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL, else AWS].
    pub endpoint_url: Option<String>,
    /// Docker CLI to run.
    pub docker: String,
}

/// Why `ecr login` failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginErrorKind {
    /// A usage problem (no region): exit 2.
    Usage,
    /// The token could not be had or `docker login` failed: exit 1.
    Failed,
}

/// A failed `ecr login`; the message never holds the password.
#[derive(Debug, Clone)]
pub struct LoginError {
    pub kind: LoginErrorKind,
    pub message: String,
}

impl std::fmt::Display for LoginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoginError {}

fn failed(message: String) -> LoginError {
    LoginError {
        kind: LoginErrorKind::Failed,
        message,
    }
}

/// A token for a registry, ready for [`docker_login`]. `Debug` does not show the
/// password.
pub struct Token {
    login: token::EcrLogin,
    pub region: String,
    /// Where the token came from (AWS, or the endpoint URL).
    pub endpoint: String,
    /// The registry host that will be logged in to.
    pub registry: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

/// Get a token from ECR with the host's AWS configuration.
pub fn get_token(args: &LoginOptions) -> Result<Token, LoginError> {
    let region = args.region.clone();
    let endpoint = args.endpoint_url.clone();
    let (login, region, label) = token::block_on(move || async move {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(r) = region {
            loader = loader.region(Region::new(r));
        }
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        let sdk = loader.load().await;
        let Some(region) = sdk.region().map(|r| r.to_string()) else {
            return Ok(Err(LoginError {
                kind: LoginErrorKind::Usage,
                message: "no AWS region: pass --region or set AWS_REGION".to_string(),
            }));
        };
        // An empty or odd region (`AWS_REGION=` in a CI file, a typo) would otherwise
        // surface as an endpoint-construction error from the SDK.
        if !crate::valid_region(&region) {
            return Ok(Err(LoginError {
                kind: LoginErrorKind::Usage,
                message: format!(
                    "AWS region {region:?} is not a region name (from --region, AWS_REGION, \
                     AWS_DEFAULT_REGION or the profile); pass --region, e.g. us-east-1"
                ),
            }));
        }
        let conf = aws_sdk_ecr::config::Builder::from(&sdk)
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .operation_timeout(std::time::Duration::from_secs(30))
                    .build(),
            )
            .build();
        let label = token::endpoint_label(sdk.endpoint_url(), &region);
        let client = aws_sdk_ecr::Client::from_conf(conf);
        Ok(match token::get_login(&client, &label).await {
            Ok(login) => Ok((login, region, label)),
            Err(e) => Err(failed(e)),
        })
    })
    .map_err(failed)??;

    let registry = match (&args.registry, &login.registry) {
        (Some(r), _) => token::registry_host(r),
        (None, Some(r)) => r.clone(),
        (None, None) => {
            return Err(failed(format!(
                "the token from {label} names no registry; pass --registry HOST"
            )))
        }
    };
    Ok(Token {
        login,
        region,
        endpoint: label,
        registry,
    })
}

/// Log the host's Docker in to the token's registry (`docker login --password-stdin`;
/// its output goes to the terminal). Returns where Docker keeps the credentials.
pub fn docker_login(args: &LoginOptions, token: &Token) -> Result<String, LoginError> {
    let (login, registry, label) = (&token.login, &token.registry, &token.endpoint);

    let mut child = Command::new(&args.docker)
        .args([
            "login",
            "--username",
            &login.username,
            "--password-stdin",
            registry,
        ])
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run `{} login`: {e}", args.docker)))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(login.password.as_bytes())
            .and_then(|_| stdin.write_all(b"\n"))
            .map_err(|e| failed(format!("cannot pass the password to `docker login`: {e}")))?;
    }
    let status = child
        .wait()
        .map_err(|e| failed(format!("`docker login` did not finish: {e}")))?;
    if !status.success() {
        let hint = if args.registry.is_none() && label.starts_with("http") {
            " (with an ECR emulator, pass --registry HOST for the registry it stands for)"
        } else {
            ""
        };
        return Err(failed(format!(
            "`docker login {registry}` failed ({status}); see its message above{hint}"
        )));
    }
    Ok(storage_note(registry))
}

/// Where Docker keeps credentials for `registry`, read from the CLI's config file.
fn storage_note(registry: &str) -> String {
    let path = docker_config_path();
    let config: serde_json::Value = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    describe_storage(&config, registry, &path)
}

fn docker_config_path() -> PathBuf {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("config.json"),
        _ => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".docker")
            .join("config.json"),
    }
}

fn describe_storage(config: &serde_json::Value, registry: &str, path: &std::path::Path) -> String {
    let helper = config
        .get("credHelpers")
        .and_then(|h| h.get(registry))
        .or_else(|| config.get("credsStore"))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty());
    match helper {
        Some(h) => format!(
            "Credentials for {registry} are stored by the credential helper docker-credential-{h} (configured in {})",
            path.display()
        ),
        None => format!(
            "Credentials for {registry} are stored in {} (base64-encoded, not encrypted); remove them with `docker logout {registry}`",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn storage_description() {
        let p = Path::new("/h/.docker/config.json");
        let plain = describe_storage(&serde_json::json!({"auths": {}}), "r:5000", p);
        assert!(plain.contains("/h/.docker/config.json") && plain.contains("not encrypted"));
        let store = describe_storage(&serde_json::json!({"credsStore": "pass"}), "r:5000", p);
        assert!(store.contains("docker-credential-pass"));
        let per = describe_storage(
            &serde_json::json!({"credsStore": "pass", "credHelpers": {"r:5000": "ecr-login"}}),
            "r:5000",
            p,
        );
        assert!(per.contains("docker-credential-ecr-login"));
    }
}
