//! The syntax tree of a condition, with byte spans into the text given to `parse`.
//!
//! Equality (`==`) is structural: spans and the raw spelling of regex tokens are
//! ignored, so a tree printed with `Display` and parsed again compares equal to the
//! original. `to_sexp` renders upstream's own tree shape (`["eq", ["var","branch"], …]`),
//! which the spec vectors use.

use std::fmt;

/// A byte range `[start, end)` into the exact string given to [`crate::parse`].
/// Both ends are always on UTF-8 character boundaries of that string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

/// The attributes a condition can name (`VAR` in upstream's parser). Case-sensitive:
/// `BRANCH` is a plain string, not the variable (travis-config.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Var {
    Type,
    Repo,
    HeadRepo,
    Os,
    Dist,
    Group,
    Sudo,
    Language,
    Sender,
    Fork,
    Draft,
    Branch,
    HeadBranch,
    Tag,
    CommitMessage,
}

impl Var {
    /// In upstream's alternation order (the first alternative that matches wins).
    pub const ALL: [Var; 15] = [
        Var::Type,
        Var::Repo,
        Var::HeadRepo,
        Var::Os,
        Var::Dist,
        Var::Group,
        Var::Sudo,
        Var::Language,
        Var::Sender,
        Var::Fork,
        Var::Draft,
        Var::Branch,
        Var::HeadBranch,
        Var::Tag,
        Var::CommitMessage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Var::Type => "type",
            Var::Repo => "repo",
            Var::HeadRepo => "head_repo",
            Var::Os => "os",
            Var::Dist => "dist",
            Var::Group => "group",
            Var::Sudo => "sudo",
            Var::Language => "language",
            Var::Sender => "sender",
            Var::Fork => "fork",
            Var::Draft => "draft",
            Var::Branch => "branch",
            Var::HeadBranch => "head_branch",
            Var::Tag => "tag",
            Var::CommitMessage => "commit_message",
        }
    }

    pub fn from_name(name: &str) -> Option<Var> {
        Var::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// `env(...)` or `concat(...)` (names are case-insensitive in the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    Env,
    Concat,
}

impl Func {
    pub fn name(self) -> &'static str {
        match self {
            Func::Env => "env",
            Func::Concat => "concat",
        }
    }
}

/// `IS [NOT] present|blank|true|false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pred {
    Present,
    Blank,
    True,
    False,
}

impl Pred {
    pub fn name(self) -> &'static str {
        match self {
            Pred::Present => "present",
            Pred::Blank => "blank",
            Pred::True => "true",
            Pred::False => "false",
        }
    }
}

/// An operand: a variable, a literal string, or a function call.
#[derive(Debug, Clone)]
pub struct Operand {
    pub kind: OperandKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperandKind {
    Var(Var),
    /// A literal (quoted or bare word; numbers and booleans are literals too and are
    /// cast at evaluation time, as upstream does).
    Val(String),
    Call(Func, Vec<Operand>),
}

impl PartialEq for Operand {
    fn eq(&self, other: &Operand) -> bool {
        self.kind == other.kind
    }
}

/// The right-hand side of `=~` / `!~`.
#[derive(Debug, Clone)]
pub enum RegexOperand {
    /// A `/.../` or bare pattern. `pattern` is what is compiled (outer slashes
    /// stripped as upstream does); `raw` is the token as written, used by `Display`.
    Pattern {
        pattern: String,
        raw: Option<String>,
        span: Span,
    },
    /// `env(...)` or `concat(...)`: the pattern is computed at evaluation time.
    Call(Operand),
}

impl PartialEq for RegexOperand {
    fn eq(&self, other: &RegexOperand) -> bool {
        match (self, other) {
            (
                RegexOperand::Pattern { pattern: a, .. },
                RegexOperand::Pattern { pattern: b, .. },
            ) => a == b,
            (RegexOperand::Call(a), RegexOperand::Call(b)) => a == b,
            _ => false,
        }
    }
}

impl RegexOperand {
    pub fn span(&self) -> Span {
        match self {
            RegexOperand::Pattern { span, .. } => *span,
            RegexOperand::Call(op) => op.span,
        }
    }
}

/// A condition (or part of one).
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        self.kind == other.kind
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `a = b` (also `==`), or `a != b` when `negated`.
    Eq {
        lhs: Operand,
        rhs: Operand,
        negated: bool,
    },
    /// `a =~ re` (also `~=`), or `a !~ re` when `negated`. `regex` is `None` when
    /// upstream's parser accepts the operator with nothing usable after it (`branch =~`
    /// at the end of the input); such a match is always false.
    Match {
        lhs: Operand,
        regex: Option<RegexOperand>,
        negated: bool,
    },
    /// `a IN (...)`, or `a NOT IN (...)` when `negated`. `list` is `None` when the
    /// parentheses are missing and upstream's parser still accepts it (`branch IN` at
    /// the end of the input); evaluating that is an error, as upstream.
    In {
        lhs: Operand,
        list: Option<Vec<Operand>>,
        negated: bool,
    },
    /// `a IS p`, or `a IS NOT p` when `negated`.
    Is {
        lhs: Operand,
        pred: Pred,
        negated: bool,
    },
    /// An operand on its own, tested for truthiness.
    Bare(Operand),
}

// ---------------------------------------------------------------------------------
// Display: prints a condition that parses back to an equal tree.

fn quote(s: &str) -> String {
    // A literal never holds both quote characters (the parser cannot produce one).
    if s.contains('"') {
        format!("'{s}'")
    } else {
        format!("\"{s}\"")
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            OperandKind::Var(v) => f.write_str(v.name()),
            OperandKind::Val(s) => f.write_str(&quote(s)),
            OperandKind::Call(func, args) => {
                write!(f, "{}(", func.name())?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Ruby `\s`.
pub(crate) fn is_ruby_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// How a regex pattern can be written so that the parser reads it back unchanged.
pub(crate) fn regex_source(pattern: &str) -> String {
    let b = pattern.as_bytes();
    let lower = pattern.to_ascii_lowercase();
    let bare_ok = !b.is_empty()
        && pattern.is_ascii()
        && !b.iter().any(|&c| is_ruby_space(c) || c == 0)
        && b[0] != b'/'
        && b[b.len() - 1] != b'/'
        && b[b.len() - 1] != b')'
        && !lower.starts_with("env")
        && !lower.starts_with("concat");
    if bare_ok {
        return pattern.to_string();
    }
    format!("/{pattern}/")
}

impl fmt::Display for RegexOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexOperand::Pattern { raw: Some(raw), .. } => {
                // A token that starts like a function name is read by upstream only after
                // a consumed, parenthesis-less `env` (`=~ envenv` is the pattern `env`).
                let lower = raw.to_ascii_lowercase();
                if lower.starts_with("env") || lower.starts_with("concat") {
                    f.write_str("env")?;
                }
                f.write_str(raw)
            }
            RegexOperand::Pattern {
                pattern, raw: None, ..
            } => f.write_str(&regex_source(pattern)),
            RegexOperand::Call(op) => write!(f, "{op}"),
        }
    }
}

impl Expr {
    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, parens: bool) -> fmt::Result {
        if parens {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Or(a, b) => {
                a.fmt_child(f, false)?;
                f.write_str(" OR ")?;
                b.fmt_child(f, matches!(b.kind, ExprKind::Or(..)))
            }
            ExprKind::And(a, b) => {
                a.fmt_child(f, matches!(a.kind, ExprKind::Or(..)))?;
                f.write_str(" AND ")?;
                b.fmt_child(f, matches!(b.kind, ExprKind::Or(..) | ExprKind::And(..)))
            }
            ExprKind::Not(a) => {
                f.write_str("NOT ")?;
                a.fmt_child(f, matches!(a.kind, ExprKind::Or(..) | ExprKind::And(..)))
            }
            ExprKind::Eq { lhs, rhs, negated } => {
                write!(f, "{lhs} {} {rhs}", if *negated { "!=" } else { "=" })
            }
            ExprKind::Match {
                lhs,
                regex,
                negated,
            } => {
                let op = if *negated { "!~" } else { "=~" };
                match regex {
                    // Upstream strips trailing NULs from the rest of the input before
                    // reading a regex token, so a token ending in NUL needs a `)` after it.
                    Some(re @ RegexOperand::Pattern { raw: Some(raw), .. })
                        if raw.ends_with('\0') =>
                    {
                        write!(f, "({lhs} {op} {re})")
                    }
                    Some(re) => write!(f, "{lhs} {op} {re}"),
                    // Only a `)` or the end may follow an empty regex operand.
                    None => write!(f, "({lhs} {op} )"),
                }
            }
            ExprKind::In { lhs, list, negated } => {
                let op = if *negated { "NOT IN" } else { "IN" };
                match list {
                    Some(items) => {
                        write!(f, "{lhs} {op} (")?;
                        for (i, a) in items.iter().enumerate() {
                            if i > 0 {
                                f.write_str(", ")?;
                            }
                            write!(f, "{a}")?;
                        }
                        f.write_str(")")
                    }
                    None => write!(f, "({lhs} {op})"),
                }
            }
            ExprKind::Is { lhs, pred, negated } => {
                write!(
                    f,
                    "{lhs} IS {}{}",
                    if *negated { "NOT " } else { "" },
                    pred.name()
                )
            }
            ExprKind::Bare(op) => write!(f, "{op}"),
        }
    }
}

// ---------------------------------------------------------------------------------
// Upstream's tree shape, as JSON.

impl Operand {
    pub fn to_sexp(&self) -> serde_json::Value {
        use serde_json::json;
        match &self.kind {
            OperandKind::Var(v) => json!(["var", v.name()]),
            OperandKind::Val(s) => json!(["val", s]),
            OperandKind::Call(func, args) => {
                let args: Vec<_> = args.iter().map(Operand::to_sexp).collect();
                json!(["call", func.name(), args])
            }
        }
    }
}

impl Expr {
    /// The tree in upstream's shape (`["and", l, r]`, `["match", l, ["reg", s]]`, …),
    /// the shape of the `tree` field of the spec's parse vectors.
    pub fn to_sexp(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        match &self.kind {
            ExprKind::Or(a, b) => json!(["or", a.to_sexp(), b.to_sexp()]),
            ExprKind::And(a, b) => json!(["and", a.to_sexp(), b.to_sexp()]),
            ExprKind::Not(a) => json!(["not", a.to_sexp()]),
            ExprKind::Eq { lhs, rhs, negated } => {
                json!([
                    if *negated { "not_eq" } else { "eq" },
                    lhs.to_sexp(),
                    rhs.to_sexp()
                ])
            }
            ExprKind::Match {
                lhs,
                regex,
                negated,
            } => {
                let re = match regex {
                    None => Value::Null,
                    Some(RegexOperand::Pattern { pattern, .. }) => json!(["reg", pattern]),
                    Some(RegexOperand::Call(op)) => json!(["reg", op.to_sexp()]),
                };
                json!([
                    if *negated { "not_match" } else { "match" },
                    lhs.to_sexp(),
                    re
                ])
            }
            ExprKind::In { lhs, list, negated } => {
                let items = match list {
                    None => Value::Null,
                    Some(items) => Value::Array(items.iter().map(Operand::to_sexp).collect()),
                };
                json!([if *negated { "not_in" } else { "in" }, lhs.to_sexp(), items])
            }
            ExprKind::Is { lhs, pred, negated } => {
                json!([
                    if *negated { "is_not" } else { "is" },
                    lhs.to_sexp(),
                    pred.name()
                ])
            }
            ExprKind::Bare(op) => op.to_sexp(),
        }
    }
}
