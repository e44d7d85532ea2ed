//! The Travis `if:` condition language (travis-conditions v1): a nom parser that mirrors
//! upstream token for token (quirks included, see `parser`), a syntax tree with byte
//! spans (`ast`), and an evaluator with upstream's Ruby value semantics (`eval`), using
//! `fancy-regex` with Ruby-compatible rewriting for `=~` (`regex`).
//!
//! ```
//! use travis_local_condition::{parse, eval, Facts};
//! let expr = parse("branch = master AND NOT env(SKIP) IS present").unwrap();
//! let facts = Facts { branch: Some("master".into()), ..Default::default() };
//! assert_eq!(eval(&expr, &facts), Ok(true));
//! ```

pub mod ast;
pub mod env;
mod eval;
pub mod parser;
pub mod regex;

pub use ast::{Expr, ExprKind, Func, Operand, OperandKind, Pred, RegexOperand, Span, Var};
pub use eval::EvalError;

/// Facts a condition is evaluated against (the `data` of upstream's vectors).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    pub branch: Option<String>,
    pub tag: Option<String>,
    /// push | pull_request | api | cron
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub repo: Option<String>,
    pub head_repo: Option<String>,
    pub head_branch: Option<String>,
    pub os: Option<String>,
    pub dist: Option<String>,
    pub group: Option<String>,
    pub sudo: Option<String>,
    pub language: Option<String>,
    pub sender: Option<String>,
    pub fork: Option<bool>,
    pub commit_message: Option<String>,
    /// Environment variables, in order (`NAME`, `VALUE`); for `env(NAME)` the last entry
    /// of a name wins. Values are as in a map-form `env` (one pair of outer quotes is
    /// removed at lookup, as upstream does); use [`env::pairs_from_string`] for
    /// `"FOO=bar BAZ=qux"` strings.
    pub env: Vec<(String, String)>,
    /// `draft` (pull requests), known to upstream's parser though undocumented.
    #[serde(default)]
    pub draft: Option<bool>,
}

impl Facts {
    /// Build facts from a JSON object shaped like the `data` of the spec's eval vectors
    /// (`branch`, `tag`, `type`, …, `env` as a map, a `"K=V"` string or a list of either).
    /// Unknown keys are ignored; `null` means missing; booleans and numbers are kept as
    /// the strings Ruby would print (equivalent after upstream's casting).
    pub fn from_json(data: &serde_json::Value) -> Result<Facts, FactsError> {
        let obj = data.as_object().ok_or(FactsError::NotAnObject)?;
        let mut f = Facts::default();
        for (key, value) in obj {
            let s = env::scalar_to_string(value);
            match key.as_str() {
                "branch" => f.branch = s,
                "tag" => f.tag = s,
                "type" => f.event_type = s,
                "repo" => f.repo = s,
                "head_repo" => f.head_repo = s,
                "head_branch" => f.head_branch = s,
                "os" => f.os = s,
                "dist" => f.dist = s,
                "group" => f.group = s,
                "sudo" => f.sudo = s,
                "language" => f.language = s,
                "sender" => f.sender = s,
                "commit_message" => f.commit_message = s,
                "fork" => f.fork = parse_bool(key, value)?,
                "draft" => f.draft = parse_bool(key, value)?,
                "env" => env::pairs_from_json(value, &mut f.env),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// Why JSON facts were refused by [`Facts::from_json`]; it displays as a message.
#[derive(Debug, Clone, PartialEq)]
pub enum FactsError {
    /// The data is not a JSON object.
    NotAnObject,
    /// A boolean fact (`fork`, `draft`) holds something else than true, false (or
    /// those strings) or null: the key and the value given.
    NotABool {
        key: String,
        value: serde_json::Value,
    },
}

impl std::fmt::Display for FactsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FactsError::NotAnObject => f.write_str("condition data must be a JSON object"),
            FactsError::NotABool { key, value } => {
                write!(f, "`{key}` must be true or false, got {value}")
            }
        }
    }
}

impl std::error::Error for FactsError {}

fn parse_bool(key: &str, v: &serde_json::Value) -> Result<Option<bool>, FactsError> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Bool(b) => Ok(Some(*b)),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        other => Err(FactsError::NotABool {
            key: key.to_string(),
            value: other.clone(),
        }),
    }
}

/// A parse error: byte offset into the condition text and what was expected.
/// The offset is into the exact string given to [`parse`] (line continuations included)
/// and always lies on a character boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Parse a condition.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    parser::parse(src)
}

/// Evaluate; an evaluation error (upstream's message and the span of the term that
/// raised; it displays as the message) counts as false on Travis, callers decide.
pub fn eval(expr: &Expr, facts: &Facts) -> Result<bool, EvalError> {
    eval::eval(expr, facts)
}

/// Evaluate, keeping the span of the term that raised on error (the same as [`eval`],
/// kept for callers that name the span explicitly).
pub fn eval_spanned(expr: &Expr, facts: &Facts) -> Result<bool, EvalError> {
    eval::eval(expr, facts)
}

/// Either kind of error from [`evaluate_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionError {
    Parse(ParseError),
    Eval(EvalError),
}

impl std::fmt::Display for ConditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConditionError::Parse(e) => write!(f, "invalid condition: {e}"),
            ConditionError::Eval(e) => write!(
                f,
                "condition could not be evaluated: {} (at byte {})",
                e.message, e.span.start
            ),
        }
    }
}

impl std::error::Error for ConditionError {}

impl ConditionError {
    /// Byte offset into the condition text of the problem.
    pub fn offset(&self) -> usize {
        match self {
            ConditionError::Parse(e) => e.offset,
            ConditionError::Eval(e) => e.span.start,
        }
    }
    pub fn message(&self) -> &str {
        match self {
            ConditionError::Parse(e) => &e.message,
            ConditionError::Eval(e) => &e.message,
        }
    }

    /// The error as a finding whose span points into the condition text (`file` names
    /// that text in `--> FILE:LINE:COL`); render it with [`travis_local_diag::render_all`]
    /// against the exact string that was parsed. A parse error points at one character
    /// (code `parse_error`), an evaluation error at the term that raised (`eval_error`,
    /// with a help line: on Travis such a condition counts as false).
    pub fn to_diagnostic(&self, file: &str) -> travis_local_diag::Diagnostic {
        use travis_local_diag::{Diagnostic, Level};
        match self {
            ConditionError::Parse(e) => Diagnostic::new(
                Level::Error,
                "parse_error",
                format!("invalid condition: {}", e.message),
            )
            .with_span(e.offset, e.offset),
            ConditionError::Eval(e) => Diagnostic::new(
                Level::Error,
                "eval_error",
                format!("condition failed to evaluate: {}", e.message),
            )
            .with_span(e.span.start, e.span.end)
            .with_help("on Travis the condition counts as false"),
        }
        .with_file(file)
    }
}

/// Parse and evaluate in one go. On Travis, any error makes the condition false (the
/// item is skipped and the error reported); callers apply that rule themselves.
pub fn evaluate_str(src: &str, facts: &Facts) -> Result<bool, ConditionError> {
    let expr = parse(src).map_err(ConditionError::Parse)?;
    eval::eval(&expr, facts).map_err(ConditionError::Eval)
}
