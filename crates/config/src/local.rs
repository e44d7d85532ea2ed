//! The project's local settings file, `.travis-local/config.yml` (committable), read once
//! from the repository root for every subcommand and every crate.
//!
//! One job: turn the file into typed settings plus lint-style [`Diagnostic`]s with spans,
//! so that an unknown or mistyped key is reported at its line and column (rendered with
//! the same caret renderer as `.travis.yml` findings) instead of being silently ignored
//! by whichever crate did not know it. The keys and what reads them:
//!
//! | key | type | used by |
//! |---|---|---|
//! | `images` | image name, or mapping `default` / `<language>` / `dist` | docker executor |
//! | `network` | `bridge`, `host` or a network name | docker executor |
//! | `trust_host_ca` | bool | docker executor (Travis layer) |
//! | `placement` | list of Swarm placement constraints (`node.labels.ci == true`) | swarm executor |
//! | `env` | list of `NAME=VALUE` strings or `{NAME: VALUE}` maps | script compiler |
//!
//! A type error in a known key is an `error` finding (the caller refuses to run); an
//! unknown key is a `warn` finding (`unknown_key`, with a "did you mean" when one is
//! close), and the rest of the file still applies.

use crate::diag::{Diagnostic, Level};
use crate::yaml::{self, Node, Scalar, Value as YValue};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The keys `.travis-local/config.yml` may hold.
pub const KEYS: &[&str] = &["env", "images", "network", "placement", "trust_host_ca"];

/// Settings read from `.travis-local/config.yml`, with every finding about the file.
#[derive(Debug, Clone, Default)]
pub struct LocalConfig {
    /// The file read (None when it does not exist).
    pub path: Option<PathBuf>,
    /// Its text (for rendering findings).
    pub text: String,
    /// `images:` (a name or a mapping; interpreted by the docker executor).
    pub images: Option<Value>,
    /// `network:`.
    pub network: Option<String>,
    /// `trust_host_ca:`.
    pub trust_host_ca: Option<bool>,
    /// `placement:` Swarm placement constraints for `--executor swarm`.
    pub placement: Vec<String>,
    /// `env:` as (name, verbatim value) pairs, in file order.
    pub env: Vec<(String, String)>,
    /// Findings (unknown keys, wrong types, invalid YAML), with spans into `text`.
    pub diagnostics: Vec<Diagnostic>,
}

/// The path of the local settings file under a repository root.
pub fn path_in(root: &Path) -> PathBuf {
    root.join(".travis-local").join("config.yml")
}

impl LocalConfig {
    /// Read `<root>/.travis-local/config.yml`; a missing file is an empty config. An
    /// unreadable file is an `Err` naming it.
    pub fn load(root: &Path) -> Result<LocalConfig, String> {
        let path = path_in(root);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(LocalConfig::parse(&path, &text)),
                Err(e) => Err(format!(
                    "{}: not UTF-8 text (invalid byte at offset {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                )),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalConfig::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Parse the text of a settings file named `path` (for messages). Never fails:
    /// problems are findings.
    pub fn parse(path: &Path, text: &str) -> LocalConfig {
        let mut cfg = LocalConfig {
            path: Some(path.to_path_buf()),
            text: text.to_string(),
            ..LocalConfig::default()
        };
        let file = path.display().to_string();
        let mut find = Finder {
            file: &file,
            out: &mut cfg.diagnostics,
        };
        let doc = match yaml::load(text) {
            Ok(doc) => doc,
            Err(e) => {
                let offset = e.offset.min(text.len());
                find.push(
                    Level::Error,
                    "invalid_yaml",
                    "root",
                    format!("invalid YAML: {}", e.message),
                    (offset, offset),
                );
                return cfg;
            }
        };
        let Some(root) = doc.root else {
            return cfg;
        };
        let entries = match &root.value {
            YValue::Map(entries) => entries,
            YValue::Scalar {
                value: Scalar::Null,
                ..
            } => return cfg,
            _ => {
                find.push(
                    Level::Error,
                    "invalid_type",
                    "root",
                    "expected a mapping of settings at the top level".into(),
                    root.span,
                );
                return cfg;
            }
        };
        for (key, node) in entries {
            match key.name.as_str() {
                "images" => cfg.images = images(node, &mut find),
                "network" => cfg.network = network(node, &mut find),
                "placement" => cfg.placement = placement(node, &mut find),
                "trust_host_ca" => cfg.trust_host_ca = boolean(node, "trust_host_ca", &mut find),
                "env" => cfg.env = env(node, &mut find),
                other => {
                    let help = closest(other).map(|k| format!("did you mean `{k}`?"));
                    find.out.push(Diagnostic {
                        level: Level::Warn,
                        code: "unknown_key".into(),
                        key: other.to_string(),
                        message: format!(
                            "unknown key `{other}` in the travis-local settings (known: {}); it is ignored",
                            KEYS.join(", ")
                        ),
                        help,
                        span: Some(key.span),
                        file: file.clone(),
                        args: serde_json::json!({ "key": other }),
                    });
                }
            }
        }
        cfg
    }

    /// True when a finding is at error level (the settings cannot be used as written).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level.is_failure())
    }

    /// Human rendering of the findings (caret under each), separated by blank lines.
    pub fn render_human(&self, color: bool) -> String {
        let idx = yaml::LineIndex::new(&self.text);
        let mut out = String::new();
        for d in &self.diagnostics {
            out.push_str(&d.render_human(&self.text, &idx, color));
            out.push_str("\n\n");
        }
        out
    }

    /// Each finding on one line: `FILE:LINE:COL: LEVEL[CODE]: MESSAGE (HELP)`.
    pub fn one_line_findings(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|d| {
                let (line, col) = self.line_col(d);
                let help = d
                    .help
                    .as_deref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!(
                    "{}:{line}:{col}: {}[{}]: {}{help}",
                    d.file,
                    d.level.as_str(),
                    d.code,
                    d.message
                )
            })
            .collect()
    }

    /// 1-based (line, column) of a finding's start, for one-line messages.
    pub fn line_col(&self, d: &Diagnostic) -> (usize, usize) {
        let off = d.span.map(|s| s.0).unwrap_or(0);
        yaml::LineIndex::new(&self.text).line_col(&self.text, off)
    }
}

struct Finder<'a> {
    file: &'a str,
    out: &'a mut Vec<Diagnostic>,
}

impl Finder<'_> {
    fn push(&mut self, level: Level, code: &str, key: &str, message: String, span: (usize, usize)) {
        self.out.push(Diagnostic {
            level,
            code: code.into(),
            key: key.into(),
            message,
            help: None,
            span: Some(span),
            file: self.file.to_string(),
            args: Value::Null,
        });
    }

    fn wrong_type(&mut self, key: &str, expected: &str, node: &Node) {
        self.push(
            Level::Error,
            "invalid_type",
            key,
            format!("`{key}` must be {expected}"),
            node.span,
        );
    }
}

fn is_null(node: &Node) -> bool {
    matches!(
        node.value,
        YValue::Scalar {
            value: Scalar::Null,
            ..
        }
    )
}

fn images(node: &Node, find: &mut Finder<'_>) -> Option<Value> {
    match &node.value {
        _ if is_null(node) => None,
        YValue::Scalar { .. } | YValue::Map(_) => Some(node.to_json()),
        YValue::Seq(_) => {
            find.wrong_type(
                "images",
                "an image name or a mapping (default, <language>, dist)",
                node,
            );
            None
        }
    }
}

fn placement(node: &Node, find: &mut Finder<'_>) -> Vec<String> {
    let expected = "a list of Swarm placement constraints such as \"node.labels.ci == true\"";
    match node.to_json() {
        Value::Null => Vec::new(),
        Value::String(s) if !s.trim().is_empty() => vec![s.trim().to_string()],
        Value::Array(items)
            if items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| !s.trim().is_empty())) =>
        {
            items
                .iter()
                .filter_map(|i| i.as_str().map(|s| s.trim().to_string()))
                .collect()
        }
        _ => {
            find.wrong_type("placement", expected, node);
            Vec::new()
        }
    }
}

fn network(node: &Node, find: &mut Finder<'_>) -> Option<String> {
    match node.to_json() {
        Value::Null => None,
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => {
            find.wrong_type("network", "bridge, host or a network name", node);
            None
        }
    }
}

fn boolean(node: &Node, key: &str, find: &mut Finder<'_>) -> Option<bool> {
    match node.to_json() {
        Value::Null => None,
        Value::Bool(b) => Some(b),
        Value::String(s) if matches!(s.as_str(), "true" | "yes" | "on") => Some(true),
        Value::String(s) if matches!(s.as_str(), "false" | "no" | "off") => Some(false),
        _ => {
            find.wrong_type(key, "true or false", node);
            None
        }
    }
}

/// A shell variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn env(node: &Node, find: &mut Finder<'_>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let one;
    let items: &[Node] = match &node.value {
        _ if is_null(node) => return out,
        YValue::Seq(items) => items,
        _ => {
            one = [node.clone()];
            &one
        }
    };
    for (i, item) in items.iter().enumerate() {
        let key = format!("env[{i}]");
        match &item.value {
            YValue::Scalar { .. } => match item.to_json() {
                Value::String(s) => match s.split_once('=') {
                    Some((n, v)) if valid_name(n) => out.push((n.to_string(), v.to_string())),
                    _ => find.wrong_type(&key, "NAME=VALUE", item),
                },
                _ => find.wrong_type(&key, "NAME=VALUE", item),
            },
            YValue::Map(entries) => {
                for (k, v) in entries {
                    if !valid_name(&k.name) {
                        find.push(
                            Level::Error,
                            "invalid_type",
                            &key,
                            format!("`{}` is not a variable name", k.name),
                            k.span,
                        );
                        continue;
                    }
                    let v = match v.to_json() {
                        Value::String(s) => s,
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.push((k.name.clone(), v));
                }
            }
            YValue::Seq(_) => find.wrong_type(&key, "NAME=VALUE", item),
        }
    }
    out
}

/// The known key closest to a misspelt one (edit distance at most 2).
fn closest(name: &str) -> Option<&'static str> {
    KEYS.iter()
        .map(|k| (distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> LocalConfig {
        LocalConfig::parse(Path::new("c.yml"), text)
    }

    #[test]
    fn reads_every_known_key() {
        let c = parse(
            "images:\n  default: travis-local/bookworm:ci\n  python:\n    \"3.8\": py38\nnetwork: host\ntrust_host_ca: yes\nenv: [\"A=1\", {B: two}]\n",
        );
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        assert_eq!(c.network.as_deref(), Some("host"));
        assert_eq!(c.trust_host_ca, Some(true));
        assert_eq!(
            c.images.as_ref().map(|i| &i["python"]["3.8"]),
            Some(&Value::from("py38"))
        );
        assert_eq!(
            c.env,
            vec![("A".into(), "1".into()), ("B".into(), "two".into())]
        );
    }

    #[test]
    fn unknown_key_is_a_warning_at_its_line_and_column() {
        let c = parse("network: host\n  \nimage:\n  default: x\n");
        assert_eq!(c.diagnostics.len(), 1);
        let d = &c.diagnostics[0];
        assert_eq!((d.level, d.code.as_str()), (Level::Warn, "unknown_key"));
        assert_eq!(c.line_col(d), (3, 1));
        assert_eq!(d.help.as_deref(), Some("did you mean `images`?"));
        assert!(!c.has_errors());
        assert_eq!(c.network.as_deref(), Some("host"), "the rest still applies");
        assert_eq!(
            c.one_line_findings(),
            vec!["c.yml:3:1: warn[unknown_key]: unknown key `image` in the travis-local settings (known: env, images, network, placement, trust_host_ca); it is ignored (did you mean `images`?)".to_string()]
        );
        let shown = c.render_human(false);
        assert!(
            shown.contains("c.yml:3:1") && shown.contains("image:"),
            "{shown}"
        );
    }

    #[test]
    fn wrong_types_are_errors_naming_the_key() {
        for (text, key) in [
            ("network: [a]\n", "network"),
            ("images: [a]\n", "images"),
            ("trust_host_ca: maybe\n", "trust_host_ca"),
            ("env: [\"1A=1\"]\n", "env[0]"),
            ("env: [{\"no name\": 1}]\n", "env[0]"),
            ("- a\n", "root"),
            ("a: [\n", "root"),
        ] {
            let c = parse(text);
            assert!(c.has_errors(), "{text}");
            assert_eq!(c.diagnostics[0].key, key, "{text}");
        }
    }

    #[test]
    fn empty_and_missing_files_are_empty_settings() {
        assert!(parse("").diagnostics.is_empty());
        assert!(parse("# nothing\n").diagnostics.is_empty());
        let dir = std::env::temp_dir().join("tl-config-no-such-dir-for-local");
        let c = LocalConfig::load(&dir).expect("missing is fine");
        assert!(c.path.is_none() && c.env.is_empty());
    }
}
