//! What the vector tests share: reading JSON-lines files and comparing trees with
//! upstream's.

use serde_json::Value;
use std::path::Path;

/// The non-blank lines of a JSON-lines file, parsed.
pub fn json_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: bad JSON line {l}: {e}", path.display()))
        })
        .collect()
}

/// Normalise upstream's tree for comparison: upstream keeps the spelling of call names
/// (`ENV`), we lower-case them.
pub fn norm(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(norm).collect();
            if items.len() == 3 && items[0] == "call" {
                if let Value::String(s) = &items[1] {
                    items[1] = Value::String(s.to_lowercase());
                }
            }
            Value::Array(items)
        }
        other => other.clone(),
    }
}
