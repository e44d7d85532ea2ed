//! Job, stage and build results (Travis's states and their ranking) and the summary.

use super::JobOutcome;

/// A job's final state, as Travis names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobResult {
    Passed,
    Failed,
    Errored,
    Canceled,
}

impl JobResult {
    pub fn as_str(self) -> &'static str {
        match self {
            JobResult::Passed => "passed",
            JobResult::Failed => "failed",
            JobResult::Errored => "errored",
            JobResult::Canceled => "canceled",
        }
    }
    fn rank(self) -> u8 {
        match self {
            JobResult::Passed => 0,
            JobResult::Failed => 1,
            JobResult::Errored => 2,
            JobResult::Canceled => 3,
        }
    }
    /// Exit code of `travis-local run` for a build in this state.
    pub fn exit_code(self) -> i32 {
        match self {
            JobResult::Passed => 0,
            JobResult::Failed => 1,
            JobResult::Errored | JobResult::Canceled => 2,
        }
    }
}

/// Worker mapping of a script exit code (worker: step_update_state.go).
pub fn result_of_exit(code: i32) -> JobResult {
    match code {
        0 => JobResult::Passed,
        1 => JobResult::Failed,
        _ => JobResult::Errored,
    }
}

/// Travis's rule for a group of jobs: only required jobs count.
pub fn combine<'a>(jobs: impl IntoIterator<Item = (&'a JobResult, bool)>) -> JobResult {
    jobs.into_iter()
        .filter(|(_, allowed)| !allowed)
        .map(|(r, _)| *r)
        .max_by_key(|r| r.rank())
        .unwrap_or(JobResult::Passed)
}

/// The build's state: that of the first stage that did not pass.
pub fn build_result(stages: &[String], outcomes: &[JobOutcome]) -> JobResult {
    for stage in stages {
        let state = combine(
            outcomes
                .iter()
                .filter(|o| &o.stage == stage)
                .map(|o| (&o.result, o.allow_failure)),
        );
        if state != JobResult::Passed {
            return state;
        }
    }
    JobResult::Passed
}

/// The summary table (job, stage, result, duration).
pub fn summary_lines(outcomes: &[JobOutcome], build: JobResult, color: bool) -> Vec<String> {
    let mut rows = vec![(
        "Job".to_string(),
        "Stage".to_string(),
        "Result".to_string(),
        "Duration".to_string(),
    )];
    for o in outcomes {
        let mut result = o.result.as_str().to_string();
        if let Some(c) = o.exit_code.filter(|&c| c > 1) {
            result.push_str(&format!(" (exit {c})"));
        }
        if o.allow_failure && o.result != JobResult::Passed {
            result.push_str(" (allowed)");
        }
        let stage = if o.stage.is_empty() {
            "-".to_string()
        } else {
            o.stage.clone()
        };
        let dur = o
            .duration
            .map(crate::duration::short)
            .unwrap_or_else(|| "-".into());
        rows.push((o.job.clone(), stage, result, dur));
    }
    let w0 = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let w1 = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    let w2 = rows.iter().map(|r| r.2.chars().count()).max().unwrap_or(0);
    let mut lines = vec![String::new()];
    for r in rows {
        lines.push(
            format!("{:<w0$}  {:<w1$}  {:<w2$}  {}", r.0, r.1, r.2, r.3)
                .trim_end()
                .to_string(),
        );
    }
    let verdict = format!("Build {}.", build.as_str());
    lines.push(String::new());
    lines.push(if color {
        let c = match build {
            JobResult::Passed => "32",
            JobResult::Failed | JobResult::Errored => "31",
            JobResult::Canceled => "33",
        };
        format!("\x1b[1;{c}m{verdict}\x1b[0m")
    } else {
        verdict
    });
    lines
}
