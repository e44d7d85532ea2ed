//! Build facts: the branch, tag, event, pull request, repository and commit a build is
//! planned for. They come from command-line flags ([`FactSettings`], built by the binary from the flags of `jobs`,
//! `compile` and `run`) with defaults read from the local git repository, and feed both the
//! `if:` conditions and the `TRAVIS_*` variables of a job.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The event that triggered a build (`type` in conditions, `TRAVIS_EVENT_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    #[default]
    Push,
    PullRequest,
    Api,
    Cron,
}

impl Event {
    /// The spelling Travis uses (`push`, `pull_request`, `api`, `cron`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Event::Push => "push",
            Event::PullRequest => "pull_request",
            Event::Api => "api",
            Event::Cron => "cron",
        }
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything about the build that is not in `.travis.yml`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildFacts {
    /// For pushes the pushed branch; for pull requests the *base* branch (as on Travis).
    pub branch: String,
    /// Tag name for tag builds (`TRAVIS_TAG`).
    pub tag: Option<String>,
    pub event: Event,
    /// Pull request number (`TRAVIS_PULL_REQUEST`, which is `false` when absent).
    pub pull_request: Option<u64>,
    /// `OWNER/NAME` the pull request comes from (`head_repo`, `TRAVIS_PULL_REQUEST_SLUG`).
    pub pr_head_repo: Option<String>,
    /// Branch the pull request comes from (`head_branch`, `TRAVIS_PULL_REQUEST_BRANCH`).
    pub pr_head_branch: Option<String>,
    /// `OWNER/NAME` of the repository being built (`TRAVIS_REPO_SLUG`).
    pub repo: String,
    /// Commit SHA (`TRAVIS_COMMIT`), when known.
    pub commit: Option<String>,
    /// Commit message (`TRAVIS_COMMIT_MESSAGE`), when known.
    pub commit_message: Option<String>,
    /// Build number N; jobs are numbered `N.1`, `N.2`, ... (`TRAVIS_BUILD_NUMBER`).
    pub build_number: u64,
    /// Derived: a pull request whose head repository differs from `repo`.
    pub fork: bool,
}

impl Default for BuildFacts {
    fn default() -> Self {
        BuildFacts {
            branch: "master".into(),
            tag: None,
            event: Event::Push,
            pull_request: None,
            pr_head_repo: None,
            pr_head_branch: None,
            repo: "local/repo".into(),
            commit: None,
            commit_message: None,
            build_number: 1,
            fork: false,
        }
    }
}

impl BuildFacts {
    /// A push to `branch` of `repo` (handy in tests).
    pub fn push(repo: &str, branch: &str) -> Self {
        BuildFacts {
            repo: repo.into(),
            branch: branch.into(),
            ..Default::default()
        }
    }

    /// A pull request into `branch` of `repo`, from the same repository.
    pub fn pull_request(repo: &str, branch: &str, number: u64) -> Self {
        let mut facts = BuildFacts {
            repo: repo.into(),
            branch: branch.into(),
            event: Event::PullRequest,
            pull_request: Some(number),
            pr_head_repo: Some(repo.into()),
            pr_head_branch: Some(format!("pr-{number}")),
            ..Default::default()
        };
        facts.derive();
        facts
    }

    /// Recompute derived fields (`fork`).
    pub fn derive(&mut self) {
        self.fork = self.event == Event::PullRequest
            && self
                .pr_head_repo
                .as_deref()
                .is_some_and(|head| head != self.repo);
    }

    /// The facts as seen by the condition language (without job-specific keys).
    pub fn condition_facts(&self) -> travis_local_condition::Facts {
        let is_pr = self.event == Event::PullRequest;
        travis_local_condition::Facts {
            branch: Some(self.branch.clone()),
            tag: self.tag.clone(),
            event_type: Some(self.event.as_str().to_string()),
            repo: Some(self.repo.clone()),
            head_repo: if is_pr {
                self.pr_head_repo.clone()
            } else {
                None
            },
            head_branch: if is_pr {
                self.pr_head_branch.clone()
            } else {
                None
            },
            fork: Some(self.fork),
            commit_message: self.commit_message.clone(),
            ..Default::default()
        }
    }
}

/// What the user said about the build (the flags of `jobs`, `compile` and `run`, parsed
/// by the binary); [`FactSettings::resolve`] completes it from git. Errors name the flag.
#[derive(Debug, Clone)]
pub struct FactSettings {
    /// Config file to read, relative to the repository directory
    pub config: PathBuf,
    /// Branch being built; for pull requests the base branch [default: current git branch]
    pub branch: Option<String>,
    /// Build a tag (sets TRAVIS_TAG; the branch defaults to the tag name, as on Travis)
    pub tag: Option<String>,
    /// Event that triggered the build [default: push, or pull_request when --pr is given]
    pub event: Option<Event>,
    /// Pull request number (implies --event pull_request)
    pub pr: Option<u64>,
    /// Repository the pull request comes from, OWNER/NAME [default: --repo]
    pub pr_head_repo: Option<String>,
    /// Branch the pull request comes from [default: current git branch]
    pub pr_branch: Option<String>,
    /// Repository slug OWNER/NAME [default: from the `origin` remote, else the directory name]
    pub repo: Option<String>,
    /// Build this commit (a SHA, branch, tag or expression such as HEAD~1), taken from
    /// git's object store: its .travis.yml, its tree and its SHA and message; the working
    /// tree is neither used nor touched [default: the working tree at git HEAD]
    pub commit: Option<String>,
    /// Commit message [default: message of the commit]
    pub commit_message: Option<String>,
    /// Build number N (jobs are numbered N.1, N.2, ...)
    pub build_number: u64,
}

impl Default for FactSettings {
    fn default() -> Self {
        FactSettings {
            config: PathBuf::from(".travis.yml"),
            branch: None,
            tag: None,
            event: None,
            pr: None,
            pr_head_repo: None,
            pr_branch: None,
            repo: None,
            commit: None,
            commit_message: None,
            build_number: 1,
        }
    }
}

impl FactSettings {
    /// The config file path: `--config` resolved against `repo_dir`.
    pub fn config_path(&self, repo_dir: &Path) -> PathBuf {
        if self.config.is_absolute() {
            self.config.clone()
        } else {
            repo_dir.join(&self.config)
        }
    }

    /// Combine the flags with defaults from the git repository at `repo_dir`.
    /// Errors name the offending flag.
    pub fn resolve(&self, repo_dir: &Path) -> Result<BuildFacts, String> {
        let git = Git { dir: repo_dir };
        let event = match (self.event, self.pr) {
            (Some(Event::PullRequest), _) | (None, Some(_)) => Event::PullRequest,
            (Some(ev), Some(_)) => {
                return Err(format!(
                    "--pr was given but --event is {ev}; a pull request number needs --event pull_request"
                ))
            }
            (Some(ev), None) => ev,
            (None, None) => Event::Push,
        };
        let repo = match &self.repo {
            Some(r) => {
                check_slug(r, "--repo")?;
                r.clone()
            }
            None => git.origin_slug().unwrap_or_else(|| dir_slug(repo_dir)),
        };
        if let Some(head) = &self.pr_head_repo {
            check_slug(head, "--pr-head-repo")?;
        }
        if let Some(tag) = &self.tag {
            if tag.trim().is_empty() {
                return Err("--tag must not be empty".into());
            }
        }
        let current = git.current_branch();
        let branch = match (&self.branch, &self.tag) {
            (Some(b), _) => b.clone(),
            // On Travis a tag build's branch is the tag name.
            (None, Some(t)) => t.clone(),
            (None, None) => current.clone().unwrap_or_else(|| "master".into()),
        };
        if branch.trim().is_empty() {
            return Err("--branch must not be empty".into());
        }
        if self.build_number == 0 {
            return Err("--build-number must be at least 1".into());
        }
        let is_pr = event == Event::PullRequest;
        let (pull_request, pr_head_repo, pr_head_branch) = if is_pr {
            (
                Some(self.pr.unwrap_or(1)),
                Some(self.pr_head_repo.clone().unwrap_or_else(|| repo.clone())),
                Some(
                    self.pr_branch
                        .clone()
                        .or(current)
                        .unwrap_or_else(|| branch.clone()),
                ),
            )
        } else {
            if self.pr_head_repo.is_some() || self.pr_branch.is_some() {
                return Err(
                    "--pr-head-repo and --pr-branch only apply to pull requests (use --pr N or --event pull_request)"
                        .into(),
                );
            }
            (None, None, None)
        };
        let (commit, message) = match &self.commit {
            Some(rev) => {
                let sha = git.commit_of(rev).ok_or_else(|| {
                    format!(
                        "--commit {rev}: not a commit of the repository at {}",
                        repo_dir.display()
                    )
                })?;
                let message = git.message_of(&sha);
                (Some(sha), message)
            }
            None => (git.head_commit(), git.message_of("HEAD")),
        };
        let commit_message = self.commit_message.clone().or(message);
        let mut facts = BuildFacts {
            branch,
            tag: self.tag.clone(),
            event,
            pull_request,
            pr_head_repo,
            pr_head_branch,
            repo,
            commit,
            commit_message,
            build_number: self.build_number,
            fork: false,
        };
        facts.derive();
        Ok(facts)
    }
}

fn check_slug(slug: &str, flag: &str) -> Result<(), String> {
    let mut parts = slug.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(o), Some(n), None)
            if !o.is_empty() && !n.is_empty() && !slug.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(format!("{flag} expects OWNER/NAME, got `{slug}`")),
    }
}

fn dir_slug(dir: &Path) -> String {
    let abs = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "repo".into());
    let owner = abs
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "local".into());
    format!("{owner}/{name}")
}

/// Parse `OWNER/NAME` out of a git remote URL (https, ssh, scp-like, with or without `.git`).
pub fn slug_from_remote_url(url: &str) -> Option<String> {
    let url = url.trim().trim_end_matches('/');
    let url = url.strip_suffix(".git").unwrap_or(url);
    // scp-like: git@host:owner/name ; URLs: scheme://host/.../owner/name
    let path = if let Some((_, rest)) = url.split_once("://") {
        rest.split_once('/').map(|(_, p)| p)?
    } else if let Some((_, p)) = url.split_once(':') {
        p
    } else {
        url
    };
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs.len() < 2 {
        return None;
    }
    let name = segs.pop()?;
    let owner = segs.pop()?;
    Some(format!("{owner}/{name}"))
}

struct Git<'a> {
    dir: &'a Path,
}

impl Git<'_> {
    fn run(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.dir)
            .args(args)
            .output()
            .ok()?;
        if !out.status.success() {
            return None;
        }
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        Some(s)
    }

    fn current_branch(&self) -> Option<String> {
        let b = self.run(&["symbolic-ref", "--quiet", "--short", "HEAD"])?;
        let b = b.trim();
        (!b.is_empty()).then(|| b.to_string())
    }

    fn origin_slug(&self) -> Option<String> {
        let url = self.run(&["remote", "get-url", "origin"])?;
        slug_from_remote_url(&url)
    }

    fn head_commit(&self) -> Option<String> {
        let c = self.run(&["rev-parse", "--verify", "--quiet", "HEAD"])?;
        let c = c.trim();
        (!c.is_empty()).then(|| c.to_string())
    }

    fn message_of(&self, rev: &str) -> Option<String> {
        let m = self.run(&["log", "-1", "--format=%B", rev, "--"])?;
        Some(m.trim_end().to_string())
    }

    /// The full SHA of the commit `rev` names (None when it names no commit). A leading
    /// `-` is refused so that a REF can never be read as an option.
    fn commit_of(&self, rev: &str) -> Option<String> {
        if rev.starts_with('-') || rev.trim().is_empty() {
            return None;
        }
        let c = self.run(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &format!("{rev}^{{commit}}"),
        ])?;
        let c = c.trim();
        (!c.is_empty()).then(|| c.to_string())
    }
}

/// The repository root every subcommand works on: git's top level of the current
/// directory, or the current directory itself outside a git work tree.
pub fn repo_root() -> std::path::PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| std::path::PathBuf::from("."));
    std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(&cwd)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| std::path::PathBuf::from(s.trim_end_matches(['\n', '\r'])))
        .filter(|p| p.is_dir())
        .unwrap_or(cwd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls() {
        assert_eq!(
            slug_from_remote_url("git@github.com:o/r.git").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            slug_from_remote_url("https://github.com/o/r").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            slug_from_remote_url("ssh://git@host:22/a/o/r.git/").as_deref(),
            Some("o/r")
        );
        assert_eq!(slug_from_remote_url("nothing"), None);
    }

    #[test]
    fn pr_flags_need_pr_event() {
        let args = FactSettings {
            pr_branch: Some("x".into()),
            repo: Some("o/r".into()),
            branch: Some("m".into()),
            build_number: 1,
            ..Default::default()
        };
        assert!(args
            .resolve(Path::new("/nonexistent"))
            .unwrap_err()
            .contains("--pr-branch"));
    }

    #[test]
    fn fork_is_derived() {
        let args = FactSettings {
            pr: Some(7),
            pr_head_repo: Some("me/r".into()),
            repo: Some("o/r".into()),
            branch: Some("master".into()),
            build_number: 1,
            ..Default::default()
        };
        let f = args.resolve(Path::new("/nonexistent")).unwrap();
        assert!(f.fork);
        assert_eq!(f.event, Event::PullRequest);
        assert_eq!(f.pull_request, Some(7));
    }

    #[test]
    fn bad_slug() {
        let args = FactSettings {
            repo: Some("nope".into()),
            build_number: 1,
            ..Default::default()
        };
        assert!(args
            .resolve(Path::new("/nonexistent"))
            .unwrap_err()
            .contains("--repo"));
    }
}
