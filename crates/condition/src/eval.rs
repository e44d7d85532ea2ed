//! Evaluation of a parsed condition against [`Facts`], with upstream's (Ruby) value
//! semantics (travis-config.md §4.3, `v1/eval.rb`):
//!
//! - every operand value is *cast*: a string that downcases to `true`/`false` becomes
//!   that boolean; a missing attribute is `nil`;
//! - a bare term is Ruby truthiness (`""` and `"0"` are true, `nil` and `false` are not);
//! - `=` is Ruby `==` after casting (so `nil = nil` holds), `IN` is membership by `==`;
//! - `=~` is false when either side is `nil`; `!~` is its negation;
//! - `IS true` is truthiness, `IS present` is non-empty-or-truthy.
//!
//! Errors (invalid regex, `env` with two arguments, `IN` without a list, …) are
//! returned with the span of the term that raised; on Travis they make the condition
//! false and are reported.

use crate::ast::{Expr, ExprKind, Func, Operand, OperandKind, Pred, RegexOperand, Span, Var};
use crate::Facts;

/// An evaluation error: the span of the offending term and upstream's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

/// A Ruby value as upstream's evaluator sees it (after casting).
#[derive(Debug, Clone, PartialEq)]
enum V {
    Nil,
    Bool(bool),
    Str(String),
}

impl V {
    fn truthy(&self) -> bool {
        !matches!(self, V::Nil | V::Bool(false))
    }
    /// `to_s` (`nil` → `""`).
    fn to_s(&self) -> String {
        match self {
            V::Nil => String::new(),
            V::Bool(b) => b.to_string(),
            V::Str(s) => s.clone(),
        }
    }
}

/// `cast`: `"true"`/`"false"` in any case become booleans.
fn cast(v: V) -> V {
    match v {
        V::Str(s) if s.eq_ignore_ascii_case("true") => V::Bool(true),
        V::Str(s) if s.eq_ignore_ascii_case("false") => V::Bool(false),
        v => v,
    }
}

type Res<T> = Result<T, EvalError>;

fn err<T>(span: Span, message: impl Into<String>) -> Res<T> {
    Err(EvalError {
        span,
        message: message.into(),
    })
}

pub(crate) fn eval(expr: &Expr, facts: &Facts) -> Res<bool> {
    Ok(evl(expr, facts)?.truthy())
}

fn evl(expr: &Expr, facts: &Facts) -> Res<V> {
    Ok(match &expr.kind {
        ExprKind::Or(a, b) => {
            let l = evl(a, facts)?;
            if l.truthy() {
                l
            } else {
                evl(b, facts)?
            }
        }
        ExprKind::And(a, b) => {
            let l = evl(a, facts)?;
            if l.truthy() {
                evl(b, facts)?
            } else {
                l
            }
        }
        ExprKind::Not(a) => V::Bool(!evl(a, facts)?.truthy()),
        ExprKind::Eq { lhs, rhs, negated } => {
            let l = operand(lhs, facts)?;
            let r = operand(rhs, facts)?;
            V::Bool((l == r) != *negated)
        }
        ExprKind::Match {
            lhs,
            regex,
            negated,
        } => V::Bool(matches(lhs, regex.as_ref(), facts, expr.span)? != *negated),
        ExprKind::In { lhs, list, negated } => {
            let Some(list) = list else {
                return err(
                    expr.span,
                    "IN needs a parenthesised list (undefined method `map' for nil)",
                );
            };
            let mut items = Vec::with_capacity(list.len());
            for item in list {
                items.push(operand(item, facts)?);
            }
            let l = operand(lhs, facts)?;
            V::Bool(items.contains(&l) != *negated)
        }
        ExprKind::Is { lhs, pred, negated } => {
            let v = operand(lhs, facts)?;
            let r = match pred {
                Pred::Present => present(&v),
                Pred::Blank => !present(&v),
                Pred::True => v.truthy(),
                Pred::False => !v.truthy(),
            };
            V::Bool(r != *negated)
        }
        ExprKind::Bare(op) => operand(op, facts)?,
    })
}

fn present(v: &V) -> bool {
    match v {
        V::Str(s) => !s.is_empty(),
        other => other.truthy(),
    }
}

fn matches(lhs: &Operand, regex: Option<&RegexOperand>, facts: &Facts, span: Span) -> Res<bool> {
    // `lft, rgt = evl(lft), evl(rgt)`: both sides are evaluated (and the regex
    // compiled) before the nil checks.
    let l = operand(lhs, facts)?;
    let (source, re_span) = match regex {
        None => (V::Nil, span),
        Some(RegexOperand::Pattern { pattern, span, .. }) => (cast(V::Str(pattern.clone())), *span),
        Some(RegexOperand::Call(op)) => (operand(op, facts)?, op.span),
    };
    let compiled = match source {
        V::Nil | V::Bool(false) => None,
        V::Bool(true) => return err(re_span, "no implicit conversion of true into String"),
        V::Str(s) => match crate::regex::compile(&s) {
            Ok(re) => Some(re),
            Err(_) => return err(re_span, format!("Invalid regular expression: /{s}/")),
        },
    };
    let (V::Str(_) | V::Bool(_), Some(re)) = (&l, compiled) else {
        return Ok(false);
    };
    re.is_match(&l.to_s()).map_err(|e| EvalError {
        span: re_span,
        message: format!("regular expression failed: {e}"),
    })
}

fn operand(op: &Operand, facts: &Facts) -> Res<V> {
    Ok(cast(match &op.kind {
        OperandKind::Val(s) => V::Str(s.clone()),
        OperandKind::Var(v) => var(*v, facts),
        OperandKind::Call(func, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(operand(a, facts)?);
            }
            match func {
                Func::Concat => V::Str(vals.iter().map(V::to_s).collect()),
                Func::Env => match vals.as_slice() {
                    [] | [V::Nil] => V::Nil,
                    [V::Bool(b)] => {
                        return err(op.span, format!("undefined method `to_sym' for {b}"))
                    }
                    [V::Str(name)] => env(facts, name),
                    more => {
                        return err(
                            op.span,
                            format!(
                                "wrong number of arguments (given {}, expected 0..1)",
                                more.len()
                            ),
                        )
                    }
                },
            }
        }
    }))
}

fn opt(s: &Option<String>) -> V {
    s.as_ref().map_or(V::Nil, |s| V::Str(s.clone()))
}

fn var(v: Var, f: &Facts) -> V {
    match v {
        Var::Type => opt(&f.event_type),
        Var::Repo => opt(&f.repo),
        Var::HeadRepo => opt(&f.head_repo),
        Var::Os => opt(&f.os),
        Var::Dist => opt(&f.dist),
        Var::Group => opt(&f.group),
        Var::Sudo => opt(&f.sudo),
        Var::Language => opt(&f.language),
        Var::Sender => opt(&f.sender),
        Var::Fork => f.fork.map_or(V::Nil, V::Bool),
        Var::Draft => f.draft.map_or(V::Nil, V::Bool),
        Var::Branch => opt(&f.branch),
        Var::HeadBranch => opt(&f.head_branch),
        Var::Tag => opt(&f.tag),
        Var::CommitMessage => opt(&f.commit_message),
    }
}

/// `Data#env`: the last entry of that name wins; one pair of matching outer quotes is
/// removed from each line (`gsub(/^(["'])(.*)\1$/, '\2')`).
fn env(facts: &Facts, name: &str) -> V {
    match facts.env.iter().rev().find(|(k, _)| k == name) {
        None => V::Nil,
        Some((_, value)) => V::Str(crate::env::unquote_lines(value)),
    }
}
