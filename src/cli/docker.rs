//! Docker-related flags of `run`, and the flags of `travis-local image` / `travis-local
//! clean`; the work is done by `travis_local_docker::commands` (exit codes: 0 ok, 1
//! failed, 2 usage, 4 the environment: no engine, no root, no debootstrap).

use crate::exit;
use travis_local_docker::commands::{BootstrapOptions, CleanOptions};
use travis_local_docker::images::PullPolicy;
use travis_local_docker::DockerOptions;

/// Flags of `travis-local run` for the Docker executor.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DockerArgs {
    /// Image for every job (over .travis-local/config.yml `images` and the built-in table)
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// When to pull a job's image: missing, always or never
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = PullArg::Missing)]
    pub pull: PullArg,
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
    /// Open a shell in the job's container, as travis, with its env and travis_run_<phase>
    /// functions: when it fails (--debug), or instead of running it (--debug=start)
    #[arg(long, value_enum, value_name = "WHEN", num_args = 0..=1, require_equals = true,
          default_missing_value = "failure")]
    pub debug: Option<DebugArg>,
    /// Deliver the job's tree through the Engine API (archive upload) instead of a bind
    /// mount; automatic when the engine is not a local unix socket (DOCKER_HOST=tcp://…,
    /// ssh://…, or a Docker context pointing elsewhere)
    #[arg(long)]
    pub ship_tree: bool,
}

/// `--debug` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DebugArg {
    /// Open the shell when the job fails (its script exited non-zero)
    Failure,
    /// Open the shell at once, instead of running the script
    Start,
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
    /// Build the images that have a recipe in .travis-local/config.yml (all, or those named)
    Build(BuildArgs),
}

/// `travis-local image build`
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// Images to build (names as in the recipes' `name:`) [default: every recipe]
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Rebuild images that are already present
    #[arg(long)]
    pub force: bool,
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
  4. With --caches, every build cache (`cache:`): the Docker volumes labelled
     travis-local.cache and the host executor's caches. Without it caches are kept.
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
    /// Also remove every build cache (`cache:` volumes and host cache directories)
    #[arg(long)]
    pub caches: bool,
}

/// `--pull` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PullArg {
    /// Pull only when the image is not present locally
    #[default]
    Missing,
    /// Always try to pull (fails when no registry is reachable)
    Always,
    /// Never pull; a missing image is an error
    Never,
}

impl DockerArgs {
    /// The settings the Docker executor takes.
    pub fn options(&self) -> DockerOptions {
        DockerOptions {
            image: self.image.clone(),
            pull: match self.pull {
                PullArg::Missing => PullPolicy::Missing,
                PullArg::Always => PullPolicy::Always,
                PullArg::Never => PullPolicy::Never,
            },
            network: self.network.clone(),
            cpus: self.cpus,
            memory: self.memory.clone(),
            keep_on_failure: self.keep_on_failure,
            trust_host_ca: self.trust_host_ca,
            no_trust_host_ca: self.no_trust_host_ca,
            debug: self.debug.map(|d| match d {
                DebugArg::Failure => travis_local_docker::debug::DebugMode::Failure,
                DebugArg::Start => travis_local_docker::debug::DebugMode::Start,
            }),
            ship_tree: self.ship_tree,
        }
    }
}

pub fn image_main(args: &ImageArgs) -> i32 {
    use travis_local_docker::commands as c;
    let (prefix, done) = match &args.command {
        ImageCommand::Bootstrap(b) => (
            "image bootstrap",
            c::image_bootstrap(&BootstrapOptions {
                suite: b.suite.clone(),
                tag: b.tag.clone(),
                include: b.include.clone(),
                mirror: b.mirror.clone(),
                attempts: b.attempts,
                trust_host_ca: b.trust_host_ca,
            })
            .map(|tag| {
                println!("{tag}");
                eprintln!(
                    "travis-local: use it with --image {tag}, or in .travis-local/config.yml:\n  images:\n    default: {tag}"
                );
            }),
        ),
        ImageCommand::List => (
            "image list",
            c::image_list().map(|list| {
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
            }),
        ),
        ImageCommand::Build(b) => ("image build", image_build(&b.names, b.force)),
    };
    match done {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("travis-local {prefix}: {e}");
            match e {
                c::ImageError::Usage(_) => exit::USAGE,
                c::ImageError::Settings(_) => exit::CONFIG,
                c::ImageError::Exec(e) => engine_code(&e),
            }
        }
    }
}

/// `image build`: the local settings are read (and their findings shown) here.
fn image_build(
    names: &[String],
    force: bool,
) -> Result<(), travis_local_docker::commands::ImageError> {
    use travis_local_docker::commands::{Built, ImageError};
    let root = travis_local_matrix::repo_root();
    let local = travis_local_config::local::LocalConfig::load(&root)
        .map_err(|e| ImageError::Settings(e.to_string()))?;
    eprint!("{}", local.render_human(false));
    if local.has_errors() {
        return Err(ImageError::Settings(
            ".travis-local/config.yml is invalid (see above)".into(),
        ));
    }
    match travis_local_docker::commands::image_build(&root, &local, names, force)? {
        Built::NoRecipes => {
            eprintln!(
                "travis-local image build: no image has a recipe in .travis-local/config.yml"
            );
        }
        Built::Images(built) => {
            for name in built {
                println!("{name}");
            }
        }
    }
    Ok(())
}

pub fn clean_main(args: &CleanArgs) -> i32 {
    let report = travis_local_docker::commands::clean(&CleanOptions {
        run: args.run.clone(),
        images: args.images,
        all: args.all,
        caches: args.caches,
    });
    match report {
        Ok(r) => print_clean(&r),
        Err(e) => {
            eprintln!("travis-local clean: {}", e.message);
            engine_code(&e)
        }
    }
}

/// 4 when the environment is the problem (no engine, no root), else 1.
fn engine_code(e: &travis_local_runner::executor::ExecError) -> i32 {
    if e.environment {
        exit::ENVIRONMENT
    } else {
        exit::FAILED
    }
}

/// Print what `clean` did; returns the exit code (0 done, 1 something could not be
/// removed, 4 the engine is needed and unreachable).
fn print_clean(r: &travis_local_docker::commands::CleanReport) -> i32 {
    for (path, why) in &r.ignored {
        eprintln!(
            "travis-local clean: ignoring {}: {why} (remove it by hand)",
            path.display()
        );
    }
    let mut code = exit::OK;
    for line in &r.stale.lines {
        println!("{line}");
    }
    for p in r.stale.problems.iter().chain(&r.swept.problems) {
        eprintln!("travis-local clean: {p}");
    }
    if !r.stale.problems.is_empty() {
        code = exit::FAILED;
    }
    if let Some(e) = &r.sweep_error {
        eprintln!("travis-local clean: {}", e.message);
        code = code.max(engine_code(e));
    } else if let Some(e) = &r.engine_error {
        eprintln!("travis-local clean: {e}; Docker leftovers were not checked");
        code = exit::ENVIRONMENT;
    }
    if let Some((removed, problems)) = &r.caches {
        for p in problems {
            eprintln!("travis-local clean: {p}");
        }
        if !problems.is_empty() {
            code = code.max(exit::FAILED);
        }
        println!("removed {removed} build cache(s)");
    }
    let (swept, stale) = (&r.swept, &r.stale);
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
    if r.live_runs > 0 {
        println!(
            "left {} run(s) still in progress alone (their travis-local process is running)",
            r.live_runs
        );
    }
    if r.other_host > 0 {
        println!(
            "left {} run record(s) of other hosts alone (clean them on their host)",
            r.other_host
        );
    }
    code
}
