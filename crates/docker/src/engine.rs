//! Connecting to the Docker engine: one tokio runtime per process (the rest of
//! travis-local is synchronous), `DOCKER_HOST` honoured, API version negotiated (Debian's
//! 20.10 engine speaks only API 1.41, newer bollard releases would otherwise send a
//! too-new version prefix), and errors reduced to one readable line.

use bollard::Docker;
use std::path::Path;
use std::time::Duration;
use travis_local_runner::executor::ExecError;

/// Where the engine is, as the user configured it: `DOCKER_HOST`, else the current
/// Docker context (see [`crate::context`]), else the local socket.
pub fn docker_host() -> String {
    crate::context::resolve()
        .map(|e| e.host)
        .unwrap_or_else(|_| crate::context::DEFAULT_HOST.to_string())
}

/// The local socket path when the engine is reached through a unix socket.
pub fn local_socket() -> Option<String> {
    docker_host().strip_prefix("unix://").map(str::to_string)
}

/// A multi-threaded runtime small enough for a 2-core machine.
pub fn runtime() -> Result<tokio::runtime::Runtime, ExecError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("travis-local-docker")
        .enable_all()
        .build()
        .map_err(|e| env_err(format!("cannot start the async runtime: {e}")))
}

/// Connects and negotiates the API version. Fails with a one-line environment error.
///
/// `unix://` and plain `tcp://` as given; `tcp://` with TLS (`DOCKER_TLS_VERIFY`, or a
/// context with TLS material) through rustls with the CA, client certificate and key
/// of [`crate::context::Endpoint::cert_dir`], as the docker CLI; `ssh://` through the
/// system `ssh` behind a private unix socket ([`crate::ssh`]).
pub async fn connect() -> Result<Docker, ExecError> {
    let endpoint = crate::context::resolve().map_err(env_err)?;
    let host = endpoint.host.clone();
    let unreachable = |cause: String| {
        env_err(format!(
            "cannot reach the Docker engine at {host}: {cause} (is the daemon running? set DOCKER_HOST or use --executor host)"
        ))
    };
    let docker = if host.starts_with("ssh://") {
        let socket = crate::ssh::local_socket_for(&host).map_err(&unreachable)?;
        Docker::connect_with_unix(&socket, 120, bollard::API_DEFAULT_VERSION)
    } else if endpoint.tls && !host.starts_with("unix://") {
        connect_tls(&endpoint)?
    } else if host.starts_with("tcp://") || host.starts_with("http://") {
        // Not connect_with_host: it would switch to TLS on a DOCKER_TLS_VERIFY that
        // is set but empty or "0", which the docker CLI (and [`crate::context`]) ignore.
        Docker::connect_with_http(&host, 120, bollard::API_DEFAULT_VERSION)
    } else {
        Docker::connect_with_host(&host)
    }
    .map_err(|e| unreachable(one_line(&e)))?;
    let why = |e: &bollard::errors::Error| {
        let mut cause = one_line(e);
        if let Some(ssh) = crate::ssh::last_error(&host) {
            cause.push_str(&format!(" (ssh: {})", ssh.replace('\n', "; ")));
        }
        if endpoint.tls && !host.starts_with("unix://") {
            let dir = endpoint.cert_dir.as_deref().unwrap_or(Path::new("?"));
            cause = format!(
                "TLS connection failed: {cause} (CA, certificate and key from {}, {})",
                dir.display(),
                endpoint.source
            );
        }
        cause
    };
    // Probing `/version` must not hang forever on a dead TCP endpoint.
    let negotiated = tokio::time::timeout(Duration::from_secs(15), docker.negotiate_version())
        .await
        .map_err(|_| unreachable("no answer within 15 s".into()))?
        .map_err(|e| unreachable(why(&e)))?;
    // Streams (exec output, builds) are not cut by this; it bounds request heads only.
    Ok(negotiated.with_timeout(Duration::from_secs(600)))
}

/// The rustls client of a TLS endpoint (server verified against `ca.pem`; `cert.pem`
/// and `key.pem` presented as the client certificate).
fn connect_tls(
    endpoint: &crate::context::Endpoint,
) -> Result<Result<Docker, bollard::errors::Error>, ExecError> {
    let host = &endpoint.host;
    if endpoint.skip_verify {
        return Err(env_err(format!(
            "the Docker engine at {host} ({}) is set to skip TLS verification, which travis-local does not do; give the context the engine's CA (docker context update --docker ca=…)",
            endpoint.source
        )));
    }
    let Some(dir) = endpoint.cert_dir.as_deref() else {
        return Err(env_err(format!(
            "the Docker engine at {host} ({}) needs TLS but no certificate directory is known (set DOCKER_CERT_PATH)",
            endpoint.source
        )));
    };
    let ca = dir.join("ca.pem");
    if !ca.is_file() {
        return Err(env_err(format!(
            "the Docker engine at {host} ({}) needs TLS: no CA certificate at {}",
            endpoint.source,
            ca.display()
        )));
    }
    let url = host.replacen("tcp://", "https://", 1);
    Ok(Docker::connect_with_ssl(
        &url,
        &dir.join("key.pem"),
        &dir.join("cert.pem"),
        &ca,
        120,
        bollard::API_DEFAULT_VERSION,
    ))
}

/// Blocks on an executor's end-of-run cleanup, bounded by `limit`; past it, an
/// environment error that points at `travis-local clean`.
pub fn bounded_cleanup(
    rt: &tokio::runtime::Runtime,
    what: &str,
    limit: Duration,
    cleanup: impl std::future::Future<Output = Result<(), ExecError>>,
) -> Result<(), ExecError> {
    // The timer is made inside the runtime (it needs its time driver).
    rt.block_on(async { tokio::time::timeout(limit, cleanup).await })
        .unwrap_or_else(|_| {
            Err(env_err(format!(
                "cleanup of {what} timed out after {} s; run `travis-local clean`",
                limit.as_secs()
            )))
        })
}

/// An environment error (exit 4).
pub fn env_err(message: impl Into<String>) -> ExecError {
    ExecError {
        environment: true,
        message: message.into(),
    }
}

/// An operational error that is not the environment's fault (exit 2 via the runner).
pub fn op_err(message: impl Into<String>) -> ExecError {
    ExecError {
        environment: false,
        message: message.into(),
    }
}

/// The error and its sources, on one line, without repeating identical parts.
pub fn one_line(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().replace('\n', " ").trim().to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    if parts.is_empty() {
        "unknown error".into()
    } else {
        parts.join(": ")
    }
}

/// Is this bollard error a 404 from the engine?
pub fn is_not_found(err: &bollard::errors::Error) -> bool {
    matches!(
        err,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Message carried by a bollard error, without the status-code decoration.
pub fn api_message(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        bollard::errors::Error::DockerStreamError { error } => error.clone(),
        other => one_line(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_sources() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file\nor directory");
        assert_eq!(one_line(&io), "No such file or directory");
    }
}
