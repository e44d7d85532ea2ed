//! Fuzz the loader and decoder: any bytes must load without panicking, and every finding's
//! span must lie inside the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let loaded = travis_local_config::load_str(".travis.yml", &text);
    assert!(!loaded.diagnostics.iter().any(|d| d.code == "internal_error"));
    for d in &loaded.diagnostics {
        if let Some((s, e)) = d.span {
            assert!(s <= e && e <= text.len());
        }
    }
    let _ = travis_local_config::yaml_to_json(&text);
});
