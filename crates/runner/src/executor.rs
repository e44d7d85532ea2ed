//! The contract between the orchestrator and the places a job can run (host, Docker).
//!
//! The orchestrator compiles the job to a bash script (which never contains a secret
//! value), decides the environment the bash process gets (secrets travel only there),
//! and hands both to an [`Executor`]. The executor streams the raw output bytes to an
//! [`OutputSink`] (the orchestrator masks secrets and interprets fold markers) and
//! returns how the process ended. Timeouts and Ctrl-C are decided by the orchestrator,
//! which sets the [`CancelToken`]; an executor must poll it (at least every 100 ms)
//! and then stop the job's processes promptly and clean up.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

/// Everything an executor needs to run one job.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// Travis job number, e.g. `1.2`.
    pub number: String,
    /// Unique id of this travis-local invocation (used in labels, compose project names).
    pub run_id: String,
    /// The complete bash script (from `travis-local compile`). Contains no secret values.
    pub script: String,
    /// Extra environment for the bash process: secret values and anything the script
    /// expects from outside. Never written to disk by an executor.
    pub env: Vec<(String, String)>,
    /// Host path of the copied working tree, `<tmp>/home/travis/build/OWNER/REPO`.
    pub build_dir: PathBuf,
    /// Host path of the job's home, `<tmp>/home/travis`.
    pub home_dir: PathBuf,
    /// `OWNER/REPO`.
    pub repo_slug: String,
    /// The job's fully expanded config (language, os, dist, services, ...).
    pub config: serde_json::Value,
    /// `cache:`: the caches the job reads and writes (None: it caches nothing, or
    /// `--no-cache`). The executor provides their stores in `TRAVIS_LOCAL_CACHE_DIR`.
    pub cache: Option<travis_local_script::cache::CacheSpec>,
}

/// Receives output bytes as they are produced (stdout and stderr interleaved, as a
/// terminal would show them).
pub trait OutputSink: Send + Sync {
    fn output(&self, bytes: &[u8]);
}

/// Why a job is being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// Ctrl-C (first press: graceful).
    Interrupted,
    /// Second Ctrl-C: stop immediately.
    Forced,
    /// No output for the log-silence timeout.
    SilenceTimeout,
    /// The job ran longer than the job timeout.
    JobTimeout,
    /// A stage failed / fast_finish decided the build; the job is canceled.
    Canceled,
}

/// Shared cancellation flag, cheap to clone and poll.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicU8>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }
    /// Request cancellation; the first reason wins, except that `Forced` overrides.
    pub fn cancel(&self, reason: CancelReason) {
        let code = reason_code(reason);
        if reason == CancelReason::Forced {
            self.0.store(code, Ordering::SeqCst);
        } else {
            let _ = self
                .0
                .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
    pub fn reason(&self) -> Option<CancelReason> {
        match self.0.load(Ordering::SeqCst) {
            1 => Some(CancelReason::Interrupted),
            2 => Some(CancelReason::Forced),
            3 => Some(CancelReason::SilenceTimeout),
            4 => Some(CancelReason::JobTimeout),
            5 => Some(CancelReason::Canceled),
            _ => None,
        }
    }
    pub fn is_cancelled(&self) -> bool {
        self.reason().is_some()
    }
}

fn reason_code(reason: CancelReason) -> u8 {
    match reason {
        CancelReason::Interrupted => 1,
        CancelReason::Forced => 2,
        CancelReason::SilenceTimeout => 3,
        CancelReason::JobTimeout => 4,
        CancelReason::Canceled => 5,
    }
}

/// How the job's process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The script exited with this code (0 passed, 1 failed, 2 errored, per Travis).
    Exited(i32),
    /// Stopped because the token was cancelled.
    Cancelled(CancelReason),
    /// The process or container died from outside (e.g. `docker kill`): errored.
    Killed(String),
}

/// An operational failure of the executor (not a job failure).
#[derive(Debug, Clone)]
pub struct ExecError {
    /// True when the cause is the environment (no engine, image missing): exit code 4.
    pub environment: bool,
    pub message: String,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecError {}

/// Where jobs run.
pub trait Executor: Send + Sync {
    /// Short name for messages (`host`, `docker`).
    fn name(&self) -> &str;
    /// Called once before the first job with every job that will run (build images,
    /// check the engine). Errors here stop the build before any job starts.
    fn prepare(&self, jobs: &[JobRun], sink: &dyn OutputSink) -> Result<(), ExecError>;
    /// Run one job to completion. Must honour `cancel` promptly.
    fn run(
        &self,
        job: &JobRun,
        sink: &dyn OutputSink,
        cancel: &CancelToken,
    ) -> Result<JobEnd, ExecError>;
    /// Remove everything this executor created for the run (called even after errors).
    fn cleanup(&self, run_id: &str) -> Result<(), ExecError> {
        let _ = run_id;
        Ok(())
    }
}

/// What a hook adds to a job before it runs.
#[derive(Debug, Clone, Default)]
pub struct HookOutput {
    /// Environment variables whose values are secrets (masked in all output).
    pub secret_env: Vec<(String, String)>,
    /// Plain environment variables.
    pub env: Vec<(String, String)>,
    /// Files to create under the job's home directory (relative path, contents,
    /// executable bit); e.g. `.travis-local/bin/aws`. `.travis-local/bin` is put on the
    /// PATH by the script, behind any real tool.
    pub home_files: Vec<(String, Vec<u8>, bool)>,
    /// Lines to print in the job log before the script starts (already safe to show).
    pub notices: Vec<String>,
}

/// A plug-in that prepares a job from its final environment (after secrets), e.g. the
/// ECR login emulation. Runs on the host before the job starts.
pub trait JobHook: Send + Sync {
    fn name(&self) -> &str;
    /// `env` is the job's complete environment as the script will export it, with
    /// secret values resolved. Return additions; an `Err` is shown as one log line.
    fn before_job(&self, env: &[(String, String)]) -> Result<HookOutput, String>;
}
