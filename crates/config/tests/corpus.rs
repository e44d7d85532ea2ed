//! Conformance with travis-yml on the shared corpus: message sets and normalised config.
//! Skips with a notice when ../shared/corpus/travis is absent.

use std::collections::BTreeSet;
use std::path::PathBuf;
use travis_local_config::load_str;

fn corpus_dir() -> Option<PathBuf> {
    // crates/config → repo root → ../shared/corpus/travis
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("../shared/corpus/travis");
    dir.join("expected").is_dir().then_some(dir)
}

type MsgSet = BTreeSet<(String, String, String)>;

fn sets(msgs: &[(String, String, String)], all: bool) -> MsgSet {
    msgs.iter()
        .filter(|(l, _, _)| all || l != "info")
        .cloned()
        .collect()
}

#[test]
fn corpus_agreement() {
    let Some(dir) = corpus_dir() else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "../shared data is missing under CI=true: this test must run in CI"
        );
        eprintln!("notice: ../shared/corpus/travis not found, skipping corpus conformance");
        return;
    };
    let verbose = std::env::var("CORPUS_VERBOSE").is_ok();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".travis.yml"))
        .collect();
    files.sort();
    let (mut n, mut agree_strict, mut agree_all, mut cfg_total, mut cfg_agree) = (0, 0, 0, 0, 0);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let exp_path = dir.join("expected").join(format!("{name}.json"));
        let Ok(exp) = std::fs::read_to_string(&exp_path) else {
            continue;
        };
        let exp: serde_json::Value = serde_json::from_str(&exp).unwrap();
        let bytes = std::fs::read(f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let loaded = load_str(".travis.yml", &text);
        n += 1;
        let ours: Vec<(String, String, String)> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.level.as_str().to_string(), d.key.clone(), d.code.clone()))
            .collect();
        let theirs: Vec<(String, String, String)> = if exp["error"].is_string() {
            // travis-yml raised: the equivalent is one error of ours
            vec![]
        } else {
            exp["msgs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m[0].as_str().unwrap().to_string(),
                        m[1].as_str().unwrap().to_string(),
                        m[2].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        };
        let (ok_s, ok_a) = if exp["error"].is_string() {
            let ok = loaded.has_errors();
            (ok, ok)
        } else {
            (
                sets(&ours, false) == sets(&theirs, false),
                sets(&ours, true) == sets(&theirs, true),
            )
        };
        agree_strict += ok_s as usize;
        agree_all += ok_a as usize;
        if verbose && !ok_a {
            let o = sets(&ours, true);
            let t = sets(&theirs, true);
            println!(
                "MSGS {name}\n  ours-only: {:?}\n  theirs-only: {:?}",
                o.difference(&t).collect::<Vec<_>>(),
                t.difference(&o).collect::<Vec<_>>()
            );
        }
        if let (Ok(d), Some(c)) = (std::env::var("CORPUS_DUMP"), &loaded.config) {
            let _ = std::fs::create_dir_all(&d);
            let _ = std::fs::write(
                format!("{d}/{name}.json"),
                serde_json::to_string(c).unwrap(),
            );
        }
        if let (Some(c), Some(e)) = (&loaded.config, exp.get("config").filter(|c| c.is_object())) {
            cfg_total += 1;
            if c == e {
                cfg_agree += 1;
            } else if verbose {
                println!(
                    "CONFIG {name}\n  ours:   {}\n  theirs: {}",
                    serde_json::to_string(c).unwrap(),
                    serde_json::to_string(e).unwrap()
                );
            }
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!(
        "corpus: {n} files; warn/error/alert agreement {agree_strict}/{n} = {:.1}%; all levels {agree_all}/{n} = {:.1}%; normalised config {cfg_agree}/{cfg_total} = {:.1}%",
        pct(agree_strict, n),
        pct(agree_all, n),
        pct(cfg_agree, cfg_total)
    );
    assert!(n > 0);
    assert!(
        pct(agree_strict, n) >= 95.0,
        "warn/error/alert agreement below 95%"
    );
    assert!(pct(agree_all, n) >= 85.0, "all-level agreement below 85%");
}
