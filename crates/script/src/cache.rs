//! `cache:`: which directories a job caches, under which key, and the script steps that
//! restore and store them, in travis-build's order (`setup_casher` → fold `cache.1`,
//! `setup_cache` → `cache.pip`, `cache.npm`, …, and after `before_cache` the `cache`
//! phase → fold `cache.2`), with casher's messages.
//!
//! The key follows travis-build (`Script#cache_slug`, `DirectoryCache::Base#fetch_urls`):
//! repository, branch (`PR.<n>` for a pull request), and the slug
//! `cache-<os>-<dist>[-<osx_image>]-<sha256 of the job's plain env>--<lang>-<version>`.
//! A job reads its own key first, then (pull request) its target branch's, then the
//! default branch's; it writes only its own. Secure env entries are left out of the
//! hash as on Travis, so no secret can reach a key. The store itself is the executor's
//! (a named volume, or a directory under the XDG cache dir), handed to the script as
//! `TRAVIS_LOCAL_CACHE_DIR` (`push`, `fetch.1`, `fetch.2`).

use crate::quote::sq;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use travis_local_matrix::{BuildFacts, Event};

/// Knobs of the cache steps (part of [`crate::CompileOptions`]).
#[derive(Debug, Clone, Default)]
pub struct CacheOptions {
    /// The repository's default branch (Travis's fallback); `master` when unknown.
    pub default_branch: Option<String>,
    /// What makes this repository distinct from another with the same slug (the origin
    /// URL, else the repository's path); hashed into the store's name only.
    pub repo_identity: Option<String>,
}

fn git(dir: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CacheOptions {
    /// The repository's default branch (`origin/HEAD`, else `master` or `main`, whichever
    /// exists, else `master`) and identity (a hash of the origin URL, else of the
    /// canonical path: two checkouts of one GitHub repository share caches, two
    /// unrelated repositories never do; the URL itself, which may hold credentials, is
    /// never stored).
    pub fn for_repo(repo: &std::path::Path) -> Self {
        let default_branch = git(
            repo,
            &["symbolic-ref", "--short", "refs/remotes/origin/HEAD"],
        )
        .map(|b| b.trim_start_matches("origin/").to_string())
        .or_else(|| {
            ["master", "main"].into_iter().find_map(|b| {
                git(
                    repo,
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("refs/heads/{b}"),
                    ],
                )
                .map(|_| b.to_string())
            })
        });
        let identity = match git(repo, &["config", "--get", "remote.origin.url"]) {
            Some(url) => format!("origin:{}", url.trim_end_matches(".git")),
            None => format!(
                "path:{}",
                repo.canonicalize()
                    .unwrap_or_else(|_| repo.to_path_buf())
                    .display()
            ),
        };
        CacheOptions {
            default_branch,
            repo_identity: Some(sha256_hex(&identity)),
        }
    }
}

/// One cache: repository, branch (or `PR.<n>`) and slug.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CacheKey {
    /// `OWNER/REPO`.
    pub repo: String,
    /// Branch, or `PR.<n>` for a pull request's own cache.
    pub branch: String,
    /// Travis's cache slug (no secret: the env is hashed, secure entries left out).
    pub slug: String,
    /// The repository identity (origin URL or path); part of the id, never shown.
    #[serde(default)]
    pub identity: String,
}

impl CacheKey {
    /// The store's name: `travis-local-cache-<20 hex>` of (identity, repo, branch, slug).
    /// Valid as a Docker volume name and a directory name.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        for part in [&self.identity, &self.repo, &self.branch, &self.slug] {
            h.update(part.as_bytes());
            h.update([0u8]);
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        format!("{ID_PREFIX}{}", &hex[..20])
    }

    /// `branch/slug`, as casher names the archive (without `.tgz`).
    pub fn display(&self) -> String {
        format!("{}/{}", self.branch, self.slug)
    }
}

/// Prefix of every cache store name (volume or directory).
pub const ID_PREFIX: &str = "travis-local-cache-";

/// The caches a job uses: its own (`push`, read first and written) and the fallbacks
/// it may read, in Travis's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSpec {
    pub push: CacheKey,
    pub fetch: Vec<CacheKey>,
}

/// `cache:` as travis-build's `Data#cache` reads it: a map of kind → value.
fn cache_map(config: &Value) -> Map<String, Value> {
    fn add(v: &Value, out: &mut Map<String, Value>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Array(a) => a.iter().for_each(|x| add(x, out)),
            Value::String(s) => {
                out.insert(s.trim().to_string(), Value::Bool(true));
            }
            Value::Bool(false) => {
                for k in ["bundler", "cocoapods", "composer", "ccache", "pip", "npm"] {
                    out.insert(k.into(), Value::Bool(false));
                }
            }
            _ => {}
        }
    }
    let mut out = Map::new();
    if let Some(v) = config.get("cache") {
        add(v, &mut out);
    }
    out
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::String(s) => !s.is_empty() && s != "false",
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

/// `data.cache?(kind)`, with travis-build's defaults (npm on, the others off).
fn on(map: &Map<String, Value>, kind: &str) -> bool {
    match map.get(kind) {
        Some(v) => truthy(v),
        None => kind == "npm",
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn first(config: &Value, key: &str) -> Option<String> {
    match config.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.first().and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        _ => None,
    }
}

fn raw_language(config: &Value) -> String {
    config
        .get("language")
        .and_then(Value::as_str)
        .unwrap_or("ruby")
        .to_ascii_lowercase()
}

/// A language-specific cache Travis sets up in `setup_cache`: its fold, the bash that
/// adds its directories, and (for `bundler`) what `prepare_cache` runs before the store.
struct Kind {
    fold: &'static str,
    lines: Vec<String>,
}

/// What the job's config asks for, as travis-build's language classes read it.
struct Wanted {
    directories: Vec<String>,
    kinds: Vec<Kind>,
    notes: Vec<String>,
    bundle_clean: bool,
    timeout: Option<String>,
}

fn wanted(config: &Value, lang: &str) -> Wanted {
    let map = cache_map(config);
    let raw = raw_language(config);
    let mut w = Wanted {
        directories: if on(&map, "directories") {
            strings(map.get("directories"))
        } else {
            Vec::new()
        },
        kinds: Vec::new(),
        notes: Vec::new(),
        bundle_clean: false,
        timeout: match map.get("timeout") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                Some(s.clone())
            }
            _ => None,
        },
    };
    language_kinds(&mut w, &map, lang, &raw);
    if on(&map, "cocoapods") {
        w.notes.push(
            "cache.cocoapods applies to objective-c jobs on macOS; it is not emulated on linux"
                .into(),
        );
    }
    ineffective_kinds(&mut w, &map, lang, &raw);
    w
}

/// The cache kinds of the job's language (`pip`, `npm`/`yarn`, `bundler`, `cargo`,
/// `ccache`, R `packages`), as travis-build's language classes set them up.
fn language_kinds(w: &mut Wanted, map: &Map<String, Value>, lang: &str, raw: &str) {
    let add = |dirs: &[&str]| {
        format!(
            "travis_cache_add {}",
            dirs.iter().map(|d| sq(d)).collect::<Vec<_>>().join(" ")
        )
    };
    match lang {
        "python" if on(map, "pip") => w.kinds.push(Kind {
            fold: "cache.pip",
            lines: vec![add(&["${TRAVIS_HOME}/.cache/pip"])],
        }),
        "node_js" => {
            if on(map, "yarn") {
                w.kinds.push(Kind {
                    fold: "cache.yarn",
                    lines: vec![
                        "if command -v yarn >/dev/null 2>&1; then".into(),
                        "  __tl_yarn_cache=\"$(dirname \"$(yarn cache dir)\")\"".into(),
                        "  travis_cache_add \"${__tl_yarn_cache}\"".into(),
                        "else".into(),
                        "  echo -e \"${ANSI_YELLOW}travis-local: yarn is not installed in this image; cache.yarn is skipped${ANSI_RESET}\"".into(),
                        "fi".into(),
                    ],
                });
            }
            if on(map, "npm") {
                w.kinds.push(Kind {
                    fold: "cache.npm",
                    lines: vec![
                        "if [[ -f package-lock.json || -f npm-shrinkwrap.json ]]; then".into(),
                        format!("  {}", add(&["$HOME/.npm"])),
                        "else".into(),
                        format!("  {}", add(&["node_modules"])),
                        "fi".into(),
                    ],
                });
            }
        }
        "ruby" if raw != "r" && on(map, "bundler") => {
            w.bundle_clean = true;
            w.kinds.push(Kind {
                fold: "cache.bundler",
                lines: vec![
                    "if [[ -f ${BUNDLE_GEMFILE:-Gemfile} ]]; then".into(),
                    format!("  {}", add(&["${BUNDLE_PATH:-${TRAVIS_BUILD_DIR}/vendor/bundle}"])),
                    "else".into(),
                    "  echo -e \"${ANSI_YELLOW}bundler caching is configured but a Gemfile is not found. Caching may not work.${ANSI_RESET}\"".into(),
                    "fi".into(),
                ],
            });
        }
        "rust" if on(map, "cargo") => w.kinds.push(Kind {
            fold: "cache.cargo",
            lines: vec![add(&[
                "${TRAVIS_HOME}/.cargo",
                "target",
                "${TRAVIS_HOME}/.rustup",
                "${TRAVIS_HOME}/.cache/sccache",
            ])],
        }),
        "c" | "cpp" if on(map, "ccache") => w.kinds.push(Kind {
            fold: "cache.ccache",
            lines: vec![
                "export PATH=\"/usr/lib/ccache:${PATH}\"".into(),
                add(&["~/.ccache"]),
            ],
        }),
        _ => {}
    }
    if raw == "r" && on(map, "packages") {
        w.kinds.push(Kind {
            fold: "package cache",
            lines: vec![
                "echo -e \"${ANSI_YELLOW}Setting up package cache${ANSI_RESET}\"".into(),
                add(&["$R_LIBS_USER"]),
            ],
        });
    }
}

/// A note for each kind that is on but does nothing for this language.
fn ineffective_kinds(w: &mut Wanted, map: &Map<String, Value>, lang: &str, raw: &str) {
    for kind in [
        "pip", "yarn", "bundler", "cargo", "ccache", "packages", "composer",
    ] {
        if map.get(kind).is_some_and(truthy) && !w.kinds.iter().any(|k| k.fold.ends_with(kind)) {
            let applies = matches!(
                (kind, lang),
                ("pip", "python")
                    | ("yarn", "node_js")
                    | ("cargo", "rust")
                    | ("ccache", "c" | "cpp")
            ) || (kind == "bundler" && lang == "ruby")
                || (kind == "packages" && raw == "r");
            if !applies {
                w.notes.push(format!(
                    "cache.{kind} has no effect for language {raw} (as on Travis, where only the matching language sets it up)"
                ));
            }
        }
    }
}

/// The job's plain env entries as `NAME=value` (secure entries left out, as
/// travis-build drops `SECURE ` entries from the slug).
fn plain_env(config: &Value) -> Vec<String> {
    fn push(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    match val {
                        Value::String(s) if k != "secure" => out.push(format!("{k}={s}")),
                        Value::Number(n) => out.push(format!("{k}={n}")),
                        Value::Bool(b) => out.push(format!("{k}={b}")),
                        Value::Null => out.push(format!("{k}=")),
                        _ => {}
                    }
                }
            }
            Value::String(s) => {
                for (n, val) in crate::split_env_string(s) {
                    out.push(format!("{n}={val}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|x| push(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match config.get("env") {
        Some(Value::Object(m))
            if m.contains_key("global") || m.contains_key("jobs") || m.contains_key("matrix") =>
        {
            for key in ["jobs", "matrix"] {
                if let Some(v) = m.get(key) {
                    push(v, &mut out);
                }
            }
        }
        Some(v) => push(v, &mut out),
        None => {}
    }
    out
}

/// Travis's cache slug of a job (`Script#cache_slug` and the language overrides).
pub fn slug(config: &Value) -> String {
    let lang = crate::lang::normalize(config.get("language").and_then(Value::as_str));
    let raw = raw_language(config);
    let mut env = plain_env(config);
    env.sort();
    let digest: String = Sha256::digest(env.join("=").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut parts = vec!["cache".to_string()];
    parts.push(first(config, "os").unwrap_or_else(|| "linux".into()));
    if let Some(d) = first(config, "dist") {
        parts.push(d);
    }
    if let Some(i) = first(config, "osx_image") {
        parts.push(i);
    }
    parts.push(digest);
    let mut s = parts.join("-");
    let version = |key: &str, default: &str| first(config, key).unwrap_or_else(|| default.into());
    let suffix = match (lang, raw.as_str()) {
        (_, "r") => format!("--R-{}", version("r", "release")),
        ("python", _) => format!("--python-{}", version("python", "3.6")),
        ("node_js", _) => format!("--node-{}", version("node_js", "16")),
        ("rust", _) => format!("--cargo-{}", version("rust", "stable")),
        ("go", _) => format!("--go-{}", version("go", "1.11.x")),
        ("php", _) => format!("--php-{}", version("php", "7.2")),
        ("perl", _) => format!("--perl-{}", version("perl", "5.14")),
        ("c", _) => format!("--compiler-{}", version("compiler", "gcc")),
        ("cpp", _) => format!(
            "--compiler-{}",
            version("compiler", "g++").replace('+', "p")
        ),
        ("scala", _) => format!("--scala-{}", version("scala", "2.12.8")),
        ("ruby", _) => {
            let rvm = first(config, "rvm").or_else(|| first(config, "ruby"));
            let gemfile = first(config, "gemfile").unwrap_or_default();
            let mut t = String::new();
            if let Some(r) = rvm {
                t.push_str(&format!("--rvm-{r}"));
            }
            t.push_str(&format!("--gemfile-{gemfile}"));
            t
        }
        _ => String::new(),
    };
    s.push_str(&suffix);
    if lang == "jvm" || lang == "scala" {
        if let Some(j) = first(config, "jdk") {
            s.push_str(&format!("--jdk-{j}"));
        }
    }
    // Only what a Docker label and a log line can hold: the slug is made of config
    // scalars; anything else becomes `_`.
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether the job uses the directory cache at all (`use_directory_cache?`).
pub fn enabled(config: &Value) -> bool {
    let lang = crate::lang::normalize(config.get("language").and_then(Value::as_str));
    let w = wanted(config, lang);
    !w.directories.is_empty() || !w.kinds.is_empty()
}

/// The keys a job reads and writes, or None when it caches nothing.
pub fn spec(config: &Value, facts: &BuildFacts, opts: &CacheOptions) -> Option<CacheSpec> {
    if !enabled(config) {
        return None;
    }
    let slug = slug(config);
    let identity = opts.repo_identity.clone().unwrap_or_default();
    let key = |branch: &str| CacheKey {
        repo: facts.repo.clone(),
        branch: branch.to_string(),
        slug: slug.clone(),
        identity: identity.clone(),
    };
    let default_branch = opts
        .default_branch
        .clone()
        .unwrap_or_else(|| "master".into());
    let (push, mut fetch) = match (facts.event == Event::PullRequest, facts.pull_request) {
        (true, Some(n)) => (key(&format!("PR.{n}")), vec![key(&facts.branch)]),
        _ => (key(&facts.branch), Vec::new()),
    };
    if facts.branch != default_branch {
        fetch.push(key(&default_branch));
    }
    fetch.retain(|k| k != &push);
    fetch.dedup();
    Some(CacheSpec { push, fetch })
}

/// The bash of Travis's `setup_casher` and `setup_cache` phases (folds `cache.1`,
/// `cache.<kind>`), or nothing when the job caches nothing. Notices go to `notes`.
pub(crate) fn setup_lines(
    config: &Value,
    lang: &str,
    facts: &BuildFacts,
    opts: &CacheOptions,
    notes: &mut Vec<String>,
) -> Vec<String> {
    let w = wanted(config, lang);
    notes.extend(w.notes.iter().cloned());
    let Some(spec) = spec(config, facts, opts) else {
        return Vec::new();
    };
    let mut out = vec![include_str!("cache.bash").trim_end().to_string()];
    out.push("travis_fold start cache.1".into());
    out.push("echo 'Setting up build cache'".into());
    if let Some(t) = &w.timeout {
        out.push(format!("export CASHER_TIME_OUT={t}"));
    }
    let mut fetch = format!("travis_cache_fetch push {}", sq(&spec.push.display()));
    for (i, k) in spec.fetch.iter().enumerate() {
        fetch.push_str(&format!(" fetch.{} {}", i + 1, sq(&k.display())));
    }
    out.push(fetch);
    if !w.directories.is_empty() {
        out.push(format!(
            "travis_cache_add {}",
            w.directories
                .iter()
                .map(|d| sq(d))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    out.push("travis_fold end cache.1".into());
    for k in &w.kinds {
        out.push(format!("travis_fold start {}", fold_word(k.fold)));
        out.extend(k.lines.iter().cloned());
        out.push(format!("travis_fold end {}", fold_word(k.fold)));
    }
    out.push(String::new());
    out
}

fn fold_word(f: &str) -> String {
    if f.contains(' ') {
        sq(f)
    } else {
        f.to_string()
    }
}

/// The body of `travis_run_cache` (Travis's `cache` phase, fold `cache.2`): what
/// `prepare_cache` runs, then the store. Empty when the job caches nothing.
pub(crate) fn store_lines(
    config: &Value,
    lang: &str,
    facts: &BuildFacts,
    opts: &CacheOptions,
) -> Vec<String> {
    let Some(spec) = spec(config, facts, opts) else {
        return Vec::new();
    };
    let w = wanted(config, lang);
    let mut out = vec![
        "travis_fold start cache.2".to_string(),
        "echo 'store build cache'".to_string(),
    ];
    if w.bundle_clean {
        out.push("if [[ -n \"${__tl_cache_dirs[*]}\" ]] && command -v bundle >/dev/null 2>&1; then bundle clean; fi".into());
    }
    out.push(format!("travis_cache_push {}", sq(&spec.push.display())));
    out.push("travis_fold end cache.2".into());
    out
}

/// travis-build's builtin `before_cache` where a language has one (rust: drop the
/// registry sources), used when the config has no `before_cache`.
pub(crate) fn default_before_cache(config: &Value, lang: &str) -> Option<String> {
    (lang == "rust" && enabled(config)).then(|| "rm -rf \"$HOME/.cargo/registry/src\"".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn facts(branch: &str) -> BuildFacts {
        BuildFacts::push("o/r", branch)
    }

    #[test]
    fn slug_follows_travis_build() {
        let c = json!({"language": "python", "python": "3.11", "os": "linux", "dist": "focal",
                       "env": [{"B": "2"}, {"A": "1"}], "cache": "pip"});
        let s = slug(&c);
        let digest: String = Sha256::digest(b"A=1=B=2")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(s, format!("cache-linux-focal-{digest}--python-3.11"));
        // Env order does not matter; values do.
        let c2 = json!({"language": "python", "python": "3.11", "os": "linux", "dist": "focal",
                        "env": [{"A": "1"}, {"B": "2"}]});
        assert_eq!(slug(&c2), s);
        let c3 = json!({"language": "python", "python": "3.11", "os": "linux", "dist": "focal",
                        "env": [{"A": "1"}, {"B": "3"}]});
        assert_ne!(slug(&c3), s);
        // Global env is not part of the slug (travis-build hashes config[:env] only).
        let c4 = json!({"language": "python", "python": "3.11", "os": "linux", "dist": "focal",
                        "env": {"global": [{"G": "x"}], "jobs": [{"A": "1"}, {"B": "2"}]}});
        assert_eq!(slug(&c4), s);
        let cpp = json!({"language": "cpp", "compiler": "clang++"});
        assert!(slug(&cpp).ends_with("--compiler-clangpp"), "{}", slug(&cpp));
        let rust = json!({"language": "rust"});
        assert!(slug(&rust).ends_with("--cargo-stable"));
        let generic = json!({"language": "minimal", "os": "linux"});
        assert!(slug(&generic).starts_with("cache-linux-"));
    }

    #[test]
    fn secure_env_never_reaches_the_slug() {
        let c = json!({"language": "generic", "env": [{"secure": "c2VjcmV0"}, {"A": "hunter22"}]});
        let without = json!({"language": "generic", "env": [{"A": "hunter22"}]});
        assert_eq!(slug(&c), slug(&without));
        assert!(!slug(&c).contains("hunter22"));
        assert!(!slug(&c).contains("c2VjcmV0"));
    }

    #[test]
    fn keys_fall_back_to_the_default_branch_only() {
        let c = json!({"language": "generic", "cache": {"directories": ["$HOME/.x"]}});
        let o = CacheOptions {
            default_branch: Some("main".into()),
            repo_identity: Some("https://github.com/o/r.git".into()),
        };
        let s = spec(&c, &facts("feature"), &o).unwrap();
        assert_eq!(s.push.branch, "feature");
        assert_eq!(
            s.fetch
                .iter()
                .map(|k| k.branch.as_str())
                .collect::<Vec<_>>(),
            ["main"]
        );
        let s = spec(&c, &facts("main"), &o).unwrap();
        assert!(s.fetch.is_empty());
        let pr = BuildFacts::pull_request("o/r", "dev", 7);
        let s = spec(&c, &pr, &o).unwrap();
        assert_eq!(s.push.branch, "PR.7");
        assert_eq!(
            s.fetch
                .iter()
                .map(|k| k.branch.as_str())
                .collect::<Vec<_>>(),
            ["dev", "main"]
        );
    }

    #[test]
    fn ids_differ_by_repository_branch_and_slug() {
        let k = CacheKey {
            repo: "o/r".into(),
            branch: "master".into(),
            slug: "cache-linux-x".into(),
            identity: "https://github.com/o/r.git".into(),
        };
        let id = k.id();
        assert!(id.starts_with(ID_PREFIX) && id.len() == ID_PREFIX.len() + 20);
        for other in [
            CacheKey {
                identity: "/tmp/other".into(),
                ..k.clone()
            },
            CacheKey {
                repo: "o/s".into(),
                ..k.clone()
            },
            CacheKey {
                branch: "dev".into(),
                ..k.clone()
            },
            CacheKey {
                slug: "cache-linux-y".into(),
                ..k.clone()
            },
        ] {
            assert_ne!(other.id(), id);
        }
        assert_eq!(k.clone().id(), id);
    }

    #[test]
    fn what_is_cached() {
        assert!(!enabled(&json!({"language": "python"})));
        assert!(enabled(&json!({"language": "python", "cache": "pip"})));
        assert!(enabled(
            &json!({"language": "python", "cache": {"pip": true}})
        ));
        assert!(!enabled(&json!({"language": "generic", "cache": "pip"})));
        // npm is cached by default for node_js, unless `cache: false` or `npm: false`.
        assert!(enabled(&json!({"language": "node_js"})));
        assert!(!enabled(&json!({"language": "node_js", "cache": false})));
        assert!(!enabled(
            &json!({"language": "node_js", "cache": {"npm": false}})
        ));
        assert!(enabled(
            &json!({"language": "generic", "cache": {"directories": ["a"]}})
        ));
        assert!(!enabled(
            &json!({"language": "generic", "cache": {"directories": []}})
        ));
        assert!(enabled(&json!({"language": "rust", "cache": "cargo"})));
        assert!(enabled(&json!({"language": "cpp", "cache": "ccache"})));
        assert!(enabled(&json!({"language": "ruby", "cache": "bundler"})));
        assert!(enabled(&json!({"language": "r", "cache": "packages"})));
        assert!(!enabled(&json!({"language": "r"})));
    }
}
