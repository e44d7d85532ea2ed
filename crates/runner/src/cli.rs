//! `travis-local run`: flags, and the pipeline from `.travis.yml` to a build result.
//!
//! config (travis_local_matrix::load_build, error-level finding → exit 3) → facts →
//! plan → job selection → secrets → compile each job (travis_local_script::compile) →
//! executor → [`crate::orchestrate`] → summary and exit code.
//!
//! Exit codes: 0 passed (or no job would run), 1 failed, 2 errored, 3 config invalid
//! (error-level finding, invalid or tracked secrets file), 4 environment or usage
//! problem (executor unavailable, no such job, unreadable repository), 130 interrupted
//! (SIGINT, Ctrl-C), 143 terminated (SIGTERM), 129 hung up (SIGHUP).

use crate::executor::{ExecError, Executor, JobHook, JobRun};
use crate::orchestrate::{self, JobResult, Orchestrator, PreparedJob, RunSettings};
use crate::render::{Output, Style};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use travis_local_config::local::LocalConfig;
use travis_local_matrix::FactArgs;
use travis_local_script::{CompileOptions, SecretArgs};

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
    crate::duration::parse(s)
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

/// Exit codes of `run`.
pub mod exit {
    pub const PASSED: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const ERRORED: i32 = 2;
    pub const CONFIG: i32 = 3;
    pub const ENVIRONMENT: i32 = 4;
    /// A bad flag value found after clap parsed the command line (clap's own are 2 too).
    pub const USAGE: i32 = 2;
    pub const INTERRUPTED: i32 = 130;
    pub const TERMINATED: i32 = 143;
    pub const HUNG_UP: i32 = 129;
}

struct Fail(i32, String);

fn repo_root() -> Result<PathBuf, Fail> {
    let cwd = std::env::current_dir().map_err(|e| {
        Fail(
            exit::ENVIRONMENT,
            format!("error: cannot read the current directory: {e}"),
        )
    })?;
    Ok(crate::worktree::git_root(&cwd).unwrap_or(cwd))
}

/// The repository's `.travis-local/config.yml`, read once from its root: findings are
/// shown with a caret; an error-level one stops the run (exit 3).
fn load_local(repo: &Path) -> Result<LocalConfig, Fail> {
    let local = LocalConfig::load(repo).map_err(|e| Fail(exit::CONFIG, format!("error: {e}")))?;
    let shown = local.render_human(false);
    if !shown.is_empty() {
        eprint!("{shown}");
    }
    if local.has_errors() {
        return Err(Fail(
            exit::CONFIG,
            format!(
                "error: {} is invalid (see above); no job was run",
                travis_local_config::local::path_in(repo).display()
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

fn run(
    args: &RunArgs,
    hooks: &[Box<dyn JobHook>],
    factory: &ExecutorFactory<'_>,
) -> Result<i32, Fail> {
    // A malformed `--secret` is a usage error (exit 2), reported before anything else and
    // without its text (which may be the value).
    args.secrets
        .check_usage()
        .map_err(|e| Fail(exit::ERRORED, e.message))?;
    let interrupts = orchestrate::interrupts();
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
    let repo = repo_root()?;
    let facts = args
        .facts
        .resolve(&repo)
        .map_err(|e| Fail(exit::ENVIRONMENT, format!("error: {e}")))?;
    // With --commit, the config, local settings and job trees come from a checkout of
    // that commit (untracked secrets stay in the working tree).
    let mut tree = travis_local_matrix::BuildTree::new(
        &repo,
        args.facts.commit.as_ref().and(facts.commit.as_deref()),
    )
    .map_err(|e| Fail(exit::ENVIRONMENT, format!("error: {e}")))?;
    let loaded = load_config(tree.path(), &args.facts, &facts)?;
    // Findings at info level (defaults, aliases) are for `lint`; `run` shows the rest.
    // (Each entry is a rendering of several findings separated by blank lines.)
    for d in loaded.diagnostics.iter().flat_map(|d| d.split("\n\n")) {
        if !d.trim().is_empty() && !d.trim_start().starts_with("info[") {
            eprintln!("{}\n", d.trim_end());
        }
    }
    if loaded.has_errors {
        return Err(Fail(
            exit::CONFIG,
            "error: the config is invalid (see above); no job was run".into(),
        ));
    }
    for n in &loaded.notes {
        eprintln!("note: {n}");
    }
    let json = args.format == Format::Json;
    let out = Output::stdout();
    let plan = travis_local_matrix::plan(&loaded.config, &facts);
    if !plan.runs {
        let why = plan
            .reason
            .clone()
            .unwrap_or_else(|| "the build has no jobs".into());
        say_nothing_runs(&out, json, &why);
        return Ok(exit::PASSED);
    }
    let selected = travis_local_matrix::select(&plan, &args.selectors, args.stage.as_deref())
        .map_err(|e| Fail(exit::ENVIRONMENT, format!("error: {e}")))?;
    if selected.is_empty() {
        say_nothing_runs(&out, json, "no job matches the selection");
        return Ok(exit::PASSED);
    }
    let secrets = args.secrets.load(&repo).map_err(|e| {
        Fail(
            if e.code == 3 {
                exit::CONFIG
            } else {
                exit::ENVIRONMENT
            },
            e.message,
        )
    })?;
    let local = load_local(tree.path())?;
    let secure_entries =
        travis_local_script::secrets::find_secure_entries(&loaded.config, &secrets);
    let exclude = secrets_files_in(&repo, secrets.file.as_deref());

    warn_about_stale_runs();
    // Declared before the run directory so that it is dropped after it: the record
    // outlives what it describes.
    let mut _state_guard = crate::state::StateGuard::none();
    let run_dir = tempfile::Builder::new()
        .prefix("travis-local-")
        .tempdir()
        .map_err(|e| {
            Fail(
                exit::ENVIRONMENT,
                format!("error: cannot create a temporary directory: {e}"),
            )
        })?;
    interrupts.set_run_dir(Some(run_dir.path().to_path_buf()));
    let run_id = run_dir
        .path()
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .trim_start_matches("travis-local-")
                .to_lowercase()
        })
        .unwrap_or_else(|| "run".into());
    // A commit's checkout moves into the run directory: removed with it, also by
    // `clean` after a crash.
    tree.move_into(&run_dir.path().join("commit"))
        .map_err(|e| Fail(exit::ENVIRONMENT, format!("error: {e}")))?;
    let host = args.executor == ExecutorKind::Host;
    match crate::state::begin(
        &run_id,
        run_dir.path(),
        match args.executor {
            ExecutorKind::Host => "host",
            ExecutorKind::Docker => "docker",
            ExecutorKind::Swarm => "swarm",
        },
        args.keep,
    ) {
        Ok(g) => _state_guard = g,
        Err(e) => eprintln!(
            "warning: cannot record this run for `travis-local clean` ({e}); if travis-local is killed, remove {} by hand",
            run_dir.path().display()
        ),
    }
    let mut prepared = Vec::new();
    for job in &selected {
        let home = run_dir.path().join(&job.number).join("home").join("travis");
        let build_dir = home.join("build").join(&facts.repo);
        let opts = CompileOptions {
            deploy: args.deploy,
            // The host path for both executors: the Docker executor mounts the job's
            // directory at the same absolute path (and also at /home/travis), so
            // `docker-compose` bind mounts made inside the job resolve on the host.
            build_dir: Some(build_dir.display().to_string()),
            home_dir: host.then(|| home.display().to_string()),
            color: true,
            local_env: local.env.clone(),
            secure_entries: secure_entries.clone(),
            ..Default::default()
        };
        let compiled = travis_local_script::compile(job, &facts, &secrets, &opts);
        prepared.push(PreparedJob {
            run: JobRun {
                number: job.number.clone(),
                run_id: run_id.clone(),
                script: compiled.script,
                env: compiled.env,
                build_dir,
                home_dir: home,
                repo_slug: facts.repo.clone(),
                config: job.config.clone(),
            },
            stage: job.stage.clone(),
            name: job.name.clone(),
            description: describe(&job.config, &loaded.config),
            allow_failure: job.allow_failure,
            mask: compiled.mask,
            notices: compiled.notices,
            job_env: compiled.job_env,
            source_dir: tree.path().to_path_buf(),
            exclude: exclude.clone(),
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

    let executor = factory(args.executor, &local).map_err(|e| {
        Fail(
            if e.environment {
                exit::ENVIRONMENT
            } else {
                exit::ERRORED
            },
            format!("error: {}", e.message),
        )
    })?;
    let runs: Vec<JobRun> = prepared.iter().map(|p| p.run.clone()).collect();
    let all_mask: Vec<String> = prepared
        .iter()
        .flat_map(|p| p.mask.iter().cloned())
        .collect();
    let prep_sink = orchestrate::JobSink::new(
        &all_mask,
        crate::render::Printer::new(
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
        let _ = executor.cleanup(&run_id);
        return Err(Fail(
            if e.environment {
                exit::ENVIRONMENT
            } else {
                exit::ERRORED
            },
            format!("error: {} executor: {}", executor.name(), e.message),
        ));
    }

    // With a swarm and no -j, the whole stage is submitted (the swarm queues it).
    let parallel = usize::from(args.parallel.unwrap_or(match args.executor {
        ExecutorKind::Swarm => u16::MAX,
        _ => 1,
    }));
    let tty = std::io::stdout().is_terminal();
    let color = tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style {
        json,
        collapse: tty && !args.verbose && !json,
        color: color && !json,
        prefix: parallel > 1 && prepared.len() > 1,
    };
    let stage_names: Vec<String> = plan.stages.iter().map(|s| s.name.clone()).collect();
    let orchestrator = Orchestrator {
        executor: executor.as_ref(),
        hooks,
        settings: RunSettings {
            parallel,
            style,
            silence_timeout: args.log_silence_timeout,
            job_timeout: args.job_timeout,
            fast_finish: plan.fast_finish,
        },
        out: out.clone(),
        interrupts: interrupts.clone(),
        environment_problem: AtomicBool::new(false),
    };
    interrupts.arm();
    let outcomes = orchestrator.run_build(&stage_names, &prepared);
    let _ = executor.cleanup(&run_id);

    let build = orchestrate::build_result(&stage_names, &outcomes);
    let interrupted = interrupts.interrupted();
    let stop = interrupts.stop_signal();
    let env_problem = orchestrator
        .environment_problem
        .load(std::sync::atomic::Ordering::SeqCst);
    let code = if interrupted {
        stop.exit_code()
    } else if env_problem && build != JobResult::Passed {
        exit::ENVIRONMENT
    } else {
        build.exit_code()
    };
    let kept = if args.keep {
        Some(run_dir.keep())
    } else {
        None
    };
    if json {
        let v = serde_json::json!({
            "event": "build_finished",
            "result": if interrupted { "canceled" } else { build.as_str() },
            "exit_code": code,
            "interrupted": interrupted,
            "signal": interrupted.then(|| stop.name()),
            "jobs": outcomes,
            "kept": kept.as_ref().map(|p| p.display().to_string()),
        });
        let masked = travis_local_script::Masker::new(&all_mask).mask_all(v.to_string().as_bytes());
        out.line(String::from_utf8_lossy(&masked).into_owned());
    } else {
        let mut lines = orchestrate::summary_lines(&outcomes, build, style.color);
        if interrupted {
            lines.push(format!("{}.", stop.title()));
        }
        if env_problem {
            lines.push(format!(
                "The {} executor reported an environment problem (see the job logs).",
                executor.name()
            ));
        }
        let masker = travis_local_script::Masker::new(&all_mask);
        let lines: Vec<String> = lines
            .iter()
            .map(|l| String::from_utf8_lossy(&masker.mask_all(l.as_bytes())).into_owned())
            .collect();
        out.lines(&lines);
    }
    if let Some(path) = &kept {
        let msg = format!(
            "Kept the job directories in {} (one per job: <job>/home/travis)",
            path.display()
        );
        if json {
            eprintln!("{msg}");
        } else {
            out.line(msg);
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = crate::junit::write(path, &stage_names, &outcomes) {
            eprintln!("error: --junit: {e}");
            return Ok(if code == exit::PASSED {
                exit::ENVIRONMENT
            } else {
                code
            });
        }
    }
    Ok(code)
}

/// One line on stderr when earlier runs left things behind (their travis-local died).
fn warn_about_stale_runs() {
    let n = crate::state::scan(None).stale.len();
    if n > 0 {
        eprintln!(
            "warning: {n} earlier travis-local run(s) were killed and left processes, containers or files behind; `travis-local clean` removes them"
        );
    }
}

/// The build's config, `.travis.yml` merged with its imports.
fn load_config(
    repo: &Path,
    args: &FactArgs,
    facts: &travis_local_matrix::BuildFacts,
) -> Result<travis_local_matrix::LoadedBuild, Fail> {
    travis_local_matrix::load_build(repo, &args.config, facts).map_err(|e| match e {
        travis_local_matrix::LoadError::Io(m) | travis_local_matrix::LoadError::Invalid(m) => {
            Fail(exit::CONFIG, format!("error: {m}"))
        }
    })
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

fn say_nothing_runs(out: &Output, json: bool, why: &str) {
    if json {
        out.line(
            serde_json::json!({"event": "build_finished", "result": "none", "exit_code": 0, "reason": why, "jobs": []})
                .to_string(),
        );
    } else {
        out.line(format!("No job would run: {why}."));
    }
}

/// The directory a job's tree is copied to (for docs and tests).
pub fn job_build_dir(run_dir: &Path, job: &str, slug: &str) -> PathBuf {
    run_dir
        .join(job)
        .join("home")
        .join("travis")
        .join("build")
        .join(slug)
}
