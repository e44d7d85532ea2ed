//! Resource limits of the config loader, so that a hostile `.travis.yml` (an alias bomb,
//! a huge file, a deeply nested document) ends with an `error` finding instead of eating
//! the machine's memory.
//!
//! | limit | default | raise it with |
//! | --- | --- | --- |
//! | input size | 32 MiB | `TRAVIS_LOCAL_MAX_CONFIG_BYTES` |
//! | nodes produced by aliases | max(100,000, 10 × nodes parsed so far) | `TRAVIS_LOCAL_MAX_ALIAS_NODES` (the base) |
//! | text produced by aliases | max(8 MiB, 10 × input size) | `TRAVIS_LOCAL_MAX_ALIAS_BYTES` (the base) |
//! | nesting depth | 512 | fixed (the decoder recurses) |
//! | parser events | 5,000,000 | fixed |
//!
//! Sizes accept a plain number of bytes or a binary suffix (`64M`, `64MiB`, `1G`, `512k`).

/// Environment variable holding the input size limit.
pub const ENV_MAX_CONFIG_BYTES: &str = "TRAVIS_LOCAL_MAX_CONFIG_BYTES";
/// Environment variable holding the base of the alias node budget.
pub const ENV_MAX_ALIAS_NODES: &str = "TRAVIS_LOCAL_MAX_ALIAS_NODES";
/// Environment variable holding the base of the alias text budget.
pub const ENV_MAX_ALIAS_BYTES: &str = "TRAVIS_LOCAL_MAX_ALIAS_BYTES";

/// Default input size limit: 32 MiB (the largest real `.travis.yml` we know is ~60 KB).
pub const DEFAULT_MAX_CONFIG_BYTES: u64 = 32 * 1024 * 1024;
/// Default base of the alias node budget.
pub const DEFAULT_ALIAS_NODES: usize = 100_000;
/// Default base of the alias text budget: 8 MiB.
pub const DEFAULT_ALIAS_BYTES: usize = 8 * 1024 * 1024;
/// The alias budgets grow with the document: this many times its own size.
pub const ALIAS_FACTOR: usize = 10;
/// Deepest nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 512;
/// Most parser events (scalars, collection starts and ends, aliases) in one document.
pub const MAX_EVENTS: usize = 5_000_000;

/// The limits in force for one load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest config file accepted, in bytes.
    pub max_config_bytes: u64,
    /// Nodes that aliases may produce in one document: at least this many, or
    /// [`ALIAS_FACTOR`] times the nodes parsed so far when that is more.
    pub alias_nodes: usize,
    /// Bytes of scalar and key text that aliases may produce: at least this many, or
    /// [`ALIAS_FACTOR`] times the input size when that is more.
    pub alias_bytes: usize,
    /// How many times the document's own size the alias budgets grow to
    /// ([`ALIAS_FACTOR`]; tests set it to 0 to check the bases alone).
    pub alias_factor: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_config_bytes: DEFAULT_MAX_CONFIG_BYTES,
            alias_nodes: DEFAULT_ALIAS_NODES,
            alias_bytes: DEFAULT_ALIAS_BYTES,
            alias_factor: ALIAS_FACTOR,
        }
    }
}

/// An invalid limit variable: its name, the value given and what was expected. It
/// displays as `NAME: expected ..., got `VALUE`` (the value is shown: these are sizes,
/// not secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitError {
    pub variable: String,
    pub value: String,
    /// `a positive whole number` or `a size in bytes such as 33554432, 64M or 1GiB`.
    pub expected: &'static str,
}

impl std::fmt::Display for LimitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, got `{}`",
            self.variable,
            self.expected,
            self.value.escape_debug()
        )
    }
}

impl std::error::Error for LimitError {}

impl Limits {
    /// The defaults, overridden by the environment variables. An invalid value is an
    /// error naming the variable.
    pub fn from_env() -> Result<Limits, LimitError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Limits::from_env`], with the variables looked up by `get`.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Limits, LimitError> {
        let mut l = Limits::default();
        if let Some(v) = get(ENV_MAX_CONFIG_BYTES) {
            l.max_config_bytes = parse_size(ENV_MAX_CONFIG_BYTES, &v)?;
        }
        if let Some(v) = get(ENV_MAX_ALIAS_NODES) {
            l.alias_nodes = to_usize(parse_count(ENV_MAX_ALIAS_NODES, &v)?);
        }
        if let Some(v) = get(ENV_MAX_ALIAS_BYTES) {
            l.alias_bytes = to_usize(parse_size(ENV_MAX_ALIAS_BYTES, &v)?);
        }
        Ok(l)
    }

    /// The limits from the environment, or the defaults when a variable is invalid
    /// (callers that read files report that with [`Limits::from_env`] first).
    pub fn current() -> Limits {
        Self::from_env().unwrap_or_default()
    }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

fn parse_count(name: &str, v: &str) -> Result<u64, LimitError> {
    let t = v.trim().replace('_', "");
    match t.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(LimitError {
            variable: name.to_string(),
            value: v.to_string(),
            expected: "a positive whole number",
        }),
    }
}

/// `123`, `64k`, `64K`, `64KiB`, `32M`, `32MiB`, `1G`, `1GiB` (binary multiples).
pub fn parse_size(name: &str, v: &str) -> Result<u64, LimitError> {
    let bad = || LimitError {
        variable: name.to_string(),
        value: v.to_string(),
        expected: "a size in bytes such as 33554432, 64M or 1GiB",
    };
    let t = v.trim().replace('_', "");
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(bad()),
    };
    match n.checked_mul(mult) {
        Some(0) | None => Err(bad()),
        Some(b) => Ok(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("X", "123").unwrap(), 123);
        assert_eq!(parse_size("X", "64k").unwrap(), 65536);
        assert_eq!(parse_size("X", "32MiB").unwrap(), 32 << 20);
        assert_eq!(parse_size("X", " 1G ").unwrap(), 1 << 30);
        for bad in ["", "0", "-1", "12 parsecs", "1T", "99999999999999999999"] {
            let e = parse_size("X", bad).unwrap_err().to_string();
            assert!(e.starts_with("X: expected a size"), "{e}");
        }
    }

    #[test]
    fn env_overrides_and_errors_name_the_variable() {
        let l = Limits::from_lookup(|n| match n {
            ENV_MAX_CONFIG_BYTES => Some("1M".into()),
            ENV_MAX_ALIAS_NODES => Some("500".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(l.max_config_bytes, 1 << 20);
        assert_eq!(l.alias_nodes, 500);
        assert_eq!(l.alias_bytes, DEFAULT_ALIAS_BYTES);
        let e =
            Limits::from_lookup(|n| (n == ENV_MAX_ALIAS_NODES).then(|| "lots".into())).unwrap_err();
        assert_eq!(e.variable, ENV_MAX_ALIAS_NODES);
        assert!(e.to_string().contains(ENV_MAX_ALIAS_NODES), "{e}");
        assert_eq!(Limits::from_lookup(|_| None).unwrap(), Limits::default());
    }
}
