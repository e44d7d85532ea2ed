//! The host executor: runs the job's bash script directly on this machine.
use crate::executor::{CancelToken, ExecError, Executor, JobEnd, JobRun, OutputSink};

#[derive(Debug, Default)]
pub struct HostExecutor;

impl Executor for HostExecutor {
    fn name(&self) -> &str {
        "host"
    }
    fn prepare(&self, _jobs: &[JobRun], _sink: &dyn OutputSink) -> Result<(), ExecError> {
        Ok(())
    }
    fn run(&self, _job: &JobRun, _sink: &dyn OutputSink, _cancel: &CancelToken) -> Result<JobEnd, ExecError> {
        Err(ExecError { environment: true, message: "host executor not implemented yet".into() })
    }
}
