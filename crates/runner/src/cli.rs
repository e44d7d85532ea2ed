//! `travis-local run`.
use crate::executor::{ExecError, Executor, JobHook};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    Docker,
    Host,
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Where jobs run
    #[arg(long, value_enum, default_value_t = ExecutorKind::Docker)]
    pub executor: ExecutorKind,
}

/// Builds the executor chosen on the command line (supplied by the binary, which knows
/// every executor crate).
pub type ExecutorFactory<'a> = dyn Fn(ExecutorKind) -> Result<Box<dyn Executor>, ExecError> + 'a;

pub fn main(_args: &RunArgs, _hooks: &[Box<dyn JobHook>], _factory: &ExecutorFactory<'_>) -> i32 {
    eprintln!("travis-local run: not implemented yet");
    2
}
