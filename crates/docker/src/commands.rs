//! `travis-local image` and `travis-local clean`: the work behind the subcommands (their
//! flags are parsed by the binary). The `image` functions print their progress and return
//! the process exit code (0 ok, 1 failed, 2 usage, 4 the environment: no engine, no root,
//! no debootstrap); [`clean`] returns a [`CleanReport`] that the binary prints.

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

fn fail(prefix: &str, e: &ExecError) -> i32 {
    eprintln!("travis-local {prefix}: {}", e.message);
    if e.environment {
        4
    } else {
        1
    }
}

fn with_engine<T>(
    prefix: &str,
    f: impl FnOnce(
        bollard::Docker,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ExecError>>>>,
) -> Result<T, i32> {
    let rt = crate::engine::runtime().map_err(|e| fail(prefix, &e))?;
    rt.block_on(async {
        let docker = crate::engine::connect().await?;
        f(docker).await
    })
    .map_err(|e| fail(prefix, &e))
}

/// `travis-local image bootstrap`; returns the exit code (0 built, 1 failed, 2 usage, 4
/// environment).
pub fn image_bootstrap(b: &BootstrapOptions) -> i32 {
    {
        {
            let mut include: Vec<String> = DEFAULT_INCLUDE.split(',').map(str::to_string).collect();
            for pkg in &b.include {
                let pkg = pkg.trim();
                if pkg.is_empty() || pkg.starts_with('-') || pkg.contains(char::is_whitespace) {
                    eprintln!(
                        "travis-local image bootstrap: --include: invalid package name {pkg:?}"
                    );
                    return 2;
                }
                if !include.iter().any(|p| p == pkg) {
                    include.push(pkg.to_string());
                }
            }
            if b.attempts == 0 {
                eprintln!("travis-local image bootstrap: --attempts must be at least 1");
                return 2;
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
            match with_engine("image bootstrap", move |d| {
                Box::pin(async move { bootstrap::bootstrap(&d, &spec).await })
            }) {
                Ok(_) => {
                    println!("{tag}");
                    eprintln!(
                        "travis-local: use it with --image {tag}, or in .travis-local/config.yml:\n  images:\n    default: {tag}"
                    );
                    0
                }
                Err(code) => code,
            }
        }
    }
}

/// `image build`: builds the images that have a recipe in the repository's
/// `.travis-local/config.yml` (all, or those in `names`); `force` rebuilds present ones.
/// Returns 0 built or present, 2 unknown name, 3 invalid settings, 4 build failed.
pub fn image_build(names: &[String], force: bool) -> i32 {
    let root = travis_local_matrix::repo_root();
    let local = match travis_local_config::local::LocalConfig::load(&root) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("travis-local image build: {e}");
            return 3;
        }
    };
    eprint!("{}", local.render_human(false));
    if local.has_errors() {
        eprintln!("travis-local image build: .travis-local/config.yml is invalid (see above)");
        return 3;
    }
    let recipes = crate::recipes::from_local(&local);
    for name in names {
        if !recipes.iter().any(|r| r.name() == name) {
            let known: Vec<&str> = recipes.iter().map(|r| r.name()).collect();
            eprintln!(
                "travis-local image build: {name} has no recipe in {} (images with a recipe: {})",
                travis_local_config::local::path_in(&root).display(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
            return 2;
        }
    }
    let chosen: Vec<crate::recipes::Recipe> = recipes
        .into_iter()
        .filter(|r| names.is_empty() || names.iter().any(|n| n == r.name()))
        .collect();
    if chosen.is_empty() {
        eprintln!("travis-local image build: no image has a recipe in .travis-local/config.yml");
        return 0;
    }
    match with_engine("image build", move |d| {
        Box::pin(async move {
            let progress = crate::progress::Progress::new("image build");
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
                println!("{}", r.name());
            }
            Ok(())
        })
    }) {
        Ok(()) => 0,
        Err(code) => code,
    }
}

/// `travis-local image list`; returns the exit code.
pub fn image_list() -> i32 {
    {
        match with_engine("image list", |d| {
            Box::pin(async move { bootstrap::list(&d).await })
        }) {
            Ok(list) => {
                println!(
                    "{:<45} {:<12} {:>9}  {:<13} DETAIL",
                    "IMAGE", "ID", "SIZE", "KIND"
                );
                for i in list {
                    println!(
                        "{:<45} {:<12} {:>7.0}MB  {:<13} {}",
                        i.reference, i.id, i.size_mb, i.kind, i.detail
                    );
                }
                0
            }
            Err(code) => code,
        }
    }
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
