//! Fuzz the loader and decoder: any bytes must load without panicking, and every finding's
//! span must lie inside the text. Raw bytes go through `load_bytes` (invalid UTF-8 is a
//! finding), their lossy UTF-8 form through `load_str` and `yaml_to_json`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let raw = travis_local_config::load_bytes(".travis.yml", data);
    assert!(!raw.diagnostics.iter().any(|d| d.code == "internal_error"));
    for d in &raw.diagnostics {
        if let Some((s, e)) = d.span {
            assert!(s <= e && e <= raw.text.len());
        }
    }
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
