//! Config front end: YAML with spans → travis-yml-normalised config + diagnostics.
//!
//! One job: give every other crate the config exactly as Travis understands it
//! ([`load_str`] / [`load_path`] → [`Loaded`]) and power `travis-local lint`.
//! Pipeline: [`yaml`] (span-carrying nodes) → [`decode`] (schema-driven normalisation from
//! [`schema`]) → [`diag`] (findings and rendering). Deviation from ARCHITECTURE.md: the
//! model is the normalised `serde_json::Value` (same shape as travis-yml's `config`) plus
//! a JSON-pointer → span table, rather than hand-written `Spanned<T>` structs, so the
//! matrix engineer can compare directly with the corpus' expected output.

pub mod cli;
pub mod cond_map;
pub mod decode;
pub mod diag;
pub mod env_vars;
pub mod local;
pub mod schema;
pub mod yaml;

pub use diag::{Diagnostic, Level};
pub use yaml::yaml_to_json;

use std::collections::HashMap;
use std::path::Path;

/// A loaded config: the text, the normalised config (None when the YAML is invalid or
/// not a mapping) and every finding.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub file_name: String,
    pub text: String,
    pub config: Option<serde_json::Value>,
    pub diagnostics: Vec<Diagnostic>,
    spans: HashMap<String, (usize, usize)>,
}

impl Loaded {
    /// Byte range in `text` of the value at JSON pointer `pointer` of `config`
    /// (`""` is the whole document, `/script/0` the first script line). Values added by
    /// defaults have no span.
    pub fn span_of(&self, pointer: &str) -> Option<(usize, usize)> {
        self.spans.get(pointer).copied()
    }

    /// 1-based (line, column) of a byte offset in `text`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        yaml::LineIndex::new(&self.text).line_col(&self.text, offset)
    }

    /// True when any finding is at error or alert level.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level.is_failure())
    }

    /// Human rendering of all findings, separated by blank lines.
    pub fn render_human(&self, color: bool) -> String {
        self.render_level(Level::Info, color)
    }

    /// Human rendering of the findings at `min` level or above (e.g. `Level::Warn` to
    /// leave out the `default` infos), separated by blank lines.
    pub fn render_level(&self, min: Level, color: bool) -> String {
        let idx = yaml::LineIndex::new(&self.text);
        let mut out = String::new();
        for d in self.diagnostics.iter().filter(|d| d.level >= min) {
            out.push_str(&d.render_human(&self.text, &idx, color));
            out.push_str("\n\n");
        }
        out
    }
}

/// Load and normalise `.travis.yml` text. Never panics; problems become diagnostics.
pub fn load_str(file_name: &str, text: &str) -> Loaded {
    load_with(file_name, text, true)
}

/// Like [`load_str`] but without the JSON-pointer span table (`span_of` returns None).
/// This is what `lint` uses: findings carry their own spans.
pub fn lint_str(file_name: &str, text: &str) -> Loaded {
    load_with(file_name, text, false)
}

fn load_with(file_name: &str, text: &str, record: bool) -> Loaded {
    let mut loaded = Loaded {
        file_name: file_name.to_string(),
        text: text.to_string(),
        config: None,
        diagnostics: Vec::new(),
        spans: HashMap::new(),
    };
    let result = std::panic::catch_unwind(|| load_inner(file_name, text, record));
    match result {
        Ok((config, diags, spans)) => {
            loaded.config = config;
            loaded.diagnostics = diags;
            loaded.spans = spans;
        }
        Err(_) => loaded.diagnostics.push(Diagnostic {
            level: Level::Error,
            code: "internal_error".into(),
            key: "root".into(),
            message: "internal error while reading this file (please report it)".into(),
            help: None,
            span: None,
            file: file_name.to_string(),
            args: serde_json::json!({}),
        }),
    }
    loaded
}

type Inner = (
    Option<serde_json::Value>,
    Vec<Diagnostic>,
    HashMap<String, (usize, usize)>,
);

fn load_inner(file_name: &str, text: &str, record: bool) -> Inner {
    let doc = match yaml::load(text) {
        Ok(d) => d,
        Err(e) => {
            let end = next_char_end(text, e.offset);
            return (
                None,
                vec![Diagnostic {
                    level: Level::Error,
                    code: "invalid_yaml".into(),
                    key: "root".into(),
                    message: format!("invalid YAML: {}", e.message),
                    help: None,
                    span: Some((e.offset.min(text.len()), end)),
                    file: file_name.to_string(),
                    args: serde_json::json!({"line": e.line, "column": e.column}),
                }],
                HashMap::new(),
            );
        }
    };
    let anchored = doc.anchored_keys.iter().cloned().collect();
    let mut dec = decode::Decoder::new(file_name, text, anchored);
    dec.record = record;
    // duplicate keys: reported on the holding map, with travis-yml's raw key path
    let root = doc.root.unwrap_or_else(|| yaml::Node {
        value: yaml::Value::Map(vec![]),
        span: (0, 0),
    });
    let dup_paths = duplicate_paths(&root, &doc.duplicates);
    for (dup, path) in doc.duplicates.iter().zip(dup_paths) {
        dec.msg(
            Level::Error,
            &path,
            "duplicate_key",
            serde_json::json!({"key": dup.key}),
            Some(dup.span),
            format!("duplicate key: {} (the last value wins)", dup.key),
            None,
        );
    }
    if !matches!(root.value, yaml::Value::Map(_)) {
        dec.msg(
            Level::Error,
            "root",
            "invalid_type",
            serde_json::json!({"expected": "map"}),
            Some(root.span),
            "Input must parse into a hash (the document is not a mapping)".into(),
            None,
        );
        return (None, dec.diags, dec.spans);
    }
    let config = dec.decode_root(&root);
    (Some(config), dec.diags, dec.spans)
}

/// travis-yml reports a duplicate key at the dotted raw path of the map holding it.
fn duplicate_paths(root: &yaml::Node, dups: &[yaml::Duplicate]) -> Vec<String> {
    fn find(n: &yaml::Node, target: (usize, usize), path: &str) -> Option<String> {
        match &n.value {
            yaml::Value::Map(m) => {
                if m.iter().any(|(k, _)| k.span == target) {
                    return Some(path.to_string());
                }
                for (k, v) in m {
                    if v.span.0 <= target.0 && target.0 <= v.span.1 {
                        let p = if path == "root" {
                            k.name.clone()
                        } else {
                            format!("{path}.{}", k.name)
                        };
                        if let Some(r) = find(v, target, &p) {
                            return Some(r);
                        }
                    }
                }
                None
            }
            yaml::Value::Seq(items) => items.iter().find_map(|i| find(i, target, path)),
            _ => None,
        }
    }
    dups.iter()
        .map(|d| find(root, d.span, "root").unwrap_or_else(|| "root".into()))
        .collect()
}

/// End of the character starting at byte `off` (clamped to the text, on a char boundary).
pub(crate) fn next_char_end(text: &str, off: usize) -> usize {
    let mut off = off.min(text.len());
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    text[off..]
        .chars()
        .next()
        .map(|c| off + c.len_utf8())
        .unwrap_or(off)
}

/// Read and load a file. IO errors are returned; everything else becomes diagnostics.
pub fn load_path(path: &Path) -> std::io::Result<Loaded> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    Ok(load_str(&path.display().to_string(), &text))
}
