//! Flags shared by `jobs`, `compile`, `run` and `secrets`: the build's facts and where
//! secrets come from. Parsed here, handed to the library crates as plain settings
//! (`travis_local_matrix::FactSettings`, `travis_local_script::SecretSettings`).

use std::path::PathBuf;
use travis_local_matrix::{Event, FactSettings};
use travis_local_script::SecretSettings;

/// `--event` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EventArg {
    Push,
    #[value(name = "pull_request", alias = "pull-request", alias = "pr")]
    PullRequest,
    Api,
    Cron,
}

impl From<EventArg> for Event {
    fn from(e: EventArg) -> Event {
        match e {
            EventArg::Push => Event::Push,
            EventArg::PullRequest => Event::PullRequest,
            EventArg::Api => Event::Api,
            EventArg::Cron => Event::Cron,
        }
    }
}

/// Flags describing the build, shared by `jobs`, `compile` and `run`.
#[derive(clap::Args, Debug, Clone)]
pub struct FactArgs {
    /// Config file to read, relative to the repository directory
    #[arg(long = "config", value_name = "PATH", default_value = ".travis.yml")]
    pub config: PathBuf,
    /// Branch being built; for pull requests the base branch [default: current git branch]
    #[arg(long, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Build a tag (sets TRAVIS_TAG; the branch defaults to the tag name, as on Travis)
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Event that triggered the build [default: push, or pull_request when --pr is given]
    #[arg(long, value_enum, value_name = "EVENT")]
    pub event: Option<EventArg>,
    /// Pull request number (implies --event pull_request)
    #[arg(long = "pr", value_name = "N")]
    pub pr: Option<u64>,
    /// Repository the pull request comes from, OWNER/NAME [default: --repo]
    #[arg(long = "pr-head-repo", value_name = "OWNER/NAME")]
    pub pr_head_repo: Option<String>,
    /// Branch the pull request comes from [default: current git branch]
    #[arg(long = "pr-branch", value_name = "BRANCH")]
    pub pr_branch: Option<String>,
    /// Repository slug OWNER/NAME [default: from the `origin` remote, else the directory name]
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Build this commit (a SHA, branch, tag or expression such as HEAD~1), taken from
    /// git's object store: its .travis.yml, its tree and its SHA and message; the working
    /// tree is neither used nor touched [default: the working tree at git HEAD]
    #[arg(long, value_name = "REF")]
    pub commit: Option<String>,
    /// Commit message [default: message of the commit]
    #[arg(long = "commit-message", value_name = "TEXT")]
    pub commit_message: Option<String>,
    /// Build number N (jobs are numbered N.1, N.2, ...)
    #[arg(long = "build-number", value_name = "N", default_value_t = 1)]
    pub build_number: u64,
}

impl FactArgs {
    /// The settings the matrix crate takes.
    pub fn settings(&self) -> FactSettings {
        FactSettings {
            config: self.config.clone(),
            branch: self.branch.clone(),
            tag: self.tag.clone(),
            event: self.event.map(Event::from),
            pr: self.pr,
            pr_head_repo: self.pr_head_repo.clone(),
            pr_branch: self.pr_branch.clone(),
            repo: self.repo.clone(),
            commit: self.commit.clone(),
            commit_message: self.commit_message.clone(),
            build_number: self.build_number,
        }
    }
}

/// Flags for where secrets come from; flattened into `compile`, `secrets` and `run`.
/// `Debug` shows only the names of `--secret` flags.
#[derive(clap::Args, Clone, Default)]
pub struct SecretArgs {
    /// Secrets file (repository-settings variables and plaintexts of `secure:` entries)
    /// [default: .travis-local/secrets.yml in the repository]
    #[arg(long = "secrets-file", value_name = "PATH")]
    pub secrets_file: Option<PathBuf>,
    /// A secret variable NAME=VALUE, exported on every branch (repeatable)
    #[arg(long = "secret", value_name = "NAME=VALUE")]
    pub secret: Vec<String>,
    /// Read the secrets file even though git tracks it
    #[arg(long = "allow-tracked-secrets")]
    pub allow_tracked_secrets: bool,
}

impl std::fmt::Debug for SecretArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.settings().fmt(f)
    }
}

impl SecretArgs {
    /// The settings the script crate takes.
    pub fn settings(&self) -> SecretSettings {
        SecretSettings {
            secrets_file: self.secrets_file.clone(),
            secret: self.secret.clone(),
            allow_tracked_secrets: self.allow_tracked_secrets,
        }
    }
}
