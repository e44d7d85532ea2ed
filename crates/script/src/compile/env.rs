//! The export phase: the builtin `TRAVIS_*` variables, repository settings, `.travis.yml`
//! `env:` (spec §2 order), secure values handed over through the process environment, and
//! the masks of what each exported secret becomes in the job's shell.

use super::{CompileOptions, Ctx};
use crate::export_eval::{eval_export, Var};
use crate::lang;
use crate::quote::{sq, word};
use crate::secrets::{self, Secrets};
use serde_json::Value;
use std::collections::HashMap;

/// One exported variable, in order.
struct Export {
    name: String,
    /// Literal text for public vars; for secure vars, the process env var holding it.
    value: ExportValue,
}

enum ExportValue {
    Public(String),
    /// `index`: position of `env_var` in [`Compiled::env`].
    Secure {
        env_var: String,
        index: usize,
    },
}

/// A config `env` entry as (name, verbatim value) pairs, or a secure ciphertext.
enum EnvItem {
    Var(String, String),
    Secure(String),
}

fn env_items(config: &Value, notices: &mut Vec<String>) -> Vec<EnvItem> {
    let mut out = Vec::new();
    let push_value =
        |v: &Value, out: &mut Vec<EnvItem>, notices: &mut Vec<String>, i: usize| match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match (k.as_str(), val) {
                        ("secure", Value::String(c)) => out.push(EnvItem::Secure(c.clone())),
                        (_, Value::String(s)) => out.push(EnvItem::Var(k.clone(), s.clone())),
                        (_, Value::Number(n)) => out.push(EnvItem::Var(k.clone(), n.to_string())),
                        (_, Value::Bool(b)) => out.push(EnvItem::Var(k.clone(), b.to_string())),
                        (_, Value::Null) => out.push(EnvItem::Var(k.clone(), String::new())),
                        (_, Value::Object(inner)) if inner.contains_key("secure") => {
                            if let Some(Value::String(c)) = inner.get("secure") {
                                out.push(EnvItem::Secure(c.clone()));
                            }
                        }
                        _ => notices
                            .push(format!("env[{i}].{k} is not a scalar; it is not exported")),
                    }
                }
            }
            Value::String(s) => {
                for (name, value) in split_env_string(s) {
                    out.push(EnvItem::Var(name, value));
                }
            }
            Value::Null => {}
            _ => notices.push(format!("env[{i}] is not a variable; it is not exported")),
        };
    match config.get("env") {
        Some(Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                push_value(v, &mut out, notices, i);
            }
        }
        Some(Value::Object(m))
            if m.contains_key("global") || m.contains_key("jobs") || m.contains_key("matrix") =>
        {
            for key in ["global", "jobs", "matrix"] {
                match m.get(key) {
                    Some(Value::Array(a)) => {
                        for (i, v) in a.iter().enumerate() {
                            push_value(v, &mut out, notices, i);
                        }
                    }
                    Some(v) => push_value(v, &mut out, notices, 0),
                    None => {}
                }
            }
        }
        Some(v) => push_value(v, &mut out, notices, 0),
        None => {}
    }
    out
}

/// Split `A=1 B="x y"` into variables the way travis-build's `Var.parse` does: on
/// unquoted spaces, keeping quotes in the value (bash removes them when it evaluates).
pub fn split_env_string(s: &str) -> Vec<(String, String)> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut paren = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                cur.push(c);
                if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '$' if chars.peek() == Some(&'(') => {
                    cur.push(c);
                }
                '(' => {
                    paren += 1;
                    cur.push(c);
                }
                ')' => {
                    paren = paren.saturating_sub(1);
                    cur.push(c);
                }
                c if c.is_whitespace() && paren == 0 => {
                    if !cur.is_empty() {
                        tokens.push(std::mem::take(&mut cur));
                    }
                }
                _ => cur.push(c),
            },
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
        .into_iter()
        .filter_map(|t| {
            let (n, v) = t.split_once('=')?;
            secrets::valid_name(n).then(|| (n.to_string(), v.to_string()))
        })
        .collect()
}

pub(super) struct Exports {
    removed_message: bool,
    settings: Vec<Export>,
    config: Vec<Export>,
    secure_exported: bool,
}

pub(super) fn collect_exports(cx: &mut Ctx, secrets: &Secrets) -> Exports {
    let allowed = cx.secure_allowed();
    let branch = cx.facts.branch.clone();
    let mut ex = Exports {
        removed_message: !allowed && secrets.settings.iter().any(|s| !s.public),
        settings: Vec::new(),
        config: Vec::new(),
        secure_exported: false,
    };
    for (name, value) in &cx.opts.local_env {
        ex.settings.push(Export {
            name: name.clone(),
            value: ExportValue::Public(value.clone()),
        });
    }
    let unscoped = secrets.settings.iter().filter(|s| s.branch.is_none());
    let scoped = secrets
        .settings
        .iter()
        .filter(|s| s.branch.as_deref() == Some(branch.as_str()));
    for var in unscoped.chain(scoped) {
        if var.public {
            ex.settings.push(Export {
                name: var.name.clone(),
                value: ExportValue::Public(var.value.expose().to_string()),
            });
        } else if allowed {
            let (env_var, index) = cx.new_secret(var.value.expose());
            ex.secure_exported = true;
            ex.settings.push(Export {
                name: var.name.clone(),
                value: ExportValue::Secure { env_var, index },
            });
        }
    }
    let mut notices = Vec::new();
    let items = env_items(&cx.job.config, &mut notices);
    cx.compiled.notices.extend(notices);
    // Where each `secure:` entry is, by id (the first entry of an id wins).
    let opts: &CompileOptions = cx.opts;
    let mut locations: HashMap<&str, &str> = HashMap::new();
    for e in &opts.secure_entries {
        locations
            .entry(e.id.as_str())
            .or_insert(e.location.as_str());
    }
    for (i, item) in items.into_iter().enumerate() {
        match item {
            EnvItem::Var(name, value) => {
                if secrets::valid_name(&name) {
                    ex.config.push(Export {
                        name,
                        value: ExportValue::Public(value),
                    });
                } else {
                    cx.compiled.notices.push(format!(
                        "env: `{name}` is not a valid variable name; not exported"
                    ));
                }
            }
            EnvItem::Secure(cipher) => {
                if !allowed {
                    continue; // dropped silently on fork pull requests, as on Travis
                }
                let id = secrets::secure_id(&cipher);
                let location = locations
                    .get(id.as_str())
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| format!("env[{i}] of job {}", cx.job.number));
                match secrets.secure_plain(&cipher) {
                    None => cx.compiled.notices.push(format!(
                        "secure variable at {location} has no local value; not exported (id {id})"
                    )),
                    Some(plain) => match secrets::split_assignment(plain.expose().trim()) {
                        Some((name, value)) => {
                            let name = name.to_string();
                            let (env_var, index) = cx.new_secret(value);
                            ex.secure_exported = true;
                            ex.config.push(Export { name, value: ExportValue::Secure { env_var, index } });
                        }
                        None => cx.compiled.notices.push(format!(
                            "secure variable at {location}: the local value is not NAME=value; not exported (id {id})"
                        )),
                    },
                }
            }
        }
    }
    ex
}

/// The builtin `TRAVIS_*` variables with their values, in travis-build's export order.
/// One table on purpose: the order is part of the behaviour and reads top to bottom.
fn builtins(cx: &Ctx, secure_exported: bool) -> Vec<(&'static str, String)> {
    let f = cx.facts;
    let job = cx.job;
    let is_pr = cx.is_pr();
    let build = f.build_number.to_string();
    let index = job.index().to_string();
    let config = &job.config;
    let s = |k: &str| {
        config
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let language = config
        .get("language")
        .and_then(Value::as_str)
        .unwrap_or("ruby")
        .to_string();
    vec![
        ("TRAVIS", "true".into()),
        ("CI", "true".into()),
        ("CONTINUOUS_INTEGRATION", "true".into()),
        ("HAS_JOSH_K_SEAL_OF_APPROVAL", "true".into()),
        ("PAGER", "cat".into()),
        ("TRAVIS_LOCAL", "true".into()),
        ("TRAVIS_ALLOW_FAILURE", job.allow_failure.to_string()),
        ("TRAVIS_EVENT_TYPE", f.event.as_str().into()),
        (
            "TRAVIS_PULL_REQUEST",
            if is_pr {
                f.pull_request
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "0".into())
            } else {
                "false".into()
            },
        ),
        (
            "TRAVIS_SECURE_ENV_VARS",
            (cx.secure_allowed() && secure_exported).to_string(),
        ),
        ("TRAVIS_BUILD_ID", build.clone()),
        ("TRAVIS_BUILD_NUMBER", build.clone()),
        (
            "TRAVIS_BUILD_WEB_URL",
            format!("https://travis-local.invalid/{}/builds/{build}", f.repo),
        ),
        ("TRAVIS_JOB_ID", format!("{build}{index:0>3}")),
        ("TRAVIS_JOB_NUMBER", job.number.clone()),
        (
            "TRAVIS_JOB_WEB_URL",
            format!(
                "https://travis-local.invalid/{}/jobs/{}",
                f.repo, job.number
            ),
        ),
        ("TRAVIS_JOB_NAME", job.name.clone().unwrap_or_default()),
        ("TRAVIS_BRANCH", f.branch.clone()),
        ("TRAVIS_COMMIT", f.commit.clone().unwrap_or_default()),
        ("TRAVIS_COMMIT_RANGE", String::new()),
        ("TRAVIS_REPO_SLUG", f.repo.clone()),
        ("TRAVIS_REPO_PRIVATE", "false".into()),
        ("TRAVIS_OSX_IMAGE", s("osx_image")),
        ("TRAVIS_LANGUAGE", language),
        ("TRAVIS_TAG", f.tag.clone().unwrap_or_default()),
        ("TRAVIS_SUDO", "true".into()),
        ("TRAVIS_BUILD_STAGE_NAME", job.stage.clone()),
        (
            "TRAVIS_PULL_REQUEST_BRANCH",
            if is_pr {
                f.pr_head_branch.clone().unwrap_or_default()
            } else {
                String::new()
            },
        ),
        (
            "TRAVIS_PULL_REQUEST_SHA",
            if is_pr {
                f.commit.clone().unwrap_or_default()
            } else {
                String::new()
            },
        ),
        (
            "TRAVIS_PULL_REQUEST_SLUG",
            if is_pr {
                f.pr_head_repo.clone().unwrap_or_else(|| f.repo.clone())
            } else {
                String::new()
            },
        ),
        (
            "TRAVIS_PULL_REQUEST_IS_DRAFT",
            if is_pr { "false".into() } else { String::new() },
        ),
        ("TRAVIS_JOB_RESTARTED", "false".into()),
        ("TRAVIS_JOB_RESTARTED_BY", String::new()),
    ]
}

fn export_line(cx: &mut Ctx, e: &Export) {
    match &e.value {
        ExportValue::Public(v) => {
            let cmd = format!("export {}={}", e.name, v);
            cx.line(0, &format!("travis_cmd {} --echo", sq(&cmd)));
            cx.compiled.job_env.push((e.name.clone(), v.clone()));
        }
        ExportValue::Secure { env_var, index } => {
            cx.line(
                0,
                &format!(
                    "travis_cmd \"export {}=${{{env_var}}}\" --echo --display {} --secure",
                    e.name,
                    sq(&format!("export {}=[secure]", e.name))
                ),
            );
            cx.line(0, &format!("unset {env_var}"));
            let value = cx
                .compiled
                .env
                .get(*index)
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            cx.compiled.job_env.push((e.name.clone(), value));
        }
    }
}

pub(super) fn export_phase(cx: &mut Ctx, ex: Exports) {
    let build_dir = cx.build_dir();
    let builtin = builtins(cx, ex.secure_exported);
    job_masks(cx, &builtin, &ex);
    cx.compiled
        .job_env
        .push(("TRAVIS_BUILD_DIR".into(), build_dir));
    if ex.removed_message {
        cx.line(0, "echo");
        cx.line(0, "echo -e \"${ANSI_YELLOW}Encrypted environment variables have been removed for security reasons.${ANSI_RESET}\"");
        cx.line(0, "echo -e \"${ANSI_YELLOW}See https://docs.travis-ci.com/user/pull-requests/#pull-requests-and-security-restrictions${ANSI_RESET}\"");
    }
    for (name, value) in &builtin {
        if *name == "TRAVIS_COMMIT_MESSAGE" {
            continue;
        }
        cx.line(0, &format!("export {name}={}", word(value)));
        cx.compiled.job_env.push((name.to_string(), value.clone()));
    }
    match &cx.facts.commit_message {
        Some(m) => {
            cx.line(0, &format!("export TRAVIS_COMMIT_MESSAGE={}", sq(m)));
            cx.compiled.job_env.push(("TRAVIS_COMMIT_MESSAGE".into(), m.clone()));
        }
        None => cx.line(
            0,
            "export TRAVIS_COMMIT_MESSAGE=\"$(test -d .git && git log --format=%B -n 1 | head -c 32768)\"",
        ),
    }
    if cx.facts.commit.is_none() {
        cx.line(0, "if [[ -z \"${TRAVIS_COMMIT}\" && -d .git ]]; then export TRAVIS_COMMIT=\"$(git rev-parse HEAD 2>/dev/null)\"; fi");
    }
    let announced = !ex.settings.is_empty() || !ex.config.is_empty();
    if !ex.settings.is_empty() {
        cx.line(0, "echo");
        cx.line(0, "echo -e \"${ANSI_YELLOW}Setting environment variables from repository settings${ANSI_RESET}\"");
        for e in &ex.settings {
            export_line(cx, e);
        }
    }
    if !ex.config.is_empty() {
        cx.line(0, "echo");
        cx.line(
            0,
            "echo -e \"${ANSI_YELLOW}Setting environment variables from .travis.yml${ANSI_RESET}\"",
        );
        for e in &ex.config {
            export_line(cx, e);
        }
    }
    if announced {
        cx.line(0, "echo");
    }
    let lang = cx.lang;
    for (name, value) in lang::version_vars(&cx.job.config, lang) {
        cx.line(0, &format!("export {name}={}", word(&value)));
        cx.compiled.job_env.push((name, value));
    }
    cx.line(0, "");
}

/// What the job's shell knows before the first export line: the script's fixed builtins,
/// `HOME` when it is set, and the variables only known at run time (as unknown).
fn script_vars(cx: &Ctx, builtin: &[(&'static str, String)]) -> HashMap<String, Var> {
    let mut vars: HashMap<String, Var> = HashMap::new();
    let known = |v: &str| Var::Known(v.to_string());
    let home = match &cx.opts.home_dir {
        Some(h) => known(h),
        None => Var::Unknown,
    };
    vars.insert("HOME".into(), home.clone());
    vars.insert("TRAVIS_HOME".into(), home);
    for (name, value) in [
        ("TRAVIS_ROOT", "/"),
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("TRAVIS_TEST_RESULT", ""),
        ("TRAVIS_INFRA", "unknown"),
        ("PS4", "+"),
    ] {
        vars.insert(name.into(), known(value));
    }
    vars.insert("TRAVIS_BUILD_DIR".into(), known(&cx.build_dir()));
    // Set by the script at run time.
    for name in [
        "SHELL",
        "TERM",
        "USER",
        "PATH",
        "PWD",
        "OLDPWD",
        "TRAVIS_OS_NAME",
        "TRAVIS_CPU_ARCH",
        "TRAVIS_ARCH",
        "TRAVIS_DIST",
        "TRAVIS_INIT",
        "TRAVIS_TMPDIR",
        "ANSI_RED",
        "ANSI_GREEN",
        "ANSI_YELLOW",
        "ANSI_RESET",
        "ANSI_CLEAR",
    ] {
        vars.insert(name.into(), Var::Unknown);
    }
    for (name, value) in builtin {
        vars.insert(name.to_string(), known(value));
    }
    match &cx.facts.commit_message {
        Some(m) => vars.insert("TRAVIS_COMMIT_MESSAGE".into(), known(m)),
        None => vars.insert("TRAVIS_COMMIT_MESSAGE".into(), Var::Unknown),
    };
    if cx.facts.commit.is_none() {
        vars.insert("TRAVIS_COMMIT".into(), Var::Unknown);
    }
    vars
}

/// Add to the mask what this job's shell actually gives each secret it exports: the
/// export lines run in order, so each value is evaluated with the variables known at that
/// point (the script's fixed builtins, `HOME` when it is set, earlier exports).
fn job_masks(cx: &mut Ctx, builtin: &[(&'static str, String)], ex: &Exports) {
    let mut vars = script_vars(cx, builtin);
    let known = |v: &str| Var::Known(v.to_string());
    let mut mask = std::mem::take(&mut cx.compiled.mask);
    for e in ex.settings.iter().chain(&ex.config) {
        let (raw, secure) = match &e.value {
            ExportValue::Public(v) => (v.clone(), false),
            ExportValue::Secure { index, .. } => {
                let raw = cx
                    .compiled
                    .env
                    .get(*index)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                (raw, true)
            }
        };
        // The locals of `travis_cmd`, which `eval`s the line, shadow the job's variables.
        let cmd = format!("export {}={raw}", e.name);
        let display = format!("export {}=[secure]", e.name);
        let flag = |on: bool| known(if on { "true" } else { "" });
        let locals: [(&str, Var); 10] = [
            ("cmd", known(&cmd)),
            ("display", if secure { known(&display) } else { known("") }),
            (
                "TRAVIS_CMD",
                if secure { known(&display) } else { known(&cmd) },
            ),
            ("secure", flag(secure)),
            ("output", flag(true)),
            ("assert", flag(false)),
            ("retry", flag(false)),
            ("timing", flag(false)),
            ("result", flag(false)),
            ("event", flag(false)),
        ];
        let lookup = |n: &str| {
            locals
                .iter()
                .find(|(l, _)| *l == n)
                .map(|(_, v)| v.clone())
                .or_else(|| vars.get(n).cloned())
        };
        if secure {
            for t in secrets::export_mask_texts(&e.name, &raw, &lookup) {
                secrets::push_mask(&mut mask, t);
            }
        }
        let evaluated = eval_export(&e.name, &raw, &lookup);
        if let Some(v) = evaluated.value {
            let value = v.known().map(Var::Known).unwrap_or(Var::Unknown);
            vars.insert(e.name.clone(), value);
        }
    }
    cx.compiled.mask = mask;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_strings_split_like_travis() {
        let v = split_env_string("A=1 B=\"x y\" C=$(echo a b) D='q r' E=x y 2X=bad");
        assert_eq!(
            v,
            vec![
                ("A".to_string(), "1".to_string()),
                ("B".to_string(), "\"x y\"".to_string()),
                ("C".to_string(), "$(echo a b)".to_string()),
                ("D".to_string(), "'q r'".to_string()),
                ("E".to_string(), "x".to_string()),
            ]
        );
    }
}
