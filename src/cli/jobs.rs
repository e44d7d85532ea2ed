//! `travis-local jobs`: show which jobs a push, tag or pull request would run (per stage),
//! which jobs and stages would not and why, and whether the build would run at all.
//! Exit codes ([`crate::exit`]): 0 analysis done (even when the build would not run), 2 usage/IO problem
//! (bad flag, unreadable file, unknown job selector), 3 the config is unusable.

use super::facts::FactArgs;
use crate::exit;
use serde_json::{json, Value};
use std::collections::HashSet;
use travis_local_config::Level;
use travis_local_matrix::workspace::select_jobs;
use travis_local_matrix::EXPAND_KEYS;
use travis_local_matrix::{env_summary, scalar_str};
use travis_local_matrix::{BuildFacts, BuildPlan, Event, Job, Workspace, WorkspaceError};

/// Output format.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Tables for people
    #[default]
    #[value(alias = "human")]
    Text,
    /// One JSON document
    Json,
}

#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    /// Show only these jobs: a number (`1.3`, or `3` for the third job) or a job name
    #[arg(value_name = "JOB")]
    pub selectors: Vec<String>,
    /// Show only the jobs of this stage (case-insensitive)
    #[arg(long, value_name = "NAME")]
    pub stage: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub facts: FactArgs,
}

pub fn main(args: &JobsArgs) -> i32 {
    match run(&Workspace::discover(), args) {
        Ok(out) => {
            print!("{out}");
            exit::OK
        }
        Err((code, msg)) => {
            eprintln!("error: {msg}");
            code
        }
    }
}

/// Produce the output of `jobs` for the workspace (the text for stdout), or the exit
/// code and message.
pub fn run(ws: &Workspace, args: &JobsArgs) -> Result<String, (i32, String)> {
    let fail = |e: WorkspaceError| (exit::workspace(exit::Command::Inspect, &e), e.to_string());
    let build = ws.build(&args.facts.settings()).map_err(fail)?;
    let loaded = &build.loaded;
    let facts = &build.facts;
    if loaded.has_errors {
        let findings = loaded.render(Level::Info, false);
        if !findings.is_empty() {
            eprintln!("{}", findings.trim_end());
        }
    }
    if loaded.config.is_null() {
        return Err((
            exit::CONFIG,
            format!(
                "{} is not a usable config (see the findings above)",
                args.facts.config.display()
            ),
        ));
    }
    let plan = build.plan();
    let filtered = !args.selectors.is_empty() || args.stage.is_some();
    let shown: Vec<&Job> = if filtered && plan.runs {
        select_jobs(&plan, &args.selectors, args.stage.as_deref()).map_err(fail)?
    } else {
        plan.jobs.iter().collect()
    };
    let out = match args.format {
        Format::Json => {
            let doc = to_json(
                &plan,
                &shown,
                facts,
                &loaded.notes,
                &loaded.unresolved_imports,
            );
            let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
            s.push('\n');
            s
        }
        Format::Text => render_text(&plan, &shown, facts, &loaded.notes, loaded.has_errors),
    };
    Ok(out)
}

/// The `--format json` document.
pub fn to_json(
    plan: &BuildPlan,
    shown: &[&Job],
    facts: &BuildFacts,
    notes: &[String],
    unresolved: &[String],
) -> Value {
    let numbers: HashSet<&str> = shown.iter().map(|j| j.number.as_str()).collect();
    let stages: Vec<Value> = plan
        .stages
        .iter()
        .map(|s| {
            json!({
                "name": if s.named { Value::String(s.name.clone()) } else { Value::Null },
                "jobs": s.jobs.iter().filter(|n| numbers.contains(&n.as_str())).collect::<Vec<_>>(),
            })
        })
        .filter(|s| s["jobs"].as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    json!({
        "build": {
            "runs": plan.runs,
            "reason": plan.reason,
            "fast_finish": plan.fast_finish,
            "facts": facts,
        },
        "stages": stages,
        "jobs": shown,
        "skipped": plan.skipped,
        "notes": notes,
        "unresolved_imports": unresolved,
    })
}

fn describe_facts(f: &BuildFacts) -> String {
    let what = match (&f.tag, f.event) {
        (Some(t), _) => format!("tag `{t}`"),
        (None, Event::PullRequest) => format!(
            "pull request #{} into `{}` from {}:{}",
            f.pull_request.unwrap_or(0),
            f.branch,
            f.pr_head_repo.as_deref().unwrap_or("?"),
            f.pr_head_branch.as_deref().unwrap_or("?")
        ),
        (None, Event::Push) => format!("push to `{}`", f.branch),
        (None, ev) => format!("{ev} build of `{}`", f.branch),
    };
    let commit = f
        .commit
        .as_deref()
        .map(|c| format!(", commit {}", c.chars().take(10).collect::<String>()))
        .unwrap_or_default();
    format!(
        "Build {} of {}: {what}{commit}{}",
        f.build_number,
        f.repo,
        if f.fork { " (fork)" } else { "" }
    )
}

fn render_text(
    plan: &BuildPlan,
    shown: &[&Job],
    facts: &BuildFacts,
    notes: &[String],
    has_errors: bool,
) -> String {
    let mut out = String::new();
    out.push_str(&describe_facts(facts));
    out.push('\n');
    if has_errors {
        out.push_str("warning: the config has error-level findings (printed on stderr; `travis-local lint` shows them all)\n");
    }
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    if !plan.runs {
        out.push_str(&format!(
            "\nThe build would not run: {}\n",
            plan.reason.as_deref().unwrap_or("no reason given")
        ));
    }
    for stage in &plan.stages {
        let in_stage: HashSet<&str> = stage.jobs.iter().map(String::as_str).collect();
        let jobs: Vec<&&Job> = shown
            .iter()
            .filter(|j| in_stage.contains(j.number.as_str()))
            .collect();
        if jobs.is_empty() {
            continue;
        }
        out.push('\n');
        if stage.named {
            out.push_str(&format!("Stage {}\n", stage.name));
        } else {
            out.push_str("Jobs\n");
        }
        let mut rows = vec![vec![
            "NUMBER".to_string(),
            "NAME".into(),
            "LANGUAGE".into(),
            "OS/DIST/ARCH".into(),
            "ENV".into(),
            "ALLOW_FAILURE".into(),
        ]];
        for j in jobs {
            rows.push(vec![
                j.number.clone(),
                j.name.clone().unwrap_or_else(|| "-".into()),
                language_cell(&j.config),
                platform_cell(&j.config),
                j.config
                    .get("env")
                    .map(env_summary)
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "-".into()),
                if j.allow_failure {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]);
        }
        out.push_str(&table(&rows));
    }
    if plan.fast_finish && plan.runs {
        out.push_str(
            "\nfast_finish: the build result is known as soon as all required jobs have finished\n",
        );
    }
    let hidden = plan.jobs.len() - shown.len();
    if hidden > 0 {
        out.push_str(&format!(
            "\n({hidden} other job(s) not shown because of the selection)\n"
        ));
    }
    let not_running: Vec<_> = plan.skipped.iter().filter(|s| s.kind != "build").collect();
    if !not_running.is_empty() {
        out.push_str("\nNot running:\n");
        for s in not_running {
            out.push_str(&format!(
                "  - {} {}: {}\n",
                s.kind.replace('_', " "),
                s.what,
                s.reason
            ));
        }
    }
    out
}

/// `python 3.8`, `cpp (gcc)`, `ruby 2.7 gemfile=Gemfile`.
fn language_cell(cfg: &Value) -> String {
    let mut s = cfg
        .get("language")
        .and_then(scalar_str)
        .unwrap_or_else(|| "ruby".into());
    for key in EXPAND_KEYS {
        if matches!(*key, "os" | "arch" | "env" | "osx_image") {
            continue;
        }
        if let Some(v) = cfg.get(*key).and_then(scalar_str) {
            match *key {
                "compiler" => s.push_str(&format!(" ({v})")),
                k if Some(k) == cfg.get("language").and_then(Value::as_str) || is_primary(k) => {
                    s.push_str(&format!(" {v}"))
                }
                k => s.push_str(&format!(" {k}={v}")),
            }
        }
    }
    s
}

fn is_primary(key: &str) -> bool {
    matches!(
        key,
        "rvm"
            | "jdk"
            | "go"
            | "php"
            | "python"
            | "node_js"
            | "perl"
            | "ghc"
            | "otp_release"
            | "dotnet"
            | "scala"
            | "rust"
    )
}

fn platform_cell(cfg: &Value) -> String {
    let parts: Vec<String> = ["os", "dist", "arch", "osx_image"]
        .iter()
        .filter_map(|k| cfg.get(*k).and_then(scalar_str))
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("/")
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.first().map(Vec::len).unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            if c + 1 == cols {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
