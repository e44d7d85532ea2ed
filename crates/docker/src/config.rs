//! The Docker part of the project config `.travis-local/config.yml` (committable):
//! `images`, `network`, `trust_host_ca`. Other keys belong to other crates and are
//! ignored here. Parsed with the config crate's small YAML helper.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The Docker-related settings of `.travis-local/config.yml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectConfig {
    /// Where it was read from (for messages).
    pub path: Option<PathBuf>,
    /// `images:` mapping (see [`crate::images`]).
    pub images: Option<Value>,
    /// `network:` default network mode.
    pub network: Option<String>,
    /// `trust_host_ca:` copy the host's CA certificates into the Travis layer.
    pub trust_host_ca: Option<bool>,
}

impl ProjectConfig {
    /// Reads `<dir>/.travis-local/config.yml`; a missing file is an empty config.
    pub fn load_dir(dir: &Path) -> Result<Self, String> {
        let path = dir.join(".travis-local").join("config.yml");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Parses the text of a config file named `path` (for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, String> {
        let mut cfg = ProjectConfig {
            path: Some(path.to_path_buf()),
            ..Default::default()
        };
        if text.trim().is_empty() {
            return Ok(cfg);
        }
        let value = travis_local_config::yaml::yaml_to_json(text)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let map = match value {
            Value::Object(map) => map,
            Value::Null => return Ok(cfg),
            _ => {
                return Err(format!(
                    "{}: expected a mapping at the top level",
                    path.display()
                ))
            }
        };
        if let Some(images) = map.get("images") {
            match images {
                Value::Null => {}
                Value::String(_) | Value::Object(_) => cfg.images = Some(images.clone()),
                _ => {
                    return Err(format!(
                    "{}: `images` must be a mapping (default, <language>, dist) or an image name",
                    path.display()
                ))
                }
            }
        }
        match map.get("network") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if !s.trim().is_empty() => {
                cfg.network = Some(s.trim().to_string())
            }
            Some(_) => {
                return Err(format!(
                    "{}: `network` must be bridge, host or a network name",
                    path.display()
                ))
            }
        }
        match map.get("trust_host_ca") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => cfg.trust_host_ca = Some(*b),
            Some(Value::String(s)) if matches!(s.as_str(), "true" | "yes" | "on") => {
                cfg.trust_host_ca = Some(true)
            }
            Some(Value::String(s)) if matches!(s.as_str(), "false" | "no" | "off") => {
                cfg.trust_host_ca = Some(false)
            }
            Some(_) => {
                return Err(format!(
                    "{}: `trust_host_ca` must be true or false",
                    path.display()
                ))
            }
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_keys_and_ignores_others() {
        let text = "images:\n  default: travis-local/bookworm:ci\n  python:\n    \"3.8\": py38\n  dist:\n    focal: f\nnetwork: host\ntrust_host_ca: true\nenv: [A=1]\n";
        let cfg = ProjectConfig::parse(text, Path::new("c.yml")).expect("parses");
        assert_eq!(cfg.network.as_deref(), Some("host"));
        assert_eq!(cfg.trust_host_ca, Some(true));
        let images = cfg.images.expect("images");
        assert_eq!(images["python"]["3.8"], "py38");
    }

    #[test]
    fn rejects_bad_types_naming_the_file() {
        let err = ProjectConfig::parse("network: [a]\n", Path::new("x/config.yml")).unwrap_err();
        assert!(
            err.contains("x/config.yml") && err.contains("network"),
            "{err}"
        );
        let err = ProjectConfig::parse("images: 3\n", Path::new("c.yml")).unwrap_err();
        assert!(err.contains("images"), "{err}");
    }

    #[test]
    fn empty_and_missing_are_fine() {
        assert_eq!(
            ProjectConfig::parse("", Path::new("c")).map(|c| c.images),
            Ok(None)
        );
        let dir = std::env::temp_dir().join("tl-docker-no-such-dir-for-config");
        assert_eq!(ProjectConfig::load_dir(&dir), Ok(ProjectConfig::default()));
    }
}
