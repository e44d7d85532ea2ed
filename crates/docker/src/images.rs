//! Which image a job runs in, and making sure it is present (pull policy).
//!
//! Resolution, first match wins: `--image`; `.travis-local/config.yml` `images:`
//! (language + version, language, dist, default); the built-in table per language and
//! version. Nothing is pulled implicitly when the policy is `never`; a missing image
//! that cannot be pulled is an environment error naming the image and how to provide it.

use crate::engine::{api_message, env_err, is_not_found};
use bollard::query_parameters::CreateImageOptionsBuilder;
use bollard::Docker;
use futures_util::StreamExt;
use serde_json::Value;
use travis_local_runner::executor::ExecError;

/// `--pull`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Pull only when the image is not present locally.
    #[default]
    Missing,
    /// Always try to pull (fails when no registry is reachable).
    Always,
    /// Never pull; a missing image is an error.
    Never,
}

/// Where a resolved image came from (shown in messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag,
    Config(String),
    BuiltIn,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Flag => f.write_str("--image"),
            Source::Config(key) => write!(f, "config images.{key}"),
            Source::BuiltIn => f.write_str("built-in default"),
        }
    }
}

/// The language of a job config (Travis's default is ruby).
pub fn language(job: &Value) -> String {
    job.get("language")
        .and_then(Value::as_str)
        .unwrap_or("ruby")
        .trim()
        .to_ascii_lowercase()
}

/// The config key holding the version list of a language.
fn version_key(language: &str) -> Option<&'static str> {
    Some(match language {
        "python" => "python",
        "node_js" => "node_js",
        "ruby" => "rvm",
        "go" => "go",
        "java" | "jvm" | "scala" | "groovy" | "clojure" | "kotlin" => "jdk",
        "rust" => "rust",
        "php" => "php",
        _ => return None,
    })
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.first().and_then(scalar_string),
        _ => None,
    }
}

/// The job's language version as written (`3.8`, `lts/*`, `openjdk11`), if any.
pub fn version(job: &Value) -> Option<String> {
    let key = version_key(&language(job))?;
    job.get(key)
        .and_then(scalar_string)
        .filter(|s| !s.is_empty())
}

/// The job's dist (Travis's default is focal).
pub fn dist(job: &Value) -> String {
    job.get("dist")
        .and_then(Value::as_str)
        .unwrap_or("focal")
        .trim()
        .to_ascii_lowercase()
}

/// Ubuntu release of a Travis dist.
pub fn ubuntu_version(dist: &str) -> &'static str {
    match dist {
        "precise" => "12.04",
        "trusty" => "14.04",
        "xenial" => "16.04",
        "bionic" => "18.04",
        "jammy" => "22.04",
        "noble" => "24.04",
        _ => "20.04",
    }
}

/// Turns a Travis version spec into an image tag.
fn tag_for(language: &str, version: Option<&str>) -> String {
    let Some(v) = version else {
        return "latest".into();
    };
    let v = v.trim();
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "" | "node" | "stable" | "latest" | "nightly" | "master" | "current" | "beta" | "tip"
    ) || lower.starts_with("ruby-head")
    {
        return "latest".into();
    }
    match language {
        "node_js" if lower.starts_with("lts") => "lts".into(),
        "java" | "jvm" | "scala" | "groovy" | "clojure" | "kotlin" => {
            let digits: String = lower.chars().filter(char::is_ascii_digit).collect();
            if digits.is_empty() {
                "latest".into()
            } else {
                digits
            }
        }
        _ => {
            // `1.20.x` → `1.20`, `3.8-dev` → `3.8`, `ruby-2.7` → `2.7`, `3.x` → `3`.
            let v = lower.trim_start_matches("ruby-").trim_start_matches('v');
            let v = v.split(['-', ' ']).next().unwrap_or(v);
            let v = v.trim_end_matches(".x").trim_end_matches(".*");
            if v.is_empty() || v == "x" {
                "latest".into()
            } else {
                v.to_string()
            }
        }
    }
}

/// The built-in image for a job (README table).
pub fn builtin(job: &Value) -> String {
    let lang = language(job);
    let ver = version(job);
    let tag = tag_for(&lang, ver.as_deref());
    match lang.as_str() {
        "python" => format!("python:{tag}"),
        "node_js" => format!("node:{tag}"),
        "ruby" => format!("ruby:{tag}"),
        "go" => format!("golang:{tag}"),
        "java" | "jvm" | "scala" | "groovy" | "clojure" | "kotlin" => {
            format!("eclipse-temurin:{tag}")
        }
        "rust" => format!("rust:{tag}"),
        "php" => format!("php:{tag}"),
        _ => format!("ubuntu:{}", ubuntu_version(&dist(job))),
    }
}

/// Looks the job up in the config's `images:` value.
pub fn from_config(images: &Value, job: &Value) -> Option<(String, String)> {
    if let Value::String(s) = images {
        return Some((s.clone(), "default".into()));
    }
    let map = images.as_object()?;
    let lang = language(job);
    if let Some(entry) = map.get(&lang) {
        match entry {
            Value::String(s) => return Some((s.clone(), lang)),
            Value::Object(versions) => {
                let ver = version(job);
                if let Some(v) = &ver {
                    if let Some(Value::String(s)) = versions.get(v) {
                        return Some((s.clone(), format!("{lang}.{v}")));
                    }
                }
                if let Some(Value::String(s)) = versions.get("default") {
                    return Some((s.clone(), format!("{lang}.default")));
                }
            }
            _ => {}
        }
    }
    if let Some(Value::Object(dists)) = map.get("dist") {
        let d = dist(job);
        if let Some(Value::String(s)) = dists.get(&d) {
            return Some((s.clone(), format!("dist.{d}")));
        }
    }
    if let Some(Value::String(s)) = map.get("default") {
        return Some((s.clone(), "default".into()));
    }
    None
}

/// Resolves the image of one job.
pub fn resolve(flag: Option<&str>, config_images: Option<&Value>, job: &Value) -> (String, Source) {
    if let Some(img) = flag.filter(|s| !s.trim().is_empty()) {
        return (img.trim().to_string(), Source::Flag);
    }
    if let Some(images) = config_images {
        if let Some((img, key)) = from_config(images, job) {
            return (img, Source::Config(key));
        }
    }
    (builtin(job), Source::BuiltIn)
}

/// Splits `repo[:tag][@digest]` for the pull API.
pub fn split_reference(image: &str) -> (String, String) {
    if image.contains('@') {
        return (image.to_string(), String::new());
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_string(),
            image[last_slash + i + 1..].to_string(),
        ),
        None => (image.to_string(), "latest".to_string()),
    }
}

/// How to provide a missing image (appended to errors).
pub fn how_to_provide(image: &str) -> String {
    format!(
        "provide it locally: `docker load`/`docker build -t {image} ...`, or build a Debian base with `travis-local image bootstrap --tag {image}`, or map jobs to an image you have in .travis-local/config.yml (images: {{default: travis-local/bookworm:ci}}) or with --image"
    )
}

/// Makes sure `image` is present, pulling according to `policy`. Returns its image id.
pub async fn ensure(
    docker: &Docker,
    image: &str,
    policy: PullPolicy,
    progress: &dyn Fn(&str),
) -> Result<String, ExecError> {
    let present = match docker.inspect_image(image).await {
        Ok(info) => info.id,
        Err(e) if is_not_found(&e) => None,
        Err(e) => {
            return Err(env_err(format!(
                "cannot inspect image {image}: {}",
                api_message(&e)
            )))
        }
    };
    if let Some(id) = &present {
        if policy != PullPolicy::Always {
            return Ok(id.clone());
        }
    }
    if policy == PullPolicy::Never {
        return Err(env_err(format!(
            "image {image} is not present locally and --pull never forbids pulling; {}",
            how_to_provide(image)
        )));
    }
    let (repo, tag) = split_reference(image);
    let mut builder = CreateImageOptionsBuilder::default().from_image(&repo);
    if !tag.is_empty() {
        builder = builder.tag(&tag);
    }
    progress(&format!("pulling {image}"));
    let mut stream = docker.create_image(Some(builder.build()), None, None);
    let mut failure: Option<String> = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(info) => {
                if let Some(status) = info.status {
                    let line = match info.id {
                        Some(id) => format!("{id}: {status}"),
                        None => status,
                    };
                    progress(&line);
                }
            }
            Err(e) => {
                failure = Some(api_message(&e));
                break;
            }
        }
    }
    if let Some(why) = failure {
        if policy == PullPolicy::Always {
            if let Some(id) = present {
                progress(&format!(
                    "warning: cannot pull {image} ({why}); using the local copy"
                ));
                return Ok(id);
            }
        }
        return Err(env_err(format!(
            "image {image} is not present locally and cannot be pulled ({why}); {}",
            how_to_provide(image)
        )));
    }
    match docker.inspect_image(image).await {
        Ok(info) => Ok(info.id.unwrap_or_default()),
        Err(e) => Err(env_err(format!(
            "image {image} is still missing after pulling ({}); {}",
            api_message(&e),
            how_to_provide(image)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtin_table() {
        assert_eq!(
            builtin(&json!({"language":"python","python":"3.8"})),
            "python:3.8"
        );
        assert_eq!(
            builtin(&json!({"language":"python","python":3.1})),
            "python:3.1"
        );
        assert_eq!(builtin(&json!({"language":"python"})), "python:latest");
        assert_eq!(
            builtin(&json!({"language":"node_js","node_js":"lts/*"})),
            "node:lts"
        );
        assert_eq!(
            builtin(&json!({"language":"node_js","node_js":["16", "18"]})),
            "node:16"
        );
        assert_eq!(builtin(&json!({"language":"ruby","rvm":"2.7"})), "ruby:2.7");
        assert_eq!(
            builtin(&json!({"language":"go","go":"1.20.x"})),
            "golang:1.20"
        );
        assert_eq!(
            builtin(&json!({"language":"java","jdk":"openjdk11"})),
            "eclipse-temurin:11"
        );
        assert_eq!(
            builtin(&json!({"language":"rust","rust":"stable"})),
            "rust:latest"
        );
        assert_eq!(
            builtin(&json!({"language":"generic","dist":"jammy"})),
            "ubuntu:22.04"
        );
        assert_eq!(builtin(&json!({"language":"shell"})), "ubuntu:20.04");
        assert_eq!(
            builtin(&json!({"language":"cpp","dist":"bionic"})),
            "ubuntu:18.04"
        );
        assert_eq!(builtin(&json!({})), "ruby:latest");
    }

    #[test]
    fn config_precedence() {
        let images = json!({
            "default": "d",
            "python": {"3.8": "py38", "default": "pyd"},
            "node_js": "node-any",
            "dist": {"jammy": "j"}
        });
        let r = |job: serde_json::Value| resolve(None, Some(&images), &job).0;
        assert_eq!(r(json!({"language":"python","python":"3.8"})), "py38");
        assert_eq!(r(json!({"language":"python","python":"3.9"})), "pyd");
        assert_eq!(r(json!({"language":"node_js"})), "node-any");
        assert_eq!(r(json!({"language":"shell","dist":"jammy"})), "j");
        assert_eq!(r(json!({"language":"shell","dist":"focal"})), "d");
        assert_eq!(resolve(Some("x:1"), Some(&images), &json!({})).0, "x:1");
        assert_eq!(resolve(None, Some(&json!("all")), &json!({})).0, "all");
        assert_eq!(
            resolve(None, None, &json!({"language":"go"})),
            ("golang:latest".into(), Source::BuiltIn)
        );
    }

    #[test]
    fn references() {
        assert_eq!(
            split_reference("ubuntu"),
            ("ubuntu".into(), "latest".into())
        );
        assert_eq!(split_reference("a/b:c"), ("a/b".into(), "c".into()));
        assert_eq!(
            split_reference("localhost:5000/a"),
            ("localhost:5000/a".into(), "latest".into())
        );
        assert_eq!(
            split_reference("localhost:5000/a:t"),
            ("localhost:5000/a".into(), "t".into())
        );
        assert_eq!(split_reference("a@sha256:00").1, "");
    }
}
