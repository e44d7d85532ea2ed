//! `lint --shellcheck`: ShellCheck on every phase command of a `.travis.yml`, each
//! finding reported at the YAML line and column of the command it belongs to.
//!
//! Why here, in the binary: the config crate (and the script crate) may run no process
//! but `git` (CONTRIBUTING's dependency rule keeps them pure and testable without a
//! host); running an external tool is the edge's job. The config crate only offers the
//! hook ([`crate::cli::lint::main_with`]) that adds findings per file.
//!
//! What is checked: every command of `before_install`, `install`, `before_script`,
//! `script`, `before_cache`, `after_success`, `after_failure`, `after_script`,
//! `before_deploy`, `after_deploy`, at the top level and in each `jobs.include` /
//! `matrix.include` entry, as the job's bash runs it (travis_cmd `eval`s the text in
//! bash): one bash snippet per command, after a header that declares Travis's helpers
//! (`travis_retry`, `travis_wait`, `travis_fold`, `travis_terminate`, …) and assigns
//! every variable the job's environment defines (`env:`, `.travis-local/config.yml`
//! `env:`), so that SC2154 ("referenced but not assigned") does not fire for them. All
//! snippets go to one ShellCheck process (`-f json1 -s bash`). SC1090/SC1091 (cannot
//! follow a sourced file) are excluded: sourced files do not exist at lint time.
//!
//! Positions: ShellCheck's line and column in the snippet are mapped back into the
//! YAML scalar — on one line for plain and quoted scalars, line by line for block
//! scalars (`|`, `>`), by finding the snippet's line in the scalar's source text; when
//! a line cannot be found (escapes, folding), the finding points at the scalar's start.
//! Levels: ShellCheck `error` → `error` (lint exits 1), `warning` → `warn`, `info` and
//! `style` → `info`. Code: `SC2086`; help: the wiki page.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use travis_local_config::diag::{Diagnostic, Level};
use travis_local_config::yaml::{self, Node, Style, Value as YValue};
use travis_local_script::{DEPLOY_PHASES, PHASES};

/// Travis's shell helpers, declared before each command.
const HELPERS: &[&str] = &[
    "travis_retry",
    "travis_wait",
    "travis_fold",
    "travis_terminate",
    "travis_time_start",
    "travis_time_finish",
    "travis_nanoseconds",
    "travis_assert",
    "travis_result",
    "travis_cmd",
    "travis_jigger",
    "travis_footer",
];

/// `travis-local lint` with the `--shellcheck` switch (kept in the binary, which runs
/// the tool; the config crate owns the other flags).
#[derive(clap::Args, Debug)]
pub struct LintCommand {
    #[command(flatten)]
    pub lint: crate::cli::lint::LintArgs,
    /// Also run ShellCheck on every phase command (findings SC<code> at the command's
    /// line and column) [default: .travis-local/config.yml `lint: {shellcheck: ...}`]
    #[arg(long, overrides_with = "no_shellcheck")]
    pub shellcheck: bool,
    /// Do not run ShellCheck, whatever the settings say
    #[arg(long)]
    pub no_shellcheck: bool,
}

/// One command to check.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// Key path (`script[1]`, `jobs.include[0].install`).
    pub key: String,
    /// The command as bash gets it.
    pub text: String,
    /// Byte span of the YAML scalar.
    pub span: (usize, usize),
    pub style: Style,
}

pub fn lint_main(args: &LintCommand) -> i32 {
    let root = travis_local_matrix::repo_root();
    let local = travis_local_config::local::LocalConfig::load(&root).unwrap_or_default();
    let enabled = if args.no_shellcheck {
        false
    } else {
        args.shellcheck || local.lint.shellcheck.unwrap_or(false)
    };
    if !enabled {
        return crate::cli::lint::main(&args.lint);
    }
    let local_env: Vec<String> = local.env.iter().map(|(n, _)| n.clone()).collect();
    let missing_said = std::cell::Cell::new(false);
    crate::cli::lint::main_with(
        &args.lint,
        &|file, text| match check(file, text, &local_env) {
            Ok(found) => found,
            Err(Problem::Missing) => {
                if !missing_said.replace(true) {
                    eprintln!("travis-local lint: shellcheck is not installed (Debian: apt-get install shellcheck); shell commands were not checked");
                }
                Vec::new()
            }
            Err(Problem::Failed(why)) => {
                eprintln!("travis-local lint: {file}: shellcheck failed ({why}); shell commands were not checked");
                Vec::new()
            }
        },
    )
}

/// Why no findings came back.
#[derive(Debug)]
pub enum Problem {
    Missing,
    Failed(String),
}

/// The commands of a config, with the names of the variables its jobs define.
pub fn snippets(text: &str) -> (Vec<Snippet>, Vec<String>) {
    let mut out = Vec::new();
    let mut names = Vec::new();
    let Ok(doc) = yaml::load(text) else {
        return (out, names);
    };
    let Some(root) = doc.root else {
        return (out, names);
    };
    collect_job(&root, "", &mut out, &mut names);
    for key in ["jobs", "matrix"] {
        let Some(section) = get(&root, key) else {
            continue;
        };
        if let Some(YValue::Seq(items)) = get(section, "include").map(|n| &n.value) {
            for (i, item) in items.iter().enumerate() {
                collect_job(item, &format!("{key}.include[{i}]."), &mut out, &mut names);
            }
        }
    }
    names.sort();
    names.dedup();
    (out, names)
}

fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.as_map()?
        .iter()
        .find(|(k, _)| k.name == key)
        .map(|(_, v)| v)
}

fn collect_job(job: &Node, prefix: &str, out: &mut Vec<Snippet>, names: &mut Vec<String>) {
    // The phases whose commands are checked.
    for phase in PHASES.iter().chain(&DEPLOY_PHASES) {
        let Some(node) = get(job, phase) else {
            continue;
        };
        let items: Vec<(String, &Node)> = match &node.value {
            YValue::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("{prefix}{phase}[{i}]"), n))
                .collect(),
            _ => vec![(format!("{prefix}{phase}"), node)],
        };
        for (key, n) in items {
            if let YValue::Scalar { style, .. } = &n.value {
                let Some(cmd) = n.scalar_text() else { continue };
                if n.is_null() || cmd.trim().is_empty() {
                    continue;
                }
                out.push(Snippet {
                    key,
                    text: cmd.to_string(),
                    span: n.span,
                    style: *style,
                });
            }
        }
    }
    if let Some(env) = get(job, "env") {
        env_names(env, names);
    }
}

/// Variable names of `env:` in any of its shapes (string, list, global/jobs/matrix,
/// `NAME=value` strings with several assignments, `{NAME: value}` maps).
fn env_names(node: &Node, names: &mut Vec<String>) {
    match &node.value {
        YValue::Seq(items) => items.iter().for_each(|n| env_names(n, names)),
        YValue::Map(entries) => {
            for (k, v) in entries {
                match k.name.as_str() {
                    "global" | "jobs" | "matrix" => env_names(v, names),
                    "secure" => {}
                    n if travis_local_config::local::valid_name(n) => names.push(n.to_string()),
                    _ => {}
                }
            }
        }
        YValue::Scalar { .. } => {
            for word in node.scalar_text().unwrap_or_default().split_whitespace() {
                if let Some((n, _)) = word.split_once('=') {
                    if travis_local_config::local::valid_name(n) {
                        names.push(n.to_string());
                    }
                }
            }
        }
    }
}

/// The bash header before each command: helpers and the job's variables.
fn header(names: &[String]) -> String {
    let mut h = String::from("#!/bin/bash\n");
    for f in HELPERS {
        h.push_str(&format!("{f}() {{ \"$@\"; }}\n"));
    }
    for n in names {
        h.push_str(&format!("{n}=${{{n}:-}}; export {n}\n"));
    }
    h
}

/// ShellCheck findings for the commands of one config file.
pub fn check(file: &str, text: &str, local_env: &[String]) -> Result<Vec<Diagnostic>, Problem> {
    let (snippets, mut names) = snippets(text);
    if snippets.is_empty() {
        return Ok(Vec::new());
    }
    names.extend(local_env.iter().cloned());
    names.sort();
    names.dedup();
    let head = header(&names);
    let head_lines = head.lines().count();
    let dir = tempfile::Builder::new()
        .prefix("travis-local-shellcheck-")
        .tempdir()
        .map_err(|e| Problem::Failed(format!("cannot create a temporary directory: {e}")))?;
    let mut paths = Vec::new();
    for (i, s) in snippets.iter().enumerate() {
        let path = dir.path().join(format!("{i}.sh"));
        std::fs::write(&path, format!("{head}{}\n", s.text))
            .map_err(|e| Problem::Failed(format!("cannot write {}: {e}", path.display())))?;
        paths.push(path);
    }
    let out = Command::new("shellcheck")
        .args(["-f", "json1", "-s", "bash", "-e", "SC1090,SC1091", "--"])
        .args(&paths)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Problem::Missing,
            _ => Problem::Failed(e.to_string()),
        })?;
    // 0: nothing found, 1: findings; anything else is a usage or internal problem.
    if !matches!(out.status.code(), Some(0 | 1)) {
        let _ = std::io::stderr().flush();
        return Err(Problem::Failed(format!(
            "{}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| Problem::Failed(format!("unreadable output: {e}")))?;
    let mut found = Vec::new();
    for c in json["comments"].as_array().into_iter().flatten() {
        let Some(idx) = c["file"]
            .as_str()
            .and_then(|f| Path::new(f).file_stem()?.to_str()?.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(s) = snippets.get(idx) else { continue };
        let line = c["line"].as_u64().unwrap_or(0) as usize;
        let end_line = c["endLine"].as_u64().unwrap_or(line as u64) as usize;
        if line <= head_lines {
            continue;
        }
        let col = c["column"].as_u64().unwrap_or(1) as usize;
        let end_col = c["endColumn"].as_u64().unwrap_or(col as u64) as usize;
        let start = map_position(text, s, line - head_lines, col);
        let end = map_position(text, s, end_line.max(line) - head_lines, end_col).max(start);
        let code = format!("SC{}", c["code"].as_u64().unwrap_or(0));
        let level = match c["level"].as_str() {
            Some("error") => Level::Error,
            Some("warning") => Level::Warn,
            _ => Level::Info,
        };
        found.push(Diagnostic {
            level,
            code: code.clone(),
            key: s.key.clone(),
            message: c["message"].as_str().unwrap_or("").to_string(),
            help: Some(format!("https://www.shellcheck.net/wiki/{code}")),
            span: Some((start, end)),
            file: file.to_string(),
            args: serde_json::json!({ "shellcheck": code, "command": s.text }),
        });
    }
    Ok(found)
}

/// Byte offset in `text` of (line, column) of the snippet (1-based; ShellCheck counts a
/// tab as 8 columns).
pub fn map_position(text: &str, s: &Snippet, line: usize, col: usize) -> usize {
    let (start, end) = (s.span.0.min(text.len()), s.span.1.min(text.len()));
    let source = text.get(start..end).unwrap_or("");
    let Some(cmd_line) = s.text.lines().nth(line.saturating_sub(1)) else {
        return start;
    };
    let char_index = column_to_char(cmd_line, col);
    let byte_in_line: usize = cmd_line
        .char_indices()
        .nth(char_index)
        .map(|(i, _)| i)
        .unwrap_or(cmd_line.len());
    // Where this snippet line is in the scalar's source: after the lines before it.
    let mut from = 0;
    if !matches!(
        s.style,
        Style::Plain | Style::SingleQuoted | Style::DoubleQuoted
    ) {
        // Block scalars: skip the header line (`|`, `>-`, …).
        from = source.find('\n').map(|i| i + 1).unwrap_or(0);
    }
    for prev in s.text.lines().take(line.saturating_sub(1)) {
        let prev = prev.trim();
        if prev.is_empty() {
            continue;
        }
        if let Some(i) = source.get(from..).and_then(|r| r.find(prev)) {
            from += i + prev.len();
        }
    }
    let needle = cmd_line.trim_start();
    let lead = cmd_line.len() - needle.len();
    match source.get(from..).and_then(|r| r.find(needle)) {
        Some(i) if !needle.is_empty() => {
            start + from + i + byte_in_line.saturating_sub(lead).min(needle.len())
        }
        _ => start,
    }
}

fn column_to_char(line: &str, col: usize) -> usize {
    let mut visual = 1;
    for (i, c) in line.chars().enumerate() {
        if visual >= col {
            return i;
        }
        visual = if c == '\t' {
            ((visual - 1) / 8 + 1) * 8 + 1
        } else {
            visual + 1
        };
    }
    line.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_of_every_phase_and_include_with_env_names() {
        let text = "env:\n  global: [A=1, \"b=2 C=3\"]\nscript: echo $UNQUOTED && cd foo\ninstall:\n  - make\n  - |\n    x=1\n    echo $x\njobs:\n  include:\n    - env: lower=1\n      after_script: echo done\n";
        let (s, names) = snippets(text);
        let keys: Vec<&str> = s.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "install[0]",
                "install[1]",
                "script",
                "jobs.include[0].after_script"
            ]
        );
        assert_eq!(names, ["A", "C", "b", "lower"]);
        assert_eq!(s[2].text, "echo $UNQUOTED && cd foo");
    }

    #[test]
    fn positions_map_into_plain_quoted_and_block_scalars() {
        let text = "script: echo $UNQUOTED && cd foo\n";
        let (s, _) = snippets(text);
        // SC2086 at column 6 of the command, SC2164 at column 19.
        let at = map_position(text, &s[0], 1, 6);
        assert_eq!(&text[at..at + 10], "$UNQUOTED ");
        let at = map_position(text, &s[0], 1, 19);
        assert_eq!(&text[at..at + 6], "cd foo");
        let text = "script:\n  - \"echo $X\"\n  - |\n    a=1\n\n      echo $a\n";
        let (s, _) = snippets(text);
        let at = map_position(text, &s[0], 1, 6);
        assert_eq!(&text[at..at + 2], "$X");
        let at = map_position(text, &s[1], 3, 8);
        assert_eq!(&text[at..at + 2], "$a");
    }

    #[test]
    fn tabs_count_as_eight_columns() {
        assert_eq!(column_to_char("\tx", 9), 1);
        assert_eq!(column_to_char("ab", 2), 1);
    }
}
