//! `travis-local run`: flags, and the pipeline from `.travis.yml` to a build result.
//!
//! config (travis_local_matrix::load_build, error-level finding → exit 3) → facts →
//! plan → job selection → secrets → compile each job (travis_local_script::compile) →
//! executor → [`travis_local_runner::orchestrate`] → summary and exit code.
//!
//! Exit codes: 0 passed (or no job would run), 1 failed, 2 errored, 3 config invalid
//! (error-level finding, invalid or tracked secrets file), 4 environment or usage
//! problem (executor unavailable, no such job, unreadable repository), 130 interrupted
//! (SIGINT, Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP).

use super::facts::{FactArgs, SecretArgs};
use crate::exit;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use travis_local_config::local::LocalConfig;
use travis_local_matrix::workspace::select_jobs;
use travis_local_matrix::{Build, Workspace, WorkspaceError};
use travis_local_runner::executor::{ExecError, Executor, JobHook, JobRun};
use travis_local_runner::orchestrate::{self, JobResult, Orchestrator, PreparedJob, RunSettings};
use travis_local_runner::render::{Output, Style};
use travis_local_runner::report::{emit, Event};
use travis_local_script::CompileOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExecutorKind {
    Docker,
    Host,
    /// Each job as a Docker Swarm job on the swarm the engine belongs to.
    Swarm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    travis_local_runner::duration::parse(s)
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Jobs to run: number (`1.3` or `3`) or name [default: every job of the build]
    #[arg(value_name = "JOB")]
    pub selectors: Vec<String>,
    /// Only run the jobs of this stage
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Where jobs run
    #[arg(long, value_enum, default_value_t = ExecutorKind::Docker)]
    pub executor: ExecutorKind,
    /// Run up to N jobs of a stage in parallel (output lines are prefixed by job number)
    /// [default: 1; with --executor swarm, the whole stage]
    #[arg(short = 'j', long = "jobs", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
    /// Keep each job's directory (copied tree and home) and print where it is
    #[arg(long)]
    pub keep: bool,
    /// Show every fold expanded, also on a terminal
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Output: human, or JSON lines (job_started, output, job_finished, build_finished)
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Stop a job that prints nothing for this long (Travis: 10m), e.g. 90s, 10m
    #[arg(long = "log-silence-timeout", value_name = "DURATION", default_value = "10m",
          value_parser = parse_duration)]
    pub log_silence_timeout: Duration,
    /// Stop a job that runs longer than this (Travis: 50m), e.g. 50m, 1h30m
    #[arg(long = "job-timeout", value_name = "DURATION", default_value = "50m",
          value_parser = parse_duration)]
    pub job_timeout: Duration,
    /// Also write the results as a JUnit XML report to PATH (one test case per job,
    /// grouped by build stage; failed = failure, errored = error, masked log tails)
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Run deploy providers other than `script` as errors (they are not emulated) instead
    /// of listing them as "not run locally"
    #[arg(long)]
    pub deploy: bool,
    /// Ignore `cache:` for this run: no cache is restored or stored (the caches stay)
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// Host executor: start `services:` on the host (the Docker executor always starts
    /// them inside the job's container)
    #[arg(long = "start-services")]
    pub start_services: bool,
    /// Host executor: apply the addons that change the machine (apt, hosts, hostname,
    /// snaps, chrome, database versions) and install missing service packages, as root
    /// on the host (the Docker executor always applies them in the job's container)
    #[arg(long = "apply-addons")]
    pub apply_addons: bool,
    #[command(flatten)]
    pub facts: FactArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
}

/// Builds the executor chosen on the command line (supplied by the binary, which knows
/// every executor crate).
/// It receives the repository's local settings (`.travis-local/config.yml`, read once).
pub type ExecutorFactory<'a> =
    dyn Fn(ExecutorKind, &LocalConfig) -> Result<Box<dyn Executor>, ExecError> + 'a;

struct Fail(i32, String);

impl From<WorkspaceError> for Fail {
    fn from(e: WorkspaceError) -> Fail {
        Fail(
            exit::workspace(exit::Command::Run, &e),
            format!("error: {e}"),
        )
    }
}

/// The repository's `.travis-local/config.yml`, read once from its root: findings are
/// shown with a caret; an error-level one stops the run (exit 3).
fn load_local(tree: &Path) -> Result<LocalConfig, Fail> {
    let local = LocalConfig::load(tree).map_err(WorkspaceError::Local)?;
    let shown = local.render_human(false);
    if !shown.is_empty() {
        eprint!("{shown}");
    }
    if local.has_errors() {
        return Err(Fail(
            exit::CONFIG,
            format!(
                "error: {} is invalid (see above); no job was run",
                travis_local_config::local::path_in(tree).display()
            ),
        ));
    }
    Ok(local)
}

pub fn main(args: &RunArgs, hooks: &[Box<dyn JobHook>], factory: &ExecutorFactory<'_>) -> i32 {
    match run(args, hooks, factory) {
        Ok(code) => code,
        Err(Fail(code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

/// `run`, step by step: flags → the build (workspace) → the run directory → compiled
/// jobs → executor → orchestrated jobs → report.
fn run(
    args: &RunArgs,
    hooks: &[Box<dyn JobHook>],
    factory: &ExecutorFactory<'_>,
) -> Result<i32, Fail> {
    let secret_settings = check_flags(args)?;
    let interrupts = orchestrate::interrupts();
    let ws = Workspace::discover();
    let repo = ws.root().to_path_buf();
    // With --commit, the config, local settings and job trees come from a checkout of
    // that commit (untracked secrets stay in the working tree).
    let Build {
        mut tree,
        loaded,
        facts,
        ..
    } = ws.build(&args.facts.settings())?;
    show_findings(&loaded)?;
    let out = Output::stdout();
    let nothing_style = output_style(args, 1, 0);
    let plan = travis_local_matrix::plan(&loaded.config, &facts);
    if !plan.runs {
        let why = plan
            .reason
            .clone()
            .unwrap_or_else(|| "the build has no jobs".into());
        say_nothing_runs(&out, nothing_style, &why);
        return Ok(exit::OK);
    }
    let selected = select_jobs(&plan, &args.selectors, args.stage.as_deref())?;
    if selected.is_empty() {
        say_nothing_runs(&out, nothing_style, "no job matches the selection");
        return Ok(exit::OK);
    }
    let secrets = secret_settings
        .load(&repo)
        .map_err(|e| Fail(exit::secrets(exit::Command::Run, &e), format!("error: {e}")))?;
    let mut local = load_local(tree.path())?;

    warn_about_stale_runs();
    // Declared before the run directory so that it is dropped after it: the record
    // outlives what it describes.
    let _state_guard;
    let (run_dir, run_id) = make_run_dir()?;
    interrupts.set_run_dir(Some(run_dir.path().to_path_buf()));
    // A commit's checkout moves into the run directory: removed with it, also by
    // `clean` after a crash.
    tree.move_into(&run_dir.path().join("commit"))
        .map_err(|e| Fail(exit::ENVIRONMENT, format!("error: {e}")))?;
    // Image recipes' paths are relative to where the settings now are.
    if local.path.is_some() {
        local.path = Some(travis_local_config::local::path_in(tree.path()));
    }
    _state_guard = record_run(args, &run_id, run_dir.path());
    let ctx = JobContext {
        args,
        run_dir: run_dir.path(),
        run_id: &run_id,
        facts: &facts,
        root_config: &loaded.config,
        source_dir: tree.path(),
        exclude: secrets_files_in(&repo, secrets.file.as_deref()),
        secure_entries: travis_local_script::secrets::find_secure_entries(&loaded.config, &secrets),
        local: &local,
        secrets: &secrets,
        cache: travis_local_script::cache::CacheOptions::for_repo(&repo),
    };
    let prepared = ctx.prepare_jobs(&selected)?;
    let executor = start_executor(args, factory, &local, &prepared, &run_id)?;

    let stage_names: Vec<String> = plan.stages.iter().map(|s| s.name.clone()).collect();
    let (style, outcomes, finished) = run_jobs(
        args,
        hooks,
        executor.as_ref(),
        (&stage_names, plan.fast_finish),
        &prepared,
        &out,
        &run_id,
    );
    let kept = args.keep.then(|| run_dir.keep());
    Ok(finished.report(args, &out, style, &stage_names, &outcomes, kept))
}

/// Record the run for `travis-local clean`. Keep the guard until the run directory is
/// gone: the record outlives what it describes.
fn record_run(args: &RunArgs, run_id: &str, dir: &Path) -> travis_local_runner::state::StateGuard {
    let executor = match args.executor {
        ExecutorKind::Host => "host",
        ExecutorKind::Docker => "docker",
        ExecutorKind::Swarm => "swarm",
    };
    travis_local_runner::state::begin(run_id, dir, executor, args.keep).unwrap_or_else(|e| {
        eprintln!(
            "warning: cannot record this run for `travis-local clean` ({e}); if travis-local is killed, remove {} by hand",
            dir.display()
        );
        travis_local_runner::state::StateGuard::none()
    })
}

/// Run the prepared jobs stage by stage (`stages`: the names in order and
/// `fast_finish`), then clean up the executor.
fn run_jobs(
    args: &RunArgs,
    hooks: &[Box<dyn JobHook>],
    executor: &dyn Executor,
    (stage_names, fast_finish): (&[String], bool),
    prepared: &[PreparedJob],
    out: &Output,
    run_id: &str,
) -> (Style, Vec<orchestrate::JobOutcome>, Finished) {
    let interrupts = orchestrate::interrupts();
    // With a swarm and no -j, the whole stage is submitted (the swarm queues it).
    let parallel = usize::from(args.parallel.unwrap_or(match args.executor {
        ExecutorKind::Swarm => u16::MAX,
        _ => 1,
    }));
    let style = output_style(args, parallel, prepared.len());
    let orchestrator = Orchestrator {
        executor,
        hooks,
        settings: RunSettings {
            parallel,
            style,
            silence_timeout: args.log_silence_timeout,
            job_timeout: args.job_timeout,
            fast_finish,
        },
        out: out.clone(),
        interrupts: interrupts.clone(),
        environment_problem: AtomicBool::new(false),
    };
    interrupts.arm();
    let outcomes = orchestrator.run_build(stage_names, prepared);
    let _ = executor.cleanup(run_id);
    let env_problem = orchestrator
        .environment_problem
        .load(std::sync::atomic::Ordering::SeqCst);
    let finished = Finished {
        result: orchestrate::build_result(stage_names, &outcomes),
        interrupted: interrupts.interrupted(),
        stop: interrupts.stop_signal(),
        env_problem,
        executor: executor.name().to_string(),
        mask: prepared
            .iter()
            .flat_map(|p| p.mask.iter().cloned())
            .collect(),
    };
    (style, outcomes, finished)
}

/// The flags clap cannot check: a malformed `--secret` is a usage error (exit 2),
/// reported before anything else and without its text (which may be the value); a
/// `--junit` path must be a file in an existing directory.
fn check_flags(args: &RunArgs) -> Result<travis_local_script::SecretSettings, Fail> {
    let secret_settings = args.secrets.settings();
    secret_settings
        .check_usage()
        .map_err(|e| Fail(exit::USAGE, format!("error: {e}")))?;
    if let Some(path) = &args.junit {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) || path.is_dir() {
            return Err(Fail(
                exit::USAGE,
                format!(
                    "error: --junit {}: not a file in an existing directory",
                    path.display()
                ),
            ));
        }
    }
    Ok(secret_settings)
}

/// The config's findings on stderr (info level, defaults and aliases, is for `lint`);
/// an error-level one stops the run (exit 3). Then the import notes.
fn show_findings(loaded: &travis_local_matrix::LoadedBuild) -> Result<(), Fail> {
    eprint!("{}", loaded.render(travis_local_config::Level::Warn, false));
    if loaded.has_errors {
        return Err(Fail(
            exit::CONFIG,
            "error: the config is invalid (see above); no job was run".into(),
        ));
    }
    for n in &loaded.notes {
        eprintln!("note: {n}");
    }
    Ok(())
}

/// The run directory (`/tmp/travis-local-XXXX`) and the run id taken from its name.
fn make_run_dir() -> Result<(tempfile::TempDir, String), Fail> {
    let run_dir = tempfile::Builder::new()
        .prefix("travis-local-")
        .tempdir()
        .map_err(|e| {
            Fail(
                exit::ENVIRONMENT,
                format!("error: cannot create a temporary directory: {e}"),
            )
        })?;
    let run_id = run_dir
        .path()
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_start_matches("travis-local-")
                .to_lowercase()
        })
        .unwrap_or_else(|| "run".into());
    Ok((run_dir, run_id))
}

/// What every job of the run shares when it is compiled.
struct JobContext<'a> {
    args: &'a RunArgs,
    run_dir: &'a Path,
    run_id: &'a str,
    facts: &'a travis_local_matrix::BuildFacts,
    root_config: &'a serde_json::Value,
    source_dir: &'a Path,
    exclude: Vec<PathBuf>,
    secure_entries: Vec<travis_local_script::secrets::SecureEntry>,
    local: &'a LocalConfig,
    secrets: &'a travis_local_script::Secrets,
    cache: travis_local_script::cache::CacheOptions,
}

impl JobContext<'_> {
    /// Compile each selected job and create its home directory.
    fn prepare_jobs(
        &self,
        selected: &[&travis_local_matrix::Job],
    ) -> Result<Vec<PreparedJob>, Fail> {
        let host = self.args.executor == ExecutorKind::Host;
        let mut prepared = Vec::new();
        for job in selected {
            let home = self.run_dir.join(&job.number).join("home").join("travis");
            let build_dir = home.join("build").join(&self.facts.repo);
            let opts = CompileOptions {
                deploy: self.args.deploy,
                // The host path for both executors: the Docker executor mounts the job's
                // directory at the same absolute path (and also at /home/travis), so
                // `docker-compose` bind mounts made inside the job resolve on the host.
                build_dir: Some(build_dir.display().to_string()),
                home_dir: host.then(|| home.display().to_string()),
                color: true,
                start_services: !host || self.args.start_services,
                apply_addons: !host || self.args.apply_addons,
                local_env: self.local.env.clone(),
                secure_entries: self.secure_entries.clone(),
                cache: self.cache.clone(),
                ..Default::default()
            };
            let mut compiled = travis_local_script::compile(job, self.facts, self.secrets, &opts);
            let cache = travis_local_script::cache::spec(&job.config, self.facts, &self.cache)
                .filter(|_| !self.args.no_cache);
            if self.args.no_cache {
                compiled
                    .env
                    .push(("TRAVIS_LOCAL_NO_CACHE".into(), "1".into()));
            }
            prepared.push(PreparedJob {
                run: JobRun {
                    number: job.number.clone(),
                    run_id: self.run_id.to_string(),
                    script: compiled.script,
                    env: compiled.env,
                    build_dir,
                    home_dir: home,
                    repo_slug: self.facts.repo.clone(),
                    config: job.config.clone(),
                    cache,
                },
                stage: job.stage.clone(),
                name: job.name.clone(),
                description: describe(&job.config, self.root_config),
                allow_failure: job.allow_failure,
                mask: compiled.mask,
                notices: compiled.notices,
                job_env: compiled.job_env,
                source_dir: self.source_dir.to_path_buf(),
                exclude: self.exclude.clone(),
            });
        }
        for p in &prepared {
            std::fs::create_dir_all(&p.run.home_dir).map_err(|e| {
                Fail(
                    exit::ENVIRONMENT,
                    format!("error: cannot create {}: {e}", p.run.home_dir.display()),
                )
            })?;
        }
        Ok(prepared)
    }
}

/// Build the chosen executor and let it prepare the jobs (images, networks); its
/// progress goes to stderr, masked.
fn start_executor(
    args: &RunArgs,
    factory: &ExecutorFactory<'_>,
    local: &LocalConfig,
    prepared: &[PreparedJob],
    run_id: &str,
) -> Result<Box<dyn Executor>, Fail> {
    let code = |e: &ExecError| {
        if e.environment {
            exit::ENVIRONMENT
        } else {
            exit::ERRORED
        }
    };
    let executor = factory(args.executor, local)
        .map_err(|e| Fail(code(&e), format!("error: {}", e.message)))?;
    let runs: Vec<JobRun> = prepared.iter().map(|p| p.run.clone()).collect();
    let all_mask: Vec<String> = prepared
        .iter()
        .flat_map(|p| p.mask.iter().cloned())
        .collect();
    let prep_sink = orchestrate::JobSink::new(
        &all_mask,
        travis_local_runner::render::Printer::new(
            "prepare",
            Style {
                json: false,
                collapse: false,
                color: false,
                prefix: false,
            },
            Output::new(Box::new(std::io::stderr())),
        ),
    );
    let prepared_ok = executor.prepare(&runs, &prep_sink);
    prep_sink.finish();
    if let Err(e) = prepared_ok {
        let _ = executor.cleanup(run_id);
        return Err(Fail(
            code(&e),
            format!("error: {} executor: {}", executor.name(), e.message),
        ));
    }
    Ok(executor)
}

/// Human or JSON lines; colour and collapsed folds only on a terminal.
fn output_style(args: &RunArgs, parallel: usize, jobs: usize) -> Style {
    let json = args.format == Format::Json;
    let tty = std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Style {
        json,
        collapse: tty && !args.verbose && !json,
        color: color && !json,
        prefix: parallel > 1 && jobs > 1,
    }
}

/// How the build ended.
struct Finished {
    result: JobResult,
    interrupted: bool,
    stop: orchestrate::StopSignal,
    env_problem: bool,
    executor: String,
    /// Every job's secret values: the report is masked too.
    mask: Vec<String>,
}

impl Finished {
    fn exit_code(&self) -> i32 {
        if self.interrupted {
            exit::signal(self.stop)
        } else if self.env_problem && self.result != JobResult::Passed {
            exit::ENVIRONMENT
        } else {
            exit::build(self.result)
        }
    }

    /// The `build_finished` event (summary table, or JSON), the JUnit file; returns the
    /// exit code.
    fn report(
        &self,
        args: &RunArgs,
        out: &Output,
        style: Style,
        stage_names: &[String],
        outcomes: &[orchestrate::JobOutcome],
        kept: Option<PathBuf>,
    ) -> i32 {
        let code = self.exit_code();
        emit(
            out,
            style,
            &self.mask,
            Event::BuildFinished {
                result: self.result,
                exit_code: code,
                stopped_by: self.interrupted.then_some(self.stop),
                jobs: outcomes.to_vec(),
                environment_problem: self.env_problem.then(|| self.executor.clone()),
                kept: kept.as_ref().map(|p| p.display().to_string()),
            },
        );
        if let Some(path) = &args.junit {
            if let Err(e) = travis_local_runner::junit::write(path, stage_names, outcomes) {
                eprintln!("error: --junit: {e}");
                return if code == exit::OK {
                    exit::ENVIRONMENT
                } else {
                    code
                };
            }
        }
        code
    }
}

/// One line on stderr when earlier runs left things behind (their travis-local died).
fn warn_about_stale_runs() {
    let n = travis_local_runner::state::scan(None).stale.len();
    if n > 0 {
        eprintln!(
            "warning: {n} earlier travis-local run(s) were killed and left processes, containers or files behind; `travis-local clean` removes them"
        );
    }
}

/// `python: 3.8 · A=1`: the job's axis values and its own env (global env left out;
/// secure entries shown as `[secure]`).
fn describe(job: &serde_json::Value, root: &serde_json::Value) -> String {
    use serde_json::Value;
    let mut parts = Vec::new();
    // The matrix expansion keys (besides os and env) tell matrix jobs apart, as
    // Travis's job list shows.
    let root_axes: Vec<&str> = travis_local_matrix::EXPAND_KEYS
        .iter()
        .copied()
        .filter(|k| root.get(*k).is_some_and(Value::is_array) && !matches!(*k, "os" | "env"))
        .collect();
    for k in root_axes {
        match job.get(k) {
            Some(Value::String(v)) => parts.push(format!("{k}: {v}")),
            Some(Value::Number(v)) => parts.push(format!("{k}: {v}")),
            _ => {}
        }
    }
    let global: std::collections::HashSet<&Value> = root
        .pointer("/env/global")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if let Some(env) = job.get("env").and_then(Value::as_array) {
        for e in env.iter().filter(|e| !global.contains(e)) {
            match e {
                Value::Object(m) => {
                    for (k, v) in m {
                        if k == "secure" {
                            parts.push("[secure]".into());
                        } else {
                            let v = v
                                .as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string());
                            parts.push(format!("{k}={v}"));
                        }
                    }
                }
                Value::String(s) => parts.push(s.clone()),
                _ => {}
            }
        }
    }
    parts.join(" ")
}

/// The secrets files inside the repository, relative to it (never copied into a job).
fn secrets_files_in(repo: &Path, used: Option<&Path>) -> Vec<PathBuf> {
    let root = repo.canonicalize().unwrap_or_else(|_| repo.to_path_buf());
    let mut out = Vec::new();
    let default = travis_local_script::secrets::default_secrets_path(repo);
    for p in std::iter::once(default.as_path()).chain(used) {
        let abs = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        if let Ok(rel) = abs.strip_prefix(&root).or_else(|_| p.strip_prefix(repo)) {
            if !out.iter().any(|x: &PathBuf| x == rel) {
                out.push(rel.to_path_buf());
            }
        }
    }
    out
}

fn say_nothing_runs(out: &Output, style: Style, why: &str) {
    emit(
        out,
        style,
        &[],
        Event::NothingRuns {
            reason: why.to_string(),
        },
    );
}
