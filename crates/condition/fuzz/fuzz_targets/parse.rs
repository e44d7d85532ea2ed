//! Fuzz the condition parser: it must never panic; an error offset must be a character
//! boundary of the input; a tree must survive Display → parse (ASCII regex tokens) and
//! evaluate without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use travis_local_condition::{eval, parse, Facts};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    match parse(src) {
        Err(e) => assert!(e.offset <= src.len() && src.is_char_boundary(e.offset)),
        Ok(expr) => {
            let facts = Facts {
                branch: Some("master".into()),
                tag: Some("v1.0".into()),
                env: vec![("FOO".into(), "\"foo\"".into())],
                ..Default::default()
            };
            let _ = eval(&expr, &facts);
            if expr.to_sexp().to_string().is_ascii() {
                let printed = expr.to_string();
                let again = parse(&printed).unwrap_or_else(|e| panic!("{src:?} printed as {printed:?}: {e}"));
                assert_eq!(again, expr, "{src:?} printed as {printed:?}");
            }
        }
    }
});
