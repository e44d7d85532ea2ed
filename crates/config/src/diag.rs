//! Diagnostics: one finding with travis-yml's level, code and key path, plus rendering.
//!
//! One job: hold findings with byte spans and render them for people (rustc-style snippet
//! with a caret, via `annotate-snippets`) or machines (JSON). Line and column are computed
//! only when rendering, from the span.

use crate::yaml::LineIndex;
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
