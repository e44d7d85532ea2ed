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

use crate::executor::{
    CancelReason, CancelToken, ExecError, Executor, JobEnd, JobHook, JobRun, OutputSink,
};
use crate::render::{LogEvent, LogParser, Output, Printer, Style};
use crate::report::Event;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use travis_local_script::Masker;

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

/// The signal that stopped the run (the first one received).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, a service manager, a CI runner stopping).
    Terminate,
    /// SIGHUP (the terminal went away).
    HangUp,
}

impl StopSignal {
    pub fn from_signal(signal: i32) -> Self {
        match signal {
            libc::SIGTERM => StopSignal::Terminate,
            libc::SIGHUP => StopSignal::HangUp,
            _ => StopSignal::Interrupt,
        }
    }
    /// `SIGINT`, `SIGTERM`, `SIGHUP`.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::HangUp => "SIGHUP",
        }
    }
    /// `Interrupted (Ctrl-C)`, `Terminated (SIGTERM)`, `Hung up (SIGHUP)`.
    pub fn title(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "Interrupted (Ctrl-C)",
            StopSignal::Terminate => "Terminated (SIGTERM)",
            StopSignal::HangUp => "Hung up (SIGHUP)",
        }
    }
    /// The title in lower case, for a job's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "interrupted (Ctrl-C)",
            StopSignal::Terminate => "terminated (SIGTERM)",
            StopSignal::HangUp => "hung up (SIGHUP)",
        }
    }
    /// 128 + the signal number, as shells report it: 130, 143, 129.
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
            StopSignal::HangUp => 129,
        }
    }
}

/// Ctrl-C / SIGTERM state shared with the signal handler.
///
/// Before the jobs phase ([`Interrupts::arm`]) nothing needs stopping gracefully, so a
/// signal removes the run directory (and the run's state file) and exits at once (e.g.
/// during a long image build in `Executor::prepare`, which has no cancel token).
#[derive(Default)]
pub struct Interrupts {
    count: AtomicUsize,
    /// The first signal received (0 = none).
    signal: AtomicI32,
    tokens: Mutex<Vec<CancelToken>>,
    armed: AtomicBool,
    run_dir: Mutex<Option<PathBuf>>,
}

impl Interrupts {
    pub fn interrupted(&self) -> bool {
        self.count.load(Ordering::SeqCst) > 0
    }
    /// The signal that stopped the run (SIGINT when none was received).
    pub fn stop_signal(&self) -> StopSignal {
        StopSignal::from_signal(self.signal.load(Ordering::SeqCst))
    }
    /// The directory to remove if a signal comes before the jobs phase.
    pub fn set_run_dir(&self, dir: Option<PathBuf>) {
        if let Ok(mut d) = self.run_dir.lock() {
            *d = dir;
        }
    }
    /// From now on a signal stops the jobs gracefully and the run prints its summary.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }
    /// Called for each SIGINT/SIGTERM/SIGHUP: first time graceful, then forced.
    pub fn fire(&self, signal: i32) {
        let _ = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        if !self.armed.load(Ordering::SeqCst) {
            if let Ok(Some(dir)) = self.run_dir.lock().map(|d| d.clone()) {
                let _ = std::fs::remove_dir_all(dir);
            }
            crate::state::finish();
            let stop = self.stop_signal();
            eprintln!("{} before any job started.", stop.title());
            std::process::exit(stop.exit_code());
        }
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        let reason = if n == 1 {
            CancelReason::Interrupted
        } else {
            CancelReason::Forced
        };
        let tokens = match self.tokens.lock() {
            Ok(t) => t,
            Err(p) => p.into_inner(),
        };
        for t in tokens.iter() {
            t.cancel(reason);
        }
    }
    fn register(&self, token: &CancelToken) {
        if let Ok(mut t) = self.tokens.lock() {
            t.push(token.clone());
        }
        if self.interrupted() {
            token.cancel(CancelReason::Interrupted);
        }
    }
}

static INTERRUPTS: OnceLock<Arc<Interrupts>> = OnceLock::new();

/// The process-wide signal state; installs the SIGINT/SIGTERM/SIGHUP handlers on first
/// use.
pub fn interrupts() -> Arc<Interrupts> {
    INTERRUPTS
        .get_or_init(|| {
            let state = Arc::new(Interrupts::default());
            // Failing to install only loses the graceful stop.
            let _ = install_signal_handlers(state.clone());
            state
        })
        .clone()
}

/// The handlers only write the signal number to a pipe (async-signal-safe); a thread
/// reads it and calls [`Interrupts::fire`].
fn install_signal_handlers(state: Arc<Interrupts>) -> std::io::Result<()> {
    use std::io::Read;
    use std::os::fd::{AsRawFd, IntoRawFd};
    let (read_end, write_end) = crate::host::make_pipe()?;
    // SAFETY: fcntl on a descriptor we own; a full pipe then drops a signal instead of
    // blocking inside the handler.
    unsafe {
        let fd = write_end.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    // Kept open for the life of the process (the handlers use it).
    let wfd = write_end.into_raw_fd();
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let byte = u8::try_from(signal).unwrap_or(0);
        // SAFETY: the action only calls write(2), which is async-signal-safe.
        unsafe {
            signal_hook_registry::register(signal, move || {
                libc::write(wfd, (&byte as *const u8).cast(), 1);
            })
        }
        .map_err(std::io::Error::other)?;
    }
    std::thread::Builder::new()
        .name("travis-local-signals".into())
        .spawn(move || {
            let mut reader = std::fs::File::from(read_end);
            let mut byte = [0u8; 1];
            loop {
                match reader.read(&mut byte) {
                    Ok(1) => state.fire(i32::from(byte[0])),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    _ => break,
                }
            }
        })?;
    Ok(())
}

/// The sink of one job: masks, interprets markers, renders, and notes the time of the
/// last output (for the silence timeout).
pub struct JobSink {
    state: Mutex<SinkState>,
    last_output: Mutex<Instant>,
}

struct SinkState {
    masker: Masker,
    parser: LogParser,
    printer: Printer,
    /// The last [`TAIL_BYTES`] of masked output.
    tail: std::collections::VecDeque<u8>,
}

/// How much of a job's masked log [`JobSink::tail`] keeps.
pub const TAIL_BYTES: usize = 16 * 1024;

impl SinkState {
    fn keep(&mut self, masked: &[u8]) {
        let skip = masked.len().saturating_sub(TAIL_BYTES);
        self.tail.extend(&masked[skip..]);
        let over = self.tail.len().saturating_sub(TAIL_BYTES);
        self.tail.drain(..over);
    }
}

impl JobSink {
    pub fn new(mask: &[String], printer: Printer) -> Self {
        JobSink {
            state: Mutex::new(SinkState {
                masker: Masker::new(mask),
                parser: LogParser::default(),
                printer,
                tail: std::collections::VecDeque::new(),
            }),
            last_output: Mutex::new(Instant::now()),
        }
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, SinkState> {
        match self.state.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        }
    }
    /// A line from travis-local itself, masked like job output.
    pub fn note(&self, text: &str) {
        let mut s = self.lock();
        let masked = s.masker.mask_all(text.as_bytes());
        s.keep(&masked);
        s.keep(b"\n");
        let line = String::from_utf8_lossy(&masked).into_owned();
        s.printer.note(&line);
    }
    /// Flushes everything held back (end of the job).
    pub fn finish(&self) {
        let mut s = self.lock();
        let rest = s.masker.finish();
        s.keep(&rest);
        let mut ev = s.parser.push(&rest);
        ev.extend(s.parser.finish());
        s.printer.events(ev);
        s.printer.finish();
    }
    /// The end of the masked log so far (at most [`TAIL_BYTES`], cut at a line start).
    pub fn tail(&self) -> String {
        let s = self.lock();
        let bytes: Vec<u8> = s.tail.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match (s.tail.len() >= TAIL_BYTES, text.find('\n')) {
            (true, Some(i)) => text[i + 1..].to_string(),
            _ => text,
        }
    }
    /// Restarts the silence clock (the job is about to start).
    fn touch(&self) {
        if let Ok(mut t) = self.last_output.lock() {
            *t = Instant::now();
        }
    }
    fn silence(&self) -> Duration {
        match self.last_output.lock() {
            Ok(t) => t.elapsed(),
            Err(p) => p.into_inner().elapsed(),
        }
    }
}

impl OutputSink for JobSink {
    fn output(&self, bytes: &[u8]) {
        if let Ok(mut t) = self.last_output.lock() {
            *t = Instant::now();
        }
        let mut s = self.lock();
        let masked = s.masker.push(bytes);
        s.keep(&masked);
        let ev: Vec<LogEvent> = s.parser.push(&masked);
        s.printer.events(ev);
    }
}

/// The Travis log lines for a job stopped from outside.
pub fn stop_message(
    reason: CancelReason,
    settings: &RunSettings,
    signal: StopSignal,
) -> Vec<String> {
    match reason {
        CancelReason::SilenceTimeout => vec![
            String::new(),
            format!(
                "No output has been received in the last {}, this potentially indicates a stalled build or something wrong with the build itself.",
                crate::duration::go_format(settings.silence_timeout)
            ),
            "Check the details on how to adjust your build configuration on: https://docs.travis-ci.com/user/common-build-problems/#build-times-out-because-no-output-was-received".into(),
            String::new(),
            "The build has been terminated".into(),
            String::new(),
        ],
        CancelReason::JobTimeout => vec![
            String::new(),
            "The job exceeded the maximum time limit for jobs, and has been terminated.".into(),
            format!("(job time limit: {})", crate::duration::go_format(settings.job_timeout)),
            String::new(),
        ],
        CancelReason::Interrupted | CancelReason::Forced => {
            vec![
                String::new(),
                format!("{}: the job was stopped.", signal.title()),
                "Done: Job Cancelled".into(),
            ]
        }
        CancelReason::Canceled => vec![String::new(), "Done: Job Cancelled".into()],
    }
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
        let style = self.settings.style;
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
        let mut run = job.run.clone();
        let mut mask = job.mask.clone();
        let mut hook_notes = Vec::new();
        let mut hook_files = Vec::new();
        for hook in self.hooks {
            match hook.before_job(&job.job_env) {
                Ok(out) => {
                    for (k, v) in out.secret_env {
                        mask.push(v.clone());
                        run.env.push((k, v));
                    }
                    run.env.extend(out.env);
                    hook_files.extend(out.home_files);
                    hook_notes.extend(out.notices);
                }
                Err(e) => hook_notes.push(format!("{}: {e}", hook.name())),
            }
        }
        let printer = Printer::new(&number, style, self.out.clone());
        let sink = JobSink::new(&mask, printer);
        for n in job.notices.iter().chain(&hook_notes) {
            sink.note(&format!("Note: {n}"));
        }

        let mut setup_error = None;
        if let Err(e) =
            crate::worktree::copy_worktree(&job.source_dir, &run.build_dir, &job.exclude)
        {
            setup_error = Some(format!("cannot copy the working tree: {e}"));
        }
        for (rel, contents, exec) in &hook_files {
            if setup_error.is_some() {
                break;
            }
            if let Err(e) = write_home_file(&run.home_dir, rel, contents, *exec) {
                setup_error = Some(e);
            }
        }

        let end: Result<JobEnd, ExecError> = match setup_error {
            Some(message) => Err(ExecError {
                environment: true,
                message,
            }),
            None => {
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
                        None => self.executor.run(&run, &sink, token),
                    };
                    done.store(true, Ordering::SeqCst);
                    end
                })
            }
        };
        sink.finish();
        let duration = started.elapsed();
        let (result, exit_code, reason) = match end {
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
        };
        let outcome = JobOutcome {
            job: number.clone(),
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
        self.emit(&mask, Event::JobFinished(outcome.clone()));
        outcome
    }
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
