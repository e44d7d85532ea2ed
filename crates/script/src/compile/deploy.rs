//! `deploy:` (spec §5): each provider's `on:` conditions as a bash test with Travis's skip
//! messages; `provider: script` runs, other providers are listed (or error the job with
//! `--deploy`).

use super::phases::{custom_phase, parse_phase, skip_message, Phase};
use super::Ctx;
use crate::lang;
use crate::quote::sq;
use serde_json::Value;
use std::fmt::Write as _;

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Number(n)) => vec![n.to_string()],
        Some(Value::Bool(b)) => vec![b.to_string()],
        _ => Vec::new(),
    }
}

/// `echo -e` of a yellow message whose text is literal except `${TRAVIS_BRANCH}`-style
/// references given as `runtime`.
fn yellow(text: &str, runtime: Option<&str>) -> String {
    let mut s = format!("echo -e \"${{ANSI_YELLOW}}\"{}", sq(text));
    if let Some(var) = runtime {
        let _ = write!(s, "\"${{{var}}}\"");
    }
    s.push_str("\"${ANSI_RESET}\"");
    s
}

/// One `on:` condition: the bash test, the skip message when it fails, and the runtime
/// variable the message ends with.
struct Cond {
    test: String,
    message: String,
    runtime: Option<&'static str>,
}

impl Cond {
    fn new(test: String, message: String) -> Cond {
        Cond {
            test,
            message,
            runtime: None,
        }
    }
}

/// The `deploy:` providers (or `addons.deploy`); `None` when there are none.
fn providers(config: &Value, notices: &mut Vec<String>) -> Option<Vec<Value>> {
    match config
        .get("deploy")
        .or_else(|| config.get("addons").and_then(|a| a.get("deploy")))
    {
        Some(Value::Array(a)) => Some(a.clone()),
        Some(v @ Value::Object(_)) => Some(vec![v.clone()]),
        Some(Value::Null) | None => None,
        Some(_) => {
            notices.push("deploy: expected a mapping or a list of mappings; ignored".into());
            None
        }
    }
}

/// Emit every deployment of the job, inside `travis_run_after_success`.
pub(super) fn deploy(cx: &mut Ctx, indent: usize, notices: &mut Vec<String>) {
    let config = cx.job.config.clone();
    let Some(providers) = providers(&config, notices) else {
        return;
    };
    let hooks = Hooks {
        before: parse_phase(&config, "before_deploy", notices),
        after: parse_phase(&config, "after_deploy", notices),
    };
    for (index, p) in providers.iter().enumerate() {
        if !p.is_object() {
            notices.push(format!("deploy[{index}]: expected a mapping; ignored"));
            continue;
        }
        let provider = p
            .get("provider")
            .and_then(Value::as_str)
            .unwrap_or("heroku")
            .to_string();
        if cx.is_pr() {
            cx.line(
                indent,
                &yellow(
                    &format!("Skipping a deployment with the {provider} provider because the current build is a pull request."),
                    None,
                ),
            );
            continue;
        }
        let conds = conditions(p, &provider);
        let test = if conds.is_empty() {
            "true".to_string()
        } else {
            conds
                .iter()
                .map(|c| c.test.clone())
                .collect::<Vec<_>>()
                .join(" && ")
        };
        cx.line(indent, &format!("if {test}; then"));
        let i1 = indent + 1;
        let runs_locally = provider == "script" || cx.opts.deploy;
        if runs_locally {
            run_provider(cx, i1, p, &provider, index, &hooks);
        } else {
            cx.line(
                i1,
                &yellow(
                    &format!(
                        "travis-local: the {provider} provider is not run locally (only `provider: script` deployments run; --deploy makes this an error). Skipping deploy[{index}]."
                    ),
                    None,
                ),
            );
        }
        if !conds.is_empty() {
            cx.line(indent, "else");
            for c in &conds {
                cx.line(i1, &format!("if ! {}; then", c.test));
                cx.line(i1 + 1, &yellow(&c.message, c.runtime));
                cx.line(i1, "fi");
            }
        }
        cx.line(indent, "fi");
    }
}

/// `before_deploy` and `after_deploy`, run around each deployment.
struct Hooks {
    before: Phase,
    after: Phase,
}

/// The provider's `on:` conditions, in travis-build's order.
fn conditions(p: &Value, provider: &str) -> Vec<Cond> {
    let on = p.get("on").cloned().unwrap_or(Value::Null);
    let on = if on.is_object() {
        on
    } else {
        Value::Object(Default::default())
    };
    let prefix = format!("Skipping a deployment with the {provider} provider because ");
    let mut conds = Vec::new();
    if let Some(repo) = strings_of(on.get("repo")).first() {
        conds.push(Cond::new(
            format!("[[ \"${{TRAVIS_REPO_SLUG}}\" == {} ]]", sq(repo)),
            format!("{prefix}this repo's name does not match one specified in .travis.yml's deploy.on.repo: {repo}"),
        ));
    }
    let all_branches = matches!(on.get("all_branches"), Some(Value::Bool(true)))
        || matches!(on.get("all_branches"), Some(Value::String(s)) if s == "true");
    let tags = on.get("tags").and_then(|t| match t {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true"),
        _ => None,
    });
    if !all_branches && tags.is_none() {
        let mut branches = strings_of(on.get("branch").or_else(|| on.get("branches")));
        if branches.is_empty() {
            branches.push("master".into());
        }
        let test = branches
            .iter()
            .map(|b| format!("\"${{TRAVIS_BRANCH}}\" == {}", sq(b)))
            .collect::<Vec<_>>()
            .join(" || ");
        conds.push(Cond {
            test: format!("[[ {test} ]]"),
            message: format!("{prefix}this branch is not permitted: "),
            runtime: Some("TRAVIS_BRANCH"),
        });
    }
    for (key, var) in lang::VERSION_KEYS
        .iter()
        .chain([("node", "TRAVIS_NODE_VERSION")].iter())
    {
        if let Some(v) = strings_of(on.get(*key)).first() {
            conds.push(Cond::new(
                format!("[[ \"${{{var}:-}}\" == {} ]]", sq(v)),
                format!("{prefix}this is not on the required runtime"),
            ));
        }
    }
    for c in strings_of(on.get("condition")) {
        conds.push(Cond::new(
            format!("eval {}", sq(&format!("[[ {c} ]]"))),
            format!("{prefix}a custom condition was not met"),
        ));
    }
    match tags {
        Some(true) => conds.push(Cond::new(
            "[[ -n \"${TRAVIS_TAG}\" ]]".into(),
            format!("{prefix}this is not a tagged commit"),
        )),
        Some(false) => conds.push(Cond::new(
            "[[ -z \"${TRAVIS_TAG}\" ]]".into(),
            format!("{prefix}this is a tagged commit"),
        )),
        None => {}
    }
    conds
}

/// A deployment that runs here: `before_deploy`, the provider, `after_deploy`, with
/// errexit off around them.
fn run_provider(cx: &mut Ctx, i1: usize, p: &Value, provider: &str, index: usize, hooks: &Hooks) {
    cx.line(i1, "__tl_errexit=\"$-\"");
    cx.line(i1, "set +e");
    match &hooks.before {
        Phase::Commands(cmds) => custom_phase(cx, i1, "before_deploy", cmds, true),
        Phase::Skip => skip_message(cx, i1, "before_deploy"),
        Phase::Absent => {}
    }
    let allow_failure = matches!(p.get("allow_failure"), Some(Value::Bool(true)));
    let script = strings_of(p.get("script")).join("\n");
    if provider == "script" && script.trim().is_empty() {
        cx.line(
            i1,
            &red(&format!(
                "deploy[{index}]: the script provider needs a `script:` command"
            )),
        );
        cx.line(i1, "echo \"failed to deploy\"");
        if !allow_failure {
            cx.line(i1, "travis_terminate 2");
        }
    } else if provider == "script" {
        script_provider(cx, i1, p, index, &script, allow_failure);
    } else {
        cx.line(
            i1,
            &red(&format!(
                "travis-local cannot deploy with the {provider} provider: dpl providers other than `script` are not emulated, so nothing was deployed. The job is errored."
            )),
        );
        cx.line(i1, "travis_terminate 2");
    }
    match &hooks.after {
        Phase::Commands(cmds) => custom_phase(cx, i1, "after_deploy", cmds, false),
        Phase::Skip => skip_message(cx, i1, "after_deploy"),
        Phase::Absent => {}
    }
    cx.line(i1, "if [[ \"${__tl_errexit}\" == *e* ]]; then set -e; fi");
}

/// `provider: script`: `sh -c` the script in fold `dpl.<n>`.
fn script_provider(
    cx: &mut Ctx,
    i1: usize,
    p: &Value,
    index: usize,
    script: &str,
    allow_failure: bool,
) {
    // dpl v2: `cleanup: true` stashes everything not committed before the
    // deploy and restores it afterwards (no cleanup by default).
    let cleanup = matches!(p.get("cleanup"), Some(Value::Bool(true)));
    cx.line(i1, &format!("travis_fold start dpl.{}", index + 1));
    cx.line(i1, "travis_time_start");
    if cleanup {
        cx.line(i1, "echo '$ git stash --all'");
        cx.line(i1, "git stash --all");
    }
    cx.line(i1, &format!("echo {}", sq(&format!("$ {script}"))));
    cx.line(i1, &format!("sh -c {}", sq(script)));
    cx.line(i1, "__tl_deploy_rc=$?");
    if cleanup {
        cx.line(i1, "echo '$ git stash pop'");
        cx.line(i1, "git stash pop");
    }
    cx.line(i1, "travis_time_finish deploy || :");
    cx.line(i1, &format!("travis_fold end dpl.{}", index + 1));
    if allow_failure {
        cx.line(i1, "if [ \"${__tl_deploy_rc}\" -ne 0 ]; then echo \"failed to deploy (allowed to fail)\"; fi");
    } else {
        cx.line(i1, "if [ \"${__tl_deploy_rc}\" -ne 0 ]; then echo \"failed to deploy\"; travis_terminate 2; fi");
    }
}

/// `echo -e` of a red literal message.
fn red(text: &str) -> String {
    format!("echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"", sq(text))
}
