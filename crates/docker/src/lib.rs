//! travis-local-docker: runs Travis jobs in Docker containers that mimic the Travis VM,
//! through the Engine API (bollard), with images that work offline. Implements the
//! runner's [`Executor`] contract; owns `travis-local image` and `travis-local clean`.
//!
//! Deviation from ARCHITECTURE.md: the job's home directory is bind-mounted too (at
//! `/home/travis` and at its own host path), so files that hooks put there (e.g. the
//! ECR helper) and `build.sh` are shared with the host exactly as in the host executor.
pub mod bootstrap;
pub mod cache;
pub mod clean;
pub mod commands;
pub mod config;
pub mod context;
pub mod debug;
pub mod engine;
pub mod executor;
pub mod images;
pub mod layer;
pub mod nodes;
pub mod owned;
pub mod progress;
pub mod recipes;
pub mod remote;
pub mod ssh;
pub mod swarm;

pub use executor::{DockerExecutor, Settings};
use travis_local_config::local::LocalConfig;
use travis_local_runner::executor::{ExecError, Executor};

/// The Docker flags of `run` (parsed by the binary).
#[derive(Debug, Clone, Default)]
pub struct DockerOptions {
    /// Image for every job (over `.travis-local/config.yml` `images:` and the built-in table).
    pub image: Option<String>,
    pub pull: images::PullPolicy,
    /// bridge, host or a network name [default: config `network`, else bridge].
    pub network: Option<String>,
    pub cpus: Option<f64>,
    pub memory: Option<String>,
    pub keep_on_failure: bool,
    pub trust_host_ca: bool,
    pub no_trust_host_ca: bool,
    /// `--debug[=start]`: a shell in the job's container (see [`debug`]).
    pub debug: Option<debug::DebugMode>,
    /// `--ship-tree`: deliver the job's tree through the Engine API instead of a bind
    /// mount (automatic when the engine is not a local unix socket).
    pub ship_tree: bool,
}

/// Flags + the repository's `.travis-local/config.yml` (read once by the caller, from
/// the repository root) → settings.
pub fn settings_from_args(
    args: &DockerOptions,
    local: &LocalConfig,
) -> Result<Settings, ExecError> {
    let project = config::ProjectConfig::from(local);
    let usage = |message: String| ExecError {
        environment: false,
        message,
    };
    let network = args
        .network
        .clone()
        .or_else(|| project.network.clone())
        .unwrap_or_else(|| "bridge".to_string());
    if network.trim().is_empty() {
        return Err(usage(
            "--network: expected bridge, host or a network name".into(),
        ));
    }
    let nano_cpus = args
        .cpus
        .map(executor::parse_cpus)
        .transpose()
        .map_err(usage)?;
    let memory = args
        .memory
        .as_deref()
        .map(executor::parse_memory)
        .transpose()
        .map_err(usage)?;
    let trust_host_ca = if args.no_trust_host_ca {
        false
    } else {
        args.trust_host_ca || project.trust_host_ca.unwrap_or(false)
    };
    Ok(Settings {
        image: args.image.clone(),
        pull: args.pull,
        network,
        nano_cpus,
        memory,
        keep_on_failure: args.keep_on_failure,
        trust_host_ca,
        ship_tree: args.ship_tree,
        project,
        debug: args.debug,
    })
}

/// Build the Docker executor from the `run` flags (connects to the engine: an
/// unreachable engine is an environment error, exit 4).
pub fn executor_from_args(
    args: &DockerOptions,
    local: &LocalConfig,
) -> Result<Box<dyn Executor>, ExecError> {
    let settings = settings_from_args(args, local)?;
    Ok(Box::new(DockerExecutor::connect(settings)?))
}

/// Build the Swarm executor (`run --executor swarm`) from the `run` flags and the
/// project's `placement:` constraints.
pub fn swarm_executor_from_args(
    args: &DockerOptions,
    local: &LocalConfig,
) -> Result<Box<dyn Executor>, ExecError> {
    let settings = settings_from_args(args, local)?;
    Ok(Box::new(swarm::SwarmExecutor::connect(
        settings,
        local.placement.clone(),
    )?))
}
