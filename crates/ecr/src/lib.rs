//! ECR login emulation (aws-sdk-ecr). (Skeleton: issue 7.)
pub mod cli;
use travis_local_runner::executor::{HookOutput, JobHook};

/// Hook that provides `aws ecr get-login-password` inside jobs whose environment holds
/// AWS credentials and a region.
#[derive(Debug, Default)]
pub struct EcrHook;

impl JobHook for EcrHook {
    fn name(&self) -> &str {
        "ecr"
    }
    fn before_job(&self, _env: &[(String, String)]) -> Result<HookOutput, String> {
        Ok(HookOutput::default())
    }
}
