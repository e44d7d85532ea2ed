//! Loading a build's config: `.travis.yml` plus its imports, merged like travis-yml.
use crate::BuildFacts;
use serde_json::Value;
use std::path::Path;

/// A loaded (and import-merged) normalised config.
#[derive(Debug, Clone)]
pub struct LoadedBuild {
    /// Normalised config (shape of `config` in expected/*.json).
    pub config: Value,
    /// Notes about imports (loaded, skipped by `if:`, unresolvable remote ones).
    pub notes: Vec<String>,
    /// Imports that could not be resolved offline (`owner/repo:path@ref`).
    pub unresolved_imports: Vec<String>,
    /// Diagnostics of the config loader, rendered for humans.
    pub diagnostics: Vec<String>,
    /// True when the loader reported an error-level diagnostic.
    pub has_errors: bool,
}

/// Why a build config could not be loaded.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// The file could not be read (message names the path).
    Io(String),
    /// The config is not usable (YAML error, not a mapping, ...).
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(m) | LoadError::Invalid(m) => f.write_str(m),
        }
    }
}

/// Load `config_file` (relative to `repo_dir` unless absolute) and its imports.
pub fn load_build(_repo_dir: &Path, _config_file: &Path, _facts: &BuildFacts) -> Result<LoadedBuild, LoadError> {
    Err(LoadError::Invalid("not implemented yet".into()))
}
