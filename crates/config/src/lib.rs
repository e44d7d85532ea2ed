//! Config front end: YAML with spans → travis-yml-normalised config + diagnostics.
//!
//! One job: give every other crate the config exactly as Travis understands it
//! ([`load_str`] / [`load_path`] → [`Loaded`]) and power `travis-local lint`.
//! Pipeline: [`yaml`] (span-carrying nodes) → [`decode`] (schema-driven normalisation from
//! [`schema`]) → [`diag`] (findings and rendering). Deviation from ARCHITECTURE.md: the
//! model is the normalised `serde_json::Value` (same shape as travis-yml's `config`) plus
//! a JSON-pointer → span table, rather than hand-written `Spanned<T>` structs, so the
//! matrix engineer can compare directly with the corpus' expected output.

pub mod cond_map;
pub mod decode;
/// The diagnostic type and its renderer live in `travis-local-diag`, shared with the
/// condition and matrix crates; re-exported here so callers keep `config::diag`.
pub use travis_local_diag as diag;
pub mod env_vars;
pub mod limits;
pub mod local;
pub mod schema;
pub mod yaml;

pub use diag::{Diagnostic, Level};
pub use limits::{LimitError, Limits};
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
        diag::render_all(
            self.diagnostics.iter().filter(|d| d.level >= min),
            &self.text,
            color,
        )
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
            let (code, message) = match e.kind {
                yaml::ErrorKind::Syntax => ("invalid_yaml", format!("invalid YAML: {}", e.message)),
                yaml::ErrorKind::Limit => ("limit_exceeded", e.message.clone()),
            };
            return (
                None,
                vec![Diagnostic {
                    level: Level::Error,
                    code: code.into(),
                    key: "root".into(),
                    message,
                    help: e.help.clone(),
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

/// Read and load a file. IO errors are returned (an invalid limit variable too, as
/// `InvalidInput` naming it); everything else becomes diagnostics: a file over the size
/// limit or that is not UTF-8 gives one `error` finding and no config.
pub fn load_path(path: &Path) -> std::io::Result<Loaded> {
    let limits =
        Limits::from_env().map_err(|m| std::io::Error::new(std::io::ErrorKind::InvalidInput, m))?;
    let name = path.display().to_string();
    Ok(match Input::read_path(path, limits.max_config_bytes)? {
        Input::Bytes(bytes) => load_bytes(&name, &bytes),
        Input::TooLarge(seen) => too_large(&name, seen, limits.max_config_bytes),
    })
}

/// What [`read_limited`] read.
pub enum Input {
    /// The whole input.
    Bytes(Vec<u8>),
    /// The input is larger than the limit; at least this many bytes (it was not read
    /// further).
    TooLarge(u64),
}

/// Read `r` whole unless it holds more than `max` bytes (then stop reading there). A
/// file whose size is known is refused before anything is read.
pub fn read_limited(r: impl std::io::Read, max: u64) -> std::io::Result<Input> {
    read_limited_sized(r, None, max)
}

fn read_limited_sized(
    r: impl std::io::Read,
    known: Option<u64>,
    max: u64,
) -> std::io::Result<Input> {
    use std::io::Read;
    if let Some(n) = known.filter(|n| *n > max) {
        return Ok(Input::TooLarge(n));
    }
    let mut buf = Vec::new();
    r.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Ok(Input::TooLarge(buf.len() as u64));
    }
    Ok(Input::Bytes(buf))
}

impl Input {
    /// Read the file at `path` under the size limit `max`, refusing a regular file by its
    /// size before reading it.
    pub fn read_path(path: &Path, max: u64) -> std::io::Result<Input> {
        let file = std::fs::File::open(path)?;
        let known = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        read_limited_sized(file, known, max)
    }
}

/// The finding for an input over the size limit (no text, no config).
pub fn too_large(file_name: &str, size: u64, max: u64) -> Loaded {
    let mut loaded = Loaded {
        file_name: file_name.to_string(),
        text: String::new(),
        config: None,
        diagnostics: Vec::new(),
        spans: HashMap::new(),
    };
    let shown = if size > max + 1 {
        format!("{size} bytes")
    } else {
        format!("more than {max} bytes")
    };
    loaded.diagnostics.push(Diagnostic {
        level: Level::Error,
        code: "limit_exceeded".into(),
        key: "root".into(),
        message: format!("{file_name} is too large: {shown}, the limit is {max} bytes"),
        help: Some(format!(
            "set {} to raise the limit (e.g. {}=64M)",
            limits::ENV_MAX_CONFIG_BYTES,
            limits::ENV_MAX_CONFIG_BYTES
        )),
        span: None,
        file: file_name.to_string(),
        args: serde_json::json!({"size": size, "max": max}),
    });
    loaded
}

/// Load raw bytes: like [`load_str`], but bytes that are not UTF-8 give one `error`
/// finding (`invalid_encoding`) at the first bad byte and no config, as Travis rejects
/// such a file. The text kept for rendering has the bad bytes replaced.
pub fn load_bytes(file_name: &str, bytes: &[u8]) -> Loaded {
    match std::str::from_utf8(bytes) {
        Ok(text) => load_str(file_name, text),
        Err(e) => invalid_utf8(file_name, bytes, e),
    }
}

/// [`load_bytes`] without the span table (what `lint` uses).
pub fn lint_bytes(file_name: &str, bytes: &[u8]) -> Loaded {
    match std::str::from_utf8(bytes) {
        Ok(text) => lint_str(file_name, text),
        Err(e) => invalid_utf8(file_name, bytes, e),
    }
}

fn invalid_utf8(file_name: &str, bytes: &[u8], e: std::str::Utf8Error) -> Loaded {
    let offset = e.valid_up_to();
    // the valid prefix is kept as is, so `offset` is the replacement character's start
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (line, column) = yaml::LineIndex::new(&text).line_col(&text, offset);
    let bad: Vec<String> = bytes[offset..]
        .iter()
        .take(e.error_len().unwrap_or(bytes.len() - offset).clamp(1, 4))
        .map(|b| format!("0x{b:02x}"))
        .collect();
    let end = next_char_end(&text, offset);
    Loaded {
        file_name: file_name.to_string(),
        config: None,
        diagnostics: vec![Diagnostic {
            level: Level::Error,
            code: "invalid_encoding".into(),
            key: "root".into(),
            message: format!(
                "invalid UTF-8 at byte offset {offset} (line {line}, column {column}): {} {}; Travis CI rejects a config that is not UTF-8",
                if bad.len() == 1 { "byte" } else { "bytes" },
                bad.join(" ")
            ),
            help: Some("save the file as UTF-8".into()),
            span: Some((offset, end)),
            file: file_name.to_string(),
            args: serde_json::json!({"offset": offset, "line": line, "column": column}),
        }],
        text,
        spans: HashMap::new(),
    }
}
