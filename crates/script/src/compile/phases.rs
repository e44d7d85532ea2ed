//! The job's phases (`before_install` … `after_script`) as `travis_run_<phase>` functions,
//! with Travis's per-phase rules (spec §1), the language defaults, setup/announce and the
//! cache phases.

use super::prelude::{machine_steps, MachineHook};
use super::{deploy::deploy, Ctx};
use crate::lang;
use crate::quote::sq;
use serde_json::Value;

const PHASE_FLAGS_ASSERT: &str = "--assert --echo --timing";
const PHASE_FLAGS_PLAIN: &str = "--echo --timing";

/// A list-valued phase key.
pub(super) enum Phase {
    Absent,
    Skip,
    Commands(Vec<String>),
}

pub(super) fn parse_phase(config: &Value, key: &str, notices: &mut Vec<String>) -> Phase {
    let v = match config.get(key) {
        None | Some(Value::Null) => return Phase::Absent,
        Some(v) => v,
    };
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut cmds = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => cmds.push(s.clone()),
            Value::Bool(b) => cmds.push(b.to_string()),
            Value::Number(n) => cmds.push(n.to_string()),
            Value::Null => {}
            _ => notices.push(format!(
                "{key}[{i}] is not a command (a mapping or list); it is ignored"
            )),
        }
    }
    if cmds.is_empty() {
        return Phase::Absent;
    }
    if cmds.len() == 1 && (cmds[0].trim() == "skip" || cmds[0].trim() == "ignore") {
        return Phase::Skip;
    }
    Phase::Commands(cmds)
}

/// Emit a custom (user) phase body.
pub(super) fn custom_phase(
    cx: &mut Ctx,
    indent: usize,
    phase: &str,
    cmds: &[String],
    assert: bool,
) {
    let many = cmds.len() > 1;
    for (i, c) in cmds.iter().enumerate() {
        let flags = if assert {
            PHASE_FLAGS_ASSERT
        } else {
            PHASE_FLAGS_PLAIN
        };
        let call = format!("travis_cmd {} {flags} --event {phase}", sq(c));
        if phase == "script" {
            cx.line(indent, &call);
            cx.line(indent, "travis_result $?");
        } else {
            let fold = if many {
                format!("{phase}.{}", i + 1)
            } else {
                phase.to_string()
            };
            cx.line(indent, &format!("travis_fold start {fold}"));
            cx.line(indent + 1, &call);
            cx.line(indent, &format!("travis_fold end {fold}"));
        }
    }
}

pub(super) fn skip_message(cx: &mut Ctx, indent: usize, phase: &str) {
    cx.line(
        indent,
        &format!("echo -e \"${{ANSI_YELLOW}}Skipping the {phase} step, as specified in the configuration.${{ANSI_RESET}}\""),
    );
}

/// Travis's `setup` and `announce` phases, for the languages where they matter locally.
/// Python: activate `~/virtualenv/pythonX.Y` as Travis does when the image has it;
/// otherwise say which interpreter is used, let pip install outside a virtualenv
/// (`PIP_BREAK_SYSTEM_PACKAGES`, needed on Debian 12 images) and provide `python`/`pip`
/// shims in `~/.travis-local/bin` when only `python3`/`pip3` exist.
pub(super) fn setup_and_announce(cx: &mut Ctx) {
    if cx.lang != "python" {
        cache_setup(cx);
        return;
    }
    cx.line(
        0,
        "if [[ -f \"${HOME}/virtualenv/python${TRAVIS_PYTHON_VERSION}/bin/activate\" ]]; then",
    );
    cx.line(
        1,
        "travis_cmd \"source ~/virtualenv/python${TRAVIS_PYTHON_VERSION}/bin/activate\" --echo --timing --event setup",
    );
    cx.line(0, "else");
    cx.line(1, "echo -e \"${ANSI_YELLOW}travis-local: no virtualenv for python ${TRAVIS_PYTHON_VERSION} in ~/virtualenv; using $( (python3 --version || python --version) 2>&1 | head -n 1)${ANSI_RESET}\"");
    cx.line(1, "export PIP_BREAK_SYSTEM_PACKAGES=1");
    cx.line(1, "for __tl_pair in python:python3 pip:pip3; do");
    cx.line(2, "if ! command -v \"${__tl_pair%%:*}\" >/dev/null 2>&1 && command -v \"${__tl_pair##*:}\" >/dev/null 2>&1; then");
    cx.line(3, "mkdir -p \"${HOME}/.travis-local/bin\" && ln -sf \"$(command -v \"${__tl_pair##*:}\")\" \"${HOME}/.travis-local/bin/${__tl_pair%%:*}\"");
    cx.line(2, "fi");
    cx.line(1, "done");
    cx.line(1, "unset __tl_pair");
    cx.line(0, "fi");
    cache_setup(cx);
    cx.line(
        0,
        "travis_cmd 'python --version' --echo --timing --event announce",
    );
    cx.line(
        0,
        "travis_cmd 'pip --version' --echo --timing --event announce",
    );
    cx.line(0, "");
}

/// The job's phases that hold user commands, in the order the script defines them.
pub const PHASES: [&str; 8] = [
    "before_install",
    "install",
    "before_script",
    "script",
    "before_cache",
    "after_success",
    "after_failure",
    "after_script",
];

/// The phases around each deployment (inside `after_success`).
pub const DEPLOY_PHASES: [&str; 2] = ["before_deploy", "after_deploy"];

pub(super) fn phases(cx: &mut Ctx) {
    let mut notices = Vec::new();
    let config = cx.job.config.clone();
    for phase in PHASES {
        let p = parse_phase(&config, phase, &mut notices);
        cx.line(0, &format!("travis_run_{phase}() {{"));
        if phase == "before_install" {
            machine_steps(cx, MachineHook::BeforeInstall);
        }
        match p {
            Phase::Skip => {
                skip_message(cx, 1, phase);
                if phase == "script" {
                    cx.line(1, "travis_result 0");
                }
            }
            Phase::Commands(cmds) => {
                let assert = matches!(phase, "before_install" | "install" | "before_script");
                custom_phase(cx, 1, phase, &cmds, assert);
            }
            Phase::Absent => match phase {
                "install" => {
                    if let Some(b) = lang::default_install(cx.lang) {
                        cx.line(1, "travis_fold start install");
                        for l in &b.lines {
                            cx.line(2, l);
                        }
                        cx.line(1, "travis_fold end install");
                    }
                }
                "script" => {
                    let b = lang::default_script(cx.lang);
                    for l in &b.lines {
                        cx.line(1, l);
                    }
                    if cx.lang != "python" {
                        cx.line(1, "travis_result $?");
                    }
                }
                "before_cache" => {
                    if let Some(c) = crate::cache::default_before_cache(&config, cx.lang) {
                        cx.line(1, &format!("travis_cmd {} --timing", sq(&c)));
                    }
                }
                _ => {}
            },
        }
        if phase == "after_success" {
            deploy(cx, 1, &mut notices);
        }
        cx.line(1, ":");
        cx.line(0, "}");
        cx.line(0, "");
    }
    cx.compiled.notices.extend(notices);
    cache_store(cx);
    cx.line(0, "travis_run_before_install");
    cx.line(0, "travis_run_install");
    cx.line(0, "travis_run_before_script");
    cx.line(0, "travis_run_script");
    cx.line(0, "travis_run_before_cache");
    if crate::cache::enabled(cx.config()) {
        cx.line(0, "travis_run_cache");
    }
    cx.line(
        0,
        "if [[ \"${TRAVIS_TEST_RESULT}\" = 0 ]]; then travis_run_after_success; fi",
    );
    cx.line(
        0,
        "if [[ \"${TRAVIS_TEST_RESULT}\" != 0 ]]; then travis_run_after_failure; fi",
    );
    cx.line(0, "travis_run_after_script");
    cx.line(0, "travis_footer");
}

/// Travis's `setup_casher` and `setup_cache` phases (`cache:`; see [`crate::cache`]).
fn cache_setup(cx: &mut Ctx) {
    let mut notes = Vec::new();
    let lines =
        crate::cache::setup_lines(cx.config(), cx.lang, cx.facts, &cx.opts.cache, &mut notes);
    cx.compiled.notices.extend(notes);
    for l in lines {
        cx.line(0, &l);
    }
}

/// Travis's `cache` phase (after `before_cache`): `travis_run_cache`, fold `cache.2`.
fn cache_store(cx: &mut Ctx) {
    let lines = crate::cache::store_lines(cx.config(), cx.lang, cx.facts, &cx.opts.cache);
    if lines.is_empty() {
        return;
    }
    cx.line(0, "travis_run_cache() {");
    for l in lines {
        cx.line(1, &l);
    }
    cx.line(1, ":");
    cx.line(0, "}");
    cx.line(0, "");
}
