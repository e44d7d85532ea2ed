//! Diagnostics: the one finding type of travis-local's front end (config, `if:`
//! conditions, matrix imports, local settings) and its one renderer.
//!
//! One job: hold findings with byte spans into a source text and render them for people
//! (rustc-style snippet with the source line and a caret, via `annotate-snippets`) or
//! machines (JSON). Line and column are computed only when rendering, from the span
//! ([`LineIndex`]). This crate is at the bottom of the dependency chain (below
//! condition) and knows nothing of YAML or Travis.
//!
//! ```
//! use travis_local_diag::{render_all, Diagnostic, Level};
//! let text = "branch = master AND";
//! let d = Diagnostic::new(Level::Error, "parse_error", "expected an operand")
//!     .with_file("<condition>")
//!     .with_span(19, 19);
//! let shown = render_all([&d], text, false);
//! assert!(shown.starts_with("error[parse_error]: expected an operand"));
//! assert!(shown.contains("<condition>:1:20"));
//! ```

mod line_index;

pub use line_index::LineIndex;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
    Alert,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
            Level::Alert => "alert",
        }
    }
    /// Error and alert findings make `lint` fail.
    pub fn is_failure(self) -> bool {
        matches!(self, Level::Error | Level::Alert)
    }
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "info" => Level::Info,
            "warn" => Level::Warn,
            "error" => Level::Error,
            "alert" => Level::Alert,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub level: Level,
    /// travis-yml message code (`unknown_key`, `deprecated_key`, ...).
    pub code: String,
    /// Dotted key path as travis-yml reports it (`root`, `jobs.include.env`).
    pub key: String,
    pub message: String,
    pub help: Option<String>,
    /// Byte range in the file; None for findings about something absent (defaults).
    pub span: Option<(usize, usize)>,
    pub file: String,
    /// travis-yml's message arguments (for comparison with its output).
    pub args: serde_json::Value,
}

/// A diagnostic with line/column resolved, as `--format json` prints it.
#[derive(Serialize, Debug)]
pub struct JsonDiagnostic<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub level: Level,
    pub code: &'a str,
    pub key: &'a str,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

impl Diagnostic {
    /// A finding without a span, file or key (`root`); add them with the `with_*` methods.
    pub fn new(level: Level, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            level,
            code: code.into(),
            key: "root".into(),
            message: message.into(),
            help: None,
            span: None,
            file: String::new(),
            args: serde_json::json!({}),
        }
    }
    /// The file name shown in `--> FILE:LINE:COL`.
    pub fn with_file(mut self, file: impl Into<String>) -> Self {
        self.file = file.into();
        self
    }
    /// The byte range `start..end` in the source text the finding points at.
    pub fn with_span(mut self, start: usize, end: usize) -> Self {
        self.span = Some((start, end));
        self
    }
    /// The `= help:` line under the snippet.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    /// The dotted key path (`jobs.include.env`).
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// 1-based (line, column in characters) of the finding's start; 1:1 without a span.
    pub fn line_col(&self, text: &str, index: &LineIndex) -> (usize, usize) {
        index.line_col(text, self.span.map_or(0, |s| s.0))
    }

    pub fn to_json<'a>(&'a self, text: &str, index: &LineIndex) -> JsonDiagnostic<'a> {
        let (s, e) = self.span.unwrap_or((0, 0));
        let (line, column) = index.line_col(text, s);
        let (end_line, end_column) = index.line_col(text, e.max(s));
        JsonDiagnostic {
            file: &self.file,
            line,
            column,
            end_line,
            end_column,
            level: self.level,
            code: &self.code,
            key: &self.key,
            message: &self.message,
            help: self.help.as_deref(),
        }
    }

    /// rustc-style rendering with the offending source line and a caret.
    pub fn render_human(&self, text: &str, index: &LineIndex, color: bool) -> String {
        use annotate_snippets::{Level as L, Renderer, Snippet};
        let lvl = match self.level {
            Level::Info => L::Info,
            Level::Warn => L::Warning,
            Level::Error | Level::Alert => L::Error,
        };
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let help_text = self.help.clone().unwrap_or_default();
        // annotate-snippets walks the whole source line: on a very long line (a one-line
        // flow mapping with thousands of findings) that made rendering quadratic, so such
        // a line is not shown, only its position
        let long_line = self.span.and_then(|(s, _)| {
            let (line, col) = index.line_col(text, s);
            let ls = index.line_start(line)?;
            let le = index.line_start(line + 1).unwrap_or(text.len());
            (le.saturating_sub(ls) > MAX_SHOWN_LINE).then_some((line, col))
        });
        let rendered = match self.span {
            Some((s, e)) if s <= text.len() && long_line.is_none() => {
                let s = floor_boundary(text, s);
                let e = floor_boundary(text, e.min(text.len()));
                // show only the lines the span touches (first line for multi-line spans)
                let (line, _) = index.line_col(text, s);
                let ls = index.line_start(line).unwrap_or(0);
                let le = text[ls..]
                    .find('\n')
                    .map(|i| ls + i + 1)
                    .unwrap_or(text.len());
                let src = &text[ls..le];
                let mut a = s - ls;
                let mut b = e.min(le).max(s) - ls;
                let trimmed = src.trim_end_matches(['\n', '\r']).len();
                if a > trimmed {
                    a = trimmed;
                }
                if b > trimmed {
                    b = trimmed;
                }
                if b == a && b < trimmed {
                    b = next_char(src, a);
                }
                let src_show = &src[..trimmed];
                let snippet = Snippet::source(src_show)
                    .line_start(line)
                    .origin(&self.file)
                    .fold(false)
                    .annotation(L::Error.span(a..b));
                let mut msg = lvl.title(&self.message).id(&self.code).snippet(snippet);
                if self.help.is_some() {
                    msg = msg.footer(L::Help.title(&help_text));
                }
                renderer.render(msg).to_string()
            }
            _ => {
                let mut msg = lvl.title(&self.message).id(&self.code);
                if self.help.is_some() {
                    msg = msg.footer(L::Help.title(&help_text));
                }
                let mut out = renderer.render(msg).to_string();
                match long_line {
                    Some((line, col)) => out.push_str(&format!(
                        "\n  --> {}:{line}:{col} (line longer than {MAX_SHOWN_LINE} bytes, not shown)",
                        self.file
                    )),
                    None => out.push_str(&format!("\n  --> {}", self.file)),
                }
                out
            }
        };
        match self.level {
            Level::Alert => rendered.replacen("error", "alert", 1),
            _ => rendered,
        }
    }
}

/// The findings rendered for people, each followed by a blank line; empty when there
/// are none. `text` is the source all their spans point into.
pub fn render_all<'d>(
    diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
    text: &str,
    color: bool,
) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&d.render_human(text, &index, color));
        out.push_str("\n\n");
    }
    out
}

/// The findings as `--format json` prints them (line and column resolved).
pub fn json_all<'d>(
    diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
    text: &str,
) -> Vec<serde_json::Value> {
    let index = LineIndex::new(text);
    diagnostics
        .into_iter()
        .map(|d| serde_json::to_value(d.to_json(text, &index)).unwrap_or_default())
        .collect()
}

/// Longest source line shown under a finding, in bytes.
const MAX_SHOWN_LINE: usize = 4096;

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn next_char(s: &str, i: usize) -> usize {
    s[i..].chars().next().map(|c| i + c.len_utf8()).unwrap_or(i)
}
