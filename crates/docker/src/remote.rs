//! Engines that are not on this machine: the job's tree travels through the Engine API
//! instead of a bind mount.
//!
//! With a local unix socket the executor bind-mounts the host copy of the tree. Any
//! other engine (`tcp://`, `ssh://`, a context pointing elsewhere) would see an empty
//! directory at that path on its own machine, so the job's home (which holds the tree
//! at `build/OWNER/REPO`) is packed into a tar archive with its own absolute path and
//! uploaded into the created container (`PUT /containers/{id}/archive`, the docker
//! CLI's `docker cp`); `/home/travis` then points at it, as the bind mounts make it do
//! locally. `--ship-tree` forces this on a local engine too (the tests use that to
//! prove the job reads the shipped tree). Nothing comes back: the job's results are its
//! output and exit status, as with every executor; the host copy is left untouched.
//! The Swarm executor ([`crate::swarm`]) ships the same archive as Swarm configs.

use crate::executor::TRAVIS_UID;
use std::path::Path;

/// Must the tree be shipped (engine not reached through a local unix socket, or forced)?
pub fn must_ship(forced: bool) -> bool {
    forced || crate::engine::local_socket().is_none()
}

/// A tar archive of `dir` (absolute) at its own path, every ancestor directory
/// included, everything owned by travis (uid/gid 2000), mtimes kept. Symlinks are
/// stored as links; sockets and fifos are skipped.
pub fn tree_archive(dir: &Path) -> Result<Vec<u8>, String> {
    let mut tar = tar::Builder::new(Vec::new());
    let rel = dir
        .strip_prefix("/")
        .map_err(|_| format!("{}: not an absolute path", dir.display()))?;
    let mut prefix = std::path::PathBuf::new();
    for part in rel.parent().into_iter().flat_map(|p| p.components()) {
        prefix.push(part);
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(0);
        h.set_mtime(0);
        h.set_cksum();
        tar.append_data(&mut h, &prefix, std::io::empty())
            .map_err(|e| e.to_string())?;
    }
    append(&mut tar, dir, rel)?;
    tar.into_inner().map_err(|e| e.to_string())
}

fn append(tar: &mut tar::Builder<Vec<u8>>, path: &Path, name: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    h.set_uid(TRAVIS_UID.into());
    h.set_gid(TRAVIS_UID.into());
    h.set_username("").ok();
    h.set_groupname("").ok();
    let err = |e: std::io::Error| format!("{}: {e}", path.display());
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(path).map_err(err)?;
        h.set_size(0);
        tar.append_link(&mut h, name, target).map_err(err)?;
    } else if ft.is_dir() {
        h.set_size(0);
        h.set_cksum();
        tar.append_data(&mut h, name, std::io::empty())
            .map_err(err)?;
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(err)?
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        entries.sort();
        for entry in entries {
            append(tar, &path.join(&entry), &name.join(&entry))?;
        }
    } else if ft.is_file() {
        let file = std::fs::File::open(path).map_err(err)?;
        h.set_cksum();
        tar.append_data(&mut h, name, file).map_err(err)?;
    }
    Ok(())
}

/// Run as root in the job container after the upload: `/home/travis` becomes the
/// shipped home (as the bind mounts make it locally), owned by travis.
pub fn settle_command(home: &str) -> Vec<String> {
    vec![
        "sh".into(),
        "-c".into(),
        format!(
            "rm -rf /home/travis && ln -s \"$1\" /home/travis && chown -R {TRAVIS_UID}:{TRAVIS_UID} \"$1\""
        ),
        "sh".into(),
        home.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_holds_the_tree_at_its_own_path() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home/travis");
        std::fs::create_dir_all(home.join("build/o/r")).unwrap();
        std::fs::write(home.join("build/o/r/README"), "shipped").unwrap();
        std::os::unix::fs::symlink("README", home.join("build/o/r/link")).unwrap();
        let bytes = tree_archive(&home).unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut names = Vec::new();
        for entry in archive.entries().unwrap() {
            let entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            let uid = entry.header().uid().unwrap();
            let inside = name.starts_with(home.strip_prefix("/").unwrap().to_str().unwrap());
            assert_eq!(uid, if inside { 2000 } else { 0 }, "{name}");
            names.push(name);
        }
        let rel = home.strip_prefix("/").unwrap().display().to_string();
        assert!(
            names.contains(&format!("{rel}/build/o/r/README")),
            "{names:?}"
        );
        assert!(names.contains(&format!("{rel}/build/o/r/link")));
        // Ancestors first: extraction creates them with sane modes.
        assert_eq!(names[0], rel.split('/').next().unwrap());
        assert!(tree_archive(Path::new("relative")).is_err());
    }
}
