//! The Travis layer: travis-local's own image on top of the job's base image, built
//! through the Engine API from a Dockerfile embedded in the binary. It adds user
//! `travis` (uid 2000) with passwordless sudo and home `/home/travis`, bash, git, the
//! en_US.UTF-8 locale and optionally the host's CA certificates. The tag is a hash of
//! everything that goes in (base image id, embedded files, certificates), so a layer is
//! built once per base and reused until one of them changes.

use crate::engine::{api_message, env_err, is_not_found};
use crate::progress::Progress;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use travis_local_runner::executor::ExecError;

const DOCKERFILE: &str = include_str!("layer/Dockerfile");
const SETUP: &str = include_str!("layer/setup.sh");
/// Bump when the layer's meaning changes in a way the embedded files do not show.
const LAYER_VERSION: &str = "1";
/// Repository of layer images (`travis-local image list` shows them).
pub const LAYER_REPO: &str = "travis-local/layer";
/// Where the host's extra CA certificates live on Debian/Ubuntu hosts.
pub const HOST_CA_DIR: &str = "/usr/local/share/ca-certificates";

/// Environment that tells common tools about the system CA bundle.
const CA_ENV: &str = " SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
GIT_SSL_CAINFO=/etc/ssl/certs/ca-certificates.crt";

/// Everything that goes into one layer build.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// The base image as the user named it.
    pub base: String,
    /// The base image's id (part of the hash: a rebuilt base gets a new layer).
    pub base_id: String,
    /// Host CA certificates to trust: (file name, PEM bytes).
    pub ca_certs: Vec<(String, Vec<u8>)>,
}

impl LayerSpec {
    /// Reads the host's CA certificates when `trust_host_ca` is set.
    pub fn new(base: &str, base_id: &str, trust_host_ca: bool) -> Result<Self, ExecError> {
        let ca_certs = if trust_host_ca {
            read_host_cas(Path::new(HOST_CA_DIR))?
        } else {
            Vec::new()
        };
        Ok(Self {
            base: base.to_string(),
            base_id: base_id.to_string(),
            ca_certs,
        })
    }

    fn dockerfile(&self) -> String {
        let env = if self.ca_certs.is_empty() { "" } else { CA_ENV };
        DOCKERFILE
            .replace("{{BASE}}", &self.base)
            .replace("{{ENV}}", env)
    }

    /// The content-hash tag, e.g. `travis-local/layer:3f2a…`.
    pub fn tag(&self) -> String {
        let mut h = Sha256::new();
        for part in [LAYER_VERSION, &self.base_id, &self.dockerfile(), SETUP] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        for (name, bytes) in &self.ca_certs {
            h.update(name.as_bytes());
            h.update(bytes);
        }
        let digest = h.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("{LAYER_REPO}:{hex}")
    }

    /// The build context (a tar with the Dockerfile and the layer files).
    pub fn context(&self) -> Result<Vec<u8>, ExecError> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8], mode: u32| -> std::io::Result<()> {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(mode);
            header.set_mtime(0);
            header.set_cksum();
            builder.append_data(&mut header, path, data)
        };
        let result = (|| -> std::io::Result<()> {
            add("Dockerfile", self.dockerfile().as_bytes(), 0o644)?;
            add("travis-local-layer/setup.sh", SETUP.as_bytes(), 0o755)?;
            add("travis-local-layer/ca/.keep", b"", 0o644)?;
            for (name, bytes) in &self.ca_certs {
                add(&format!("travis-local-layer/ca/{name}"), bytes, 0o644)?;
            }
            Ok(())
        })();
        result.map_err(|e| {
            env_err(format!(
                "cannot assemble the Travis layer build context: {e}"
            ))
        })?;
        builder.into_inner().map_err(|e| {
            env_err(format!(
                "cannot assemble the Travis layer build context: {e}"
            ))
        })
    }
}

/// The `*.crt` files of `dir`, sorted by name (missing dir → none).
pub fn read_host_cas(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ExecError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(env_err(format!(
                "--trust-host-ca: cannot read {}: {e}",
                dir.display()
            )))
        }
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if !name.ends_with(".crt") || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| {
            env_err(format!(
                "--trust-host-ca: cannot read {}: {e}",
                path.display()
            ))
        })?;
        out.push((name, bytes));
    }
    out.sort();
    Ok(out)
}

/// Returns the layer tag for `spec`, building it when it does not exist yet. Build
/// output is shown through `progress`; a failed build is an environment error that
/// quotes the end of the build log.
pub async fn ensure(
    docker: &Docker,
    spec: &LayerSpec,
    progress: &Progress,
) -> Result<String, ExecError> {
    let tag = spec.tag();
    match docker.inspect_image(&tag).await {
        Ok(_) => return Ok(tag),
        Err(e) if is_not_found(&e) => {}
        Err(e) => {
            return Err(env_err(format!(
                "cannot inspect image {tag}: {}",
                api_message(&e)
            )))
        }
    }
    progress.set_message(&format!(
        "building the Travis layer for {} ({tag})",
        spec.base
    ));
    let mut labels = HashMap::new();
    labels.insert("travis-local.layer".to_string(), "1".to_string());
    labels.insert("travis-local.base".to_string(), spec.base.clone());
    let options = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(&tag)
        .rm(true)
        .forcerm(true)
        .pull("false")
        // Package archives are often unreachable from bridge-networked containers.
        .networkmode("host")
        .labels(&labels)
        .build();
    let context = spec.context()?;
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut log: Vec<String> = Vec::new();
    let mut failure: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                    failure = Some(detail);
                    break;
                }
                for text in [info.stream, info.status].into_iter().flatten() {
                    for line in text.lines() {
                        let line = line.trim_end();
                        if !line.is_empty() {
                            progress.set_message(line);
                            log.push(line.to_string());
                        }
                    }
                }
            }
            Err(e) => {
                failure = Some(api_message(&e));
                break;
            }
        }
    }
    if let Some(why) = failure {
        let tail: Vec<&str> = log
            .iter()
            .rev()
            .take(15)
            .rev()
            .map(String::as_str)
            .collect();
        return Err(env_err(format!(
            "building the Travis layer on {} failed: {why}{}",
            spec.base,
            if tail.is_empty() {
                String::new()
            } else {
                format!("\n  build log (end):\n    {}", tail.join("\n    "))
            }
        )));
    }
    match docker.inspect_image(&tag).await {
        Ok(_) => {
            progress.println(&format!("built the Travis layer {tag} on {}", spec.base));
            Ok(tag)
        }
        Err(e) => Err(env_err(format!(
            "the Travis layer build for {} ended without producing {tag}: {}",
            spec.base,
            api_message(&e)
        ))),
    }
}

/// The paths in a tar archive (tests of the build contexts).
#[cfg(test)]
pub(crate) fn tar_names(tar: &[u8]) -> Vec<String> {
    tar::Archive::new(tar)
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(base_id: &str, certs: Vec<(String, Vec<u8>)>) -> LayerSpec {
        LayerSpec {
            base: "img:1".into(),
            base_id: base_id.into(),
            ca_certs: certs,
        }
    }

    #[test]
    fn tag_depends_on_inputs() {
        let a = spec("sha256:a", vec![]).tag();
        assert!(
            a.starts_with("travis-local/layer:") && a.len() == LAYER_REPO.len() + 17,
            "{a}"
        );
        assert_eq!(a, spec("sha256:a", vec![]).tag());
        assert_ne!(a, spec("sha256:b", vec![]).tag());
        assert_ne!(
            a,
            spec("sha256:a", vec![("x.crt".into(), b"pem".to_vec())]).tag()
        );
    }

    #[test]
    fn dockerfile_and_context() {
        let s = spec("id", vec![("x.crt".into(), b"pem".to_vec())]);
        let df = s.dockerfile();
        assert!(
            df.contains("FROM img:1") && df.contains("PIP_CERT="),
            "{df}"
        );
        assert!(!spec("id", vec![]).dockerfile().contains("PIP_CERT"));
        let ctx = s.context().expect("context");
        let names = tar_names(&ctx);
        assert!(names.contains(&"Dockerfile".to_string()));
        assert!(
            names.contains(&"travis-local-layer/ca/x.crt".to_string()),
            "{names:?}"
        );
    }

    #[test]
    fn host_cas_missing_dir_is_empty() {
        assert!(read_host_cas(Path::new("/nonexistent/tl"))
            .expect("ok")
            .is_empty());
    }
}
