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

mod deploy;
mod env;
mod phases;
mod prelude;

use crate::secrets::{Secrets, SecureEntry};
use crate::{lang, machine, Compiled};
use serde_json::Value;
use travis_local_matrix::{BuildFacts, Event, Job};

pub use env::split_env_string;
pub use phases::{DEPLOY_PHASES, PHASES};
use prelude::MachineHook;

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

struct Ctx<'a> {
    job: &'a Job,
    facts: &'a BuildFacts,
    opts: &'a CompileOptions,
    out: String,
    compiled: Compiled,
    lang: &'static str,
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
    prelude::header(&mut cx);
    let exports = env::collect_exports(&mut cx, secrets);
    // travis-build's addon hooks around `configure`, `prepare` (services, spec §4.4) and
    // `checkout`: the job's machine is set up before the checkout and the env vars.
    prelude::machine_steps(&mut cx, MachineHook::BeforeCheckout);
    prelude::checkout(&mut cx);
    env::export_phase(&mut cx, exports);
    phases::setup_and_announce(&mut cx);
    phases::phases(&mut cx);
    cx.compiled.script = cx.out;
    cx.compiled
}
