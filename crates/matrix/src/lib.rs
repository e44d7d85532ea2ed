//! Build matrix expansion, stages and job filtering, exactly as travis-yml computes them
//! (`lib/travis/yml/matrix.rb` and `configs/{stages,allow_failures,reorder}.rb`), plus the
//! build-level filters Travis applies before that (`branches:`, root `if:`, `[skip ci]`),
//! imports, build facts and job selection. Input is the *normalised* config (the `config`
//! shape of `corpus/travis/expected/*.json`); output is a [`BuildPlan`] whose job configs
//! have the shape of the `jobs` there.
//!
//! Deviations from ARCHITECTURE.md: the model is `serde_json::Value` rather than typed
//! `Spanned<T>` structs, because the config crate hands over travis-yml's normalised JSON
//! and the job configs must come out in exactly that shape (the corpus comparison is then
//! a plain equality). Planning itself ([`plan`], [`expand`], [`select()`]) is pure; only
//! [`load_build`] (imports) and [`FactSettings::resolve`] (git defaults) touch the filesystem
//! or run `git`. The pipeline lives in one module (`plan.rs`) because its steps share the
//! job candidate type and mirror one upstream method each, in order.

pub mod facts;
pub mod imports;
mod plan;
pub mod select;
mod support;
mod tree;
pub mod workspace;

pub use facts::{repo_root, BuildFacts, Event, FactSettings};
pub use imports::{load_build, Findings, LoadError, LoadedBuild};
pub use plan::{env_summary, expand, plan, scalar_str};
pub use select::select;
pub use support::EXPAND_KEYS;
pub use tree::BuildTree;
pub use workspace::{Build, Workspace, WorkspaceError};

use serde::Serialize;
use serde_json::Value;

/// The outcome of planning a build.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BuildPlan {
    /// False when the whole build would not run (branch filter, root `if:`, no jobs left).
    pub runs: bool,
    /// Why the build would not run (`None` when it runs).
    pub reason: Option<String>,
    /// Stages in execution order. When the config uses no stages there is exactly one stage
    /// with an empty name holding all jobs (`Stage::named == false`).
    pub stages: Vec<Stage>,
    /// All jobs that will run, in order (stage, then allow_failure last, then travis-yml order).
    pub jobs: Vec<Job>,
    /// Jobs, stages, excludes and allow_failures rules that did not apply, with reasons.
    pub skipped: Vec<Skipped>,
    /// `jobs.fast_finish`: the build result is known once all required jobs have finished.
    pub fast_finish: bool,
}

/// A build stage (a group of jobs that run after the previous stage passed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stage {
    /// Stage name as spelled in the config (`test` by default). Empty when the build has no
    /// stages at all.
    pub name: String,
    /// False when the config uses no stages (jobs then carry no `stage` key on Travis).
    pub named: bool,
    /// Numbers of the jobs in this stage, in order (`1.1`, `1.2`, ...).
    pub jobs: Vec<String>,
}

/// One job that will run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Job {
    /// `N.M`: build number N, 1-based position M.
    pub number: String,
    /// Name of the job's stage exactly as in [`BuildPlan::stages`] (the `stages:` section's
    /// spelling; `config.stage` keeps the job's own, which may differ in case). Empty when
    /// the build has no stages.
    pub stage: String,
    /// The job's `name:` if it has one.
    pub name: Option<String>,
    /// Matched by `jobs.allow_failures` (its failure does not fail the build).
    pub allow_failure: bool,
    /// The fully expanded job config, in the shape of `jobs` in `expected/*.json`.
    pub config: Value,
}

impl Job {
    /// Position within the build (the M of `N.M`).
    pub fn index(&self) -> usize {
        self.number
            .rsplit('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }
}

/// Something that will not run, and why.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Skipped {
    /// `job`, `stage`, `build`, `exclude`, `allow_failure` or `import`.
    pub kind: String,
    /// What it is: e.g. `jobs.include[2] (name: deploy)` or `stage deploy`.
    pub what: String,
    /// Why, e.g. "`if: branch = master` is false for branch `dev`".
    pub reason: String,
}
