//! Which keys and values travis-yml keeps in a job for its language, os and arch
//! (`matrix/support.rb` with the `only`/`except` tables of travis-yml's schema.json),
//! and the list of matrix expansion keys in schema order.

use serde_json::{Map, Value};

/// Matrix expansion keys in travis-yml's schema order (`expand` in schema.json, with
/// `env` appended last as `Matrix#expand_keys` does).
pub const EXPAND_KEYS: &[&str] = &[
    "os",
    "arch",
    "compiler",
    "osx_image",
    "jdk",
    "crystal",
    "dotnet",
    "mono",
    "solution",
    "d",
    "dart",
    "dart_task",
    "elixir",
    "otp_release",
    "elm",
    "node_js",
    "go",
    "hhvm",
    "php",
    "ghc",
    "haxe",
    "julia",
    "matlab",
    "nix",
    "perl",
    "perl6",
    "python",
    "r",
    "rvm",
    "gemfile",
    "xcode_scheme",
    "xcode_sdk",
    "rust",
    "scala",
    "smalltalk",
    "smalltalk_config",
    "smalltalk_vm",
    "env",
];

/// Position of `key` in [`EXPAND_KEYS`].
pub fn expand_index(key: &str) -> Option<usize> {
    EXPAND_KEYS.iter().position(|k| *k == key)
}

/// Language-specific keys and the languages that support them (schema `language/*`).
const LANGUAGE_KEYS: &[(&str, &[&str])] = &[
    ("android", &["android"]),
    ("apt_packages", &["r"]),
    ("bioc", &["r"]),
    ("bioc_check", &["r"]),
    ("bioc_packages", &["r"]),
    ("bioc_required", &["r"]),
    ("bioc_use_devel", &["r"]),
    ("brew_packages", &["r"]),
    ("bundler_args", &["objective-c", "ruby"]),
    ("composer_args", &["php"]),
    ("cran", &["r"]),
    ("crystal", &["crystal"]),
    ("d", &["d"]),
    ("dart", &["dart"]),
    ("dart_task", &["dart"]),
    ("disable_homebrew", &["r"]),
    ("dotnet", &["csharp"]),
    ("elixir", &["elixir"]),
    ("elm", &["elm"]),
    ("elm_format", &["elm"]),
    ("elm_test", &["elm"]),
    ("gemfile", &["objective-c", "ruby"]),
    ("ghc", &["haskell"]),
    ("gimme_config", &["go"]),
    ("go", &["go"]),
    ("go_import_path", &["go"]),
    ("gobuild_args", &["go"]),
    ("haxe", &["haxe"]),
    ("hhvm", &["hack"]),
    ("hxml", &["haxe"]),
    (
        "jdk",
        &["android", "clojure", "groovy", "java", "ruby", "scala"],
    ),
    ("julia", &["julia"]),
    ("latex", &["r"]),
    ("lein", &["clojure"]),
    ("matlab", &["matlab"]),
    ("mono", &["csharp"]),
    ("neko", &["haxe"]),
    ("nix", &["nix"]),
    ("node_js", &["elm", "node_js"]),
    ("npm_args", &["node_js"]),
    ("otp_release", &["elixir", "erlang"]),
    ("pandoc", &["r"]),
    ("pandoc_version", &["r"]),
    ("perl", &["perl"]),
    ("perl6", &["perl6"]),
    ("php", &["hack", "php"]),
    ("podfile", &["objective-c"]),
    ("python", &["python"]),
    ("r", &["r"]),
    ("r_binary_packages", &["r"]),
    ("r_build_args", &["r"]),
    ("r_check_args", &["r"]),
    ("r_check_revdep", &["r"]),
    ("r_github_packages", &["r"]),
    ("r_packages", &["r"]),
    ("remotes", &["r"]),
    ("repos", &["r"]),
    ("rust", &["rust"]),
    ("rvm", &["objective-c", "ruby"]),
    ("sbt_args", &["scala"]),
    ("scala", &["scala"]),
    ("smalltalk", &["smalltalk"]),
    ("smalltalk_config", &["smalltalk"]),
    ("smalltalk_edge", &["smalltalk"]),
    ("smalltalk_vm", &["smalltalk"]),
    ("solution", &["csharp"]),
    ("virtualenv", &["python"]),
    ("warnings_are_errors", &["r"]),
    ("with_content_shell", &["dart"]),
    ("xcode_destination", &["objective-c"]),
    ("xcode_project", &["objective-c"]),
    ("xcode_scheme", &["objective-c"]),
    ("xcode_sdk", &["objective-c"]),
    ("xcode_workspace", &["objective-c"]),
    ("xctool_args", &["objective-c"]),
];

/// A support rule: `only` means the supporting key must have one of the values;
/// `except` means it must have some value outside the list.
enum Rule {
    Only(&'static str, &'static [&'static str]),
    Except(&'static str, &'static [&'static str]),
}

fn key_rule(key: &str) -> Option<Rule> {
    match key {
        "arch" => Some(Rule::Only("os", &["linux"])),
        "osx_image" => Some(Rule::Only("os", &["osx"])),
        "compiler" => Some(Rule::Only("language", &["c", "cpp"])),
        _ => LANGUAGE_KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, langs)| Rule::Only("language", langs)),
    }
}

fn value_rule(key: &str, value: &str) -> Option<Rule> {
    match (key, value) {
        ("dist", "trusty" | "precise" | "bionic" | "jammy" | "noble" | "rhel8") => {
            Some(Rule::Only("os", &["linux"]))
        }
        ("dist", "xenial" | "focal") => Some(Rule::Only("os", &["linux", "linux-ppc64le"])),
        ("dist", "server-2016") => Some(Rule::Only("os", &["windows"])),
        ("os", "linux" | "windows" | "freebsd") => Some(Rule::Except("language", &["objective-c"])),
        _ => None,
    }
}

/// The values of a supporting key (`language`, `os`, `arch`) in `job`, as strings.
fn supporting(job: &Map<String, Value>, key: &str) -> Vec<String> {
    match job.get(key) {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(v) => scalar_string(v).into_iter().collect(),
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn rule_holds(job: &Map<String, Value>, rule: &Rule) -> bool {
    match rule {
        Rule::Only(on, allowed) => {
            let have = supporting(job, on);
            // Absent supporting key: nothing to complain about (as upstream).
            have.is_empty() || have.iter().any(|h| allowed.contains(&h.as_str()))
        }
        Rule::Except(on, denied) => {
            let have = supporting(job, on);
            have.is_empty() || have.iter().any(|h| !denied.contains(&h.as_str()))
        }
    }
}

/// Is `key` supported by `job`'s language / os (the key alone, used for matrix axes)?
pub fn key_supported(job: &Map<String, Value>, key: &str) -> bool {
    key_rule(key).is_none_or(|r| rule_holds(job, &r))
}

/// Is `key: value` supported in `job`? Falsy values are always kept (as upstream).
pub fn supported(job: &Map<String, Value>, key: &str, value: &Value) -> bool {
    if matches!(value, Value::Null | Value::Bool(false)) {
        return true;
    }
    if !key_supported(job, key) {
        return false;
    }
    match value.as_str().and_then(|s| value_rule(key, s)) {
        Some(rule) => rule_holds(job, &rule),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn language_keys() {
        let job = m(json!({"language": "python", "os": "linux"}));
        assert!(supported(&job, "python", &json!("3.8")));
        assert!(!supported(&job, "rvm", &json!("2.7")));
        assert!(!supported(&job, "compiler", &json!("gcc")));
        assert!(supported(&job, "script", &json!(["x"])));
    }

    #[test]
    fn os_rules() {
        let osx = m(json!({"language": "ruby", "os": "osx"}));
        assert!(!supported(&osx, "arch", &json!("amd64")));
        assert!(!supported(&osx, "dist", &json!("trusty")));
        assert!(supported(&osx, "osx_image", &json!("xcode12")));
        let objc = m(json!({"language": "objective-c", "os": "linux"}));
        assert!(!supported(&objc, "os", &json!("linux")));
        let multi = m(json!({"language": "ruby", "os": ["linux", "osx"]}));
        assert!(key_supported(&multi, "arch"));
    }
}
