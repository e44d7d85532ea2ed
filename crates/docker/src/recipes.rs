//! Images built on demand from the recipes of `.travis-local/config.yml` (`images:`
//! entries with a `name` and a `bootstrap:` or `dockerfile:` recipe; parsed by
//! [`travis_local_config::local`]).
//!
//! When a job resolves to an image that has a recipe, and the image is missing and
//! cannot be pulled, it is built first: a bootstrap recipe with debootstrap → `docker
//! import` ([`crate::bootstrap`], needs root), a Dockerfile recipe with the Engine's
//! build API. One line says what is built and why, one how long it took; progress is a
//! spinner on a terminal and milestone lines on a pipe ([`Progress`]). `--pull never`
//! forbids it (environment error, exit 4). Builds of recipe images are serialised
//! between travis-local processes with a lock file, and the image is looked up again
//! once the lock is held, so two runs started together build it once.
//!
//! A built image is labelled `travis-local.recipe=<hash of the recipe>`; when a present
//! image carries another hash, the run uses it anyway and says how to rebuild it
//! (`travis-local image build --force NAME`), since rebuilding a base image silently
//! could take minutes.

use crate::bootstrap::{self, BootstrapSpec, DEFAULT_INCLUDE};
use crate::engine::{api_message, env_err, is_not_found};
use crate::images::{self, PullPolicy};
use crate::progress::Progress;
use bollard::query_parameters::BuildImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use travis_local_config::local::{ImageBuild, ImageRecipe, LocalConfig};
use travis_local_runner::executor::ExecError;

/// Default Debian mirror of bootstrap recipes.
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org/debian";
/// Label holding the recipe hash of an image built from a recipe.
pub const LABEL_RECIPE: &str = "travis-local.recipe";
/// Largest build context sent to the engine (the context is assembled in memory).
const MAX_CONTEXT_BYTES: u64 = 512 * 1024 * 1024;
/// Serialises recipe builds between travis-local processes.
const LOCK_FILE: &str = "/tmp/travis-local-image-build.lock";

/// A recipe with what is needed to build it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    pub recipe: ImageRecipe,
    /// The repository root its paths are relative to.
    pub root: PathBuf,
    /// `FILE:LINE:COL (images.KEY)`, for messages.
    pub location: String,
    /// The settings' top-level `trust_host_ca` (default of a bootstrap recipe's).
    pub trust_host_ca: bool,
}

/// Every recipe of the local settings.
pub fn from_local(local: &LocalConfig) -> Vec<Recipe> {
    let root = local
        .root()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let file = local
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| ".travis-local/config.yml".into());
    let index = travis_local_config::yaml::LineIndex::new(&local.text);
    local
        .recipes
        .iter()
        .map(|r| {
            let (line, col) = index.line_col(&local.text, r.span.0);
            Recipe {
                recipe: r.clone(),
                root: root.clone(),
                location: format!("{file}:{line}:{col} ({})", r.key),
                trust_host_ca: local.trust_host_ca.unwrap_or(false),
            }
        })
        .collect()
}

impl Recipe {
    pub fn name(&self) -> &str {
        &self.recipe.name
    }

    fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    /// (Dockerfile, context) as absolute paths, for a Dockerfile recipe.
    fn dockerfile_paths(&self) -> Option<(PathBuf, PathBuf)> {
        match &self.recipe.build {
            ImageBuild::Dockerfile {
                dockerfile,
                context,
                ..
            } => {
                let file = self.resolve(dockerfile);
                let ctx = match context {
                    Some(c) => self.resolve(c),
                    None => file
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| self.root.clone()),
                };
                Some((file, ctx))
            }
            ImageBuild::Bootstrap { .. } => None,
        }
    }

    /// The hash recorded on the built image: the recipe and, for a Dockerfile recipe,
    /// the Dockerfile's text.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(format!("{:?}", self.recipe.build).as_bytes());
        if let ImageBuild::Bootstrap { trust_host_ca, .. } = &self.recipe.build {
            h.update([u8::from(trust_host_ca.unwrap_or(self.trust_host_ca))]);
        }
        if let Some((file, _)) = self.dockerfile_paths() {
            h.update(std::fs::read(file).unwrap_or_default());
        }
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// What the recipe does, in a few words.
    pub fn describe(&self) -> String {
        match &self.recipe.build {
            ImageBuild::Bootstrap {
                suite, packages, ..
            } => format!(
                "debootstrap {suite} with {} extra package(s), then docker import; a few minutes",
                packages.len()
            ),
            ImageBuild::Dockerfile { dockerfile, .. } => {
                format!("docker build of {}", dockerfile.display())
            }
        }
    }
}

/// Id and labels of a local image; None when it is missing.
async fn inspect(
    docker: &Docker,
    image: &str,
) -> Result<Option<(String, HashMap<String, String>)>, ExecError> {
    match docker.inspect_image(image).await {
        Ok(info) => Ok(Some((
            info.id.unwrap_or_default(),
            info.config.and_then(|c| c.labels).unwrap_or_default(),
        ))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(env_err(format!(
            "cannot inspect image {image}: {}",
            api_message(&e)
        ))),
    }
}

/// Makes sure `image` is present: as [`images::ensure`], and when that fails because
/// the image is missing and cannot be pulled, builds it from its recipe.
pub async fn ensure_image(
    docker: &Docker,
    image: &str,
    policy: PullPolicy,
    recipe: Option<&Recipe>,
    progress: &Progress,
) -> Result<String, ExecError> {
    let Some(recipe) = recipe else {
        return images::ensure(docker, image, policy, &|l| progress.set_message(l)).await;
    };
    let present = inspect(docker, image).await?;
    if let Some((id, labels)) = &present {
        if policy != PullPolicy::Always {
            warn_if_stale(recipe, labels, progress);
            return Ok(id.clone());
        }
    }
    if present.is_none() && policy == PullPolicy::Never {
        return Err(env_err(format!(
            "image {image} is not present locally, and --pull never forbids building it from its recipe ({}); run without --pull never, or build it first with `travis-local image build {image}`",
            recipe.location
        )));
    }
    match images::ensure(docker, image, policy, &|l| progress.set_message(l)).await {
        Ok(id) => Ok(id),
        Err(_) if present.is_none() => {
            progress.println(&format!(
                "{image} is not present locally and cannot be pulled; building it from its recipe ({}: {})",
                recipe.location,
                recipe.describe()
            ));
            build_locked(docker, recipe, false, progress).await
        }
        Err(e) => Err(e),
    }
}

fn warn_if_stale(recipe: &Recipe, labels: &HashMap<String, String>, progress: &Progress) {
    if let Some(hash) = labels.get(LABEL_RECIPE) {
        if *hash != recipe.hash() {
            progress.println(&format!(
                "warning: {} was built from another version of its recipe ({}); using it as it is (rebuild it with `travis-local image build --force {}`)",
                recipe.name(),
                recipe.location,
                recipe.name()
            ));
        }
    }
}

/// Takes the build lock (blocking, in a worker thread); released when dropped.
async fn lock() -> Option<std::fs::File> {
    tokio::task::spawn_blocking(|| {
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_FILE)
            .ok()?;
        // SAFETY: flock on a descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        (rc == 0).then_some(file)
    })
    .await
    .ok()
    .flatten()
}

/// Builds the recipe's image under the build lock. Without `force`, an image that
/// appeared meanwhile (another process built it) is used as it is.
pub async fn build_locked(
    docker: &Docker,
    recipe: &Recipe,
    force: bool,
    progress: &Progress,
) -> Result<String, ExecError> {
    let _lock = lock().await;
    if !force {
        if let Some((id, _)) = inspect(docker, recipe.name()).await? {
            progress.println(&format!(
                "{} was built meanwhile by another travis-local process; using it",
                recipe.name()
            ));
            return Ok(id);
        }
    }
    let started = Instant::now();
    let result = match &recipe.recipe.build {
        ImageBuild::Bootstrap {
            suite,
            packages,
            mirror,
            trust_host_ca,
        } => {
            let mut include: Vec<String> = DEFAULT_INCLUDE.split(',').map(str::to_string).collect();
            for p in packages {
                if !include.contains(p) {
                    include.push(p.clone());
                }
            }
            let spec = BootstrapSpec {
                suite: suite.clone(),
                tag: recipe.name().to_string(),
                include,
                mirror: mirror.clone().unwrap_or_else(|| DEFAULT_MIRROR.into()),
                attempts: 3,
                trust_host_ca: trust_host_ca.unwrap_or(recipe.trust_host_ca),
                labels: vec![
                    ("travis-local.image".into(), "recipe".into()),
                    (LABEL_RECIPE.into(), recipe.hash()),
                ],
            };
            bootstrap::bootstrap(docker, &spec).await.map(|_| ())
        }
        ImageBuild::Dockerfile { args, .. } => {
            build_dockerfile(docker, recipe, args, progress).await
        }
    };
    if let Err(e) = result {
        return Err(env_err(format!(
            "cannot build {} from its recipe ({}): {}",
            recipe.name(),
            recipe.location,
            e.message
        )));
    }
    let id = match inspect(docker, recipe.name()).await? {
        Some((id, _)) => id,
        None => {
            return Err(env_err(format!(
                "the recipe of {} ({}) ran but produced no such image",
                recipe.name(),
                recipe.location
            )))
        }
    };
    progress.println(&format!(
        "built {} in {:.1} s",
        recipe.name(),
        started.elapsed().as_secs_f64()
    ));
    Ok(id)
}

/// The build context as a tar: the context directory (symlinks kept as links), plus the
/// Dockerfile when it lies outside it. Returns (tar, Dockerfile path inside the tar).
fn context_tar(file: &Path, ctx: &Path) -> Result<(Vec<u8>, String), String> {
    if !file.is_file() {
        return Err(format!("the Dockerfile {} does not exist", file.display()));
    }
    if !ctx.is_dir() {
        return Err(format!(
            "the build context {} is not a directory",
            ctx.display()
        ));
    }
    let size = dir_size(ctx);
    if size > MAX_CONTEXT_BYTES {
        return Err(format!(
            "the build context {} holds {} MiB (more than {} MiB); set a smaller `context:`",
            ctx.display(),
            size / (1024 * 1024),
            MAX_CONTEXT_BYTES / (1024 * 1024)
        ));
    }
    let mut tar = tar::Builder::new(Vec::new());
    tar.follow_symlinks(false);
    let io = |e: std::io::Error| format!("cannot pack the build context {}: {e}", ctx.display());
    tar.append_dir_all(".", ctx).map_err(io)?;
    let inside = match (
        std::fs::canonicalize(file).ok(),
        std::fs::canonicalize(ctx).ok(),
    ) {
        (Some(f), Some(c)) => f
            .strip_prefix(&c)
            .ok()
            .map(|p| p.to_string_lossy().into_owned()),
        _ => None,
    };
    let name = match inside {
        Some(rel) => rel,
        None => {
            let text = std::fs::read(file)
                .map_err(|e| format!("cannot read the Dockerfile {}: {e}", file.display()))?;
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            let name = ".travis-local.Dockerfile";
            tar.append_data(&mut header, name, text.as_slice())
                .map_err(io)?;
            name.to_string()
        }
    };
    let bytes = tar.into_inner().map_err(io)?;
    Ok((bytes, name))
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
        if total > MAX_CONTEXT_BYTES {
            break;
        }
    }
    total
}

async fn build_dockerfile(
    docker: &Docker,
    recipe: &Recipe,
    args: &[(String, String)],
    progress: &Progress,
) -> Result<(), ExecError> {
    let Some((file, ctx)) = recipe.dockerfile_paths() else {
        return Ok(());
    };
    let (context, dockerfile) = context_tar(&file, &ctx).map_err(env_err)?;
    let labels = HashMap::from([
        ("travis-local.image".to_string(), "recipe".to_string()),
        (LABEL_RECIPE.to_string(), recipe.hash()),
    ]);
    let buildargs: HashMap<String, String> = args.iter().cloned().collect();
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(&dockerfile)
        .t(recipe.name())
        .rm(true)
        .forcerm(true)
        // As for the Travis layer: package archives are often reachable only from the
        // host's network.
        .networkmode("host")
        .labels(&labels)
        .buildargs(&buildargs)
        .build();
    progress.set_message(&format!("building {} ({})", recipe.name(), dockerfile));
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    let mut log: Vec<String> = Vec::new();
    while let Some(item) = stream.next().await {
        let why = match item {
            Ok(info) => {
                if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                    Some(detail)
                } else {
                    for text in [info.stream, info.status].into_iter().flatten() {
                        for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
                            progress.set_message(line);
                            log.push(line.to_string());
                        }
                    }
                    None
                }
            }
            Err(e) => Some(api_message(&e)),
        };
        if let Some(why) = why {
            let start = log.len().saturating_sub(15);
            return Err(env_err(format!(
                "docker build failed: {why}{}",
                if log.is_empty() {
                    String::new()
                } else {
                    format!("\n  build log (end):\n    {}", log[start..].join("\n    "))
                }
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str, root: &Path) -> LocalConfig {
        LocalConfig::parse(&root.join(".travis-local/config.yml"), text)
    }

    #[test]
    fn recipes_know_their_root_location_and_hash() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("ci")).expect("mkdir");
        std::fs::write(dir.path().join("ci/D"), "FROM scratch\n").expect("write");
        let l = local(
            "images:\n  default: {name: t/a, dockerfile: ci/D}\n  go: {name: t/b, bootstrap: {packages: [git]}}\n",
            dir.path(),
        );
        let r = from_local(&l);
        assert_eq!(r.len(), 2);
        assert!(
            r[0].location.ends_with("config.yml:2:12 (images.default)"),
            "{}",
            r[0].location
        );
        assert_eq!(
            r[0].dockerfile_paths(),
            Some((dir.path().join("ci/D"), dir.path().join("ci")))
        );
        let h = r[0].hash();
        assert_eq!(h.len(), 16);
        std::fs::write(dir.path().join("ci/D"), "FROM scratch\nLABEL a=b\n").expect("write");
        assert_ne!(h, r[0].hash(), "the Dockerfile's text is part of the hash");
        assert!(r[1]
            .describe()
            .starts_with("debootstrap bookworm with 1 extra"));
    }

    #[test]
    fn context_tar_adds_an_outside_dockerfile() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("ctx")).expect("mkdir");
        std::fs::write(dir.path().join("ctx/f"), "x").expect("write");
        std::fs::write(dir.path().join("D"), "FROM scratch\n").expect("write");
        let (tar, name) = context_tar(&dir.path().join("D"), &dir.path().join("ctx")).expect("tar");
        assert_eq!(name, ".travis-local.Dockerfile");
        let names = crate::layer::tar_names(&tar);
        assert!(names.iter().any(|n| n.ends_with('f')), "{names:?}");
        let (_, name) = context_tar(&dir.path().join("D"), dir.path()).expect("tar");
        assert_eq!(name, "D");
        let err = context_tar(&dir.path().join("nope"), dir.path()).expect_err("missing");
        assert!(err.contains("does not exist"), "{err}");
    }
}
