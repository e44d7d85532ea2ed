//! The Travis `if:` condition language (travis-conditions v1): parser and evaluator.
//! (Skeleton: the real implementation lands with issue 3.)

pub mod cli;

/// Facts a condition is evaluated against (the `data` of upstream's vectors).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
    /// Environment variables, in order (`NAME`, `VALUE`).
    pub env: Vec<(String, String)>,
}

/// A parse error: byte offset into the condition text and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

/// Parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr;

/// Parse a condition.
pub fn parse(_src: &str) -> Result<Expr, ParseError> {
    Err(ParseError { offset: 0, message: "condition parser not implemented yet".into() })
}

/// Evaluate; an evaluation error counts as false on Travis, callers decide.
pub fn eval(_expr: &Expr, _facts: &Facts) -> Result<bool, String> {
    Err("condition evaluation not implemented yet".into())
}
