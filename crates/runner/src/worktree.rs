//! The per-job copy of the user's working tree.
//!
//! Each job gets a fresh `<run dir>/<job>/home/travis/build/OWNER/REPO` (Travis gives
//! every job a fresh VM, and parallel jobs must not share files). The copy holds the
//! tracked and untracked-but-not-ignored files (`git ls-files -co --exclude-standard`),
//! so uncommitted work is tested, and a `.git` made by `git clone --no-checkout` of the
//! user's repository (objects hard-linked, so it is cheap) whose index is then reset to
//! HEAD: git commands work inside the job (`git log`, `git describe`, `git status`
//! shows the uncommitted changes), and nothing the job does to its `.git` can reach the
//! user's repository. `origin` points at the user's own `origin` URL, as on Travis.
//! Outside a git repository every file is copied. The user's tree is only read.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The top of the git work tree containing `dir`, if any.
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    let out = git(dir, &["rev-parse", "--show-toplevel"]).ok()?;
    let s = String::from_utf8_lossy(&out).trim().to_string();
    (!s.is_empty()).then(|| PathBuf::from(s))
}

/// Copies `src` (a work tree root) into `dest` (created; must not exist or be empty),
/// leaving out `exclude` (paths relative to `src`, e.g. the secrets file: secret values
/// must never land in the job's files). Returns the number of files copied.
pub fn copy_worktree(src: &Path, dest: &Path, exclude: &[PathBuf]) -> Result<usize, String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let is_git = git_root(src).is_some();
    if !is_git {
        let n = copy_dir_all(src, dest)?;
        for rel in exclude {
            let _ = std::fs::remove_file(dest.join(rel));
        }
        return Ok(n);
    }
    // .git first: clone refuses a non-empty destination.
    let clone = Command::new("git")
        .args(["clone", "--quiet", "--no-checkout"])
        .arg(src)
        .arg(dest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !clone.status.success() {
        // e.g. a repository without commits: an empty repository still lets git work.
        git(dest, &["init", "--quiet"])?;
    }
    if let Ok(url) = git(src, &["remote", "get-url", "origin"]) {
        let url = String::from_utf8_lossy(&url).trim().to_string();
        if !url.is_empty() {
            let _ = git(dest, &["remote", "set-url", "origin", &url]);
        }
    }
    let listing = git(src, &["ls-files", "-z", "-co", "--exclude-standard"])?;
    let mut count = 0;
    let mut seen = std::collections::HashSet::new();
    for raw in listing.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let rel = String::from_utf8_lossy(raw).into_owned();
        if !seen.insert(rel.clone()) || exclude.iter().any(|x| Path::new(&rel) == x) {
            continue;
        }
        let from = src.join(&rel);
        let to = dest.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&from) else {
            continue; // tracked but deleted in the work tree: deleted in the copy too
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        count += copy_entry(&from, &to, &meta)?;
    }
    // Index = HEAD, so `git status` in the job shows the uncommitted changes.
    let _ = git(dest, &["reset", "--quiet"]);
    Ok(count)
}

fn copy_entry(from: &Path, to: &Path, meta: &std::fs::Metadata) -> Result<usize, String> {
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(from)
            .map_err(|e| format!("cannot read link {}: {e}", from.display()))?;
        let _ = std::fs::remove_file(to);
        std::os::unix::fs::symlink(&target, to)
            .map_err(|e| format!("cannot create link {}: {e}", to.display()))?;
        Ok(1)
    } else if ft.is_dir() {
        // A submodule (gitlink): copy its files as they are.
        copy_dir_all(from, to)
    } else if ft.is_file() {
        std::fs::copy(from, to).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
        Ok(1)
    } else {
        Ok(0) // sockets, fifos: not copied
    }
}

fn copy_dir_all(src: &Path, dest: &Path) -> Result<usize, String> {
    std::fs::create_dir_all(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut count = 0;
    let entries =
        std::fs::read_dir(src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let meta = std::fs::symlink_metadata(&from)
            .map_err(|e| format!("cannot stat {}: {e}", from.display()))?;
        count += copy_entry(&from, &to, &meta)?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, script: &str) {
        let ok = Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{script}");
    }

    #[test]
    fn copies_tracked_and_untracked_but_not_ignored() {
        let src = tempfile::tempdir().unwrap();
        sh(
            src.path(),
            "git init -q && git config user.email t@t && git config user.name t && \
             echo a > tracked && echo '*.log' > .gitignore && mkdir d && echo b > d/x && \
             git add -A && git commit -qm init && echo changed > tracked && echo new > untracked && \
             echo no > ignored.log && rm d/x && ln -s tracked link",
        );
        let dest = tempfile::tempdir().unwrap();
        let dest = dest.path().join("home/travis/build/o/r");
        std::fs::create_dir(src.path().join(".travis-local")).unwrap();
        std::fs::write(src.path().join(".travis-local/secrets.yml"), "env: []").unwrap();
        copy_worktree(
            src.path(),
            &dest,
            &[PathBuf::from(".travis-local/secrets.yml")],
        )
        .unwrap();
        assert!(!dest.join(".travis-local/secrets.yml").exists());
        assert_eq!(
            std::fs::read_to_string(dest.join("tracked")).unwrap(),
            "changed\n"
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("untracked")).unwrap(),
            "new\n"
        );
        assert!(!dest.join("ignored.log").exists());
        assert!(!dest.join("d/x").exists());
        assert!(std::fs::symlink_metadata(dest.join("link"))
            .unwrap()
            .file_type()
            .is_symlink());
        let status = git(&dest, &["status", "--porcelain"]).unwrap();
        let status = String::from_utf8_lossy(&status);
        assert!(status.contains(" M tracked"), "{status}");
        // the user's tree is untouched
        sh(
            src.path(),
            "test \"$(cat tracked)\" = changed && test -f ignored.log",
        );
    }
}
