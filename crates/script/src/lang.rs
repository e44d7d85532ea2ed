//! Language defaults: the builtin `install` and `script` commands Travis runs when those
//! keys are absent (travis-build `lib/travis/build/script/*.rb`, spec §1.6), and the
//! language version variables (`TRAVIS_PYTHON_VERSION`, ...). File checks (Gemfile,
//! requirements.txt, ...) happen at run time in bash, as on Travis.

use serde_json::Value;

/// How a builtin phase body looks: bash lines (using `travis_cmd`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Builtin {
    pub lines: Vec<String>,
}

/// The language as travis-build classifies it.
pub fn normalize(language: Option<&str>) -> &'static str {
    match language.unwrap_or("ruby").to_ascii_lowercase().as_str() {
        "minimal" | "generic" | "shell" | "bash" | "sh" => "generic",
        "python" => "python",
        "node_js" | "node" | "javascript" => "node_js",
        "ruby" => "ruby",
        "go" | "golang" => "go",
        "rust" => "rust",
        "java" | "jvm" | "groovy" | "kotlin" => "jvm",
        "scala" => "scala",
        "c" => "c",
        "cpp" | "c++" => "cpp",
        "objective-c" | "swift" => "objective-c",
        "php" => "php",
        "perl" => "perl",
        "android" => "android",
        _ => "ruby",
    }
}

const INSTALL: &str = "--assert --echo --retry --timing --event install";
const INSTALL_NO_RETRY: &str = "--assert --echo --timing --event install";
const SCRIPT: &str = "--echo --timing --event script";

fn cmd(c: &str, flags: &str) -> String {
    format!("travis_cmd {} {flags}", crate::quote::sq(c))
}

/// Default `install` (None: nothing).
pub fn default_install(lang: &str) -> Option<Builtin> {
    let lines = match lang {
        "ruby" => vec![
            "if [[ -f Gemfile ]]; then".to_string(),
            "  if [[ -f Gemfile.lock ]]; then".to_string(),
            format!("    {}", cmd("bundle install --jobs=3 --retry=3 --deployment", INSTALL_NO_RETRY)),
            "  else".to_string(),
            format!("    {}", cmd("bundle install --jobs=3 --retry=3", INSTALL_NO_RETRY)),
            "  fi".to_string(),
            "fi".to_string(),
        ],
        "python" => vec![
            "if [[ -f requirements.txt ]]; then".to_string(),
            format!("  {}", cmd("pip install -r requirements.txt", INSTALL)),
            "else".to_string(),
            "  echo 'Could not locate requirements.txt. Override the install: key in your .travis.yml to install dependencies.'".to_string(),
            "fi".to_string(),
        ],
        "node_js" => vec![
            "if [[ -f package.json ]]; then".to_string(),
            "  if [[ -f yarn.lock ]]; then".to_string(),
            format!("    {}", cmd("yarn", INSTALL)),
            "  elif [[ -f package-lock.json || -f npm-shrinkwrap.json ]]; then".to_string(),
            format!("    {}", cmd("npm ci", INSTALL)),
            "  else".to_string(),
            format!("    {}", cmd("npm install", INSTALL)),
            "  fi".to_string(),
            "fi".to_string(),
        ],
        "go" => vec![
            "if [[ ! -f go.mod ]]; then".to_string(),
            format!("  {}", cmd("go get -t -v ./...", INSTALL)),
            "fi".to_string(),
        ],
        "jvm" => vec![
            "if [[ -f gradlew ]]; then".to_string(),
            format!("  {}", cmd("./gradlew assemble", INSTALL)),
            "elif [[ -f build.gradle || -f build.gradle.kts ]]; then".to_string(),
            format!("  {}", cmd("gradle assemble", INSTALL)),
            "elif [[ -f mvnw ]]; then".to_string(),
            format!("  {}", cmd("./mvnw install -DskipTests=true -Dmaven.javadoc.skip=true -B -V", INSTALL)),
            "elif [[ -f pom.xml ]]; then".to_string(),
            format!("  {}", cmd("mvn install -DskipTests=true -Dmaven.javadoc.skip=true -B -V", INSTALL)),
            "fi".to_string(),
        ],
        "scala" => vec![
            "if [[ -f build.sbt || -d project ]]; then".to_string(),
            "  :".to_string(),
            "fi".to_string(),
        ],
        "php" => vec![
            "if [[ -f composer.json ]]; then".to_string(),
            format!("  {}", cmd("composer install", INSTALL)),
            "fi".to_string(),
        ],
        _ => return None,
    };
    Some(Builtin { lines })
}

/// Default `script`. Every body ends with the command(s) whose status `travis_result $?`
/// records; the caller appends `travis_result $?` except for python (which fails on
/// purpose, as on Travis).
pub fn default_script(lang: &str) -> Builtin {
    let lines = match lang {
        "generic" | "objective-c" | "android" => vec![],
        "ruby" => vec![
            "if [[ -f Gemfile ]]; then".to_string(),
            format!("  {}", cmd("bundle exec rake", SCRIPT)),
            "else".to_string(),
            format!("  {}", cmd("rake", SCRIPT)),
            "fi".to_string(),
        ],
        "python" => vec![
            "echo -e \"${ANSI_RED}Please override the script: key in your .travis.yml to run tests.${ANSI_RESET}\"".to_string(),
            "travis_run_after_failure".to_string(),
            "set -e".to_string(),
            "false".to_string(),
        ],
        "node_js" => vec![
            "if [[ -f package.json && -f yarn.lock ]]; then".to_string(),
            format!("  {}", cmd("yarn test", SCRIPT)),
            "elif [[ -f package.json ]]; then".to_string(),
            format!("  {}", cmd("npm test", SCRIPT)),
            "else".to_string(),
            format!("  {}", cmd("make test", SCRIPT)),
            "fi".to_string(),
        ],
        "go" => vec![
            "if [[ -f GNUmakefile || -f makefile || -f Makefile || -f BSDmakefile ]]; then".to_string(),
            format!("  {}", cmd("make", SCRIPT)),
            "else".to_string(),
            format!("  {}", cmd("go test -v ./...", SCRIPT)),
            "fi".to_string(),
        ],
        "rust" => vec![
            cmd("cargo build --verbose", SCRIPT),
            cmd("cargo test --verbose", SCRIPT),
        ],
        "jvm" => vec![
            "if [[ -f gradlew ]]; then".to_string(),
            format!("  {}", cmd("./gradlew check", SCRIPT)),
            "elif [[ -f build.gradle || -f build.gradle.kts ]]; then".to_string(),
            format!("  {}", cmd("gradle check", SCRIPT)),
            "elif [[ -f mvnw ]]; then".to_string(),
            format!("  {}", cmd("./mvnw test -B", SCRIPT)),
            "elif [[ -f pom.xml ]]; then".to_string(),
            format!("  {}", cmd("mvn test -B", SCRIPT)),
            "else".to_string(),
            format!("  {}", cmd("ant test", SCRIPT)),
            "fi".to_string(),
        ],
        "scala" => vec![cmd("sbt ++$TRAVIS_SCALA_VERSION test", SCRIPT)],
        "c" | "cpp" => vec![cmd("./configure && make && make test", SCRIPT)],
        "php" => vec![cmd("phpunit", SCRIPT)],
        "perl" => vec![cmd("make test", SCRIPT)],
        _ => vec![],
    };
    Builtin { lines }
}

/// Config keys that carry a language version, and the variable each sets.
pub const VERSION_KEYS: &[(&str, &str)] = &[
    ("python", "TRAVIS_PYTHON_VERSION"),
    ("rvm", "TRAVIS_RUBY_VERSION"),
    ("ruby", "TRAVIS_RUBY_VERSION"),
    ("node_js", "TRAVIS_NODE_VERSION"),
    ("go", "TRAVIS_GO_VERSION"),
    ("jdk", "TRAVIS_JDK_VERSION"),
    ("php", "TRAVIS_PHP_VERSION"),
    ("perl", "TRAVIS_PERL_VERSION"),
    ("rust", "TRAVIS_RUST_VERSION"),
    ("scala", "TRAVIS_SCALA_VERSION"),
    ("r", "TRAVIS_R_VERSION"),
    ("dart", "TRAVIS_DART_VERSION"),
    ("elixir", "TRAVIS_ELIXIR_VERSION"),
    ("haxe", "TRAVIS_HAXE_VERSION"),
    ("julia", "TRAVIS_JULIA_VERSION"),
    ("ghc", "TRAVIS_HASKELL_VERSION"),
    ("matlab", "TRAVIS_MATLAB_VERSION"),
    ("smalltalk", "TRAVIS_SMALLTALK_VERSION"),
    ("elm", "TRAVIS_ELM_VERSION"),
];

/// Default versions travis-build uses when the key is absent (only where it exports one).
fn default_version(lang: &str) -> Option<(&'static str, &'static str)> {
    match lang {
        "python" => Some(("TRAVIS_PYTHON_VERSION", "3.6")),
        "rust" => Some(("TRAVIS_RUST_VERSION", "stable")),
        "go" => Some(("TRAVIS_GO_VERSION", "1.11.x")),
        "node_js" => Some(("TRAVIS_NODE_VERSION", "16")),
        _ => None,
    }
}

fn first_scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.first().and_then(first_scalar),
        _ => None,
    }
}

/// Version variables for a job config, in a fixed order.
pub fn version_vars(config: &Value, lang: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, var) in VERSION_KEYS {
        if let Some(v) = config.get(*key).and_then(first_scalar) {
            if !out.iter().any(|(n, _)| n == var) {
                out.push((var.to_string(), v));
            }
        }
    }
    if let Some((var, v)) = default_version(lang) {
        if !out.iter().any(|(n, _)| n == var) {
            out.push((var.to_string(), v.to_string()));
        }
    }
    out
}
