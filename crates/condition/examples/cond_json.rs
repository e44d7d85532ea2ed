//! Differential-testing helper: reads JSON lines `{"cond": "...", "data": {...}?}` on
//! stdin and prints, per line, `{"tree": [...]}` (upstream's tree shape) plus `"result"`
//! or `"eval_error"`, or `{"error": "..."}` — the same shape as
//! `tools/differential/oracle.rb` prints for the Ruby implementation.
use std::io::{BufRead, Write};

use serde_json::{json, Value};
use travis_local_condition::{eval_spanned, parse, Facts};

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(req) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let cond = req["cond"].as_str().unwrap_or_default();
        let mut res = serde_json::Map::new();
        match parse(cond) {
            Err(e) => {
                res.insert("error".into(), json!(e.message));
                res.insert("offset".into(), json!(e.offset));
            }
            Ok(expr) => {
                res.insert("tree".into(), expr.to_sexp());
                if let Some(data) = req.get("data") {
                    match Facts::from_json(data).map_err(|e| e.to_string()) {
                        Err(e) => {
                            res.insert("eval_error".into(), json!(e));
                        }
                        Ok(facts) => match eval_spanned(&expr, &facts) {
                            Ok(b) => {
                                res.insert("result".into(), json!(b));
                            }
                            Err(e) => {
                                res.insert("eval_error".into(), json!(e.message));
                            }
                        },
                    }
                }
                // Round trip through Display (not for non-ASCII regex tokens, which only
                // parse through upstream's byte/char miscount).
                let printed = expr.to_string();
                let ascii = expr.to_sexp().to_string().is_ascii();
                match parse(&printed) {
                    Ok(again) if again == expr => {}
                    _ if !ascii => {}
                    other => {
                        res.insert(
                            "roundtrip_error".into(),
                            json!(format!("{printed:?} -> {other:?}")),
                        );
                    }
                }
            }
        }
        let _ = writeln!(out, "{}", Value::Object(res));
    }
}
