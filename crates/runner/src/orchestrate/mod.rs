//! Running a planned build: stages in order, jobs of a stage serially or `-j N` in
//! parallel, timeouts and Ctrl-C through each job's [`CancelToken`], the job and build
//! results, and the summary.
//!
//! Travis semantics reproduced here (spec §6, §1.8):
//! - a job's state follows its exit code: 0 passed, 1 failed, anything else errored;
//!   a silence or job timeout is errored; a job stopped by Ctrl-C or by fast_finish is
//!   canceled;
//! - a stage's state is computed over its required jobs (not `allow_failure`): any
//!   canceled → canceled, any errored → errored, any failed → failed, else passed;
//!   every job of a later stage is canceled once a stage did not pass, while the other
//!   jobs of the failing stage still complete;
//! - the build's state is that of the first stage that did not pass (so errored
//!   outranks failed and allowed failures are ignored);
//! - `fast_finish`: once every required job of a stage has finished, allowed-failure
//!   jobs still running or waiting are canceled (Travis lets them run on unobserved;
//!   locally there is nobody left to watch them, and the result is already known).

mod results;
mod signals;
mod sink;

pub use results::{build_result, combine, result_of_exit, summary_lines, JobResult};
pub use signals::{interrupts, stop_message, Interrupts, StopSignal};
pub use sink::{JobSink, TAIL_BYTES};

use crate::executor::{CancelReason, CancelToken, ExecError, Executor, JobEnd, JobHook, JobRun};
use crate::render::{Output, Printer, Style};
use crate::report::Event;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One job ready to run (compiled, not yet copied).
pub struct PreparedJob {
    pub run: JobRun,
    pub stage: String,
    pub name: Option<String>,
    /// What distinguishes the job (language version, env), for its heading.
    pub description: String,
    pub allow_failure: bool,
    /// Values to mask in this job's output.
    pub mask: Vec<String>,
    /// Lines to show before the job starts (contain no secret).
    pub notices: Vec<String>,
    /// Public variables as the script exports them, with secrets resolved (for hooks).
    pub job_env: Vec<(String, String)>,
    /// The user's work tree to copy into `run.build_dir`.
    pub source_dir: PathBuf,
    /// Paths (relative to `source_dir`) never copied: secrets files.
    pub exclude: Vec<PathBuf>,
}

/// What happened to one job.
#[derive(Debug, Clone, serde::Serialize)]
pub struct JobOutcome {
    pub job: String,
    pub stage: String,
    pub name: Option<String>,
    pub allow_failure: bool,
    pub result: JobResult,
    pub exit_code: Option<i32>,
    #[serde(skip)]
    pub duration: Option<Duration>,
    pub duration_ms: Option<u128>,
    /// Why the job got its result when that is not its exit code.
    pub reason: Option<String>,
    /// The end of the job's log, masked (for reports such as JUnit).
    #[serde(skip)]
    pub log_tail: String,
}

/// Settings of a run.
pub struct RunSettings {
    pub parallel: usize,
    pub style: Style,
    pub silence_timeout: Duration,
    pub job_timeout: Duration,
    pub fast_finish: bool,
}

fn now_ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Runs the jobs, stage by stage. `stages` lists stage names in order; every job's
/// `stage` is one of them. Returns the outcomes in job order and whether an executor
/// reported an environment problem.
pub struct Orchestrator<'a> {
    pub executor: &'a dyn Executor,
    pub hooks: &'a [Box<dyn JobHook>],
    pub settings: RunSettings,
    pub out: Output,
    pub interrupts: Arc<Interrupts>,
    pub environment_problem: AtomicBool,
}

impl Orchestrator<'_> {
    pub fn run_build(&self, stages: &[String], jobs: &[PreparedJob]) -> Vec<JobOutcome> {
        let mut outcomes: Vec<Option<JobOutcome>> = vec![None; jobs.len()];
        let mut broken: Option<String> = None;
        for stage in stages {
            let idx: Vec<usize> = (0..jobs.len())
                .filter(|&i| &jobs[i].stage == stage)
                .collect();
            if idx.is_empty() {
                continue;
            }
            if let Some(prev) = &broken {
                for &i in &idx {
                    let reason = format!("stage {prev} did not pass");
                    self.announce_skip(&jobs[i], &reason);
                    outcomes[i] = Some(canceled(&jobs[i], reason));
                }
                continue;
            }
            self.run_stage(jobs, &idx, &mut outcomes);
            let state = combine(
                idx.iter()
                    .filter_map(|&i| outcomes[i].as_ref().map(|o| (&o.result, o.allow_failure))),
            );
            if state != JobResult::Passed {
                broken = Some(if stage.is_empty() {
                    "(unnamed)".into()
                } else {
                    stage.clone()
                });
            }
        }
        outcomes
            .into_iter()
            .zip(jobs)
            .map(|(o, j)| o.unwrap_or_else(|| canceled(j, "not run".into())))
            .collect()
    }

    fn announce_skip(&self, job: &PreparedJob, reason: &str) {
        self.emit(
            &job.mask,
            Event::JobSkipped {
                job: job.run.number.clone(),
                reason: reason.to_string(),
            },
        );
    }

    /// An event for the user, masked with `mask` (see [`crate::report`]).
    fn emit(&self, mask: &[String], event: Event) {
        crate::report::emit(&self.out, self.settings.style, mask, event);
    }

    fn run_stage(&self, jobs: &[PreparedJob], idx: &[usize], outcomes: &mut [Option<JobOutcome>]) {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<(usize, JobOutcome)>> = Mutex::new(Vec::new());
        let tokens: Vec<CancelToken> = idx.iter().map(|_| CancelToken::new()).collect();
        let required_left =
            AtomicUsize::new(idx.iter().filter(|&&i| !jobs[i].allow_failure).count());
        let fast_finished = AtomicBool::new(false);
        let workers = self.settings.parallel.clamp(1, idx.len().max(1));
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    if k >= idx.len() {
                        break;
                    }
                    let job = &jobs[idx[k]];
                    let outcome = if job.allow_failure && fast_finished.load(Ordering::SeqCst) {
                        let reason = "fast_finish: the stage result is already known".to_string();
                        self.announce_skip(job, &reason);
                        canceled(job, reason)
                    } else if self.interrupts.interrupted() {
                        let reason = self.interrupts.stop_signal().reason().to_string();
                        self.announce_skip(job, &reason);
                        canceled(job, reason)
                    } else {
                        self.interrupts.register(&tokens[k]);
                        self.run_job(job, &tokens[k])
                    };
                    if !job.allow_failure
                        && required_left.fetch_sub(1, Ordering::SeqCst) == 1
                        && self.settings.fast_finish
                    {
                        fast_finished.store(true, Ordering::SeqCst);
                        for (t, &i) in tokens.iter().zip(idx) {
                            if jobs[i].allow_failure {
                                t.cancel(CancelReason::Canceled);
                            }
                        }
                    }
                    if let Ok(mut r) = results.lock() {
                        r.push((idx[k], outcome));
                    }
                });
            }
        });
        let results = match results.into_inner() {
            Ok(r) => r,
            Err(p) => p.into_inner(),
        };
        for (i, o) in results {
            outcomes[i] = Some(o);
        }
    }

    fn run_job(&self, job: &PreparedJob, token: &CancelToken) -> JobOutcome {
        let number = job.run.number.clone();
        let started = Instant::now();
        self.emit(
            &job.mask,
            Event::JobStarted {
                job: number.clone(),
                stage: job.stage.clone(),
                name: job.name.clone(),
                description: job.description.clone(),
                allow_failure: job.allow_failure,
            },
        );
        // Hooks first: their secrets must be masked too.
        let hooked = self.apply_hooks(job);
        let printer = Printer::new(&number, self.settings.style, self.out.clone());
        let sink = JobSink::new(&hooked.mask, printer);
        for n in job.notices.iter().chain(&hooked.notes) {
            sink.note(&format!("Note: {n}"));
        }
        let end = match set_up(job, &hooked) {
            Err(message) => Err(ExecError {
                environment: true,
                message,
            }),
            Ok(()) => self.execute(&hooked.run, &sink, token),
        };
        sink.finish();
        let duration = started.elapsed();
        let (result, exit_code, reason) = self.judge(end, &sink);
        let outcome = JobOutcome {
            job: number,
            stage: job.stage.clone(),
            name: job.name.clone(),
            allow_failure: job.allow_failure,
            result,
            exit_code,
            duration: Some(duration),
            duration_ms: Some(now_ms(duration)),
            reason,
            log_tail: sink.tail(),
        };
        self.emit(&hooked.mask, Event::JobFinished(outcome.clone()));
        outcome
    }

    /// The job's run, mask, notes and home files once every [`JobHook`] has added its
    /// part.
    fn apply_hooks(&self, job: &PreparedJob) -> Hooked {
        let mut h = Hooked {
            run: job.run.clone(),
            mask: job.mask.clone(),
            notes: Vec::new(),
            files: Vec::new(),
        };
        for hook in self.hooks {
            match hook.before_job(&job.job_env) {
                Ok(out) => {
                    for (k, v) in out.secret_env {
                        h.mask.push(v.clone());
                        h.run.env.push((k, v));
                    }
                    h.run.env.extend(out.env);
                    h.files.extend(out.home_files);
                    h.notes.extend(out.notices);
                }
                Err(e) => h.notes.push(format!("{}: {e}", hook.name())),
            }
        }
        h
    }

    /// Run the job on the executor while a watchdog cancels it on the job or silence
    /// timeout.
    fn execute(
        &self,
        run: &JobRun,
        sink: &JobSink,
        token: &CancelToken,
    ) -> Result<JobEnd, ExecError> {
        sink.touch();
        let run_started = Instant::now();
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                while !done.load(Ordering::SeqCst) {
                    if run_started.elapsed() > self.settings.job_timeout {
                        token.cancel(CancelReason::JobTimeout);
                    } else if sink.silence() > self.settings.silence_timeout {
                        token.cancel(CancelReason::SilenceTimeout);
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
            let end = match token.reason() {
                // Ctrl-C while the tree was being copied: do not start it.
                Some(reason) => Ok(JobEnd::Cancelled(reason)),
                None => self.executor.run(run, sink, token),
            };
            done.store(true, Ordering::SeqCst);
            end
        })
    }

    /// The job's result, exit code and reason from how it ended; says why in its log.
    fn judge(
        &self,
        end: Result<JobEnd, ExecError>,
        sink: &JobSink,
    ) -> (JobResult, Option<i32>, Option<String>) {
        match end {
            Ok(JobEnd::Exited(code)) => (result_of_exit(code), Some(code), None),
            Ok(JobEnd::Cancelled(why)) => {
                let signal = self.interrupts.stop_signal();
                for l in stop_message(why, &self.settings, signal) {
                    sink.note(&l);
                }
                let result = match why {
                    CancelReason::SilenceTimeout | CancelReason::JobTimeout => JobResult::Errored,
                    _ => JobResult::Canceled,
                };
                let text = match why {
                    CancelReason::SilenceTimeout => "no output for the log-silence timeout",
                    CancelReason::JobTimeout => "job timeout",
                    CancelReason::Interrupted | CancelReason::Forced => signal.reason(),
                    CancelReason::Canceled => "fast_finish: the stage result is already known",
                };
                (result, None, Some(text.to_string()))
            }
            Ok(JobEnd::Killed(msg)) => {
                sink.note(&msg);
                (JobResult::Errored, None, Some(msg))
            }
            Err(e) => {
                if e.environment {
                    self.environment_problem.store(true, Ordering::SeqCst);
                }
                sink.note(&format!(
                    "travis-local: {} executor: {}",
                    self.executor.name(),
                    e.message
                ));
                (JobResult::Errored, None, Some(e.message.clone()))
            }
        }
    }
}

/// A job with what its hooks added.
struct Hooked {
    run: JobRun,
    mask: Vec<String>,
    notes: Vec<String>,
    /// (path relative to the job's home, contents, executable)
    files: Vec<(String, Vec<u8>, bool)>,
}

/// Copy the working tree into the job's build directory and write the hooks' home files.
fn set_up(job: &PreparedJob, hooked: &Hooked) -> Result<(), String> {
    crate::worktree::copy_worktree(&job.source_dir, &hooked.run.build_dir, &job.exclude)
        .map_err(|e| format!("cannot copy the working tree: {e}"))?;
    for (rel, contents, exec) in &hooked.files {
        write_home_file(&hooked.run.home_dir, rel, contents, *exec)?;
    }
    Ok(())
}

fn canceled(job: &PreparedJob, reason: String) -> JobOutcome {
    JobOutcome {
        job: job.run.number.clone(),
        stage: job.stage.clone(),
        name: job.name.clone(),
        allow_failure: job.allow_failure,
        result: JobResult::Canceled,
        exit_code: None,
        duration: None,
        duration_ms: None,
        reason: Some(reason),
        log_tail: String::new(),
    }
}

fn write_home_file(
    home: &std::path::Path,
    rel: &str,
    contents: &[u8],
    exec: bool,
) -> Result<(), String> {
    let rel_path = std::path::Path::new(rel);
    if rel_path.is_absolute()
        || rel_path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(format!(
            "a hook asked to write `{rel}` outside the job's home"
        ));
    }
    let path = home.join(rel_path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    if exec {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::{ExecError, Executor, JobEnd, JobRun, OutputSink};

    /// Records which jobs ran; each job "exits" with the code given by its number.
    struct Fake {
        codes: Vec<(&'static str, i32)>,
        ran: Mutex<Vec<String>>,
    }

    impl Executor for Fake {
        fn name(&self) -> &str {
            "fake"
        }
        fn prepare(&self, _: &[JobRun], _: &dyn OutputSink) -> Result<(), ExecError> {
            Ok(())
        }
        fn run(
            &self,
            job: &JobRun,
            sink: &dyn OutputSink,
            cancel: &CancelToken,
        ) -> Result<JobEnd, ExecError> {
            self.ran.lock().unwrap().push(job.number.clone());
            sink.output(b"travis_fold:start:x\r\x1b[0Kinside\n");
            let code = self
                .codes
                .iter()
                .find(|(n, _)| *n == job.number)
                .map_or(0, |(_, c)| *c);
            if code < 0 {
                // "runs" until cancelled
                while !cancel.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return Ok(JobEnd::Cancelled(
                    cancel.reason().unwrap_or(CancelReason::Canceled),
                ));
            }
            Ok(JobEnd::Exited(code))
        }
    }

    fn job(
        src: &std::path::Path,
        root: &std::path::Path,
        number: &str,
        stage: &str,
        allow: bool,
    ) -> PreparedJob {
        let home = root.join(number).join("home/travis");
        std::fs::create_dir_all(&home).unwrap();
        PreparedJob {
            run: JobRun {
                number: number.into(),
                run_id: "t".into(),
                script: String::new(),
                env: vec![],
                build_dir: home.join("build/o/r"),
                home_dir: home,
                repo_slug: "o/r".into(),
                config: serde_json::json!({}),
                cache: None,
            },
            stage: stage.into(),
            name: None,
            description: String::new(),
            allow_failure: allow,
            mask: vec![],
            notices: vec![],
            job_env: vec![],
            source_dir: src.to_path_buf(),
            exclude: vec![],
        }
    }

    fn orchestrate(
        fake: &Fake,
        parallel: usize,
        fast_finish: bool,
        jobs: &[PreparedJob],
        stages: &[&str],
    ) -> Vec<JobOutcome> {
        let out = Output::new(Box::new(std::io::sink()));
        orchestrate_with(fake, &[], out, parallel, fast_finish, jobs, stages)
    }

    fn orchestrate_with(
        fake: &dyn Executor,
        hooks: &[Box<dyn JobHook>],
        out: Output,
        parallel: usize,
        fast_finish: bool,
        jobs: &[PreparedJob],
        stages: &[&str],
    ) -> Vec<JobOutcome> {
        let o = Orchestrator {
            executor: fake,
            hooks,
            settings: RunSettings {
                parallel,
                style: Style {
                    json: false,
                    collapse: false,
                    color: false,
                    prefix: false,
                },
                silence_timeout: Duration::from_secs(60),
                job_timeout: Duration::from_secs(60),
                fast_finish,
            },
            out,
            interrupts: {
                let i = Arc::new(Interrupts::default());
                i.arm();
                i
            },
            environment_problem: AtomicBool::new(false),
        };
        let stages: Vec<String> = stages.iter().map(|s| s.to_string()).collect();
        o.run_build(&stages, jobs)
    }

    #[test]
    fn failed_stage_cancels_later_stages_but_finishes_its_own() {
        let src = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let jobs = vec![
            job(src.path(), root.path(), "1.1", "test", false),
            job(src.path(), root.path(), "1.2", "test", false),
            job(src.path(), root.path(), "1.3", "deploy", false),
        ];
        let fake = Fake {
            codes: vec![("1.1", 1)],
            ran: Mutex::default(),
        };
        let out = orchestrate(&fake, 1, false, &jobs, &["test", "deploy"]);
        assert_eq!(*fake.ran.lock().unwrap(), vec!["1.1", "1.2"]);
        let results: Vec<JobResult> = out.iter().map(|o| o.result).collect();
        assert_eq!(
            results,
            vec![JobResult::Failed, JobResult::Passed, JobResult::Canceled]
        );
        assert_eq!(
            build_result(&["test".into(), "deploy".into()], &out),
            JobResult::Failed
        );
    }

    struct Hook;
    impl JobHook for Hook {
        fn name(&self) -> &str {
            "test-hook"
        }
        fn before_job(
            &self,
            _env: &[(String, String)],
        ) -> Result<crate::executor::HookOutput, String> {
            Ok(crate::executor::HookOutput {
                secret_env: vec![("HOOK_TOKEN".into(), "hook-secret-value".into())],
                env: vec![("HOOK_PLAIN".into(), "plain".into())],
                home_files: vec![(
                    ".travis-local/bin/tool".into(),
                    b"#!/bin/sh\n".to_vec(),
                    true,
                )],
                notices: vec!["hook ran".into()],
            })
        }
    }

    /// Prints every env var it gets, and checks the hook's file exists.
    struct EnvEcho;
    impl Executor for EnvEcho {
        fn name(&self) -> &str {
            "echo"
        }
        fn prepare(&self, _: &[JobRun], _: &dyn OutputSink) -> Result<(), ExecError> {
            Ok(())
        }
        fn run(
            &self,
            job: &JobRun,
            sink: &dyn OutputSink,
            _: &CancelToken,
        ) -> Result<JobEnd, ExecError> {
            for (k, v) in &job.env {
                // split across two writes: the masker must still catch it
                let text = format!("{k}={v}\n");
                let (a, b) = text.split_at(text.len() / 2);
                sink.output(a.as_bytes());
                sink.output(b.as_bytes());
            }
            let tool = job.home_dir.join(".travis-local/bin/tool");
            Ok(JobEnd::Exited(if tool.exists() { 0 } else { 1 }))
        }
    }

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn hook_secrets_reach_the_job_and_are_masked() {
        let src = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let jobs = vec![job(src.path(), root.path(), "1.1", "", false)];
        let buf = Buf::default();
        let hooks: Vec<Box<dyn JobHook>> = vec![Box::new(Hook)];
        let out = Output::new(Box::new(buf.clone()));
        let res = orchestrate_with(&EnvEcho, &hooks, out, 1, false, &jobs, &[""]);
        assert_eq!(
            res[0].result,
            JobResult::Passed,
            "the hook's file was not written"
        );
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(text.contains("HOOK_TOKEN=[secure]"), "{text}");
        assert!(text.contains("HOOK_PLAIN=plain"), "{text}");
        assert!(text.contains("Note: hook ran"), "{text}");
        assert!(!text.contains("hook-secret-value"), "{text}");
    }

    #[test]
    fn fast_finish_cancels_running_allowed_failures() {
        let src = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let jobs = vec![
            job(src.path(), root.path(), "1.1", "", true),
            job(src.path(), root.path(), "1.2", "", false),
        ];
        let fake = Fake {
            codes: vec![("1.1", -1)],
            ran: Mutex::default(),
        };
        let out = orchestrate(&fake, 2, true, &jobs, &[""]);
        assert_eq!(out[0].result, JobResult::Canceled);
        assert_eq!(out[1].result, JobResult::Passed);
        assert_eq!(build_result(&["".into()], &out), JobResult::Passed);
    }

    #[test]
    fn exit_codes_map_like_the_worker() {
        assert_eq!(result_of_exit(0), JobResult::Passed);
        assert_eq!(result_of_exit(1), JobResult::Failed);
        assert_eq!(result_of_exit(2), JobResult::Errored);
        assert_eq!(result_of_exit(86), JobResult::Errored);
    }

    #[test]
    fn errored_outranks_failed_and_allowed_failures_are_ignored() {
        use JobResult::*;
        assert_eq!(combine([(&Failed, false), (&Errored, false)]), Errored);
        assert_eq!(combine([(&Passed, false), (&Errored, true)]), Passed);
        assert_eq!(combine([(&Errored, true)]), Passed);
        assert_eq!(combine([(&Canceled, false), (&Errored, false)]), Canceled);
    }
}
