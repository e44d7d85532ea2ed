//! Connecting to the Docker engine: one tokio runtime per process (the rest of
//! travis-local is synchronous), `DOCKER_HOST` honoured, API version negotiated (Debian's
//! 20.10 engine speaks only API 1.41, newer bollard releases would otherwise send a
//! too-new version prefix), and errors reduced to one readable line.

use bollard::Docker;
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
pub async fn connect() -> Result<Docker, ExecError> {
    let endpoint = crate::context::resolve().map_err(env_err)?;
    let host = endpoint.host.clone();
    let unreachable = |cause: String| {
        env_err(format!(
            "cannot reach the Docker engine at {host}: {cause} (is the daemon running? set DOCKER_HOST or use --executor host)"
        ))
    };
    if endpoint.tls && !host.starts_with("unix://") {
        return Err(env_err(format!(
            "the Docker engine at {host} ({}) needs TLS (DOCKER_TLS_VERIFY or the context's TLS material), which this build of travis-local does not support; use a unix socket, plain tcp on a trusted network, or an SSH tunnel",
            endpoint.source
        )));
    }
    let docker = Docker::connect_with_host(&host).map_err(|e| unreachable(one_line(&e)))?;
    // Probing `/version` must not hang forever on a dead TCP endpoint.
    let negotiated = tokio::time::timeout(Duration::from_secs(15), docker.negotiate_version())
        .await
        .map_err(|_| unreachable("no answer within 15 s".into()))?
        .map_err(|e| unreachable(one_line(&e)))?;
    // Streams (exec output, builds) are not cut by this; it bounds request heads only.
    Ok(negotiated.with_timeout(Duration::from_secs(600)))
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
