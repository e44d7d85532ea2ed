//! Which engine to talk to, decided as the docker CLI decides it: `DOCKER_HOST` first,
//! then the context named by `DOCKER_CONTEXT`, then `currentContext` of
//! `$DOCKER_CONFIG/config.json` (default `~/.docker`), then the local socket. A
//! context's endpoint is read from
//! `$DOCKER_CONFIG/contexts/meta/<sha256(name)>/meta.json` (`Endpoints.docker.Host`),
//! its TLS material from `contexts/tls/<sha256(name)>/docker/`.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The resolved engine endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `unix://…`, `tcp://…`, `ssh://…`.
    pub host: String,
    /// Where the choice came from (for messages): `DOCKER_HOST`, `context NAME`, `default`.
    pub source: String,
    /// TLS is asked for (`DOCKER_TLS_VERIFY`, or a context with TLS material).
    pub tls: bool,
    /// Where `ca.pem`, `cert.pem` and `key.pem` are when `tls`: `DOCKER_CERT_PATH`
    /// (default: the docker config directory) with `DOCKER_TLS_VERIFY`, else the
    /// context's `contexts/tls/<sha256(name)>/docker/`.
    pub cert_dir: Option<PathBuf>,
    /// The context says `SkipTLSVerify: true`.
    pub skip_verify: bool,
}

fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".docker"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Resolves from the process environment and the docker CLI's files.
pub fn resolve() -> Result<Endpoint, String> {
    let config = config_dir();
    let mut e = resolve_with(
        env("DOCKER_HOST"),
        env("DOCKER_CONTEXT"),
        env("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0"),
        config.as_deref(),
    )?;
    if e.tls && e.cert_dir.is_none() {
        e.cert_dir = env("DOCKER_CERT_PATH").map(PathBuf::from).or(config);
    }
    Ok(e)
}

/// The same, with every input given (testable).
pub fn resolve_with(
    docker_host: Option<String>,
    docker_context: Option<String>,
    tls_verify: bool,
    config: Option<&Path>,
) -> Result<Endpoint, String> {
    if let Some(host) = docker_host {
        return Ok(Endpoint {
            host,
            source: "DOCKER_HOST".into(),
            tls: tls_verify,
            cert_dir: None,
            skip_verify: false,
        });
    }
    let (name, from) = match docker_context {
        Some(name) => (Some(name), "DOCKER_CONTEXT"),
        None => (current_context(config)?, "currentContext in config.json"),
    };
    let default = Endpoint {
        host: DEFAULT_HOST.into(),
        source: "default".into(),
        tls: tls_verify,
        cert_dir: None,
        skip_verify: false,
    };
    let Some(name) = name.filter(|n| n != "default") else {
        return Ok(default);
    };
    let Some(config) = config else {
        return Err(format!(
            "Docker context {name:?} ({from}): no docker config directory (set DOCKER_CONFIG or HOME)"
        ));
    };
    let hash = hex(&Sha256::digest(name.as_bytes()));
    let meta_path = config.join("contexts/meta").join(&hash).join("meta.json");
    let text = std::fs::read_to_string(&meta_path).map_err(|e| {
        format!(
            "Docker context {name:?} ({from}) not found: cannot read {}: {e}",
            meta_path.display()
        )
    })?;
    let meta: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", meta_path.display()))?;
    let host = meta
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            format!(
                "{}: Docker context {name:?} has no Endpoints.docker.Host",
                meta_path.display()
            )
        })?;
    let tls_dir = config.join("contexts/tls").join(&hash).join("docker");
    let has_tls = ["ca.pem", "cert.pem", "key.pem"]
        .iter()
        .any(|f| tls_dir.join(f).is_file());
    Ok(Endpoint {
        host: host.to_string(),
        source: format!("context {name}"),
        tls: tls_verify || has_tls,
        cert_dir: has_tls.then_some(tls_dir),
        skip_verify: meta
            .pointer("/Endpoints/docker/SkipTLSVerify")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    })
}

fn current_context(config: Option<&Path>) -> Result<Option<String>, String> {
    let Some(config) = config else {
        return Ok(None);
    };
    let path = config.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    Ok(value
        .get("currentContext")
        .and_then(|c| c.as_str())
        .filter(|c| !c.is_empty())
        .map(str::to_string))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_context(dir: &Path, name: &str, host: &str) {
        let hash = hex(&Sha256::digest(name.as_bytes()));
        let meta = dir.join("contexts/meta").join(hash);
        std::fs::create_dir_all(&meta).unwrap();
        let json = serde_json::json!({"Name": name, "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": false}}});
        std::fs::write(meta.join("meta.json"), json.to_string()).unwrap();
    }

    #[test]
    fn docker_host_wins_then_context_then_config_then_default() {
        let dir = tempfile::tempdir().unwrap();
        write_context(dir.path(), "far", "tcp://10.0.0.9:2375");
        write_context(dir.path(), "near", "unix:///run/near.sock");
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"currentContext":"near"}"#,
        )
        .unwrap();
        let d = Some(dir.path());
        let e = resolve_with(Some("tcp://h:1".into()), Some("far".into()), false, d).unwrap();
        assert_eq!(
            (e.host.as_str(), e.source.as_str()),
            ("tcp://h:1", "DOCKER_HOST")
        );
        let e = resolve_with(None, Some("far".into()), false, d).unwrap();
        assert_eq!(e.host, "tcp://10.0.0.9:2375");
        assert_eq!(e.source, "context far");
        assert!(!e.tls);
        let e = resolve_with(None, None, false, d).unwrap();
        assert_eq!(e.host, "unix:///run/near.sock");
        let e = resolve_with(None, Some("default".into()), false, d).unwrap();
        assert_eq!(e.host, DEFAULT_HOST);
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(
            resolve_with(None, None, false, Some(empty.path()))
                .unwrap()
                .host,
            DEFAULT_HOST
        );
    }

    #[test]
    fn missing_context_and_tls_material() {
        let dir = tempfile::tempdir().unwrap();
        let err = resolve_with(None, Some("nope".into()), false, Some(dir.path())).unwrap_err();
        assert!(
            err.contains("\"nope\"") && err.contains("DOCKER_CONTEXT"),
            "{err}"
        );
        write_context(dir.path(), "secure", "tcp://h:2376");
        let hash = hex(&Sha256::digest(b"secure"));
        let tls = dir.path().join("contexts/tls").join(hash).join("docker");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(tls.join("ca.pem"), "x").unwrap();
        let e = resolve_with(None, Some("secure".into()), false, Some(dir.path())).unwrap();
        assert!(e.tls);
        assert_eq!(e.cert_dir.as_deref(), Some(tls.as_path()));
        std::fs::write(dir.path().join("config.json"), "{").unwrap();
        assert!(resolve_with(None, None, false, Some(dir.path())).is_err());
    }
}
