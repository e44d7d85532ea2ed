//! Where a build's files come from: the working tree, or with `--commit REF` a clean
//! checkout of that commit taken from git's object store.
//!
//! For a commit, the repository is cloned (`git clone --no-checkout`, local objects are
//! hard-linked) into a temporary directory and the commit is checked out there,
//! detached. The user's working tree, index and refs are never touched, and their
//! uncommitted changes neither leak into the build nor get lost. The `.travis.yml`, its
//! imports, `.travis-local/config.yml` and the job's tree all come from that checkout;
//! untracked files such as `.travis-local/secrets.yml` stay in the working tree.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The files a build reads. Dropping a [`BuildTree::Commit`] removes its checkout.
#[derive(Debug)]
pub enum BuildTree {
    /// The working tree at this root.
    WorkTree(PathBuf),
    /// A checkout of commit `sha` in a temporary directory.
    Commit {
        /// Removed on drop.
        dir: tempfile::TempDir,
        /// The checkout, inside `dir`.
        root: PathBuf,
        sha: String,
    },
}

impl BuildTree {
    /// The root of the build's files.
    pub fn path(&self) -> &Path {
        match self {
            BuildTree::WorkTree(p) => p,
            BuildTree::Commit { root, .. } => root,
        }
    }

    /// The working tree of `repo`, or a checkout of `commit` (a full SHA, as
    /// [`crate::FactSettings::resolve`] gives it) when one is given.
    pub fn new(repo: &Path, commit: Option<&str>) -> Result<BuildTree, String> {
        let Some(sha) = commit else {
            return Ok(BuildTree::WorkTree(repo.to_path_buf()));
        };
        let dir = tempfile::Builder::new()
            .prefix("travis-local-commit-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let checkout = dir.path().join("tree");
        git(
            None,
            &["clone", "--quiet", "--no-checkout", "--"],
            &[repo, &checkout],
        )?;
        git(
            Some(&checkout),
            &["checkout", "--quiet", "--detach", sha],
            &[],
        )
        .map_err(|e| {
            format!(
                "--commit {sha}: cannot check it out (is it reachable from a branch or tag?): {e}"
            )
        })?;
        Ok(BuildTree::Commit {
            dir,
            root: checkout,
            sha: sha.to_string(),
        })
    }
}

impl BuildTree {
    /// Moves a commit's checkout into `dir` (which must not exist yet; same file system,
    /// e.g. into a run's directory so that crash clean-up of the run removes it too).
    /// The working tree variant stays where it is.
    pub fn move_into(&mut self, dir: &Path) -> Result<(), String> {
        if let BuildTree::Commit { root, .. } = self {
            std::fs::rename(&*root, dir)
                .map_err(|e| format!("cannot move {} to {}: {e}", root.display(), dir.display()))?;
            *root = dir.to_path_buf();
        }
        Ok(())
    }
}

fn git(dir: Option<&Path>, args: &[&str], paths: &[&Path]) -> Result<(), String> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    let out = cmd
        .args(args)
        .args(paths)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
