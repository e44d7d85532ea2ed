//! `travis-local condition`: parse and evaluate one `if:` condition against facts given
//! as flags or JSON, print `true`/`false` (exit 0/1) or the error rustc-style, with a
//! caret under the offending column (exit 2; rendered by `travis_local_diag`, like `lint`). `--parse` prints the tree instead; `--format json` prints
//! `{"ok", "result", "error", "column"}`.

use std::io::Write;

use serde_json::{json, Value};

use travis_local_condition::{parse, ConditionError, Facts};
use travis_local_diag::{render_all, LineIndex};

#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConditionArgs {
    /// The condition text (`-` reads it from standard input)
    pub condition: String,
    /// Branch (for pull requests, the base branch)
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Tag name
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Event type: the `type` attribute
    #[arg(long, value_name = "TYPE", value_parser = ["push", "pull_request", "api", "cron"])]
    pub event: Option<String>,
    /// Repository slug (owner/name)
    #[arg(long, value_name = "SLUG")]
    pub repo: Option<String>,
    /// Pull request head repository slug
    #[arg(long, value_name = "SLUG")]
    pub head_repo: Option<String>,
    /// Pull request head branch
    #[arg(long, value_name = "BRANCH")]
    pub head_branch: Option<String>,
    /// Operating system (`os`)
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Distribution (`dist`)
    #[arg(long, value_name = "DIST")]
    pub dist: Option<String>,
    /// Build environment group (`group`)
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// `sudo` setting
    #[arg(long, value_name = "SUDO")]
    pub sudo: Option<String>,
    /// Language (`language`)
    #[arg(long, value_name = "LANGUAGE")]
    pub language: Option<String>,
    /// Login of the user who triggered the build (`sender`)
    #[arg(long, value_name = "LOGIN")]
    pub sender: Option<String>,
    /// Whether the pull request comes from a fork (`--fork` alone means true; else `--fork=false`)
    #[arg(long, value_name = "BOOL", num_args = 0..=1,
        require_equals = true, default_missing_value = "true")]
    pub fork: Option<bool>,
    /// Commit message (`commit_message`)
    #[arg(long, value_name = "MESSAGE")]
    pub commit_message: Option<String>,
    /// An environment variable for `env(NAME)` (repeatable; later ones win)
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// All facts as a JSON object with the keys of the spec vectors' `data`
    /// (`@FILE` reads it from a file); flags given too override its values
    #[arg(long, value_name = "JSON")]
    pub data: Option<String>,
    /// Print the syntax tree instead of evaluating
    #[arg(long)]
    pub parse: bool,
    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
}

/// Run the subcommand, printing to stdout/stderr; returns the exit code.
pub fn main(args: &ConditionArgs) -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run(args, &mut stdout.lock(), &mut stderr.lock())
}

/// The name the condition text goes by in `--> <condition>:LINE:COL`.
const SOURCE_NAME: &str = "<condition>";

/// 1-based column (in characters, within its line) of the error.
fn column(src: &str, e: &ConditionError) -> usize {
    let d = e.to_diagnostic(SOURCE_NAME);
    d.line_col(src, &LineIndex::new(src)).1
}

/// The error, rustc-style (like `lint`): source line and a caret under the problem.
fn report(src: &str, e: &ConditionError) -> String {
    render_all([&e.to_diagnostic(SOURCE_NAME)], src, false)
}

/// The condition text: the argument, or standard input for `-`.
fn read_condition(args: &ConditionArgs) -> Result<String, String> {
    if args.condition != "-" {
        return Ok(args.condition.clone());
    }
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
        .map_err(|e| format!("reading the condition from standard input: {e}"))?;
    Ok(s)
}

fn facts_from_args(args: &ConditionArgs) -> Result<Facts, String> {
    let mut facts = match &args.data {
        None => Facts::default(),
        Some(data) => {
            let text = match data.strip_prefix('@') {
                Some(path) => {
                    std::fs::read_to_string(path).map_err(|e| format!("--data {path}: {e}"))?
                }
                None => data.clone(),
            };
            let value: Value =
                serde_json::from_str(&text).map_err(|e| format!("--data: invalid JSON: {e}"))?;
            Facts::from_json(&value).map_err(|e| format!("--data: {e}"))?
        }
    };
    let set = |slot: &mut Option<String>, v: &Option<String>| {
        if v.is_some() {
            slot.clone_from(v);
        }
    };
    set(&mut facts.branch, &args.branch);
    set(&mut facts.tag, &args.tag);
    set(&mut facts.event_type, &args.event);
    set(&mut facts.repo, &args.repo);
    set(&mut facts.head_repo, &args.head_repo);
    set(&mut facts.head_branch, &args.head_branch);
    set(&mut facts.os, &args.os);
    set(&mut facts.dist, &args.dist);
    set(&mut facts.group, &args.group);
    set(&mut facts.sudo, &args.sudo);
    set(&mut facts.language, &args.language);
    set(&mut facts.sender, &args.sender);
    set(&mut facts.commit_message, &args.commit_message);
    if args.fork.is_some() {
        facts.fork = args.fork;
    }
    for pair in &args.env {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--env {pair:?}: expected NAME=VALUE"))?;
        if name.is_empty() {
            return Err(format!("--env {pair:?}: the name is empty"));
        }
        facts.env.push((name.to_string(), value.to_string()));
    }
    Ok(facts)
}

/// The subcommand with explicit output streams (for tests).
pub fn run(args: &ConditionArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let json_out = args.format == "json";
    let emit_json = |out: &mut dyn Write, v: Value| {
        let _ = writeln!(out, "{v}");
    };
    let usage = |out: &mut dyn Write, err: &mut dyn Write, msg: String| -> i32 {
        if json_out {
            emit_json(
                out,
                json!({"ok": false, "result": null, "error": msg, "column": null}),
            );
        } else {
            let _ = writeln!(err, "error: {msg}");
        }
        2
    };

    let src = match read_condition(args) {
        Ok(src) => src,
        Err(e) => return usage(out, err, e),
    };
    let facts = match facts_from_args(args) {
        Ok(f) => f,
        Err(e) => return usage(out, err, e),
    };

    let expr = match parse(&src) {
        Ok(expr) => expr,
        Err(e) => {
            let e = ConditionError::Parse(e);
            if json_out {
                emit_json(
                    out,
                    json!({"ok": false, "result": null, "error": e.message(), "column": column(&src, &e)}),
                );
            } else {
                let _ = err.write_all(report(&src, &e).as_bytes());
            }
            return 2;
        }
    };

    if args.parse {
        if json_out {
            emit_json(
                out,
                json!({"ok": true, "result": null, "error": null, "column": null, "ast": expr.to_sexp()}),
            );
        } else {
            let _ = writeln!(out, "{}", expr.to_sexp());
        }
        return 0;
    }

    match travis_local_condition::eval_spanned(&expr, &facts) {
        Ok(result) => {
            if json_out {
                emit_json(
                    out,
                    json!({"ok": true, "result": result, "error": null, "column": null}),
                );
            } else {
                let _ = writeln!(out, "{result}");
            }
            if result {
                0
            } else {
                1
            }
        }
        Err(e) => {
            let e = ConditionError::Eval(e);
            if json_out {
                // On Travis a condition that raises counts as false.
                emit_json(
                    out,
                    json!({"ok": false, "result": false, "error": e.message(), "column": column(&src, &e)}),
                );
            } else {
                let _ = err.write_all(report(&src, &e).as_bytes());
            }
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_str(cond: &str, f: impl FnOnce(&mut ConditionArgs)) -> (i32, String, String) {
        let mut args = ConditionArgs {
            condition: cond.into(),
            format: "text".into(),
            ..Default::default()
        };
        f(&mut args);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn caret_under_the_column() {
        let (code, out, err) = run_str("branch = master AND", |_| {});
        assert_eq!(code, 2);
        assert_eq!(out, "");
        assert!(
            err.contains("expected an operand\n --> <condition>:1:20"),
            "{err}"
        );
        assert!(
            err.contains("1 | branch = master AND\n  |                    ^\n"),
            "{err:?}"
        );
    }

    #[test]
    fn multi_line_condition_reports_line() {
        let (_, _, err) = run_str("branch = master AND \\\n  tag =~ /[z-a]/", |a| {
            a.branch = Some("master".into())
        });
        assert!(err.contains("<condition>:2:10"), "{err}");
        assert!(
            err.contains("on Travis the condition counts as false"),
            "{err}"
        );
        assert!(err.contains("Invalid regular expression: /[z-a]/"), "{err}");
    }

    #[test]
    fn data_and_flags() {
        let (code, out, _) = run_str("branch = dev AND env(X) = 1", |a| {
            a.data = Some(r#"{"branch":"master","env":{"X":"0"}}"#.into());
            a.branch = Some("dev".into());
            a.env = vec!["X=1".into()];
        });
        assert_eq!((code, out.as_str()), (0, "true\n"));
    }

    #[test]
    fn bad_env_flag_is_usage_error() {
        let (code, _, err) = run_str("true", |a| a.env = vec!["NOVALUE".into()]);
        assert_eq!(code, 2);
        assert!(err.contains("--env"), "{err}");
    }
}
