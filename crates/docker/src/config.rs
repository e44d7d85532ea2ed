//! The Docker part of the project's local settings (`.travis-local/config.yml`):
//! `images`, `network`, `trust_host_ca`. The file itself is read and checked once, from
//! the repository root, by [`travis_local_config::local::LocalConfig`]; this is the view
//! of it the executor keeps.

use serde_json::Value;
use std::path::PathBuf;
use travis_local_config::local::LocalConfig;

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
    /// Recipes of `images:` entries (built when the image is missing and cannot be pulled).
    pub recipes: Vec<crate::recipes::Recipe>,
}

impl ProjectConfig {
    /// The recipe of an image, if the settings carry one.
    pub fn recipe_for(&self, image: &str) -> Option<&crate::recipes::Recipe> {
        self.recipes.iter().find(|r| r.name() == image)
    }
}

impl From<&LocalConfig> for ProjectConfig {
    fn from(local: &LocalConfig) -> Self {
        ProjectConfig {
            path: local.path.clone(),
            images: local.images.clone(),
            network: local.network.clone(),
            trust_host_ca: local.trust_host_ca,
            recipes: crate::recipes::from_local(local),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn takes_the_docker_keys_of_the_local_settings() {
        let text = "images:\n  default: travis-local/bookworm:ci\n  python:\n    \"3.8\": py38\nnetwork: host\ntrust_host_ca: true\nenv: [A=1]\n";
        let cfg = ProjectConfig::from(&LocalConfig::parse(Path::new("c.yml"), text));
        assert_eq!(cfg.network.as_deref(), Some("host"));
        assert_eq!(cfg.trust_host_ca, Some(true));
        assert_eq!(cfg.path.as_deref(), Some(Path::new("c.yml")));
        let images = cfg.images.expect("images");
        assert_eq!(images["python"]["3.8"], "py38");
    }
}
