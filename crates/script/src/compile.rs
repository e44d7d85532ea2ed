//! Job → bash script, with Travis's phase order and per-phase rules (spec §1), env export
//! order (spec §2), secret handling (spec §3) and deployment (spec §5). The output is
//! deterministic text that never contains a secret value: secret values are handed to the
//! bash process through its environment (`__TL_SECRET_<n>`), which the export lines
//! reference.
//!
//! Deviations from travis-build, on purpose: no clone (the runner copies the working tree;
//! the checkout fold only shows what Travis would run), services are started (and addons
//! that change the machine applied) only when [`CompileOptions::start_services`] (and
//! [`CompileOptions::apply_addons`]) are set, services are started directly and waited for
//! (no systemd, no `sleep 3`), `travis_terminate` kills only this shell's
//! background jobs (not every process of the user), and a `--display`ed secure command sets
//! `TRAVIS_CMD` to the display text rather than the command holding the secret.

use crate::quote::{sq, word};
use crate::secrets::{self, Secrets, SecureEntry};
use crate::{lang, machine, Compiled};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use travis_local_matrix::{BuildFacts, Event, Job};

/// Knobs of [`crate::compile`].
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// `--deploy`: a deploy provider other than `script` errors the job (it is not
    /// emulated) instead of being listed as "not run locally".
    pub deploy: bool,
    /// `TRAVIS_BUILD_DIR`, where the script `cd`s (exit 86 if it cannot).
    /// Default `/home/travis/build/OWNER/REPO`.
    pub build_dir: Option<String>,
    /// When set, the script exports `HOME` to this path first.
    pub home_dir: Option<String>,
    /// Define the `ANSI_*` colour codes (false: they are empty strings).
    pub color: bool,
    /// Source `/etc/profile` and `~/.bash_profile` first, like travis_preamble.
    pub source_profile: bool,
    /// Start `services:` inside the job's machine (the daemon directly, as root, then
    /// wait until it is ready), as Travis starts them in its VM. When false, the script
    /// prints which services it does not start.
    pub start_services: bool,
    /// Apply the `addons:` that change the machine (apt, hosts, hostname, snaps, chrome,
    /// postgresql/mariadb versions) and install a missing service's packages. When false
    /// (the host executor without `--apply-addons`), each prints one line saying it is
    /// not applied.
    pub apply_addons: bool,
    /// Public variables of `.travis-local/config.yml` `env:`, exported first in the
    /// repository-settings group (NAME, verbatim value).
    pub local_env: Vec<(String, String)>,
    /// `secure:` entries of the root config (from [`secrets::find_secure_entries`]), used
    /// to name their location in notices (`env.global[2]`).
    pub secure_entries: Vec<SecureEntry>,
    /// `cache:`: the default branch and repository identity of the cache keys.
    pub cache: crate::cache::CacheOptions,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            deploy: false,
            build_dir: None,
            home_dir: None,
            color: true,
            source_profile: false,
            start_services: false,
            apply_addons: false,
            local_env: Vec::new(),
            secure_entries: Vec::new(),
            cache: Default::default(),
        }
    }
}

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

struct Ctx<'a> {
    job: &'a Job,
    facts: &'a BuildFacts,
    opts: &'a CompileOptions,
    out: String,
    compiled: Compiled,
    lang: &'static str,
}

const STAGE_FLAGS_ASSERT: &str = "--assert --echo --timing";
const STAGE_FLAGS_PLAIN: &str = "--echo --timing";

/// A list-valued phase key.
enum Phase {
    Absent,
    Skip,
    Commands(Vec<String>),
}

fn phase(config: &Value, key: &str, notices: &mut Vec<String>) -> Phase {
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

impl Ctx<'_> {
    fn line(&mut self, indent: usize, s: &str) {
        for _ in 0..indent {
            self.out.push_str("  ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn config(&self) -> &Value {
        &self.job.config
    }

    fn is_pr(&self) -> bool {
        self.facts.event == Event::PullRequest
    }

    fn secure_allowed(&self) -> bool {
        !(self.is_pr()
            && self
                .facts
                .pr_head_repo
                .as_deref()
                .is_some_and(|head| head != self.facts.repo))
    }

    fn build_dir(&self) -> String {
        self.opts
            .build_dir
            .clone()
            .unwrap_or_else(|| format!("/home/travis/build/{}", self.facts.repo))
    }

    /// The process env var that will hold `value`, and its index in `compiled.env`.
    fn new_secret(&mut self, value: &str) -> (String, usize) {
        let index = self.compiled.env.len();
        let var = format!("__TL_SECRET_{index}");
        self.compiled.env.push((var.clone(), value.to_string()));
        (var, index)
    }
}

/// Compile one job. Never fails: a config the script cannot represent becomes a script
/// that prints Travis's compile-error message and exits 2 (and a notice says why).
pub fn compile(
    job: &Job,
    facts: &BuildFacts,
    secrets: &Secrets,
    opts: &CompileOptions,
) -> Compiled {
    let language = job.config.get("language").and_then(Value::as_str);
    let mut cx = Ctx {
        job,
        facts,
        opts,
        out: String::new(),
        compiled: Compiled::default(),
        lang: lang::normalize(language),
    };
    // Every local secret, as written and as bash makes of it without job context;
    // `job_masks` adds the values this job's exports actually get.
    cx.compiled.mask = secrets.mask_values();
    cx.compiled.notices.extend(secrets.warnings.iter().cloned());
    if !job.config.is_object() {
        cx.compiled
            .notices
            .push("the job config is not a mapping; the script only reports the error".into());
        cx.line(0, "#!/bin/bash");
        cx.line(0, "echo -e \"\\033[31;1mThere was an error in the .travis.yml file from which we could not recover.\\033[0m\"");
        cx.line(0, "exit 2");
        cx.compiled.script = cx.out;
        return cx.compiled;
    }
    cx.compiled
        .notices
        .extend(machine::unknown_addon_notices(&job.config));
    header(&mut cx);
    let exports = collect_exports(&mut cx, secrets);
    // travis-build's addon hooks around `configure`, `prepare` (services, spec §4.4) and
    // `checkout`: the job's machine is set up before the checkout and the env vars.
    machine_steps(&mut cx, MachineStage::BeforeCheckout);
    checkout(&mut cx);
    export_stage(&mut cx, exports);
    setup_and_announce(&mut cx);
    stages(&mut cx);
    cx.compiled.script = cx.out;
    cx.compiled
}

fn header(cx: &mut Ctx) {
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
    if cx.opts.color {
        cx.line(0, "ANSI_RED='\\033[31;1m'");
        cx.line(0, "ANSI_GREEN='\\033[32;1m'");
        cx.line(0, "ANSI_YELLOW='\\033[33;1m'");
        cx.line(0, "ANSI_RESET='\\033[0m'");
    } else {
        cx.line(0, "ANSI_RED=''");
        cx.line(0, "ANSI_GREEN=''");
        cx.line(0, "ANSI_YELLOW=''");
        cx.line(0, "ANSI_RESET=''");
    }
    cx.line(0, "ANSI_CLEAR='\\033[0K'");
    cx.out.push_str(include_str!("helpers.bash"));
    cx.line(0, "");
    // travis_setup_env
    cx.line(0, "export TRAVIS_ROOT=/");
    cx.line(0, "export TRAVIS_HOME=\"${HOME}\"");
    cx.line(0, "export DEBIAN_FRONTEND=noninteractive");
    cx.line(0, "if [[ \"${TERM:-}\" == dumb ]]; then unset TERM; fi");
    cx.line(
        0,
        ": \"${SHELL:=/bin/bash}\" \"${TERM:=xterm}\" \"${USER:=travis}\"",
    );
    cx.line(0, "export SHELL TERM USER");
    cx.line(0, "case \"$(uname | tr '[:upper:]' '[:lower:]')\" in");
    cx.line(1, "linux*) TRAVIS_OS_NAME=linux ;;");
    cx.line(1, "darwin*) TRAVIS_OS_NAME=osx ;;");
    cx.line(1, "msys*) TRAVIS_OS_NAME=windows ;;");
    cx.line(1, "freebsd*) TRAVIS_OS_NAME=freebsd ;;");
    cx.line(1, "*) TRAVIS_OS_NAME=notset ;;");
    cx.line(0, "esac");
    cx.line(0, "export TRAVIS_OS_NAME");
    cx.line(0, "case \"$(uname -m)\" in");
    cx.line(1, "x86_64 | amd64) TRAVIS_CPU_ARCH=amd64 ;;");
    cx.line(1, "aarch64 | arm64) TRAVIS_CPU_ARCH=arm64 ;;");
    cx.line(1, "ppc64le) TRAVIS_CPU_ARCH=ppc64le ;;");
    cx.line(1, "s390x) TRAVIS_CPU_ARCH=s390x ;;");
    cx.line(1, "*) TRAVIS_CPU_ARCH=notset ;;");
    cx.line(0, "esac");
    cx.line(0, "TRAVIS_ARCH=\"$(uname -m)\"");
    cx.line(
        0,
        "if [[ \"${TRAVIS_ARCH}\" == x86_64 ]]; then TRAVIS_ARCH=amd64; fi",
    );
    cx.line(0, "export TRAVIS_CPU_ARCH TRAVIS_ARCH");
    cx.line(0, "if command -v lsb_release >/dev/null 2>&1; then");
    cx.line(1, "TRAVIS_DIST=\"$(lsb_release -sc 2>/dev/null)\"");
    cx.line(0, "elif [[ -r /etc/os-release ]]; then");
    cx.line(
        1,
        "TRAVIS_DIST=\"$(. /etc/os-release && echo \"${VERSION_CODENAME:-notset}\")\"",
    );
    cx.line(0, "else");
    cx.line(1, "TRAVIS_DIST=notset");
    cx.line(0, "fi");
    cx.line(0, "export TRAVIS_DIST=\"${TRAVIS_DIST:-notset}\"");
    cx.line(0, "if command -v systemctl >/dev/null 2>&1; then export TRAVIS_INIT=systemd; else export TRAVIS_INIT=upstart; fi");
    cx.line(0, "export TRAVIS_TEST_RESULT=");
    cx.line(0, "export TRAVIS_CMD=");
    // Under $HOME (not /tmp) so that a host run leaves nothing behind outside its directory.
    cx.line(0, "TRAVIS_TMPDIR=\"$(mktemp -d \"${HOME}/.travis-tmp.XXXXXX\" 2>/dev/null || mktemp -d 2>/dev/null || echo /tmp)\"");
    cx.line(0, "export TRAVIS_TMPDIR");
    cx.line(0, "export TRAVIS_INFRA=unknown");
    cx.line(0, "export PS4=+");
    cx.line(
        0,
        "export PATH=\"${HOME}/.local/bin:${HOME}/bin:${PATH}:${HOME}/.travis-local/bin\"",
    );
    let build_dir = cx.build_dir();
    cx.line(0, &format!("export TRAVIS_BUILD_DIR={}", sq(&build_dir)));
    cx.line(0, "cd \"${TRAVIS_BUILD_DIR}\" || exit 86");
    cx.line(0, "");
}

fn checkout(cx: &mut Ctx) {
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

enum MachineStage {
    BeforeCheckout,
    BeforeInstall,
}

/// The job's machine (`addons:`, `services:`), in travis-build's order (see
/// [`machine`]): before the checkout, and the homebrew check before `before_install`.
fn machine_steps(cx: &mut Ctx, at: MachineStage) {
    let policy = machine::Policy {
        start_services: cx.opts.start_services,
        apply_addons: cx.opts.apply_addons,
    };
    let config = cx.job.config.clone();
    let steps = match at {
        MachineStage::BeforeCheckout => {
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
        MachineStage::BeforeInstall => vec![machine::before_install(&config)],
    };
    for step in steps {
        let indent = usize::from(matches!(at, MachineStage::BeforeInstall));
        for l in &step.lines {
            cx.line(indent, l);
        }
        if !step.lines.is_empty() && indent == 0 {
            cx.line(0, "");
        }
        cx.compiled.notices.extend(step.notices);
    }
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

struct Exports {
    removed_message: bool,
    settings: Vec<Export>,
    config: Vec<Export>,
    secure_exported: bool,
}

fn collect_exports(cx: &mut Ctx, secrets: &Secrets) -> Exports {
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

fn export_stage(cx: &mut Ctx, ex: Exports) {
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

/// Add to the mask what this job's shell actually gives each secret it exports: the
/// export lines run in order, so each value is evaluated with the variables known at that
/// point (the script's fixed builtins, `HOME` when it is set, earlier exports).
fn job_masks(cx: &mut Ctx, builtin: &[(&'static str, String)], ex: &Exports) {
    use crate::export_eval::{eval_export, Var};
    use std::collections::HashMap;
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

/// Emit a custom (user) stage body.
fn custom_stage(cx: &mut Ctx, indent: usize, stage: &str, cmds: &[String], assert: bool) {
    let many = cmds.len() > 1;
    for (i, c) in cmds.iter().enumerate() {
        let flags = if assert {
            STAGE_FLAGS_ASSERT
        } else {
            STAGE_FLAGS_PLAIN
        };
        let call = format!("travis_cmd {} {flags} --event {stage}", sq(c));
        if stage == "script" {
            cx.line(indent, &call);
            cx.line(indent, "travis_result $?");
        } else {
            let fold = if many {
                format!("{stage}.{}", i + 1)
            } else {
                stage.to_string()
            };
            cx.line(indent, &format!("travis_fold start {fold}"));
            cx.line(indent + 1, &call);
            cx.line(indent, &format!("travis_fold end {fold}"));
        }
    }
}

fn skip_message(cx: &mut Ctx, indent: usize, stage: &str) {
    cx.line(
        indent,
        &format!("echo -e \"${{ANSI_YELLOW}}Skipping the {stage} step, as specified in the configuration.${{ANSI_RESET}}\""),
    );
}

/// Travis's `setup` and `announce` stages, for the languages where they matter locally.
/// Python: activate `~/virtualenv/pythonX.Y` as Travis does when the image has it;
/// otherwise say which interpreter is used, let pip install outside a virtualenv
/// (`PIP_BREAK_SYSTEM_PACKAGES`, needed on Debian 12 images) and provide `python`/`pip`
/// shims in `~/.travis-local/bin` when only `python3`/`pip3` exist.
fn setup_and_announce(cx: &mut Ctx) {
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

fn stages(cx: &mut Ctx) {
    let mut notices = Vec::new();
    let config = cx.job.config.clone();
    for stage in [
        "before_install",
        "install",
        "before_script",
        "script",
        "before_cache",
        "after_success",
        "after_failure",
        "after_script",
    ] {
        let p = phase(&config, stage, &mut notices);
        cx.line(0, &format!("travis_run_{stage}() {{"));
        if stage == "before_install" {
            machine_steps(cx, MachineStage::BeforeInstall);
        }
        match p {
            Phase::Skip => {
                skip_message(cx, 1, stage);
                if stage == "script" {
                    cx.line(1, "travis_result 0");
                }
            }
            Phase::Commands(cmds) => {
                let assert = matches!(stage, "before_install" | "install" | "before_script");
                custom_stage(cx, 1, stage, &cmds, assert);
            }
            Phase::Absent => match stage {
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
        if stage == "after_success" {
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

/// Travis's `setup_casher` and `setup_cache` stages (`cache:`; see [`crate::cache`]).
fn cache_setup(cx: &mut Ctx) {
    let mut notes = Vec::new();
    let lines =
        crate::cache::setup_lines(cx.config(), cx.lang, cx.facts, &cx.opts.cache, &mut notes);
    cx.compiled.notices.extend(notes);
    for l in lines {
        cx.line(0, &l);
    }
}

/// Travis's `cache` stage (after `before_cache`): `travis_run_cache`, fold `cache.2`.
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

fn deploy(cx: &mut Ctx, indent: usize, notices: &mut Vec<String>) {
    let config = cx.job.config.clone();
    let providers: Vec<Value> = match config
        .get("deploy")
        .or_else(|| config.get("addons").and_then(|a| a.get("deploy")))
    {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        Some(Value::Null) | None => return,
        Some(_) => {
            notices.push("deploy: expected a mapping or a list of mappings; ignored".into());
            return;
        }
    };
    let before = phase(&config, "before_deploy", notices);
    let after = phase(&config, "after_deploy", notices);
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
        let on = p.get("on").cloned().unwrap_or(Value::Null);
        let on = if on.is_object() {
            on
        } else {
            Value::Object(Default::default())
        };
        let prefix = format!("Skipping a deployment with the {provider} provider because ");
        // (bash test, skip message, runtime var for the message)
        let mut conds: Vec<(String, String, Option<&str>)> = Vec::new();
        let repos = strings_of(on.get("repo"));
        if let Some(repo) = repos.first() {
            conds.push((
                format!("[[ \"${{TRAVIS_REPO_SLUG}}\" == {} ]]", sq(repo)),
                format!("{prefix}this repo's name does not match one specified in .travis.yml's deploy.on.repo: {repo}"),
                None,
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
            conds.push((
                format!("[[ {test} ]]"),
                format!("{prefix}this branch is not permitted: "),
                Some("TRAVIS_BRANCH"),
            ));
        }
        for (key, var) in lang::VERSION_KEYS
            .iter()
            .chain([("node", "TRAVIS_NODE_VERSION")].iter())
        {
            if let Some(v) = strings_of(on.get(*key)).first() {
                conds.push((
                    format!("[[ \"${{{var}:-}}\" == {} ]]", sq(v)),
                    format!("{prefix}this is not on the required runtime"),
                    None,
                ));
            }
        }
        for c in strings_of(on.get("condition")) {
            conds.push((
                format!("eval {}", sq(&format!("[[ {c} ]]"))),
                format!("{prefix}a custom condition was not met"),
                None,
            ));
        }
        match tags {
            Some(true) => conds.push((
                "[[ -n \"${TRAVIS_TAG}\" ]]".into(),
                format!("{prefix}this is not a tagged commit"),
                None,
            )),
            Some(false) => conds.push((
                "[[ -z \"${TRAVIS_TAG}\" ]]".into(),
                format!("{prefix}this is a tagged commit"),
                None,
            )),
            None => {}
        }
        let test = if conds.is_empty() {
            "true".to_string()
        } else {
            conds
                .iter()
                .map(|(t, _, _)| t.clone())
                .collect::<Vec<_>>()
                .join(" && ")
        };
        cx.line(indent, &format!("if {test}; then"));
        let i1 = indent + 1;
        let runs_locally = provider == "script" || cx.opts.deploy;
        if !runs_locally {
            cx.line(
                i1,
                &yellow(
                    &format!(
                        "travis-local: the {provider} provider is not run locally (only `provider: script` deployments run; --deploy makes this an error). Skipping deploy[{index}]."
                    ),
                    None,
                ),
            );
        } else {
            cx.line(i1, "__tl_errexit=\"$-\"");
            cx.line(i1, "set +e");
            match &before {
                Phase::Commands(cmds) => custom_stage(cx, i1, "before_deploy", cmds, true),
                Phase::Skip => skip_message(cx, i1, "before_deploy"),
                Phase::Absent => {}
            }
            let allow_failure = matches!(p.get("allow_failure"), Some(Value::Bool(true)));
            let script = strings_of(p.get("script")).join("\n");
            if provider == "script" && script.trim().is_empty() {
                cx.line(
                    i1,
                    &format!(
                        "echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"",
                        sq(&format!(
                            "deploy[{index}]: the script provider needs a `script:` command"
                        ))
                    ),
                );
                cx.line(i1, "echo \"failed to deploy\"");
                if !allow_failure {
                    cx.line(i1, "travis_terminate 2");
                }
            } else if provider == "script" {
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
                cx.line(i1, &format!("sh -c {}", sq(&script)));
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
            } else {
                cx.line(
                    i1,
                    &format!(
                        "echo -e \"${{ANSI_RED}}\"{}\"${{ANSI_RESET}}\"",
                        sq(&format!(
                            "travis-local cannot deploy with the {provider} provider: dpl providers other than `script` are not emulated, so nothing was deployed. The job is errored."
                        ))
                    ),
                );
                cx.line(i1, "travis_terminate 2");
            }
            match &after {
                Phase::Commands(cmds) => custom_stage(cx, i1, "after_deploy", cmds, false),
                Phase::Skip => skip_message(cx, i1, "after_deploy"),
                Phase::Absent => {}
            }
            cx.line(i1, "if [[ \"${__tl_errexit}\" == *e* ]]; then set -e; fi");
        }
        if !conds.is_empty() {
            cx.line(indent, "else");
            for (t, msg, var) in &conds {
                cx.line(i1, &format!("if ! {t}; then"));
                cx.line(i1 + 1, &yellow(msg, *var));
                cx.line(i1, "fi");
            }
        }
        cx.line(indent, "fi");
    }
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
