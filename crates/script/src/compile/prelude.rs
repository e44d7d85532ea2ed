//! What runs before the job's variables are exported: the header (shell set-up, helper
//! functions, travis_setup_env), the job's machine before the checkout (`addons:`,
//! `services:`), and the checkout fold.

use super::Ctx;
use crate::machine;
use crate::quote::sq;
use serde_json::Value;
use std::fmt::Write as _;

pub(super) fn header(cx: &mut Ctx) {
    let job_number = cx.job.number.clone();
    cx.line(0, "#!/bin/bash");
    cx.line(
        0,
        &format!("# travis-local build script for job {job_number} (generated; do not edit)."),
    );
    cx.line(
        0,
        "# Secret values are not in this file: they come from the process environment.",
    );
    cx.line(0, "");
    if let Some(home) = &cx.opts.home_dir {
        cx.line(0, &format!("export HOME={}", sq(home)));
    }
    if cx.opts.source_profile {
        cx.line(0, "if [[ -s /etc/profile ]]; then source /etc/profile; fi");
        cx.line(
            0,
            "if [[ -s \"${HOME}/.bash_profile\" ]]; then source \"${HOME}/.bash_profile\"; fi",
        );
    }
    for (name, code) in [
        ("RED", "\\033[31;1m"),
        ("GREEN", "\\033[32;1m"),
        ("YELLOW", "\\033[33;1m"),
        ("RESET", "\\033[0m"),
    ] {
        let code = if cx.opts.color { code } else { "" };
        cx.line(0, &format!("ANSI_{name}='{code}'"));
    }
    cx.line(0, "ANSI_CLEAR='\\033[0K'");
    cx.out.push_str(include_str!("../helpers.bash"));
    cx.line(0, "");
    // travis_setup_env: the same for every job (TRAVIS_TMPDIR under $HOME, not /tmp, so
    // that a host run leaves nothing behind outside its directory).
    cx.out.push_str(include_str!("../setup_env.bash"));
    let build_dir = cx.build_dir();
    cx.line(0, &format!("export TRAVIS_BUILD_DIR={}", sq(&build_dir)));
    cx.line(0, "cd \"${TRAVIS_BUILD_DIR}\" || exit 86");
    cx.line(0, "");
}

pub(super) fn checkout(cx: &mut Ctx) {
    let git = cx.config().get("git").cloned().unwrap_or(Value::Null);
    let depth = match git.get("depth") {
        Some(Value::Bool(false)) => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.clone()),
        _ => Some("50".to_string()),
    };
    let submodules = !matches!(git.get("submodules"), Some(Value::Bool(false)));
    let quiet = matches!(git.get("quiet"), Some(Value::Bool(true)));
    let clone = !matches!(git.get("clone"), Some(Value::Bool(false)));
    let slug = cx.facts.repo.clone();
    cx.line(0, "travis_fold start git.checkout");
    cx.line(0, "echo -e \"${ANSI_YELLOW}travis-local: the working tree was copied to ${TRAVIS_BUILD_DIR}; nothing is cloned. On Travis this step runs:${ANSI_RESET}\"");
    if !clone {
        cx.line(
            0,
            "echo '  Skipping `git clone` based on given configuration'",
        );
    } else {
        let mut clone_cmd = String::from("git clone");
        if let Some(d) = &depth {
            let _ = write!(clone_cmd, " --depth={d}");
        }
        if !cx.is_pr() {
            let target = cx
                .facts
                .tag
                .clone()
                .unwrap_or_else(|| cx.facts.branch.clone());
            let _ = write!(clone_cmd, " --branch={target}");
        }
        if quiet {
            clone_cmd.push_str(" --quiet");
        }
        let _ = write!(clone_cmd, " https://github.com/{slug}.git {slug}");
        let mut steps = vec![clone_cmd, format!("cd {slug}")];
        if let (true, Some(n)) = (cx.is_pr(), cx.facts.pull_request) {
            let d = depth
                .as_ref()
                .map(|d| format!(" --depth={d}"))
                .unwrap_or_default();
            steps.push(format!("git fetch origin +refs/pull/{n}/merge:{d}"));
            steps.push("git checkout -qf FETCH_HEAD".into());
        } else if let Some(tag) = &cx.facts.tag {
            steps.push(format!("git checkout -qf {tag}"));
        } else {
            let sha = cx.facts.commit.clone().unwrap_or_else(|| "<commit>".into());
            steps.push(format!("git checkout -qf {sha}"));
        }
        for s in steps {
            cx.line(0, &format!("echo {}", sq(&format!("  $ {s}"))));
        }
        if submodules {
            cx.line(0, "if [[ -f .gitmodules ]]; then");
            cx.line(
                1,
                "echo '  $ git submodule update --init --recursive --quiet'",
            );
            cx.line(0, "fi");
        }
    }
    cx.line(0, "travis_fold end git.checkout");
    cx.line(0, "");
}

pub(super) enum MachineHook {
    BeforeCheckout,
    BeforeInstall,
}

/// The job's machine (`addons:`, `services:`), in travis-build's order (see
/// [`machine`]): before the checkout, and the homebrew check before `before_install`.
pub(super) fn machine_steps(cx: &mut Ctx, at: MachineHook) {
    let policy = machine::Policy {
        start_services: cx.opts.start_services,
        apply_addons: cx.opts.apply_addons,
    };
    let config = cx.job.config.clone();
    let steps = match at {
        MachineHook::BeforeCheckout => {
            if let Some(h) = machine::helpers(&config, policy) {
                cx.out.push_str(h);
                cx.line(0, "");
            }
            vec![
                machine::configure(&config, policy),
                machine::before_prepare(&config, policy),
                machine::services(&config, policy),
                machine::after_prepare(&config, policy),
                machine::before_checkout(&config),
            ]
        }
        MachineHook::BeforeInstall => vec![machine::before_install(&config)],
    };
    for step in steps {
        let indent = usize::from(matches!(at, MachineHook::BeforeInstall));
        for l in &step.lines {
            cx.line(indent, l);
        }
        if !step.lines.is_empty() && indent == 0 {
            cx.line(0, "");
        }
        cx.compiled.notices.extend(step.notices);
    }
}
