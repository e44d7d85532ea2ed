//! Loading a build's config: `.travis.yml` plus its `import:`s, merged like travis-yml
//! (`configs/config/file.rb`, `parts/merge.rb`, `support/merge.rb`).
//!
//! Imports are resolved offline: local paths (`path.yml`, `./rel.yml`) from the working
//! tree, and `owner/repo:path.yml@ref` only when it names this same repository (read with
//! `git show REF:PATH` when a ref other than the current branch is given). Other remote
//! imports cannot be fetched without network access; they are reported in
//! `unresolved_imports` and the notes instead of being silently ignored.
//!
//! Parts are flattened depth-first (`.travis.yml`, then each import followed by its own
//! imports); earlier parts win; each imported part is merged with its `mode`
//! (`deep_merge_append` by default) on the *raw* YAML, and the merged document is then
//! normalised by travis-local-config as a whole.

use crate::BuildFacts;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// At most this many imports per build (travis-yml `too_many_imports`).
const MAX_IMPORTS: usize = 25;

/// A loaded (and import-merged) normalised config.
#[derive(Debug, Clone)]
pub struct LoadedBuild {
    /// Normalised config (shape of `config` in expected/*.json); `Null` when the file is
    /// not a usable config (then `has_errors` is true).
    pub config: Value,
    /// Notes about imports (loaded, skipped by `if:`, unresolvable remote ones).
    pub notes: Vec<String>,
    /// Imports that could not be resolved offline (`owner/repo:path@ref`).
    pub unresolved_imports: Vec<String>,
    /// Findings of the config loader, as data, per file: `.travis.yml` (when it has
    /// any), then the config merged with its imports (only when that has error-level
    /// ones). Render them with [`LoadedBuild::render`].
    pub findings: Vec<Findings>,
    /// True when the loader reported an error-level diagnostic or there is no config.
    pub has_errors: bool,
}

/// The findings of one loaded file, with the text their spans point into.
#[derive(Debug, Clone)]
pub struct Findings {
    pub file_name: String,
    pub text: String,
    pub diagnostics: Vec<travis_local_config::Diagnostic>,
}

impl Findings {
    fn of(loaded: &travis_local_config::Loaded) -> Findings {
        Findings {
            file_name: loaded.file_name.clone(),
            text: loaded.text.clone(),
            diagnostics: loaded.diagnostics.clone(),
        }
    }
}

impl LoadedBuild {
    /// The findings at `min` level or above, rendered for people (with the source line
    /// and a caret), separated by blank lines; empty when there are none.
    pub fn render(&self, min: travis_local_config::Level, color: bool) -> String {
        self.findings
            .iter()
            .map(|f| {
                travis_local_config::diag::render_all(
                    f.diagnostics.iter().filter(|d| d.level >= min),
                    &f.text,
                    color,
                )
            })
            .collect()
    }
}

/// Why a build config could not be loaded.
#[derive(Debug, Clone)]
pub enum LoadError {
    /// The file could not be read (message names the path).
    Io(String),
    /// The config is not usable.
    Invalid(String),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(m) | LoadError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for LoadError {}

/// Load `config_file` (relative to `repo_dir` unless absolute) and its imports.
pub fn load_build(
    repo_dir: &Path,
    config_file: &Path,
    facts: &BuildFacts,
) -> Result<LoadedBuild, LoadError> {
    let path = if config_file.is_absolute() {
        config_file.to_path_buf()
    } else {
        repo_dir.join(config_file)
    };
    let loaded = travis_local_config::load_path(&path)
        .map_err(|e| LoadError::Io(format!("cannot read {}: {e}", path.display())))?;
    let mut out = LoadedBuild {
        config: loaded.config.clone().unwrap_or(Value::Null),
        notes: vec![],
        unresolved_imports: vec![],
        findings: if loaded.diagnostics.is_empty() {
            vec![]
        } else {
            vec![Findings::of(&loaded)]
        },
        has_errors: loaded.has_errors() || loaded.config.is_none(),
    };
    let Some(imports) = out.config.get("import").cloned() else {
        return Ok(out);
    };
    let defs = import_defs(&imports);
    if defs.is_empty() {
        return Ok(out);
    }
    // Raw (un-normalised) main document: merging happens before normalisation.
    let Ok(Value::Object(main_raw)) = travis_local_config::yaml_to_json(&loaded.text) else {
        return Ok(out);
    };
    let rel_main = path
        .strip_prefix(repo_dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| config_file.to_path_buf());
    let mut resolver = Resolver {
        repo_dir,
        facts,
        loaded: vec![format!("{}:{}", facts.repo, rel_main.display())],
        parts: vec![],
        notes: vec![],
        unresolved: vec![],
        count: 0,
    };
    let ctx = Ctx {
        repo: facts.repo.clone(),
        dir: rel_main.parent().map(Path::to_path_buf).unwrap_or_default(),
        git_ref: None,
    };
    resolver.walk(&defs, &ctx, 1);
    out.notes.append(&mut resolver.notes);
    out.unresolved_imports = resolver.unresolved.clone();
    if resolver.parts.is_empty() {
        return Ok(out);
    }
    // parts.reverse.inject: fold from the last part towards .travis.yml; the earlier
    // (higher-precedence) part is `lft`, the accumulated rest `rgt`, merged with the mode
    // of the accumulated rest's head part.
    let mut acc: Option<(Value, Mode)> = None;
    for (value, mode) in resolver.parts.into_iter().rev() {
        acc = Some(match acc {
            None => (value, mode),
            Some((rest, rest_mode)) => (merge(value, rest, rest_mode), mode),
        });
    }
    let Some((imported, mode)) = acc else {
        return Ok(out);
    };
    let mut merged = merge(Value::Object(main_raw), imported, mode);
    if let Value::Object(m) = &mut merged {
        m.shift_remove("import");
        m.shift_remove("merge_mode");
    }
    let text = serde_json::to_string_pretty(&merged).unwrap_or_default();
    let name = format!("{} (merged with imports)", path.display());
    let merged_loaded = travis_local_config::load_str(&name, &text);
    match merged_loaded.config.clone() {
        Some(c) => out.config = c,
        None => {
            out.has_errors = true;
            out.notes
                .push("the config merged with its imports is not a mapping".into());
        }
    }
    if merged_loaded
        .diagnostics
        .iter()
        .any(|d| d.level.is_failure())
    {
        out.has_errors = true;
        out.findings.push(Findings::of(&merged_loaded));
    }
    Ok(out)
}

/// How an imported part is merged into the config that imports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Replace,
    Merge,
    DeepMerge,
    DeepMergeAppend,
    DeepMergePrepend,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        Some(match s.replace('-', "_").as_str() {
            "replace" => Mode::Replace,
            "merge" => Mode::Merge,
            "deep_merge" => Mode::DeepMerge,
            "deep_merge_append" => Mode::DeepMergeAppend,
            "deep_merge_prepend" => Mode::DeepMergePrepend,
            _ => return None,
        })
    }
}

/// Merge `rgt` (lower precedence, the imported part) into `lft` (higher precedence).
pub fn merge(lft: Value, rgt: Value, mode: Mode) -> Value {
    let (Value::Object(mut l), Value::Object(r)) = (lft.clone(), rgt) else {
        return lft;
    };
    match mode {
        Mode::Replace => Value::Object(l),
        Mode::Merge => {
            for (k, v) in r {
                if !l.contains_key(&k) {
                    l.insert(k, v);
                }
            }
            Value::Object(l)
        }
        Mode::DeepMerge | Mode::DeepMergeAppend | Mode::DeepMergePrepend => {
            for (k, rv) in r {
                let new = match l.get(&k) {
                    None => rv,
                    Some(lv) => match (lv, &rv) {
                        (Value::Object(_), Value::Object(_)) => merge(lv.clone(), rv, mode),
                        (Value::Array(la), Value::Array(ra)) => match mode {
                            Mode::DeepMergeAppend => {
                                Value::Array(ra.iter().chain(la.iter()).cloned().collect())
                            }
                            Mode::DeepMergePrepend => {
                                Value::Array(la.iter().chain(ra.iter()).cloned().collect())
                            }
                            _ => lv.clone(),
                        },
                        _ => lv.clone(),
                    },
                };
                l.insert(k, new);
            }
            Value::Object(l)
        }
    }
}

/// Import definitions: `import: a.yml`, `[a.yml, {source: b.yml, mode: merge, if: ...}]`.
fn import_defs(v: &Value) -> Vec<Map<String, Value>> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => vec![],
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|i| match i {
            Value::String(s) => {
                let mut m = Map::new();
                m.insert("source".into(), Value::String(s.clone()));
                Some(m)
            }
            Value::Object(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Where relative imports resolve: a repository, a directory in it, and a ref
/// (None = this build's working tree).
#[derive(Debug, Clone)]
struct Ctx {
    repo: String,
    dir: PathBuf,
    git_ref: Option<String>,
}

struct Resolver<'a> {
    repo_dir: &'a Path,
    facts: &'a BuildFacts,
    loaded: Vec<String>,
    parts: Vec<(Value, Mode)>,
    notes: Vec<String>,
    unresolved: Vec<String>,
    count: usize,
}

/// A parsed import reference.
#[derive(Debug, PartialEq)]
struct Ref {
    repo: Option<String>,
    path: String,
    git_ref: Option<String>,
}

fn parse_ref(s: &str) -> Option<Ref> {
    let s = s.trim();
    // Remote: owner/repo:path.yml[@ref]
    if let Some((repo, rest)) = s.split_once(':') {
        let mut segs = repo.split('/');
        let ok = matches!((segs.next(), segs.next(), segs.next()), (Some(a), Some(b), None) if !a.is_empty() && !b.is_empty());
        if ok {
            let (path, r) = split_yml(rest, true)?;
            return Some(Ref {
                repo: Some(repo.to_string()),
                path,
                git_ref: r,
            });
        }
    }
    let (path, r) = split_yml(s, false)?;
    Some(Ref {
        repo: None,
        path,
        git_ref: r,
    })
}

/// An import reference resolved to (repository, path from its root, ref): a local
/// `./rel.yml` is relative to the importing file's directory and inherits its ref.
fn locate(r: &Ref, ctx: &Ctx) -> (String, String, Option<String>) {
    match &r.repo {
        Some(repo) => (
            repo.clone(),
            r.path.trim_start_matches('/').to_string(),
            r.git_ref.clone(),
        ),
        None => {
            let p = if let Some(rel) = r.path.strip_prefix("./") {
                normalize(&ctx.dir.join(rel))
            } else {
                r.path.trim_start_matches('/').to_string()
            };
            (
                ctx.repo.clone(),
                p,
                r.git_ref.clone().or_else(|| ctx.git_ref.clone()),
            )
        }
    }
}

/// Split `path.yml[@ref]`; the path must contain `.yml` followed by `@` or the end.
fn split_yml(s: &str, remote: bool) -> Option<(String, Option<String>)> {
    let idx = if remote {
        s.find(".yml")?
    } else {
        s.rfind(".yml")?
    };
    let after = &s[idx + 4..];
    let path = s[..idx + 4].to_string();
    if path.len() <= 4 {
        return None;
    }
    if after.is_empty() {
        return Some((path, None));
    }
    let r = after.strip_prefix('@')?;
    if r.is_empty() || (!remote && r.contains('@')) {
        return None;
    }
    Some((path, Some(r.to_string())))
}

impl Resolver<'_> {
    /// The imports `defs` (of a part read from `ctx`), in order, each followed by its own
    /// imports (depth-first, at most 10 levels); what is skipped is said in the notes.
    fn walk(&mut self, defs: &[Map<String, Value>], ctx: &Ctx, depth: usize) {
        for def in defs {
            let Some(source) = def
                .get("source")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                self.notes
                    .push("an import without `source` was ignored".into());
                continue;
            };
            let Some(mode) = self.admitted(def, &source) else {
                continue;
            };
            let Some(r) = parse_ref(&source) else {
                self.notes.push(format!("import `{source}` ignored: invalid reference (expected `path.yml`, `path.yml@ref` or `owner/repo:path.yml@ref`)"));
                continue;
            };
            let (repo, path, git_ref) = locate(&r, ctx);
            let key = format!("{repo}:{path}@{}", git_ref.as_deref().unwrap_or(""));
            if self.loaded.contains(&key) {
                continue; // loaded once; cycles are skipped
            }
            self.count += 1;
            if self.count > MAX_IMPORTS {
                self.notes.push(format!(
                    "import `{source}` ignored: more than {MAX_IMPORTS} imports"
                ));
                continue;
            }
            self.loaded.push(key);
            let Some((shown, raw)) = self.fetch(&repo, &path, git_ref.as_deref()) else {
                continue;
            };
            self.notes
                .push(format!("imported `{shown}` ({})", mode_name(mode)));
            let nested = raw.get("import").map(import_defs).unwrap_or_default();
            let mut part = raw;
            part.shift_remove("import");
            self.parts.push((Value::Object(part), mode));
            if !nested.is_empty() && depth < 10 {
                let sub = Ctx {
                    repo: repo.clone(),
                    dir: Path::new(&path)
                        .parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_default(),
                    git_ref: git_ref.clone(),
                };
                self.walk(&nested, &sub, depth + 1);
            }
        }
    }

    /// The merge mode of an import whose `if:` holds; None (with a note) when the
    /// condition is false or fails, or the mode is unknown.
    fn admitted(&mut self, def: &Map<String, Value>, source: &str) -> Option<Mode> {
        if let Some(cond) = def.get("if").and_then(|c| {
            c.as_str()
                .map(str::to_string)
                .or_else(|| c.as_bool().map(|b| b.to_string()))
        }) {
            let facts = self.facts.condition_facts();
            match travis_local_condition::evaluate_str(&cond, &facts) {
                Ok(true) => {}
                Ok(false) => {
                    self.notes
                        .push(format!("import `{source}` skipped: `if: {cond}` is false"));
                    return None;
                }
                Err(e) => {
                    self.notes.push(format!(
                        "import `{source}` skipped: `if: {cond}` failed ({}), which counts as false",
                        e.message()
                    ));
                    return None;
                }
            }
        }
        match def.get("mode").and_then(Value::as_str) {
            None => Some(Mode::DeepMergeAppend),
            Some(m) => {
                let mode = Mode::parse(m);
                if mode.is_none() {
                    self.notes.push(format!(
                        "import `{source}` ignored: unknown merge mode `{m}`"
                    ));
                }
                mode
            }
        }
    }

    /// An import's text as a raw mapping, with the reference shown in notes; None (with
    /// a note) when it is in another repository, cannot be read, or is not a mapping.
    fn fetch(
        &mut self,
        repo: &str,
        path: &str,
        git_ref: Option<&str>,
    ) -> Option<(String, Map<String, Value>)> {
        let same_repo = repo.eq_ignore_ascii_case(&self.facts.repo);
        // Imports from this repository use the commit being built; other repositories
        // default to their default branch, which we cannot know offline (assume master).
        let default_ref = if same_repo {
            self.facts.branch.as_str()
        } else {
            "master"
        };
        let shown = format!("{repo}:{path}@{}", git_ref.unwrap_or(default_ref));
        if !same_repo {
            self.unresolved.push(shown.clone());
            self.notes.push(format!(
                "import `{shown}` cannot be resolved offline: it is in another repository ({repo}, not this build's {}), which travis-local does not fetch; the keys it would add are missing from this build (pass --repo {repo} if this is the same repository)",
                self.facts.repo
            ));
            return None;
        }
        let text = match self.read(path, git_ref) {
            Ok(t) => t,
            Err(e) => {
                self.unresolved.push(shown.clone());
                self.notes
                    .push(format!("import `{shown}` cannot be resolved: {e}"));
                return None;
            }
        };
        let note = match travis_local_config::yaml_to_json(&text) {
            Ok(Value::Object(m)) => return Some((shown, m)),
            Ok(Value::Null) => format!("import `{shown}` is empty"),
            Ok(_) => format!("import `{shown}` ignored: it is not a mapping"),
            Err(e) => format!("import `{shown}` ignored: invalid YAML: {e}"),
        };
        self.notes.push(note);
        None
    }

    fn read(&self, path: &str, git_ref: Option<&str>) -> Result<String, String> {
        if path.split('/').any(|s| s == "..") {
            return Err(format!("`{path}` leaves the repository"));
        }
        let current = git_ref.is_none() || git_ref == Some(self.facts.branch.as_str());
        if current {
            let full = self.repo_dir.join(path);
            return std::fs::read_to_string(&full)
                .map_err(|e| format!("cannot read {}: {e}", full.display()));
        }
        let r = git_ref.unwrap_or_default();
        let out = Command::new("git")
            .arg("-C")
            .arg(self.repo_dir)
            .arg("show")
            .arg(format!("{r}:{path}"))
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`{path}` not found at ref `{r}` in the local git repository"
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Replace => "replace",
        Mode::Merge => "merge",
        Mode::DeepMerge => "deep_merge",
        Mode::DeepMergeAppend => "deep_merge_append",
        Mode::DeepMergePrepend => "deep_merge_prepend",
    }
}

/// Normalise `a/./b/../c` to `a/c` (never above the root).
fn normalize(p: &Path) -> String {
    let mut out: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::Normal(s) => out.push(s.to_string_lossy().into_owned()),
            std::path::Component::ParentDir if out.pop().is_none() => out.push("..".into()),
            _ => {}
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs() {
        assert_eq!(
            parse_ref("a.yml"),
            Some(Ref {
                repo: None,
                path: "a.yml".into(),
                git_ref: None
            })
        );
        assert_eq!(
            parse_ref("dir/a.yml@v1"),
            Some(Ref {
                repo: None,
                path: "dir/a.yml".into(),
                git_ref: Some("v1".into())
            })
        );
        assert_eq!(
            parse_ref("o/r:ci/a.yml@main"),
            Some(Ref {
                repo: Some("o/r".into()),
                path: "ci/a.yml".into(),
                git_ref: Some("main".into())
            })
        );
        assert_eq!(parse_ref("nope.txt"), None);
    }

    #[test]
    fn merge_modes_like_travis_yml() {
        let lft = json!({"addons": {"apt": ["cmake"]}, "script": "x"});
        let rgt =
            json!({"addons": {"apt": ["curl"], "chrome": "stable"}, "script": "y", "os": "linux"});
        assert_eq!(
            merge(lft.clone(), rgt.clone(), Mode::DeepMergeAppend),
            json!({"addons": {"apt": ["curl", "cmake"], "chrome": "stable"}, "script": "x", "os": "linux"})
        );
        assert_eq!(
            merge(lft.clone(), rgt.clone(), Mode::DeepMergePrepend)["addons"]["apt"],
            json!(["cmake", "curl"])
        );
        assert_eq!(
            merge(lft.clone(), rgt.clone(), Mode::DeepMerge)["addons"]["apt"],
            json!(["cmake"])
        );
        assert_eq!(
            merge(lft.clone(), rgt.clone(), Mode::Merge)["addons"],
            json!({"apt": ["cmake"]})
        );
        assert_eq!(merge(lft.clone(), rgt, Mode::Replace), lft);
    }

    #[test]
    fn paths() {
        assert_eq!(normalize(Path::new("ci/./x/../a.yml")), "ci/a.yml");
    }
}
