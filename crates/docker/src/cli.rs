//! Docker-related flags of `run`, and the `travis-local image` / `travis-local clean`
//! subcommands. Each `*_main` returns the process exit code (0 ok, 1 failed, 4 the
//! environment: no engine, no root, no debootstrap).

use crate::bootstrap::{self, BootstrapSpec, DEFAULT_INCLUDE};
use crate::images::PullPolicy;
use travis_local_runner::executor::ExecError;

/// Flags of `travis-local run` for the Docker executor.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DockerArgs {
    /// Image for every job (over .travis-local/config.yml `images` and the built-in table)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// When to pull a job's image: missing, always or never
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = PullPolicy::Missing)]
    pub pull: PullPolicy,
    /// Network of job containers: bridge, host or a network name [default: config `network`, else bridge]
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,
    /// CPU limit per job container, e.g. 2 or 0.5
    #[arg(long, value_name = "N")]
    pub cpus: Option<f64>,
    /// Memory limit per job container, e.g. 512m or 4g
    #[arg(long, value_name = "SIZE")]
    pub memory: Option<String>,
    /// Keep the container of a failed job and print how to open a shell in it
    #[arg(long)]
    pub keep_on_failure: bool,
    /// Trust the host's CA certificates (/usr/local/share/ca-certificates) inside jobs [default: config `trust_host_ca`]
    #[arg(long, conflicts_with = "no_trust_host_ca")]
    pub trust_host_ca: bool,
    /// Do not trust the host's CA certificates, whatever the config says
    #[arg(long)]
    pub no_trust_host_ca: bool,
    /// Deliver the job's tree through the Engine API (archive upload) instead of a bind
    /// mount; automatic when the engine is not a local unix socket (DOCKER_HOST=tcp://…,
    /// ssh://…, or a Docker context pointing elsewhere)
    #[arg(long)]
    pub ship_tree: bool,
}

/// `travis-local image ...`
#[derive(clap::Args, Debug)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: ImageCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ImageCommand {
    /// Build a Debian base image with no registry (debootstrap → docker import; needs root)
    Bootstrap(BootstrapArgs),
    /// List the images travis-local built (bootstrap images and cached Travis layers)
    List,
}

#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    /// Debian suite
    #[arg(long, default_value = "bookworm")]
    pub suite: String,
    /// Image name [default: travis-local/<suite>:base]
    #[arg(long, value_name = "NAME")]
    pub tag: Option<String>,
    /// Extra packages, comma-separated (added to bash,sudo,git,ca-certificates,curl,locales,procps)
    #[arg(long, value_name = "PKG,...", value_delimiter = ',')]
    pub include: Vec<String>,
    /// Debian mirror
    #[arg(long, default_value = "http://deb.debian.org/debian")]
    pub mirror: String,
    /// How many times to try debootstrap (downloads are sometimes flaky)
    #[arg(long, default_value_t = 3)]
    pub attempts: u32,
    /// Trust the host's CA certificates inside the image
    #[arg(long)]
    pub trust_host_ca: bool,
}

/// `travis-local clean`
#[derive(clap::Args, Debug)]
#[command(after_help = "What clean finds:
  1. Runs recorded in state files ($XDG_RUNTIME_DIR/travis-local/runs/, else
     ${XDG_CACHE_HOME:-~/.cache}/travis-local/runs/) whose travis-local process is gone
     (e.g. killed with kill -9): their host job processes still running (SIGTERM, then
     SIGKILL), their containers and compose projects, their /tmp/travis-local-* run
     directory, then the record. Runs in progress are never touched. Needs no Docker
     engine for runs of the host executor.
  2. Containers labelled travis-local.run (all runs, or --run ID) whose owning process
     is gone, and the compose projects named travis-local-*.
  3. With --images, the cached layers travis-local/layer:*.
Exit status: 0 done, 1 something could not be removed (the record is kept), 4 the
Docker engine is needed and unreachable (host leftovers are removed first).")]
pub struct CleanArgs {
    /// Only what the run with this id left
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Also remove the cached Travis layer images (travis-local/layer:*)
    #[arg(long)]
    pub images: bool,
    /// Also remove containers of travis-local processes that are still running (labels
    /// only: the processes and files of a live run are never touched)
    #[arg(long)]
    pub all: bool,
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

pub fn image_main(args: &ImageArgs) -> i32 {
    match &args.command {
        ImageCommand::Bootstrap(b) => {
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
        ImageCommand::List => match with_engine("image list", |d| {
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
        },
    }
}

pub fn clean_main(args: &CleanArgs) -> i32 {
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
