//! What the corpus tests share: where `../shared/corpus/travis` is and its
//! `expected/*.json` files (a notice and no files on a laptop, a failure under CI).

use std::path::PathBuf;

pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/travis")
}

/// The entries of `expected/`, in directory order; None (after a notice) when the
/// corpus is absent, which fails under `CI=true`.
pub fn expected_entries() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir().join("expected");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared data is missing under CI=true: this test must run in CI"
        );
        println!("NOTICE: corpus not found at {}, skipping", dir.display());
        return None;
    };
    Some(entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
}
