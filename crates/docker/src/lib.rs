//! Docker executor (bollard), images, bootstrap. (Skeleton: issue 6.)
pub mod cli;
use travis_local_runner::executor::{ExecError, Executor};

/// Build the Docker executor from the `run` flags.
pub fn executor_from_args(_args: &cli::DockerArgs) -> Result<Box<dyn Executor>, ExecError> {
    Err(ExecError { environment: true, message: "docker executor not implemented yet".into() })
}
