//! Every exit code of `travis-local`, in one place (README.md, "Exit codes", lists the
//! same table; `tests/exit_codes.rs` checks it).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (`condition`: true; `run`: passed or no job would run) |
//! | 1 | a negative answer: `lint` found errors, `condition` is false, `run` failed, `clean`/`image`/`ecr` could not do it |
//! | 2 | usage or I/O problem (bad flag value, unreadable file, unknown job selector); `run`: a job errored |
//! | 3 | the config is unusable: error-level findings, invalid `.travis-local/config.yml`, invalid or tracked secrets file |
//! | 4 | `run`, `image`, `clean`: the environment (no engine, unreadable repository, no such job for `run`) |
//! | 129, 130, 143 | `run` stopped by SIGHUP, SIGINT (Ctrl-C), SIGTERM |

use travis_local_matrix::WorkspaceError;
use travis_local_runner::orchestrate::{JobResult, StopSignal};
use travis_local_script::{SecretsError, SecretsErrorKind};

pub const OK: i32 = 0;
/// `lint` error findings, `condition` false, `run` failed, `clean` left something.
pub const FAILED: i32 = 1;
/// Usage/I/O; for `run` also "a job errored" (Travis's errored state).
pub const USAGE: i32 = 2;
pub const ERRORED: i32 = 2;
pub const CONFIG: i32 = 3;
pub const ENVIRONMENT: i32 = 4;

/// The subcommands whose codes differ for the same problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `jobs`, `compile`, `secrets`: a bad fact flag or repository is a usage problem (2).
    Inspect,
    /// `run`: a bad fact flag, repository or job selector is an environment problem (4).
    Run,
}

/// The exit code for a failed pipeline step.
pub fn workspace(cmd: Command, e: &WorkspaceError) -> i32 {
    match (cmd, e) {
        (_, WorkspaceError::Invalid(_) | WorkspaceError::Local(_)) => CONFIG,
        (Command::Run, WorkspaceError::Io(_)) => CONFIG,
        (Command::Inspect, _) => USAGE,
        (Command::Run, _) => ENVIRONMENT,
    }
}

/// The exit code for a secrets problem: a usage error (2) or an invalid/tracked file (3);
/// `run` reports the usage kind as an environment problem (4) once past flag checks.
pub fn secrets(cmd: Command, e: &SecretsError) -> i32 {
    match (cmd, e.kind) {
        (_, SecretsErrorKind::Invalid) => CONFIG,
        (Command::Run, _) => ENVIRONMENT,
        (Command::Inspect, _) => USAGE,
    }
}

/// The exit code of a finished build.
pub fn build(result: JobResult) -> i32 {
    match result {
        JobResult::Passed => OK,
        JobResult::Failed => FAILED,
        JobResult::Errored | JobResult::Canceled => ERRORED,
    }
}

/// The exit code of a run stopped by a signal: 128 + the signal number.
pub fn signal(stop: StopSignal) -> i32 {
    stop.exit_code()
}
