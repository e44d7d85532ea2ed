//! `travis-local compile [JOB]` (print a job's bash script) and `travis-local secrets`
//! (list `secure:` entries and local secrets, never their values).
//!
//! Exit codes ([`crate::exit`]): 0 success (also when no job would run); 2 usage or I/O error; 3 config invalid,
//! secrets file invalid or tracked by git.

use super::facts::{FactArgs, SecretArgs};
use crate::exit;
use std::path::{Path, PathBuf};
use travis_local_matrix::workspace::select_jobs;
use travis_local_matrix::{Workspace, WorkspaceError};
use travis_local_script::secrets::{self, SecureEntry};
use travis_local_script::Secrets;
use travis_local_script::{compile, CompileOptions};

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// Job to compile: number (`1.3` or `3`) or name [default: the first job]
    #[arg(value_name = "JOB")]
    pub job: Option<String>,
    /// Only consider jobs of this stage
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    #[command(flatten)]
    pub facts: FactArgs,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Compile deploy providers other than `script` as errors instead of "not run locally"
    #[arg(long)]
    pub deploy: bool,
    /// Leave colour codes out of the script's messages
    #[arg(long = "no-color")]
    pub no_color: bool,
    /// TRAVIS_BUILD_DIR of the script [default: /home/travis/build/OWNER/REPO]
    #[arg(long = "build-dir", value_name = "PATH")]
    pub build_dir: Option<String>,
    /// Export HOME to this path at the start of the script
    #[arg(long = "home-dir", value_name = "PATH")]
    pub home_dir: Option<String>,
    /// Compile the script this executor runs: `docker` starts `services:` and applies
    /// `addons:` in the job's container; `host` does so only with --start-services /
    /// --apply-addons
    #[arg(long, value_enum, default_value_t = Target::Docker)]
    pub executor: Target,
    /// With --executor host: start `services:` on the host, as on a Travis VM
    #[arg(long = "start-services")]
    pub start_services: bool,
    /// With --executor host: apply the addons that change the machine (apt, hosts, …)
    /// and install missing service packages, as root on the host
    #[arg(long = "apply-addons")]
    pub apply_addons: bool,
}

/// The executor whose script `compile` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Docker,
    Host,
}

#[derive(clap::Args, Debug)]
pub struct SecretsArgs {
    /// Config file, relative to the repository directory
    #[arg(long = "config", value_name = "PATH", default_value = ".travis.yml")]
    pub config: PathBuf,
    #[command(flatten)]
    pub secrets: SecretArgs,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

pub fn compile_main(args: &CompileArgs) -> i32 {
    match compile_in(&Workspace::discover(), args) {
        Ok((script, notices)) => {
            for n in notices {
                eprintln!("note: {n}");
            }
            print!("{script}");
            exit::OK
        }
        Err((code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

/// Compile the selected job of the workspace: (script, notices) or (exit code, message).
pub fn compile_in(
    ws: &Workspace,
    args: &CompileArgs,
) -> Result<(String, Vec<String>), (i32, String)> {
    let fail = |e: WorkspaceError| {
        (
            exit::workspace(exit::Command::Inspect, &e),
            format!("error: {e}"),
        )
    };
    let secret_settings = args.secrets.settings();
    secret_settings.check_usage().map_err(|e| {
        (
            exit::secrets(exit::Command::Inspect, &e),
            format!("error: {e}"),
        )
    })?;
    let fact_settings = args.facts.settings();
    let facts = ws.facts(&fact_settings).map_err(fail)?;
    let secrets = secret_settings.load(ws.root()).map_err(|e| {
        (
            exit::secrets(exit::Command::Inspect, &e),
            format!("error: {e}"),
        )
    })?;
    let build = ws.build_with(&fact_settings, facts).map_err(fail)?;
    let loaded = &build.loaded;
    let facts = &build.facts;
    if loaded.has_errors {
        return Err((
            exit::CONFIG,
            format!(
                "{}\nerror: the config is invalid; nothing compiled",
                loaded
                    .render(travis_local_config::Level::Info, false)
                    .trim_end()
            ),
        ));
    }
    let local = build.local_config().map_err(fail)?;
    if local.has_errors() {
        return Err((
            exit::CONFIG,
            format!(
                "{}error: {} is invalid; nothing compiled",
                local.render_human(false),
                build.local_config_path().display()
            ),
        ));
    }
    let plan = build.plan();
    if !plan.runs {
        // Not an error (README, exit codes): the build would simply not run.
        return Ok((
            String::new(),
            vec![format!(
                "no job would run for these facts: {}",
                plan.reason.clone().unwrap_or_else(|| "no jobs".into())
            )],
        ));
    }
    let selectors: Vec<String> = args.job.iter().cloned().collect();
    let jobs = select_jobs(&plan, &selectors, args.stage.as_deref()).map_err(fail)?;
    let Some(job) = jobs.first() else {
        return Ok((String::new(), vec!["no job matches the selection".into()]));
    };
    let mut notices = local.one_line_findings();
    notices.extend(loaded.notes.iter().cloned());
    if jobs.len() > 1 {
        notices.push(format!(
            "{} jobs match; compiling job {} (pass a job number or name to choose)",
            jobs.len(),
            job.number
        ));
    }
    let opts = CompileOptions {
        deploy: args.deploy,
        build_dir: args.build_dir.clone(),
        home_dir: args.home_dir.clone(),
        color: !args.no_color,
        start_services: args.executor == Target::Docker || args.start_services,
        apply_addons: args.executor == Target::Docker || args.apply_addons,
        local_env: local.env.clone(),
        secure_entries: secrets::find_secure_entries(&loaded.config, &secrets),
        cache: travis_local_script::cache::CacheOptions::for_repo(ws.root()),
        ..Default::default()
    };
    let compiled = compile(job, facts, &secrets, &opts);
    notices.extend(compiled.notices);
    Ok((compiled.script, notices))
}

pub fn secrets_main(args: &SecretsArgs) -> i32 {
    match secrets_report(Workspace::discover().root(), args) {
        Ok(text) => {
            print!("{text}");
            exit::OK
        }
        Err((code, message)) => {
            eprintln!("{message}");
            code
        }
    }
}

/// The text `travis-local secrets` prints.
pub fn secrets_report(repo: &Path, args: &SecretsArgs) -> Result<String, (i32, String)> {
    let secrets = args.secrets.settings().load(repo).map_err(|e| {
        (
            exit::secrets(exit::Command::Inspect, &e),
            format!("error: {e}"),
        )
    })?;
    let path = if args.config.is_absolute() {
        args.config.clone()
    } else {
        repo.join(&args.config)
    };
    let config = read_config(&path)?;
    let entries = secrets::find_secure_entries(&config, &secrets);
    let used: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    Ok(if args.format == Format::Json {
        json_report(&secrets, &entries, &used)
    } else {
        human_report(&secrets, &entries, &used, &args.config)
    })
}

/// The config whose `secure:` entries are listed; a missing file has none.
fn read_config(path: &Path) -> Result<serde_json::Value, (i32, String)> {
    match std::fs::read_to_string(path) {
        Ok(text) => travis_local_config::yaml_to_json(&text).map_err(|e| {
            (
                exit::CONFIG,
                format!("error: {}: invalid YAML: {e}", path.display()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(serde_json::Value::Null),
        Err(e) => Err((
            exit::USAGE,
            format!("error: cannot read {}: {e}", path.display()),
        )),
    }
}

fn json_report(secrets: &Secrets, entries: &[SecureEntry], used: &[&str]) -> String {
    let settings: Vec<serde_json::Value> = secrets
        .settings
        .iter()
        .map(|s| {
            serde_json::json!({"name": s.name, "branch": s.branch, "public": s.public, "origin": s.origin})
        })
        .collect();
    let unused: Vec<&str> = secrets
        .secure
        .iter()
        .filter(|s| !used.iter().any(|u| u.starts_with(&s.id)))
        .map(|s| s.id.as_str())
        .collect();
    let v = serde_json::json!({
        "secrets_file": secrets.file.as_ref().map(|p| p.display().to_string()),
        "secure": entries,
        "settings": settings,
        "unused_secure_ids": unused,
        "warnings": secrets.warnings,
    });
    format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default())
}

fn human_report(
    secrets: &Secrets,
    entries: &[SecureEntry],
    used: &[&str],
    config: &Path,
) -> String {
    let mut out = String::new();
    for w in &secrets.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&format!(
        "Secrets file: {}\n\n",
        secrets
            .file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none)".into())
    ));
    out.push_str(&format!("secure: entries in {}\n", config.display()));
    if entries.is_empty() {
        out.push_str("  (none)\n");
    }
    for e in entries {
        out.push_str(&format!(
            "  {}  {:<24} {:<20} {}\n",
            e.id,
            e.location,
            e.name.clone().unwrap_or_else(|| "?".into()),
            if e.has_local_value {
                "local value: yes"
            } else {
                "local value: NO (not exported)"
            }
        ));
    }
    out.push_str("\nRepository-settings variables (secrets file and --secret)\n");
    if secrets.settings.is_empty() {
        out.push_str("  (none)\n");
    }
    for s in &secrets.settings {
        out.push_str(&format!(
            "  {:<24} {:<8} branch: {:<12} from {}\n",
            s.name,
            if s.public { "public" } else { "secret" },
            s.branch.clone().unwrap_or_else(|| "(all)".into()),
            s.origin
        ));
    }
    for s in &secrets.secure {
        if !used.iter().any(|u| u.starts_with(&s.id)) {
            out.push_str(&format!(
                "\nnote: secure id {} of the secrets file matches no entry of the config\n",
                s.id
            ));
        }
    }
    out
}
