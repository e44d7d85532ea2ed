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
//! | `images` | image name, or mapping `default` / `<language>` / `dist`; any image may be a recipe (below) | docker executor |
//! | `network` | `bridge`, `host` or a network name | docker executor |
//! | `trust_host_ca` | bool | docker executor (Travis layer) |
//! | `placement` | list of Swarm placement constraints (`node.labels.ci == true`) | swarm executor |
//! | `env` | list of `NAME=VALUE` strings or `{NAME: VALUE}` maps | script compiler |
//!
//! | `lint` | mapping: `shellcheck: true` makes `lint --shellcheck` the default | `lint` |
//!
//! **Image recipes.** Wherever `images:` names an image, a mapping with a `name` key may
//! stand instead, and carry how to build that image when it is missing and cannot be
//! pulled ([`ImageRecipe`]; the docker crate builds it):
//!
//! ```yaml
//! images:
//!   default:
//!     name: travis-local/bookworm:ci
//!     bootstrap: {suite: bookworm, packages: [python3], mirror: http://deb.debian.org/debian}
//!   python:
//!     "3.11": {name: my/py:3.11, dockerfile: ci/py.Dockerfile, context: ci, args: {V: "3.11"}}
//! ```
//!
//! [`LocalConfig::images`] holds the names only (the recipe maps replaced by their
//! `name`), so image resolution does not change; the recipes are in
//! [`LocalConfig::recipes`], one per image name.
//!
//! A type error in a known key is an `error` finding (the caller refuses to run); an
//! unknown key is a `warn` finding (`unknown_key`, with a "did you mean" when one is
//! close), and the rest of the file still applies.

use crate::diag::{Diagnostic, Level};
use crate::yaml::{self, Node, Scalar, Value as YValue};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The keys `.travis-local/config.yml` may hold.
pub const KEYS: &[&str] = &[
    "env",
    "images",
    "lint",
    "network",
    "placement",
    "trust_host_ca",
];

/// The keys of an image recipe (a mapping with `name` where an image is named).
pub const RECIPE_KEYS: &[&str] = &["name", "bootstrap", "dockerfile", "context", "args"];

/// The keys of a recipe's `bootstrap:` mapping.
pub const BOOTSTRAP_KEYS: &[&str] = &["suite", "packages", "mirror", "trust_host_ca"];

/// How to build an image that `images:` names, when it is missing and cannot be pulled.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRecipe {
    /// The image it builds (`repo:tag`).
    pub name: String,
    /// Where it is written, as a key path (`images.default`, `images.python.3.8`).
    pub key: String,
    /// Span of the recipe mapping in the settings file.
    pub span: (usize, usize),
    pub build: ImageBuild,
}

/// The two kinds of recipe.
#[derive(Debug, Clone, PartialEq)]
pub enum ImageBuild {
    /// debootstrap a Debian suite and `docker import` it (needs root).
    Bootstrap {
        suite: String,
        /// Packages on top of the bootstrap defaults, in file order.
        packages: Vec<String>,
        mirror: Option<String>,
        /// Trust the host's CA certificates in the image (default: the top-level
        /// `trust_host_ca`, else false).
        trust_host_ca: Option<bool>,
    },
    /// `docker build` of a Dockerfile; paths relative to the repository root.
    Dockerfile {
        dockerfile: PathBuf,
        /// The build context (default: the Dockerfile's directory).
        context: Option<PathBuf>,
        /// `--build-arg`s, in file order.
        args: Vec<(String, String)>,
    },
}

/// The `lint:` settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LintSettings {
    /// `lint: {shellcheck: true}`: run ShellCheck on the phase commands by default.
    pub shellcheck: Option<bool>,
}

/// Settings read from `.travis-local/config.yml`, with every finding about the file.
#[derive(Debug, Clone, Default)]
pub struct LocalConfig {
    /// The file read (None when it does not exist).
    pub path: Option<PathBuf>,
    /// Its text (for rendering findings).
    pub text: String,
    /// `images:` (a name or a mapping; interpreted by the docker executor), with every
    /// recipe replaced by its image name.
    pub images: Option<Value>,
    /// The image recipes found under `images:`, one per image name, in file order.
    pub recipes: Vec<ImageRecipe>,
    /// `lint:`.
    pub lint: LintSettings,
    /// `network:`.
    pub network: Option<String>,
    /// `placement:` Swarm placement constraints for `--executor swarm`.
    pub placement: Vec<String>,
    /// `trust_host_ca:`.
    pub trust_host_ca: Option<bool>,
    /// `env:` as (name, verbatim value) pairs, in file order.
    pub env: Vec<(String, String)>,
    /// Findings (unknown keys, wrong types, invalid YAML), with spans into `text`.
    pub diagnostics: Vec<Diagnostic>,
}

/// The path of the local settings file under a repository root.
pub fn path_in(root: &Path) -> PathBuf {
    root.join(".travis-local").join("config.yml")
}

/// Why `.travis-local/config.yml` could not be read (a missing file is no error: an
/// empty config). It displays as a message naming the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalLoadError {
    /// Reading the file failed: its path, the I/O error's kind and message.
    Unreadable {
        path: PathBuf,
        kind: std::io::ErrorKind,
        message: String,
    },
    /// The file is not UTF-8 text: its path and the offset of the first invalid byte.
    NotUtf8 { path: PathBuf, offset: usize },
}

impl std::fmt::Display for LocalLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalLoadError::Unreadable { path, message, .. } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            LocalLoadError::NotUtf8 { path, offset } => write!(
                f,
                "{}: not UTF-8 text (invalid byte at offset {offset})",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LocalLoadError {}

impl LocalConfig {
    /// Read `<root>/.travis-local/config.yml`; a missing file is an empty config. An
    /// unreadable file is an `Err` naming it.
    pub fn load(root: &Path) -> Result<LocalConfig, LocalLoadError> {
        let path = path_in(root);
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => Ok(LocalConfig::parse(&path, &text)),
                Err(e) => Err(LocalLoadError::NotUtf8 {
                    offset: e.utf8_error().valid_up_to(),
                    path,
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalConfig::default()),
            Err(e) => Err(LocalLoadError::Unreadable {
                path,
                kind: e.kind(),
                message: e.to_string(),
            }),
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
                "images" => cfg.images = images(node, &mut find, &mut cfg.recipes),
                "lint" => cfg.lint = lint(node, &mut find),
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

    /// The repository root the settings were read from (the directory holding
    /// `.travis-local/`): recipe paths are relative to it.
    pub fn root(&self) -> Option<&Path> {
        self.path.as_deref()?.parent()?.parent()
    }

    /// The recipe of an image, if `images:` carries one for that name.
    pub fn recipe_for(&self, image: &str) -> Option<&ImageRecipe> {
        self.recipes.iter().find(|r| r.name == image)
    }

    /// True when a finding is at error level (the settings cannot be used as written).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level.is_failure())
    }

    /// Human rendering of the findings (caret under each), separated by blank lines.
    pub fn render_human(&self, color: bool) -> String {
        crate::diag::render_all(&self.diagnostics, &self.text, color)
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
        d.line_col(&self.text, &yaml::LineIndex::new(&self.text))
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

fn images(node: &Node, find: &mut Finder<'_>, recipes: &mut Vec<ImageRecipe>) -> Option<Value> {
    const EXPECTED: &str = "an image name or a mapping (default, <language>, dist)";
    let value = match &node.value {
        _ if is_null(node) => return None,
        YValue::Scalar { .. } => node.to_json(),
        YValue::Map(entries) if is_recipe(entries) => {
            Value::String(recipe(node, entries, "images", find, recipes)?)
        }
        YValue::Map(entries) => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                let key = format!("images.{}", k.name);
                let nested = k.name != "default";
                if let Some(v) = image_entry(v, &key, nested, find, recipes) {
                    out.insert(k.name.clone(), v);
                }
            }
            Value::Object(out)
        }
        YValue::Seq(_) => {
            find.wrong_type("images", EXPECTED, node);
            return None;
        }
    };
    Some(value)
}

/// A mapping is a recipe when it names its image.
fn is_recipe(entries: &[(yaml::Key, Node)]) -> bool {
    entries.iter().any(|(k, _)| k.name == "name")
}

/// One value under `images:`: a name, a recipe, or (for `<language>` and `dist`) a
/// mapping of versions/dists to names or recipes.
fn image_entry(
    node: &Node,
    key: &str,
    nested: bool,
    find: &mut Finder<'_>,
    recipes: &mut Vec<ImageRecipe>,
) -> Option<Value> {
    match &node.value {
        _ if is_null(node) => None,
        YValue::Scalar { .. } => Some(Value::String(node.scalar_text()?.to_string())),
        YValue::Map(entries) if is_recipe(entries) => {
            Some(Value::String(recipe(node, entries, key, find, recipes)?))
        }
        YValue::Map(entries) if nested => {
            let mut out = serde_json::Map::new();
            for (k, v) in entries {
                let key = format!("{key}.{}", k.name);
                if let Some(v) = image_entry(v, &key, false, find, recipes) {
                    out.insert(k.name.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        _ => {
            let expected = if nested {
                "an image name, a recipe ({name: ..., bootstrap: ...} or {name: ..., dockerfile: ...}) or a mapping of versions to images"
            } else {
                "an image name or a recipe ({name: ..., bootstrap: ...} or {name: ..., dockerfile: ...})"
            };
            find.wrong_type(key, expected, node);
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

/// A string scalar (a name, path, suite); None (and an error finding) otherwise.
fn string(node: &Node, key: &str, expected: &str, find: &mut Finder<'_>) -> Option<String> {
    match &node.value {
        YValue::Scalar { .. } if !is_null(node) => {
            let text = node.scalar_text().unwrap_or_default().trim().to_string();
            if text.is_empty() {
                find.wrong_type(key, expected, node);
                None
            } else {
                Some(text)
            }
        }
        _ => {
            find.wrong_type(key, expected, node);
            None
        }
    }
}

fn unknown_in(find: &mut Finder<'_>, key: &yaml::Key, at: &str, known: &[&'static str]) {
    let help = closest_in(&key.name, known).map(|k| format!("did you mean `{k}`?"));
    find.out.push(Diagnostic {
        level: Level::Warn,
        code: "unknown_key".into(),
        key: format!("{at}.{}", key.name),
        message: format!(
            "unknown key `{}` in `{at}` (known: {}); it is ignored",
            key.name,
            known.join(", ")
        ),
        help,
        span: Some(key.span),
        file: find.file.to_string(),
        args: serde_json::json!({ "key": key.name }),
    });
}

/// Parses a recipe mapping; records it and returns its image name.
fn recipe(
    node: &Node,
    entries: &[(yaml::Key, Node)],
    at: &str,
    find: &mut Finder<'_>,
    recipes: &mut Vec<ImageRecipe>,
) -> Option<String> {
    let mut name = None;
    let mut bootstrap: Option<&Node> = None;
    let (mut dockerfile, mut context, mut args) = (None, None, Vec::new());
    let mut dockerfile_node: Option<&Node> = None;
    for (k, v) in entries {
        let key = format!("{at}.{}", k.name);
        match k.name.as_str() {
            "name" => {
                name = string(
                    v,
                    &key,
                    "an image name such as travis-local/bookworm:ci",
                    find,
                )
                .filter(|n| {
                    let ok = !n.contains(char::is_whitespace);
                    if !ok {
                        find.wrong_type(&key, "an image name without spaces", v);
                    }
                    ok
                })
            }
            "bootstrap" => bootstrap = Some(v),
            "dockerfile" => {
                dockerfile_node = Some(v);
                dockerfile = string(v, &key, "a path (relative to the repository root)", find)
            }
            "context" => {
                context = string(
                    v,
                    &key,
                    "a directory (relative to the repository root)",
                    find,
                )
            }
            "args" => args = build_args(v, &key, find),
            _ => unknown_in(find, k, at, RECIPE_KEYS),
        }
    }
    let name = name?;
    let build = match (bootstrap, dockerfile_node) {
        (Some(_), Some(d)) => {
            find.push(
                Level::Error,
                "invalid_type",
                at,
                format!("`{at}` has both `bootstrap` and `dockerfile`; a recipe is one of them"),
                d.span,
            );
            return Some(name);
        }
        (Some(b), None) => bootstrap_recipe(b, &format!("{at}.bootstrap"), find)?,
        (None, Some(_)) => ImageBuild::Dockerfile {
            dockerfile: PathBuf::from(dockerfile?),
            context: context.map(PathBuf::from),
            args,
        },
        // `{name: X}` alone: an image without a recipe.
        (None, None) => return Some(name),
    };
    if let Some(other) = recipes.iter().find(|r| r.name == name) {
        if other.build != build {
            find.push(
                Level::Error,
                "duplicate_key",
                at,
                format!(
                    "image {name} has two different recipes (`{}` and `{at}`); give one of them another name",
                    other.key
                ),
                node.span,
            );
        }
        return Some(name);
    }
    recipes.push(ImageRecipe {
        name: name.clone(),
        key: at.to_string(),
        span: node.span,
        build,
    });
    Some(name)
}

fn bootstrap_recipe(node: &Node, at: &str, find: &mut Finder<'_>) -> Option<ImageBuild> {
    let entries = match &node.value {
        YValue::Map(entries) => entries.as_slice(),
        _ if is_null(node) => &[],
        _ => {
            find.wrong_type(
                at,
                "a mapping (suite, packages, mirror, trust_host_ca)",
                node,
            );
            return None;
        }
    };
    let mut suite = "bookworm".to_string();
    let (mut packages, mut mirror, mut trust) = (Vec::new(), None, None);
    let mut ok = true;
    for (k, v) in entries {
        let key = format!("{at}.{}", k.name);
        match k.name.as_str() {
            "suite" => match string(v, &key, "a Debian suite such as bookworm", find) {
                Some(s) if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => suite = s,
                Some(_) => {
                    find.wrong_type(&key, "a Debian suite such as bookworm", v);
                    ok = false;
                }
                None => ok = false,
            },
            "packages" => {
                let items: Vec<&Node> = match &v.value {
                    YValue::Seq(items) => items.iter().collect(),
                    _ if is_null(v) => Vec::new(),
                    _ => vec![v],
                };
                for (i, item) in items.into_iter().enumerate() {
                    let ikey = format!("{key}[{i}]");
                    let Some(text) = string(item, &ikey, "a package name", find) else {
                        ok = false;
                        continue;
                    };
                    for pkg in text.split([',', ' ']).filter(|p| !p.is_empty()) {
                        let valid = !pkg.starts_with('-')
                            && pkg.chars().all(|c| {
                                c.is_ascii_alphanumeric()
                                    || matches!(c, '.' | '+' | '-' | ':' | '_')
                            });
                        if !valid {
                            find.push(
                                Level::Error,
                                "invalid_type",
                                &ikey,
                                format!("`{pkg}` is not a Debian package name"),
                                item.span,
                            );
                            ok = false;
                        } else if !packages.iter().any(|p| p == pkg) {
                            packages.push(pkg.to_string());
                        }
                    }
                }
            }
            "mirror" => mirror = string(v, &key, "a Debian mirror URL", find),
            "trust_host_ca" => trust = boolean(v, &key, find),
            _ => unknown_in(find, k, at, BOOTSTRAP_KEYS),
        }
    }
    ok.then_some(ImageBuild::Bootstrap {
        suite,
        packages,
        mirror,
        trust_host_ca: trust,
    })
}

/// `args:` of a Dockerfile recipe: `{NAME: value}` or `[NAME=value]`.
fn build_args(node: &Node, at: &str, find: &mut Finder<'_>) -> Vec<(String, String)> {
    match &node.value {
        YValue::Map(entries) => {
            let mut out = Vec::new();
            for (k, v) in entries {
                if !valid_name(&k.name) {
                    find.push(
                        Level::Error,
                        "invalid_type",
                        at,
                        format!("`{}` is not a build argument name", k.name),
                        k.span,
                    );
                    continue;
                }
                match &v.value {
                    YValue::Scalar { .. } => out.push((
                        k.name.clone(),
                        v.scalar_text().unwrap_or_default().to_string(),
                    )),
                    _ => find.wrong_type(&format!("{at}.{}", k.name), "a string", v),
                }
            }
            out
        }
        _ if is_null(node) => Vec::new(),
        _ => env(node, find).into_iter().collect(),
    }
}

fn lint(node: &Node, find: &mut Finder<'_>) -> LintSettings {
    let mut out = LintSettings::default();
    match &node.value {
        _ if is_null(node) => {}
        YValue::Map(entries) => {
            for (k, v) in entries {
                match k.name.as_str() {
                    "shellcheck" => out.shellcheck = boolean(v, "lint.shellcheck", find),
                    _ => unknown_in(find, k, "lint", &["shellcheck"]),
                }
            }
        }
        _ => find.wrong_type("lint", "a mapping such as {shellcheck: true}", node),
    }
    out
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
    closest_in(name, KEYS)
}

fn closest_in(name: &str, keys: &[&'static str]) -> Option<&'static str> {
    keys.iter()
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
            vec!["c.yml:3:1: warn[unknown_key]: unknown key `image` in the travis-local settings (known: env, images, lint, network, placement, trust_host_ca); it is ignored (did you mean `images`?)".to_string()]
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
    fn recipes_are_read_and_images_keep_only_names() {
        let c = parse(
            "images:\n  default:\n    name: t/base:ci\n    bootstrap:\n      suite: bookworm\n      packages: [python3, \"git,curl\"]\n      trust_host_ca: true\n  python:\n    \"3.8\": {name: t/py:3.8, dockerfile: ci/py.Dockerfile, args: {V: 3.8}}\n    default: t/py:any\n  dist: {jammy: {name: t/plain}}\nlint: {shellcheck: true}\n",
        );
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let images = c.images.as_ref().expect("images");
        assert_eq!(images["default"], "t/base:ci");
        assert_eq!(images["python"]["3.8"], "t/py:3.8");
        assert_eq!(images["python"]["default"], "t/py:any");
        assert_eq!(images["dist"]["jammy"], "t/plain");
        assert_eq!(c.recipes.len(), 2);
        assert_eq!(c.recipes[0].key, "images.default");
        assert_eq!(
            c.recipes[0].build,
            ImageBuild::Bootstrap {
                suite: "bookworm".into(),
                packages: vec!["python3".into(), "git".into(), "curl".into()],
                mirror: None,
                trust_host_ca: Some(true)
            }
        );
        assert_eq!(
            c.recipe_for("t/py:3.8").map(|r| &r.build),
            Some(&ImageBuild::Dockerfile {
                dockerfile: PathBuf::from("ci/py.Dockerfile"),
                context: None,
                args: vec![("V".into(), "3.8".into())]
            })
        );
        assert_eq!(c.recipes[1].key, "images.python.3.8");
        assert!(c.recipe_for("t/plain").is_none());
        assert_eq!(c.lint.shellcheck, Some(true));
        // A recipe as the whole `images:` value.
        let c = parse("images: {name: t/x, dockerfile: Dockerfile}\n");
        assert_eq!(c.images, Some(Value::from("t/x")));
        assert_eq!(c.recipes[0].key, "images");
    }

    #[test]
    fn recipe_findings_have_positions() {
        let c = parse(
            "images:\n  default:\n    name: t/x\n    bootstrap: {suite: bookworm, pakages: [a]}\n",
        );
        assert_eq!(c.diagnostics.len(), 1, "{:?}", c.diagnostics);
        let d = &c.diagnostics[0];
        assert_eq!((d.level, d.code.as_str()), (Level::Warn, "unknown_key"));
        assert_eq!(d.key, "images.default.bootstrap.pakages");
        assert_eq!(c.line_col(d), (4, 34));
        assert_eq!(d.help.as_deref(), Some("did you mean `packages`?"));
        assert_eq!(c.recipes.len(), 1, "the rest of the recipe applies");
        for (text, key) in [
            (
                "images:\n  default: {name: t/x, bootstrap: {}, dockerfile: D}\n",
                "images.default",
            ),
            (
                "images:\n  default: {name: [a], dockerfile: D}\n",
                "images.default.name",
            ),
            (
                "images:\n  default: {name: t/x, bootstrap: {packages: [\"-x\"]}}\n",
                "images.default.bootstrap.packages[0]",
            ),
            (
                "images:\n  default: {name: t/x, bootstrap: {suite: \"a b\"}}\n",
                "images.default.bootstrap.suite",
            ),
            ("images:\n  default: [a]\n", "images.default"),
            (
                "images:\n  a: {name: t/x, dockerfile: A}\n  b: {name: t/x, dockerfile: B}\n",
                "images.b",
            ),
            ("lint: yes\n", "lint"),
        ] {
            let c = parse(text);
            assert!(c.has_errors(), "{text}: {:?}", c.diagnostics);
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
