//! `travis-local image` and `travis-local clean`: the work behind the subcommands (their
//! flags are parsed by the binary). Each function prints its report and returns the
//! process exit code (0 ok, 1 failed, 2 usage, 4 the environment: no engine, no root, no
//! debootstrap).

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

/// `travis-local clean`; returns the exit code (0 done, 1 something could not be
/// removed, 4 the engine is needed and unreachable).
pub fn clean(args: &CleanOptions) -> i32 {
    use travis_local_runner::state;
    let rt = match crate::engine::runtime() {
        Ok(rt) => rt,
        Err(e) => return fail("clean", &e),
    };
    let scan = state::scan(args.run.as_deref());
    for (path, why) in &scan.unreadable {
        eprintln!(
            "travis-local clean: ignoring {}: {why} (remove it by hand)",
            path.display()
        );
    }
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

    let mut code = 0;
    let stale = crate::clean::clean_stale(&rt, docker, engine_error.as_deref(), &scan.stale);
    for line in &stale.lines {
        println!("{line}");
    }
    for p in &stale.problems {
        eprintln!("travis-local clean: {p}");
    }
    if !stale.problems.is_empty() {
        code = 1;
    }
    let mut swept = crate::clean::Cleaned::default();
    if let Some(d) = docker {
        match rt.block_on(crate::clean::clean(
            d,
            args.run.as_deref(),
            args.images,
            args.all,
        )) {
            Ok(done) => swept = done,
            Err(e) => code = code.max(fail("clean", &e)),
        }
    } else if let Some(e) = &engine_error {
        eprintln!("travis-local clean: {e}; Docker leftovers were not checked");
        code = 4;
    }
    if args.caches {
        let (removed, problems) = crate::cache::clean_caches(&rt, docker);
        for p in &problems {
            eprintln!("travis-local clean: {p}");
        }
        if !problems.is_empty() {
            code = code.max(1);
        }
        println!("removed {removed} build cache(s)");
    }
    println!(
        "removed {} container(s), {} compose project(s), {} image(s), {} run director(ies); stopped {} host job process(es)",
        swept.containers + stale.containers,
        swept.projects + stale.projects,
        swept.images,
        stale.dirs,
        stale.processes,
    );
    if swept.live > 0 {
        println!(
            "kept {} container(s) of travis-local runs still in progress (--all removes them too)",
            swept.live
        );
    }
    if scan.live > 0 {
        println!(
            "left {} run(s) still in progress alone (their travis-local process is running)",
            scan.live
        );
    }
    if scan.other_host > 0 {
        println!(
            "left {} run record(s) of other hosts alone (clean them on their host)",
            scan.other_host
        );
    }
    code
}
