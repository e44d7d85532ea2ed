//! `travis-local image` and `travis-local clean`: the work behind the subcommands (their
//! flags are parsed by the binary). They return data or an [`ImageError`] (and
//! [`clean`] a [`CleanReport`]); the binary prints them and picks the exit code. Only the
//! progress of long image builds goes to stderr from here, as it happens.

use crate::bootstrap::{self, BootstrapSpec, DEFAULT_INCLUDE};
use travis_local_runner::executor::ExecError;

/// `image bootstrap` settings.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    pub suite: String,
    /// Image name [default: travis-local/<suite>:base].
    pub tag: Option<String>,
    /// Extra packages (added to [`DEFAULT_INCLUDE`]).
    pub include: Vec<String>,
    pub mirror: String,
    pub attempts: u32,
    pub trust_host_ca: bool,
}

/// `clean` settings.
#[derive(Debug, Clone, Default)]
pub struct CleanOptions {
    /// Only what the run with this id left.
    pub run: Option<String>,
    /// Also remove the cached layer images.
    pub images: bool,
    /// Also remove containers of runs still in progress.
    pub all: bool,
    /// Also remove every build cache (`cache:` volumes and host cache directories).
    pub caches: bool,
}

/// Why an `image` subcommand failed.
#[derive(Debug)]
pub enum ImageError {
    /// A bad flag value or an image name without a recipe (exit 2).
    Usage(String),
    /// `.travis-local/config.yml` is invalid (exit 3).
    Settings(String),
    /// The engine or the build failed (`environment`: no engine, no root, no debootstrap,
    /// a failed build, exit 4; else exit 1).
    Exec(ExecError),
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Usage(m) | ImageError::Settings(m) => f.write_str(m),
            ImageError::Exec(e) => f.write_str(&e.message),
        }
    }
}

impl std::error::Error for ImageError {}

impl From<ExecError> for ImageError {
    fn from(e: ExecError) -> Self {
        ImageError::Exec(e)
    }
}

fn with_engine<T>(
    f: impl FnOnce(
        bollard::Docker,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ExecError>>>>,
) -> Result<T, ExecError> {
    let rt = crate::engine::runtime()?;
    rt.block_on(async {
        let docker = crate::engine::connect().await?;
        f(docker).await
    })
}

/// `travis-local image bootstrap`: builds the base image; returns its tag.
pub fn image_bootstrap(b: &BootstrapOptions) -> Result<String, ImageError> {
    let mut include: Vec<String> = DEFAULT_INCLUDE.split(',').map(str::to_string).collect();
    for pkg in &b.include {
        let pkg = pkg.trim();
        if pkg.is_empty() || pkg.starts_with('-') || pkg.contains(char::is_whitespace) {
            return Err(ImageError::Usage(format!(
                "--include: invalid package name {pkg:?}"
            )));
        }
        if !include.iter().any(|p| p == pkg) {
            include.push(pkg.to_string());
        }
    }
    if b.attempts == 0 {
        return Err(ImageError::Usage("--attempts must be at least 1".into()));
    }
    let spec = BootstrapSpec {
        suite: b.suite.clone(),
        tag: b
            .tag
            .clone()
            .unwrap_or_else(|| format!("travis-local/{}:base", b.suite)),
        include,
        mirror: b.mirror.clone(),
        attempts: b.attempts,
        trust_host_ca: b.trust_host_ca,
        labels: Vec::new(),
    };
    let tag = spec.tag.clone();
    with_engine(move |d| Box::pin(async move { bootstrap::bootstrap(&d, &spec).await }))?;
    Ok(tag)
}

/// What `image build` did.
#[derive(Debug)]
pub enum Built {
    /// No image has a recipe in `.travis-local/config.yml`.
    NoRecipes,
    /// The images built (the others were present and not `--force`d).
    Images(Vec<String>),
}

/// `image build`: builds the images that have a recipe in the local settings `local` of
/// the repository at `root` (all, or those in `names`); `force` rebuilds present ones. Progress
/// goes to stderr as it happens.
pub fn image_build(
    root: &std::path::Path,
    local: &travis_local_config::local::LocalConfig,
    names: &[String],
    force: bool,
) -> Result<Built, ImageError> {
    let recipes = crate::recipes::from_local(local);
    for name in names {
        if !recipes.iter().any(|r| r.name() == name) {
            let known: Vec<&str> = recipes.iter().map(|r| r.name()).collect();
            return Err(ImageError::Usage(format!(
                "{name} has no recipe in {} (images with a recipe: {})",
                travis_local_config::local::path_in(root).display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
    }
    let chosen: Vec<crate::recipes::Recipe> = recipes
        .into_iter()
        .filter(|r| names.is_empty() || names.iter().any(|n| n == r.name()))
        .collect();
    if chosen.is_empty() {
        return Ok(Built::NoRecipes);
    }
    let built = with_engine(move |d| {
        Box::pin(async move {
            let progress = crate::progress::Progress::new("image build");
            let mut built = Vec::new();
            for r in &chosen {
                let present = d.inspect_image(r.name()).await.is_ok();
                if present && !force {
                    progress.println(&format!("{} is present (--force rebuilds it)", r.name()));
                    continue;
                }
                progress.println(&format!(
                    "building {} from its recipe ({}: {})",
                    r.name(),
                    r.location,
                    r.describe()
                ));
                crate::recipes::build_locked(&d, r, true, &progress).await?;
                built.push(r.name().to_string());
            }
            Ok(built)
        })
    })?;
    Ok(Built::Images(built))
}

/// `travis-local image list`: the images travis-local made.
pub fn image_list() -> Result<Vec<bootstrap::ListedImage>, ImageError> {
    Ok(with_engine(|d| {
        Box::pin(async move { bootstrap::list(&d).await })
    })?)
}

/// What `travis-local clean` did (the binary prints it and picks the exit code).
#[derive(Debug, Default)]
pub struct CleanReport {
    /// State files that could not be read (path, why): left for the user.
    pub ignored: Vec<(std::path::PathBuf, String)>,
    /// The runs recorded in state files (crashed or killed runs).
    pub stale: crate::clean::StaleCleaned,
    /// The label sweep of the engine.
    pub swept: crate::clean::Cleaned,
    /// The sweep failed after the engine answered.
    pub sweep_error: Option<ExecError>,
    /// The engine was needed and did not answer: Docker leftovers were not checked.
    pub engine_error: Option<String>,
    /// `--caches`: how many build caches were removed, and what could not be.
    pub caches: Option<(usize, Vec<String>)>,
    /// Runs still in progress, left alone.
    pub live_runs: usize,
    /// Run records of other hosts, left alone.
    pub other_host: usize,
}

/// `travis-local clean`. Errs only when it cannot start (no async runtime).
pub fn clean(args: &CleanOptions) -> Result<CleanReport, ExecError> {
    use travis_local_runner::state;
    let rt = crate::engine::runtime()?;
    let scan = state::scan(args.run.as_deref());
    // The engine is needed for the label sweep, images and recorded containers; a
    // `--run ID` of a host run recorded in a state file needs none.
    let engine_needed = args.run.is_none()
        || scan.stale.is_empty()
        || args.images
        || args.caches
        || scan.stale.iter().any(|f| f.state.needs_engine());
    let engine = if engine_needed {
        Some(rt.block_on(crate::engine::connect()))
    } else {
        None
    };
    let docker = engine.as_ref().and_then(|e| e.as_ref().ok());
    let engine_error = engine
        .as_ref()
        .and_then(|e| e.as_ref().err())
        .map(|e| e.message.clone());
    let mut report = CleanReport {
        ignored: scan.unreadable.clone(),
        stale: crate::clean::clean_stale(&rt, docker, engine_error.as_deref(), &scan.stale),
        live_runs: scan.live,
        other_host: scan.other_host,
        ..Default::default()
    };
    if let Some(d) = docker {
        match rt.block_on(crate::clean::clean(
            d,
            args.run.as_deref(),
            args.images,
            args.all,
        )) {
            Ok(done) => report.swept = done,
            Err(e) => report.sweep_error = Some(e),
        }
    } else {
        report.engine_error = engine_error;
    }
    if args.caches {
        report.caches = Some(crate::cache::clean_caches(&rt, docker));
    }
    Ok(report)
}
