//! Robustness: every corpus file cut at 50 pseudo-random byte offsets must load without a
//! panic (load_str would turn a panic into an `internal_error` finding; we check for it).

use std::path::PathBuf;
use travis_local_config::load_str;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[test]
fn truncated_corpus_files_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/travis");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared data is missing under CI=true: this test must run in CI"
        );
        eprintln!("notice: ../shared/corpus/travis not found, skipping truncation test");
        return;
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut cases = 0;
    for e in entries.flatten() {
        let p = e.path();
        if !p.to_string_lossy().ends_with(".travis.yml") {
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        for _ in 0..50 {
            let cut = if bytes.is_empty() {
                0
            } else {
                (rng.next() as usize) % (bytes.len() + 1)
            };
            let text = String::from_utf8_lossy(&bytes[..cut]);
            let l = load_str(".travis.yml", &text);
            assert!(
                !l.diagnostics.iter().any(|d| d.code == "internal_error"),
                "panic while loading {} cut at byte {cut}",
                p.display()
            );
            // every finding's span lies inside the text
            for d in &l.diagnostics {
                if let Some((s, e)) = d.span {
                    assert!(
                        s <= e && e <= text.len(),
                        "bad span {s}..{e} in {}",
                        p.display()
                    );
                }
            }
            // rendering never panics either
            let _ = l.render_human(false);
            cases += 1;
        }
    }
    println!("truncation: {cases} truncated inputs loaded without panic");
}
