//! The `env:` list of the project's local config `.travis-local/config.yml` (public
//! variables exported for every job, after the builtins, like public repository-settings
//! variables). Other keys of that file belong to other crates and are ignored here.

use std::path::Path;

/// Read `env:` from `<repo>/.travis-local/config.yml` (missing file: empty list).
/// Entries are `NAME=VALUE` strings (or `{NAME: VALUE}` maps); values stay verbatim.
pub fn local_config_env(repo_dir: &Path) -> Result<Vec<(String, String)>, String> {
    let path = repo_dir.join(".travis-local").join("config.yml");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    parse_local_env(&path.display().to_string(), &text)
}

/// Parse the `env:` key of a local config text.
pub fn parse_local_env(file: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    let doc = travis_local_config::yaml_to_json(text)
        .map_err(|e| format!("{file}: invalid YAML: {e}"))?;
    let mut out = Vec::new();
    let Some(env) = doc.get("env") else {
        return Ok(out);
    };
    let items = match env {
        serde_json::Value::Array(a) => a.clone(),
        serde_json::Value::Null => return Ok(out),
        other => vec![other.clone()],
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            serde_json::Value::String(s) => match crate::secrets::split_assignment(s) {
                Some((n, v)) => out.push((n.to_string(), v.to_string())),
                None => return Err(format!("{file}: env[{i}]: expected NAME=VALUE")),
            },
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    if !crate::secrets::valid_name(k) {
                        return Err(format!("{file}: env[{i}]: `{k}` is not a variable name"));
                    }
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    out.push((k.clone(), v));
                }
            }
            _ => return Err(format!("{file}: env[{i}]: expected NAME=VALUE")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_list() {
        let e =
            parse_local_env("c.yml", "images: {default: x}\nenv: [\"A=1\", {B: two}]\n").unwrap();
        assert_eq!(
            e,
            vec![("A".into(), "1".into()), ("B".into(), "two".into())]
        );
        assert!(parse_local_env("c.yml", "env: [\"1A=1\"]").is_err());
        assert!(parse_local_env("c.yml", "network: host")
            .unwrap()
            .is_empty());
    }
}
