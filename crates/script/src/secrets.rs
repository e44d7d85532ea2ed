//! Local secrets: the stand-in for Travis's repository settings and for the decryption of
//! `secure:` entries. Loads `.travis-local/secrets.yml` (or `--secrets-file`) and
//! `--secret NAME=VALUE`, refuses a git-tracked secrets file, and decides per job which
//! secrets are exported (branch scoping, fork pull requests) exactly as Travis's scheduler
//! and travis-build do (spec §3). Secret values live in [`Secret`], whose `Debug` and
//! `Display` never print them.
//!
//! Secure ids: a `secure:` entry of `.travis.yml` is an RSA ciphertext we cannot decrypt.
//! It is matched to a local plaintext by its *id*: the first 8 hex digits of the SHA-256 of
//! the ciphertext string (surrounding whitespace removed). `travis-local secrets` prints
//! the id of every entry.

use crate::export_eval::{eval_export, Var};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value. `Debug`/`Display` print `[secure]`; use [`Secret::expose`] to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The plaintext. Only for the process environment and the masker.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([secure])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[secure]")
    }
}

/// A repository-settings variable (from the secrets file, `--secret`, or the public
/// `env:` of `.travis-local/config.yml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsVar {
    pub name: String,
    pub value: Secret,
    /// Exported only when `TRAVIS_BRANCH` equals this.
    pub branch: Option<String>,
    /// "Display value in build log": shown in logs, not masked, exported even on fork PRs.
    pub public: bool,
    /// Where it was defined, for messages (`secrets.yml env[0]`, `--secret`).
    pub origin: String,
}

/// A local plaintext for a `secure:` entry, `NAME=value` (or a bare value for secure
/// strings outside `env`, e.g. a deploy `api_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurePlain {
    pub id: String,
    pub plain: Secret,
}

/// All local secrets.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    pub settings: Vec<SettingsVar>,
    pub secure: Vec<SecurePlain>,
    /// The secrets file that was read, if any.
    pub file: Option<PathBuf>,
    /// Things the user should fix (e.g. the secrets file is not git-ignored). Contain no
    /// secret value; `compile` repeats them as notices.
    pub warnings: Vec<String>,
}

/// What kind of secrets problem (the binary maps it to an exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretsErrorKind {
    /// A malformed `--secret`, a missing or unreadable `--secrets-file`.
    Usage,
    /// The secrets file is invalid or tracked by git.
    Invalid,
}

/// A failure to load secrets. The message names the flag or file (never a value) and
/// carries no `error:` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretsError {
    pub kind: SecretsErrorKind,
    pub message: String,
}

impl fmt::Display for SecretsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SecretsError {}

/// Where secrets come from (the flags of `compile`, `secrets` and `run`, parsed by the
/// binary).
/// `Debug` shows only the names of `--secret` flags.
#[derive(Clone, Default)]
pub struct SecretSettings {
    /// Secrets file (repository-settings variables and plaintexts of `secure:` entries)
    /// [default: .travis-local/secrets.yml in the repository]
    pub secrets_file: Option<PathBuf>,
    /// A secret variable NAME=VALUE, exported on every branch (repeatable)
    pub secret: Vec<String>,
    /// Read the secrets file even though git tracks it
    pub allow_tracked_secrets: bool,
}

impl fmt::Debug for SecretSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .secret
            .iter()
            .map(|s| format!("{}=[secure]", s.split('=').next().unwrap_or("")))
            .collect();
        f.debug_struct("SecretSettings")
            .field("secrets_file", &self.secrets_file)
            .field("secret", &names)
            .field("allow_tracked_secrets", &self.allow_tracked_secrets)
            .finish()
    }
}

impl SecretSettings {
    /// Refuse a `--secret` that is not `NAME=VALUE` (a usage error, code 2). The message
    /// gives the flag's position, never its text: without `=` the text is likely the
    /// value itself.
    pub fn check_usage(&self) -> Result<(), SecretsError> {
        for (i, flag) in self.secret.iter().enumerate() {
            if split_assignment(flag).is_none() {
                return Err(SecretsError {
                    kind: SecretsErrorKind::Usage,
                    message: format!(
                        "--secret #{}: expected NAME=VALUE, with NAME a shell variable name (the value is not shown)",
                        i + 1
                    ),
                });
            }
        }
        Ok(())
    }

    /// Load the secrets for the repository at `repo_dir`.
    pub fn load(&self, repo_dir: &Path) -> Result<Secrets, SecretsError> {
        load(repo_dir, self)
    }
}

/// Path of the default secrets file of a repository.
pub fn default_secrets_path(repo_dir: &Path) -> PathBuf {
    repo_dir.join(".travis-local").join("secrets.yml")
}

/// Load the secrets file (explicit, or the default one if it exists) and the `--secret`
/// flags.
pub fn load(repo_dir: &Path, args: &SecretSettings) -> Result<Secrets, SecretsError> {
    let mut secrets = Secrets::default();
    let (path, explicit) = match &args.secrets_file {
        Some(p) => (p.clone(), true),
        None => (default_secrets_path(repo_dir), false),
    };
    if path.exists() {
        if !args.allow_tracked_secrets && git_tracks(&path) {
            return Err(SecretsError {
                kind: SecretsErrorKind::Invalid,
                message: format!(
                    "the secrets file {} is tracked by git; travis-local refuses to read committed secrets.\n  \
                     Untrack it (and rotate the values if they were pushed):\n    \
                     git rm --cached {}\n    echo '{}' >> .gitignore\n  \
                     or pass --allow-tracked-secrets to read it anyway.",
                    path.display(),
                    shell_word(&path.display().to_string()),
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .map(|n| if explicit { n } else { format!(".travis-local/{n}") })
                        .unwrap_or_default(),
                ),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| SecretsError {
            kind: SecretsErrorKind::Usage,
            message: format!("cannot read the secrets file {}: {e}", path.display()),
        })?;
        parse_secrets_file(&path.display().to_string(), &text, &mut secrets)?;
        if git_in_work_tree(&path) && !git_ignores(&path) {
            secrets.warnings.push(format!(
                "the secrets file {} is not ignored by git; add it to .gitignore so it is never committed",
                path.display()
            ));
        }
        secrets.file = Some(path);
    } else if explicit {
        return Err(SecretsError {
            kind: SecretsErrorKind::Usage,
            message: format!("--secrets-file {}: no such file", path.display()),
        });
    }
    args.check_usage()?;
    for (i, flag) in args.secret.iter().enumerate() {
        let Some((name, value)) = split_assignment(flag) else {
            continue; // check_usage refused it
        };
        secrets.settings.push(SettingsVar {
            name: name.to_string(),
            value: Secret::new(value),
            branch: None,
            public: false,
            origin: format!("--secret #{}", i + 1),
        });
    }
    let short = secrets.short_value_warnings();
    secrets.warnings.extend(short);
    Ok(secrets)
}

fn git_at(path: &Path, args: &[&str], with_name: bool) -> bool {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    if with_name {
        match path.file_name() {
            Some(name) => {
                cmd.arg(name);
            }
            None => return false,
        }
    }
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn git_in_work_tree(path: &Path) -> bool {
    git_at(path, &["rev-parse", "--is-inside-work-tree"], false)
}

fn git_ignores(path: &Path) -> bool {
    git_at(path, &["check-ignore", "-q", "--"], true)
}

/// True when `path` is inside a git work tree and tracked there.
fn git_tracks(path: &Path) -> bool {
    git_at(path, &["ls-files", "--error-unmatch", "--"], true)
}

fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@".contains(&b))
    {
        s.to_string()
    } else {
        crate::quote::sq(s)
    }
}

/// `NAME=VALUE` with a valid shell name.
pub fn split_assignment(s: &str) -> Option<(&str, &str)> {
    let (name, value) = s.split_once('=')?;
    valid_name(name).then_some((name, value))
}

/// A shell variable name.
pub fn valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    travis_local_config::yaml_to_json(text)
}

/// Parse the secrets file format (see README):
/// `env: [{name, value, branch?, public?}]`, `secure: {ID: "NAME=value"}`.
pub fn parse_secrets_file(file: &str, text: &str, into: &mut Secrets) -> Result<(), SecretsError> {
    let err = |m: String| SecretsError {
        kind: SecretsErrorKind::Invalid,
        message: format!("{file}: {m}"),
    };
    let doc = parse_yaml(text).map_err(|e| err(format!("invalid YAML: {e}")))?;
    let map = match doc {
        Value::Null => return Ok(()),
        Value::Object(m) => m,
        _ => {
            return Err(err(
                "expected a mapping with the keys `env` and `secure`".into()
            ))
        }
    };
    for (key, value) in &map {
        match key.as_str() {
            "env" => {
                let items = match value {
                    Value::Null => continue,
                    Value::Array(a) => a,
                    _ => {
                        return Err(err(
                            "`env` must be a list of {name, value, branch, public}".into()
                        ))
                    }
                };
                for (i, item) in items.iter().enumerate() {
                    into.settings
                        .push(settings_var(file, i, item).map_err(err)?);
                }
            }
            "secure" => {
                let entries = match value {
                    Value::Null => continue,
                    Value::Object(m) => m,
                    _ => return Err(err("`secure` must be a mapping ID: \"NAME=value\"".into())),
                };
                for (id, plain) in entries {
                    let id = id.trim().to_ascii_lowercase();
                    if id.len() < 4 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(err(format!(
                            "secure: `{id}` is not a secure id (hex digits, as printed by `travis-local secrets`)"
                        )));
                    }
                    let plain = scalar_string(plain).ok_or_else(|| {
                        err(format!("secure.{id}: expected a string \"NAME=value\""))
                    })?;
                    into.secure.push(SecurePlain {
                        id,
                        plain: Secret::new(plain),
                    });
                }
            }
            other => {
                return Err(err(format!(
                    "unknown key `{other}` (expected `env` and `secure`)"
                )));
            }
        }
    }
    Ok(())
}

/// `env[i]` of a secrets file; the error message lacks the file name.
fn settings_var(file: &str, i: usize, item: &Value) -> Result<SettingsVar, String> {
    let Value::Object(m) = item else {
        return Err(format!(
            "env[{i}]: expected a mapping {{name: ..., value: ...}}"
        ));
    };
    let name = m.get("name").and_then(scalar_string).unwrap_or_default();
    if !valid_name(&name) {
        return Err(format!(
            "env[{i}]: `name` must be a shell variable name, got `{name}`"
        ));
    }
    let value = m
        .get("value")
        .and_then(scalar_string)
        .ok_or_else(|| format!("env[{i}] ({name}): `value` is missing or not a scalar"))?;
    let branch = match m.get("branch") {
        None | Some(Value::Null) => None,
        Some(b) => Some(
            scalar_string(b)
                .ok_or_else(|| format!("env[{i}] ({name}): `branch` must be a branch name"))?,
        ),
    };
    let public = match m.get("public") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("env[{i}] ({name}): `public` must be true or false")),
    };
    for k in m.keys() {
        if !["name", "value", "branch", "public"].contains(&k.as_str()) {
            return Err(format!(
                "env[{i}] ({name}): unknown key `{k}` (expected name, value, branch, public)"
            ));
        }
    }
    Ok(SettingsVar {
        name,
        value: Secret::new(value),
        branch,
        public,
        origin: format!("{file} env[{i}]"),
    })
}

/// The id of a `secure:` ciphertext: first 8 hex digits of its SHA-256.
pub fn secure_id(ciphertext: &str) -> String {
    let digest = Sha256::digest(ciphertext.trim().as_bytes());
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

impl Secrets {
    /// The local plaintext for a ciphertext, if any (ids may be given as a prefix of ≥4
    /// hex digits).
    pub fn secure_plain(&self, ciphertext: &str) -> Option<&Secret> {
        let id = secure_id(ciphertext);
        self.secure
            .iter()
            .find(|s| id.starts_with(&s.id))
            .map(|s| &s.plain)
    }

    /// Every text to mask for all local secrets (non-public settings values and secure
    /// plaintexts), before any job context is known: for each, the raw text and what
    /// bash makes of it when Travis exports it (see [`export_mask_texts`]; variables
    /// are treated as unknown). `compile` adds the forms a given job actually gets.
    pub fn mask_values(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (name, raw) in self.exported_values() {
            match name {
                Some(name) => {
                    for t in export_mask_texts(name, raw, &|_| Some(Var::Unknown)) {
                        push_mask(&mut out, t);
                    }
                }
                // A bare secure string (e.g. a deploy `api_key`) is used as it is.
                None => push_mask(&mut out, raw.to_string()),
            }
        }
        out
    }

    /// (NAME, raw value) of every secret Travis would export with `export NAME=value`,
    /// and (None, plaintext) for secure strings that are not `NAME=value`.
    fn exported_values(&self) -> Vec<(Option<&str>, &str)> {
        let mut out = Vec::new();
        for s in &self.settings {
            if !s.public {
                out.push((Some(s.name.as_str()), s.value.expose()));
            }
        }
        for s in &self.secure {
            let plain = s.plain.expose();
            match split_assignment(plain.trim()) {
                Some((name, value)) => out.push((Some(name), value)),
                None => out.push((None, plain)),
            }
        }
        out
    }

    /// Warnings for secrets whose value, as the job receives it, is 1 or 2 characters:
    /// the masker cannot hide them (it would mask noise). Names the variable, never the
    /// value.
    fn short_value_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut warn = |what: String| {
            out.push(format!(
                "{what} is shorter than 3 characters as the job receives it, so it cannot be masked in the output; use a longer value"
            ))
        };
        for s in &self.settings {
            if !s.public && is_short(short_len(&s.name, s.value.expose())) {
                warn(format!("the secret `{}` ({})", s.name, s.origin));
            }
        }
        for s in &self.secure {
            let plain = s.plain.expose();
            match split_assignment(plain.trim()) {
                Some((name, value)) if is_short(short_len(name, value)) => {
                    warn(format!("the secure variable `{name}` (secure id {})", s.id))
                }
                None if is_short(Some(plain.chars().count())) => {
                    warn(format!("the secure value with id {}", s.id))
                }
                _ => {}
            }
        }
        out
    }
}

fn is_short(len: Option<usize>) -> bool {
    matches!(len, Some(1 | 2))
}

/// Length in characters of the value `export NAME=raw` gives, when known without context.
fn short_len(name: &str, raw: &str) -> Option<usize> {
    let e = eval_export(name, raw, &|_| Some(Var::Unknown));
    e.value.and_then(|v| v.known()).map(|v| v.chars().count())
}

/// Add a text to mask, once, if it is long enough to mask safely (3 characters).
pub(crate) fn push_mask(out: &mut Vec<String>, t: String) {
    if t.chars().count() >= 3 && !out.contains(&t) {
        out.push(t);
    }
}

/// The texts to mask for a secret exported as `export NAME=raw` (Travis inserts the raw
/// value into that line and bash evaluates it): the raw text itself, the value bash
/// gives `NAME` and every further word bash makes of it (`export S=a b` sets `S=a`;
/// `b` is masked too) — or, for parts only the job knows (`$(…)`, a variable set at run
/// time), the literal pieces around them. `vars` tells what the shell's variables hold at
/// that point. Never the text of a `$…` expansion itself.
pub fn export_mask_texts(name: &str, raw: &str, vars: &dyn Fn(&str) -> Option<Var>) -> Vec<String> {
    let mut out = Vec::new();
    push_mask(&mut out, raw.to_string());
    for t in eval_export(name, raw, vars).mask_texts() {
        push_mask(&mut out, t);
    }
    out
}

/// A `secure:` entry found in a config.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecureEntry {
    pub id: String,
    /// Dotted location, e.g. `env.global[2]`, `deploy[0].api_key`.
    pub location: String,
    /// The variable name when known (from the local plaintext `NAME=value`, or the key
    /// holding it such as `api_key`).
    pub name: Option<String>,
    /// True when a local plaintext exists.
    pub has_local_value: bool,
}

/// Walk a config (normalised or raw) and list every `secure:` entry with its location.
pub fn find_secure_entries(config: &Value, secrets: &Secrets) -> Vec<SecureEntry> {
    let mut out = Vec::new();
    walk(config, String::new(), None, secrets, &mut out);
    out
}

fn walk(v: &Value, path: String, key: Option<&str>, secrets: &Secrets, out: &mut Vec<SecureEntry>) {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(cipher)) = m.get("secure") {
                    let plain = secrets.secure_plain(cipher);
                    let name = plain
                        .and_then(|p| split_assignment(p.expose()).map(|(n, _)| n.to_string()))
                        .or_else(|| key.filter(|k| !k.is_empty()).map(str::to_string));
                    out.push(SecureEntry {
                        id: secure_id(cipher),
                        location: path,
                        name,
                        has_local_value: plain.is_some(),
                    });
                    return;
                }
            }
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, p, Some(k), secrets, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), key, secrets, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter22");
        assert_eq!(format!("{s}"), "[secure]");
        assert!(!format!("{s:?}").contains("hunter22"));
        let v = SettingsVar {
            name: "X".into(),
            value: s,
            branch: None,
            public: false,
            origin: "t".into(),
        };
        assert!(!format!("{v:?}").contains("hunter22"));
    }

    #[test]
    fn secure_id_is_stable() {
        assert_eq!(secure_id("abc"), "ba7816bf");
        assert_eq!(secure_id("  abc\n"), "ba7816bf");
    }

    #[test]
    fn parses_the_documented_format() {
        let text = r#"
env:
  - {name: AWS_ACCESS_KEY_ID, value: "AKIA123", branch: staging}
  - {name: LOG_LEVEL, value: debug, public: true}
  - {name: PORT, value: 8080}
secure:
  ba7816bf: "DEPLOY_TOKEN=tok123"
"#;
        let mut s = Secrets::default();
        parse_secrets_file("s.yml", text, &mut s).unwrap();
        assert_eq!(s.settings.len(), 3);
        assert_eq!(s.settings[0].branch.as_deref(), Some("staging"));
        assert!(s.settings[1].public);
        assert_eq!(s.settings[2].value.expose(), "8080");
        assert_eq!(
            s.secure_plain("abc").map(|p| p.expose()),
            Some("DEPLOY_TOKEN=tok123")
        );
        let m = s.mask_values();
        assert!(m.contains(&"AKIA123".to_string()));
        assert!(m.contains(&"tok123".to_string()));
        assert!(!m.contains(&"debug".to_string()));
        let mut s = Secrets::default();
        parse_secrets_file("s.yml", "env: [{name: P, value: 'p\\$ss\\ word'}]", &mut s).unwrap();
        assert!(
            s.mask_values().contains(&"p$ss word".to_string()),
            "{:?}",
            s.mask_values().len()
        );
    }

    /// Regression: a settings secret with a space was exported verbatim, bash kept only
    /// its first word, and that word reached the log unmasked.
    #[test]
    fn words_of_a_value_with_spaces_are_masked() {
        let mut s = Secrets::default();
        parse_secrets_file(
            "s.yml",
            "env: [{name: S, value: 'hunter2 more words'}]",
            &mut s,
        )
        .unwrap();
        let m = s.mask_values();
        for w in ["hunter2 more words", "hunter2", "more", "words"] {
            assert!(m.contains(&w.to_string()), "{w} not masked");
        }
        let masked = crate::Masker::new(&m).mask_all(b"v=hunter2\n");
        assert_eq!(masked, b"v=[secure]\n");
    }

    #[test]
    fn rejects_bad_files_with_location() {
        for (text, needle) in [
            ("env: [{name: 1X, value: a}]", "env[0]"),
            ("env: [{name: X}]", "value"),
            ("env: [{name: X, value: a, branh: m}]", "branh"),
            ("secure: {zz: a}", "zz"),
            ("foo: 1", "foo"),
            ("env: [", "invalid YAML"),
        ] {
            let mut s = Secrets::default();
            let e = parse_secrets_file("s.yml", text, &mut s).unwrap_err();
            assert_eq!(e.kind, SecretsErrorKind::Invalid);
            assert!(e.message.contains(needle), "{text}: {}", e.message);
        }
    }

    #[test]
    fn finds_secure_entries() {
        let cfg: Value = serde_json::json!({
            "env": {"global": [{"A": "1"}, {"secure": "abc"}]},
            "deploy": [{"provider": "x", "api_key": {"secure": "zzz"}}]
        });
        let mut s = Secrets::default();
        s.secure.push(SecurePlain {
            id: "ba7816bf".into(),
            plain: Secret::new("TOK=v"),
        });
        let e = find_secure_entries(&cfg, &s);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].location, "env.global[1]");
        assert_eq!(e[0].name.as_deref(), Some("TOK"));
        assert!(e[0].has_local_value);
        assert_eq!(e[1].location, "deploy[0].api_key");
        assert_eq!(e[1].name.as_deref(), Some("api_key"));
        assert!(!e[1].has_local_value);
    }
}
