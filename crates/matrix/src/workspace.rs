//! The one pipeline every subcommand shares: find the repository root once, resolve
//! the facts, pick the build tree (working tree or a commit's checkout), load the config
//! with its imports, read `.travis-local/config.yml` once, plan and select.
//!
//! Errors are data ([`WorkspaceError`]); the binary decides the exit code per
//! subcommand and prints.

use crate::{
    load_build, plan, select, BuildFacts, BuildPlan, BuildTree, FactSettings, Job, LoadError,
    LoadedBuild,
};
use std::path::{Path, PathBuf};
use travis_local_config::local::{self, LocalConfig};

/// Why a step of the pipeline failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceError {
    /// A fact flag is invalid (`--repo nope`, `--pr` with `--event push`); the message
    /// names the flag.
    Facts(String),
    /// The repository or the commit's checkout cannot be used (`--commit` names no
    /// commit, git fails).
    Tree(String),
    /// The config file cannot be read.
    Io(String),
    /// The config is not usable.
    Invalid(String),
    /// `.travis-local/config.yml` cannot be read (the error names it).
    Local(travis_local_config::local::LocalLoadError),
    /// A job selector or `--stage` matches nothing usable (the message names it).
    Select(String),
}

impl std::fmt::Display for WorkspaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkspaceError::Facts(m)
            | WorkspaceError::Tree(m)
            | WorkspaceError::Io(m)
            | WorkspaceError::Invalid(m)
            | WorkspaceError::Select(m) => f.write_str(m),
            WorkspaceError::Local(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for WorkspaceError {}

/// The repository a subcommand works on.
#[derive(Debug, Clone)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The repository around the current directory: git's top level, else the
    /// directory itself (so `travis-local` behaves the same from any subdirectory).
    pub fn discover() -> Workspace {
        Workspace {
            root: crate::repo_root(),
        }
    }

    /// The repository at `root` (tests, or a caller that already knows it).
    pub fn at(root: impl Into<PathBuf>) -> Workspace {
        Workspace { root: root.into() }
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The facts: the flags completed from git.
    pub fn facts(&self, settings: &FactSettings) -> Result<BuildFacts, WorkspaceError> {
        settings.resolve(&self.root).map_err(WorkspaceError::Facts)
    }

    /// Facts (flags + git), the build tree and the loaded config.
    pub fn build(&self, settings: &FactSettings) -> Result<Build, WorkspaceError> {
        self.build_with(settings, self.facts(settings)?)
    }

    /// The build tree and the loaded config for facts resolved before (by
    /// [`Workspace::facts`], so that a caller can check other flags in between).
    pub fn build_with(
        &self,
        settings: &FactSettings,
        facts: BuildFacts,
    ) -> Result<Build, WorkspaceError> {
        let tree = BuildTree::new(
            &self.root,
            settings.commit.as_ref().and(facts.commit.as_deref()),
        )
        .map_err(WorkspaceError::Tree)?;
        let loaded = load_build(tree.path(), &settings.config, &facts).map_err(|e| match e {
            LoadError::Io(m) => WorkspaceError::Io(m),
            LoadError::Invalid(m) => WorkspaceError::Invalid(m),
        })?;
        Ok(Build {
            config_file: settings.config.clone(),
            facts,
            tree,
            loaded,
        })
    }
}

/// One build of the workspace: what the facts and the config say.
#[derive(Debug)]
pub struct Build {
    /// `--config` as given (relative to the tree).
    pub config_file: PathBuf,
    pub facts: BuildFacts,
    /// Where the config, local settings and job trees come from.
    pub tree: BuildTree,
    pub loaded: LoadedBuild,
}

impl Build {
    /// The tree's `.travis-local/config.yml` (read once; its findings are in it).
    pub fn local_config(&self) -> Result<LocalConfig, WorkspaceError> {
        LocalConfig::load(self.tree.path()).map_err(WorkspaceError::Local)
    }

    /// Path of the tree's `.travis-local/config.yml` (for messages).
    pub fn local_config_path(&self) -> PathBuf {
        local::path_in(self.tree.path())
    }

    /// The build plan for these facts.
    pub fn plan(&self) -> BuildPlan {
        plan(&self.loaded.config, &self.facts)
    }
}

/// The jobs of `plan` that `selectors` and `stage` pick (all when both are empty).
pub fn select_jobs<'p>(
    plan: &'p BuildPlan,
    selectors: &[String],
    stage: Option<&str>,
) -> Result<Vec<&'p Job>, WorkspaceError> {
    select(plan, selectors, stage).map_err(WorkspaceError::Select)
}
