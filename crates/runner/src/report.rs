//! What a run tells its user, as events, and the reporters that turn them into lines.
//!
//! The orchestrator and the `run` subcommand emit [`Event`]s through [`emit`]: every
//! text in the event is masked there, once, before any [`Reporter`] sees it; the
//! reporter chosen by [`Style::json`] formats it (human lines, or one JSON object per
//! line). A new output format (e.g. JUnit as a stream) is a new `Reporter`.
//!
//! Job output itself (the chunks of a job's log) goes through [`crate::orchestrate::JobSink`],
//! which masks the byte stream as it arrives and hands lines to the printer.

use crate::orchestrate::{summary_lines, JobOutcome, JobResult, StopSignal};
use crate::render::{Output, Style};
use travis_local_script::Masker;

/// Something that happened during a run.
#[derive(Debug, Clone)]
pub enum Event {
    /// A job starts (its title: stage, name, description).
    JobStarted {
        job: String,
        stage: String,
        name: Option<String>,
        description: String,
        allow_failure: bool,
    },
    /// A job is not started (fast_finish, interrupted).
    JobSkipped { job: String, reason: String },
    /// A job ended.
    JobFinished(JobOutcome),
    /// No job would run, or none matches the selection.
    NothingRuns { reason: String },
    /// The build ended.
    BuildFinished {
        result: JobResult,
        exit_code: i32,
        /// The signal that stopped the run, if one did.
        stopped_by: Option<StopSignal>,
        jobs: Vec<JobOutcome>,
        /// The executor that reported an environment problem, if one did.
        environment_problem: Option<String>,
        /// Where the job directories were kept (`--keep`).
        kept: Option<String>,
    },
}

impl Event {
    /// The event with every text masked.
    fn masked(self, m: &Masker) -> Event {
        let s = |t: String| String::from_utf8_lossy(&m.mask_all(t.as_bytes())).into_owned();
        let outcome = |mut o: JobOutcome| {
            o.name = o.name.map(s);
            o.stage = s(o.stage);
            o.reason = o.reason.map(s);
            o.log_tail = s(o.log_tail);
            o
        };
        match self {
            Event::JobStarted {
                job,
                stage,
                name,
                description,
                allow_failure,
            } => Event::JobStarted {
                job,
                stage: s(stage),
                name: name.map(s),
                description: s(description),
                allow_failure,
            },
            Event::JobSkipped { job, reason } => Event::JobSkipped {
                job,
                reason: s(reason),
            },
            Event::JobFinished(o) => Event::JobFinished(outcome(o)),
            Event::NothingRuns { reason } => Event::NothingRuns { reason: s(reason) },
            Event::BuildFinished {
                result,
                exit_code,
                stopped_by,
                jobs,
                environment_problem,
                kept,
            } => Event::BuildFinished {
                result,
                exit_code,
                stopped_by,
                jobs: jobs.into_iter().map(outcome).collect(),
                environment_problem,
                kept: kept.map(s),
            },
        }
    }
}

/// Formats events. `lines` go to standard output; `notes` to standard error.
pub trait Reporter: Send + Sync {
    fn lines(&self, event: &Event, style: Style) -> Report;
}

/// What a reporter makes of one event.
#[derive(Debug, Default)]
pub struct Report {
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
}

/// The human reporter: titles, result lines, the summary table.
pub struct Human;

/// The JSON-lines reporter: `job_started`, `job_finished`, `build_finished`.
pub struct JsonLines;

impl Reporter for Human {
    fn lines(&self, event: &Event, style: Style) -> Report {
        let mut r = Report::default();
        match event {
            Event::JobStarted {
                job,
                stage,
                name,
                description,
                allow_failure,
            } => {
                let mut title = format!("Job {job}");
                if !stage.is_empty() {
                    title.push_str(&format!(" · stage {stage}"));
                }
                if let Some(n) = name {
                    title.push_str(&format!(" · {n}"));
                }
                if !description.is_empty() {
                    title.push_str(&format!(" · {description}"));
                }
                if *allow_failure {
                    title.push_str(" · allowed to fail");
                }
                r.stdout.push(if style.color {
                    format!("\x1b[1m━━ {title} ━━\x1b[0m")
                } else {
                    format!("== {title} ==")
                });
            }
            Event::JobSkipped { job, reason } => {
                r.stdout.push(format!("Job {job} canceled: {reason}"));
            }
            Event::JobFinished(o) => {
                let code = o
                    .exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default();
                r.stdout.push(format!(
                    "Job {} {}{code} in {}",
                    o.job,
                    o.result.as_str(),
                    o.duration
                        .map(crate::duration::short)
                        .unwrap_or_else(|| "0s".into())
                ));
            }
            Event::NothingRuns { reason } => r.stdout.push(format!("No job would run: {reason}.")),
            Event::BuildFinished {
                result,
                stopped_by,
                jobs,
                environment_problem,
                kept,
                ..
            } => {
                r.stdout = summary_lines(jobs, *result, style.color);
                if let Some(stop) = stopped_by {
                    r.stdout.push(format!("{}.", stop.title()));
                }
                if let Some(executor) = environment_problem {
                    r.stdout.push(format!(
                        "The {executor} executor reported an environment problem (see the job logs)."
                    ));
                }
                if let Some(path) = kept {
                    r.stdout.push(kept_message(path));
                }
            }
        }
        r
    }
}

fn kept_message(path: &str) -> String {
    format!("Kept the job directories in {path} (one per job: <job>/home/travis)")
}

impl Reporter for JsonLines {
    fn lines(&self, event: &Event, _style: Style) -> Report {
        let mut r = Report::default();
        match event {
            Event::JobStarted {
                job,
                stage,
                name,
                allow_failure,
                ..
            } => r.stdout.push(
                serde_json::json!({
                    "event": "job_started", "job": job, "stage": stage,
                    "name": name, "allow_failure": allow_failure,
                })
                .to_string(),
            ),
            // job_finished{canceled} says it.
            Event::JobSkipped { .. } => {}
            Event::JobFinished(o) => {
                let mut v = serde_json::to_value(o).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("event".into(), "job_finished".into());
                }
                r.stdout.push(v.to_string());
            }
            Event::NothingRuns { reason } => r.stdout.push(
                serde_json::json!({"event": "build_finished", "result": "none", "exit_code": 0, "reason": reason, "jobs": []})
                    .to_string(),
            ),
            Event::BuildFinished {
                result,
                exit_code,
                stopped_by,
                jobs,
                kept,
                ..
            } => {
                r.stdout.push(
                    serde_json::json!({
                        "event": "build_finished",
                        "result": if stopped_by.is_some() { "canceled" } else { result.as_str() },
                        "exit_code": exit_code,
                        "interrupted": stopped_by.is_some(),
                        "signal": stopped_by.map(|s| s.name()),
                        "jobs": jobs,
                        "kept": kept,
                    })
                    .to_string(),
                );
                if let Some(path) = kept {
                    r.stderr.push(kept_message(path));
                }
            }
        }
        r
    }
}

/// The reporter for this style (the one place that decides JSON or human).
pub fn reporter(style: Style) -> &'static dyn Reporter {
    if style.json {
        &JsonLines
    } else {
        &Human
    }
}

/// Mask the event's texts with `mask`, format it with the style's reporter, write it.
pub fn emit(out: &Output, style: Style, mask: &[String], event: Event) {
    let event = event.masked(&Masker::new(mask));
    let report = reporter(style).lines(&event, style);
    if !report.stdout.is_empty() {
        out.lines(&report.stdout);
    }
    for l in report.stderr {
        eprintln!("{l}");
    }
}
