//! `travis-local image bootstrap` and `image list`: a Debian base image without any
//! registry (debootstrap into a scratch directory, then `docker import` of its tar
//! through the Engine API's `POST /images/create?fromSrc=-`), retrying the flaky
//! downloads; and a listing of the images travis-local made.

use crate::engine::{api_message, env_err, op_err};
use crate::layer::{read_host_cas, HOST_CA_DIR};
use crate::progress::Progress;
use bollard::query_parameters::{CreateImageOptionsBuilder, ListImagesOptionsBuilder};
use bollard::Docker;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use travis_local_runner::executor::ExecError;

/// Packages of the default bootstrap image (on top of debootstrap's minbase).
pub const DEFAULT_INCLUDE: &str = "bash,sudo,git,ca-certificates,curl,locales,procps";

/// What to bootstrap.
#[derive(Debug, Clone)]
pub struct BootstrapSpec {
    pub suite: String,
    pub tag: String,
    pub include: Vec<String>,
    pub mirror: String,
    pub attempts: u32,
    pub trust_host_ca: bool,
    /// Extra image labels (`travis-local.recipe=…` for images built from a recipe).
    pub labels: Vec<(String, String)>,
}

fn find_debootstrap() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin", "/usr/bin"].iter().map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("debootstrap"))
        .find(|p| p.is_file())
}

async fn install_debootstrap(progress: &Progress) -> Result<PathBuf, ExecError> {
    progress.set_message("debootstrap is missing; installing it with apt-get");
    let status = tokio::process::Command::new("apt-get")
        .args(["install", "-y", "-qq", "debootstrap"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await;
    match (status, find_debootstrap()) {
        (_, Some(p)) => Ok(p),
        (Err(e), None) => Err(env_err(format!(
            "debootstrap is not installed and apt-get could not run ({e}); install debootstrap"
        ))),
        (Ok(_), None) => Err(env_err(
            "debootstrap is not installed and `apt-get install debootstrap` failed; install it",
        )),
    }
}

/// Runs debootstrap once, showing its `I: ...` lines as progress.
async fn debootstrap_once(
    bin: &Path,
    spec: &BootstrapSpec,
    root: &Path,
    progress: &Progress,
) -> Result<(), String> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--variant=minbase");
    if !spec.include.is_empty() {
        cmd.arg(format!("--include={}", spec.include.join(",")));
    }
    cmd.arg(&spec.suite).arg(root).arg(&spec.mirror);
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let mut tail: Vec<String> = Vec::new();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for reader in [
        stdout.map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        stderr.map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(reader).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    while let Some(line) = rx.recv().await {
        progress.set_message(&format!("debootstrap: {line}"));
        tail.push(line);
        if tail.len() > 8 {
            tail.remove(0);
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| format!("debootstrap: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "debootstrap exited with {status}:\n    {}",
            tail.join("\n    ")
        ))
    }
}

async fn chroot(root: &Path, args: &[&str]) -> bool {
    tokio::process::Command::new("chroot")
        .arg(root)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Makes the rootfs smaller and container-friendly; adds the locale and host CAs.
async fn finish_rootfs(
    root: &Path,
    spec: &BootstrapSpec,
    progress: &Progress,
) -> Result<(), ExecError> {
    let locale_gen = root.join("etc/locale.gen");
    if let Ok(text) = std::fs::read_to_string(&locale_gen) {
        let mut text: String = text
            .lines()
            .map(|l| {
                if l.trim_start_matches(['#', ' ']) == "en_US.UTF-8 UTF-8" {
                    "en_US.UTF-8 UTF-8"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        if !text.lines().any(|l| l == "en_US.UTF-8 UTF-8") {
            text.push_str("\nen_US.UTF-8 UTF-8");
        }
        text.push('\n');
        let _ = std::fs::write(&locale_gen, text);
        if !chroot(root, &["locale-gen"]).await {
            progress.println("warning: locale-gen failed in the new rootfs");
        }
    }
    if spec.trust_host_ca {
        let certs = read_host_cas(Path::new(HOST_CA_DIR))?;
        let dir = root.join("usr/local/share/ca-certificates");
        if !certs.is_empty() && std::fs::create_dir_all(&dir).is_ok() {
            for (name, bytes) in &certs {
                let _ = std::fs::write(dir.join(name), bytes);
            }
            if !chroot(root, &["update-ca-certificates"]).await {
                progress.println(
                    "warning: update-ca-certificates failed (is ca-certificates included?)",
                );
            }
        }
    }
    let _ = chroot(root, &["apt-get", "clean"]).await;
    for dir in ["var/lib/apt/lists", "var/cache/apt/archives"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            for e in entries.flatten() {
                if e.path().is_file() {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    let _ = std::fs::write(root.join("etc/resolv.conf"), "");
    let _ = std::fs::write(root.join("etc/hostname"), "");
    Ok(())
}

/// Streams `tar -C root .` into `docker import`.
async fn import(
    docker: &Docker,
    root: &Path,
    spec: &BootstrapSpec,
    progress: &Progress,
) -> Result<String, ExecError> {
    progress.set_message(&format!("importing the rootfs as {}", spec.tag));
    let mut tar = tokio::process::Command::new("tar")
        .args(["--numeric-owner", "-C"])
        .arg(root)
        .args(["-cf", "-", "."])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| env_err(format!("cannot run tar: {e}")))?;
    let stdout = tar
        .stdout
        .take()
        .ok_or_else(|| op_err("tar has no stdout"))?;
    let body = bollard::body_try_stream(tokio_util::io::ReaderStream::new(stdout));
    let (repo, tag) = crate::images::split_reference(&spec.tag);
    let mut changes = vec![
        "CMD [\"/bin/bash\"]".to_string(),
        "ENV LANG=en_US.UTF-8".to_string(),
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        format!(
            "LABEL travis-local.image=bootstrap travis-local.suite={}",
            spec.suite
        ),
    ];
    for (k, v) in &spec.labels {
        changes.push(format!("LABEL {k}={v}"));
    }
    let opts = CreateImageOptionsBuilder::default()
        .from_src("-")
        .repo(&repo)
        .tag(&tag)
        .changes(changes)
        .build();
    let mut stream = docker.create_image(Some(opts), Some(body), None);
    let mut id = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(s) = info.status {
                    id = s;
                }
            }
            Err(e) => {
                return Err(env_err(format!(
                    "docker import of {} failed: {}",
                    spec.tag,
                    api_message(&e)
                )))
            }
        }
    }
    let status = tar.wait().await.map_err(|e| op_err(format!("tar: {e}")))?;
    if !status.success() {
        return Err(op_err(format!(
            "tar of {} failed ({status})",
            root.display()
        )));
    }
    Ok(id)
}

/// The whole bootstrap. Needs root.
pub async fn bootstrap(docker: &Docker, spec: &BootstrapSpec) -> Result<String, ExecError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(env_err(
            "image bootstrap needs root (debootstrap and chroot): run it with sudo",
        ));
    }
    let progress = Progress::new("bootstrap");
    let bin = match find_debootstrap() {
        Some(p) => p,
        None => install_debootstrap(&progress).await?,
    };
    let work = tempfile::Builder::new()
        .prefix("travis-local-bootstrap.")
        .tempdir_in("/var/tmp")
        .map_err(|e| {
            env_err(format!(
                "cannot create a scratch directory in /var/tmp: {e}"
            ))
        })?;
    let root = work.path().join("rootfs");
    let started = std::time::Instant::now();
    let mut attempt = 1;
    loop {
        progress.set_message(&format!(
            "debootstrap {} from {} (attempt {attempt}/{})",
            spec.suite, spec.mirror, spec.attempts
        ));
        match debootstrap_once(&bin, spec, &root, &progress).await {
            Ok(()) => break,
            Err(why) if attempt < spec.attempts => {
                progress.println(&format!("attempt {attempt} failed, retrying: {why}"));
                let _ = std::fs::remove_dir_all(&root);
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                attempt += 1;
            }
            Err(why) => {
                return Err(env_err(format!(
                    "debootstrap failed {} time(s): {why}",
                    spec.attempts
                )))
            }
        }
    }
    progress.println(&format!(
        "debootstrap finished in {} s",
        started.elapsed().as_secs()
    ));
    finish_rootfs(&root, spec, &progress).await?;
    let id = import(docker, &root, spec, &progress).await?;
    progress.println(&format!(
        "imported {} in {} s total",
        spec.tag,
        started.elapsed().as_secs()
    ));
    Ok(id)
}

/// One line of `image list`.
#[derive(Debug, Clone)]
pub struct ListedImage {
    pub reference: String,
    pub id: String,
    pub size_mb: f64,
    pub kind: String,
    pub detail: String,
}

/// Images travis-local made: bootstrap/busybox imports and Travis layers.
pub async fn list(docker: &Docker) -> Result<Vec<ListedImage>, ExecError> {
    let all = docker
        .list_images(Some(ListImagesOptionsBuilder::default().build()))
        .await
        .map_err(|e| env_err(format!("cannot list images: {}", api_message(&e))))?;
    let mut out = Vec::new();
    for img in all {
        let labels: &HashMap<String, String> = &img.labels;
        // Labels are inherited by images built FROM ours: only our own names count.
        let ours: Vec<String> = img
            .repo_tags
            .iter()
            .filter(|t| t.starts_with("travis-local/"))
            .cloned()
            .collect();
        if ours.is_empty() {
            continue;
        }
        let kind = if labels.contains_key("travis-local.layer") {
            "travis layer".to_string()
        } else if let Some(k) = labels.get("travis-local.image") {
            k.clone()
        } else {
            "other".to_string()
        };
        let detail = labels
            .get("travis-local.base")
            .map(|b| format!("on {b}"))
            .or_else(|| {
                labels
                    .get("travis-local.suite")
                    .map(|s| format!("debian {s}"))
            })
            .unwrap_or_default();
        let short = img
            .id
            .trim_start_matches("sha256:")
            .chars()
            .take(12)
            .collect::<String>();
        for reference in ours {
            out.push(ListedImage {
                reference,
                id: short.clone(),
                size_mb: img.size as f64 / 1_000_000.0,
                kind: kind.clone(),
                detail: detail.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(out)
}
