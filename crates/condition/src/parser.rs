//! The condition parser: nom combinators that reproduce travis-conditions v1's
//! hand-written `StringScanner` parser token for token, quirks included.
//!
//! Upstream's scanner never backtracks once a sub-scanner has consumed input, even when
//! that sub-scanner then "returns nil" (e.g. `env` is consumed as a function name and the
//! `(` is missing). The observable quirks (travis-config.md §4.5: `nothing = x` is
//! `NOT (hing = x)`, `branch = master ANDROID` is `… AND ROID`, `branch!=master` is a
//! literal comparison, …) all follow from that. So each function here returns the input
//! *after* whatever upstream consumes, with `Option::None` for upstream's `nil`, and
//! raises `nom::Err::Failure` exactly where upstream raises `ParseError`.
//!
//! The input is bytes, because upstream mixes byte positions and character counts after a
//! regex operand (`pos + reg.size`); working on bytes lets us mirror that without slicing
//! inside a character. Nesting is limited (`MAX_DEPTH`) so hostile input cannot overflow
//! the stack; upstream has no such limit (a deviation only for absurd input).

use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::combinator::opt;
use nom::IResult;
use std::borrow::Cow;

use crate::ast::{
    is_ruby_space, Expr, ExprKind, Func, Operand, OperandKind, Pred, RegexOperand, Span, Var,
};
use crate::ParseError;

/// Deepest tree (parentheses, NOT, calls, and chained AND/OR) accepted.
pub const MAX_DEPTH: usize = 128;

type In<'a> = &'a [u8];

/// An error raised while parsing: where (remaining input length) and what.
#[derive(Debug, Clone)]
pub struct PErr {
    rest_len: usize,
    message: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<In<'a>> for PErr {
    fn from_error_kind(input: In<'a>, _: nom::error::ErrorKind) -> Self {
        // Built on every failed alternative: keep it allocation-free.
        PErr {
            rest_len: input.len(),
            message: Cow::Borrowed("unexpected input"),
        }
    }
    fn append(_: In<'a>, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type R<'a, T> = IResult<In<'a>, T, PErr>;

fn fail<T>(at: In<'_>, message: impl Into<Cow<'static, str>>) -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Failure(PErr {
        rest_len: at.len(),
        message: message.into(),
    }))
}

/// Ruby `\s*`.
fn ws(i: In<'_>) -> In<'_> {
    let n = i.iter().take_while(|&&b| is_ruby_space(b)).count();
    &i[n..]
}

/// Upstream's `space { … }`: skip whitespace, run the scanner, skip whitespace again
/// (whether or not the scanner matched).
fn space<'a, T>(i: In<'a>, f: impl FnOnce(In<'a>) -> R<'a, T>) -> R<'a, T> {
    let (i, out) = f(ws(i))?;
    Ok((ws(i), out))
}

/// Continuation filter: `\` + optional whitespace + newline becomes one space
/// (`str.gsub(/\\\s*[\n\r]/, ' ')`). Returns the filtered text and a map of
/// (filtered offset, original offset) breakpoints.
fn filter(src: &str) -> (Vec<u8>, Vec<(usize, usize)>) {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut map = vec![(0usize, 0usize)];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            // \s* is greedy, then backs off to the last \n or \r of the whitespace run.
            let mut j = i + 1;
            let mut last_nl = None;
            while j < b.len() && is_ruby_space(b[j]) {
                if b[j] == b'\n' || b[j] == b'\r' {
                    last_nl = Some(j);
                }
                j += 1;
            }
            if let Some(nl) = last_nl {
                out.push(b' ');
                map.push((out.len(), nl + 1));
                i = nl + 1;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    (out, map)
}

fn map_offset(map: &[(usize, usize)], filtered: usize) -> usize {
    let idx = match map.binary_search_by(|&(f, _)| f.cmp(&filtered)) {
        Ok(k) => k,
        Err(k) => k.saturating_sub(1),
    };
    let (f, o) = map[idx];
    o + (filtered - f)
}

fn floor_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while at > 0 && !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

struct Ctx<'s> {
    total: usize,
    map: Vec<(usize, usize)>,
    src: &'s str,
}

impl Ctx<'_> {
    /// Original byte offset of the position where `rest` starts.
    fn pos(&self, rest: In<'_>) -> usize {
        floor_boundary(self.src, map_offset(&self.map, self.total - rest.len()))
    }
    fn span(&self, from: In<'_>, to: In<'_>) -> Span {
        let start = self.pos(from);
        Span::new(start, self.pos(to).max(start))
    }
}

/// Parse a condition exactly as travis-conditions v1 does.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let (filtered, map) = filter(src);
    let ctx = Ctx {
        total: filtered.len(),
        map,
        src,
    };
    let i: In<'_> = &filtered;
    match ctx.expr(i, 0) {
        Ok((rest, (expr, _))) => {
            if rest.is_empty() {
                Ok(expr)
            } else {
                let found = String::from_utf8_lossy(&rest[..rest.len().min(20)]).into_owned();
                Err(ParseError {
                    offset: ctx.pos(rest),
                    message: format!(
                        "expected AND, OR or the end of the condition, found `{found}`"
                    ),
                })
            }
        }
        Err(nom::Err::Failure(e)) | Err(nom::Err::Error(e)) => {
            let offset = floor_boundary(
                src,
                map_offset(&ctx.map, ctx.total - e.rest_len.min(ctx.total)),
            );
            Err(ParseError {
                offset,
                message: e.message.into_owned(),
            })
        }
        Err(nom::Err::Incomplete(_)) => Err(ParseError {
            offset: src.len(),
            message: "unexpected end".into(),
        }),
    }
}

fn too_deep<T>(at: In<'_>) -> Result<T, nom::Err<PErr>> {
    fail(
        at,
        format!("condition is nested too deeply (more than {MAX_DEPTH} levels)"),
    )
}

/// Is `b` a UTF-8 continuation byte?
fn is_cont(b: u8) -> bool {
    b & 0xC0 == 0x80
}

impl Ctx<'_> {
    // ---- Boolean layer (upstream boolean.rb) -----------------------------------

    /// expr := expr_ (OR expr_)*
    fn expr<'a>(&self, i: In<'a>, depth: usize) -> R<'a, (Expr, usize)> {
        self.chain(i, depth, alt_or, Self::expr_, ExprKind::Or)
    }

    /// expr_ := oprd (AND oprd)*
    fn expr_<'a>(&self, i: In<'a>, depth: usize) -> R<'a, (Expr, usize)> {
        self.chain(i, depth, alt_and, Self::oprd, ExprKind::And)
    }

    /// `sub (op sub)*`, left-associative, each step one level deeper (checked against
    /// [`MAX_DEPTH`]); `kind` builds the node of one `op`.
    fn chain<'a>(
        &self,
        i: In<'a>,
        depth: usize,
        op: fn(In<'a>) -> R<'a, ()>,
        sub: fn(&Self, In<'a>, usize) -> R<'a, (Expr, usize)>,
        kind: fn(Box<Expr>, Box<Expr>) -> ExprKind,
    ) -> R<'a, (Expr, usize)> {
        let start = i;
        let (mut i, (mut lft, mut d)) = sub(self, i, depth)?;
        loop {
            let (j, found) = space(i, |i| opt(op)(i))?;
            i = j;
            if found.is_none() {
                break;
            }
            let (j, (rgt, dr)) = sub(self, i, depth)?;
            i = j;
            d = 1 + d.max(dr);
            if depth + d > MAX_DEPTH {
                return too_deep(i);
            }
            let span = self.span(start, i);
            lft = Expr {
                kind: kind(Box::new(lft), Box::new(rgt)),
                span,
            };
        }
        Ok((i, (lft, d)))
    }

    /// oprd := '(' expr ')' | NOT oprd | term
    fn oprd<'a>(&self, i: In<'a>, depth: usize) -> R<'a, (Expr, usize)> {
        if depth >= MAX_DEPTH {
            return too_deep(i);
        }
        // parens { expr }
        let (i, open) = space(i, |i| opt(tag("("))(i))?;
        if open.is_some() {
            let (i, e) = space(i, |i| self.expr(i, depth + 1))?;
            let (i, close) = opt(tag(")"))(i)?;
            if close.is_none() {
                return fail(i, "expected `)`");
            }
            return Ok((i, e));
        }
        // not_ { oprd }: NOT is matched as a prefix (`nothing` is `NOT hing`).
        let start = i;
        let (i, not) = space(i, |i| opt(alt_not)(i))?;
        if not.is_some() {
            let (i, (e, d)) = self.oprd(i, depth + 1)?;
            let span = self.span(start, i);
            return Ok((
                i,
                (
                    Expr {
                        kind: ExprKind::Not(Box::new(e)),
                        span,
                    },
                    d + 1,
                ),
            ));
        }
        let (i, e) = self.term(i, depth)?;
        Ok((i, (e, 1)))
    }

    // ---- Terms (upstream parser.rb) --------------------------------------------

    fn term<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Expr> {
        let start = i;
        let (i, lft) = self.operand(i, depth)?;
        let mk = |kind: ExprKind, end: In<'_>| Expr {
            kind,
            span: self.span(start, end),
        };

        // in_list: IN is matched as a prefix; a missing `(` leaves a list-less IN.
        let (i, op) = space(i, |i| opt(alt_in)(i))?;
        if let Some(negated) = op {
            let (i, list) = self.in_list(i, depth)?;
            let lhs = lft;
            return Ok((i, mk(ExprKind::In { lhs, list, negated }, i)));
        }

        // is_pred: `IS` without a predicate falls through (having consumed `IS`).
        let (i, op) = space(i, |i| opt(alt_is)(i))?;
        let i = if let Some(negated) = op {
            let (i, pred) = space(i, |i| opt(alt_pred)(i))?;
            if let Some(pred) = pred {
                return Ok((
                    i,
                    mk(
                        ExprKind::Is {
                            lhs: lft,
                            pred,
                            negated,
                        },
                        i,
                    ),
                ));
            }
            i
        } else {
            i
        };

        // re
        let (i, op) = space(i, |i| opt(alt_re)(i))?;
        if let Some(negated) = op {
            let (i, regex) = self.regex(i, depth)?;
            return Ok((
                i,
                mk(
                    ExprKind::Match {
                        lhs: lft,
                        regex,
                        negated,
                    },
                    i,
                ),
            ));
        }

        // eq
        let (i, op) = space(i, |i| opt(alt_eq)(i))?;
        if let Some(negated) = op {
            let (i, rhs) = self.operand(i, depth)?;
            return Ok((
                i,
                mk(
                    ExprKind::Eq {
                        lhs: lft,
                        rhs,
                        negated,
                    },
                    i,
                ),
            ));
        }

        let span = lft.span;
        Ok((
            i,
            Expr {
                kind: ExprKind::Bare(lft),
                span,
            },
        ))
    }

    /// The list after `IN`: `(a, b)`, or None without the `(`.
    fn in_list<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Option<Vec<Operand>>> {
        let (i, open) = space(i, |i| opt(tag("("))(i))?;
        if open.is_none() {
            return Ok((i, None));
        }
        let (i, items) = space(i, |i| self.list(i, depth + 1))?;
        if items.is_empty() {
            return fail(i, "expected a list of values");
        }
        let (i, close) = opt(tag(")"))(i)?;
        if close.is_none() {
            return fail(i, "expected `)`");
        }
        Ok((i, Some(items)))
    }

    /// operand := var | call | val, or "expected an operand".
    fn operand<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Operand> {
        let (i, op) = space(i, |i| self.item(i, depth))?;
        match op {
            Some(op) => Ok((i, op)),
            None => fail(i, "expected an operand"),
        }
    }

    /// var || call || val (the alternatives share upstream's scanner position).
    fn item<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Option<Operand>> {
        if let (j, Some(v)) = self.var(i)? {
            return Ok((j, Some(v)));
        }
        let (i, c) = self.call(i, depth)?;
        if c.is_some() {
            return Ok((i, c));
        }
        self.val(i)
    }

    /// A variable name, case-sensitive, followed by a boundary (`\s , = ) |` or end).
    fn var<'a>(&self, i: In<'a>) -> R<'a, Option<Operand>> {
        for v in Var::ALL {
            if let Ok((rest, _)) = tag::<_, _, PErr>(v.name().as_bytes())(i) {
                return match rest.first() {
                    None => Ok((rest, Some(self.mk_op(OperandKind::Var(v), i, rest)))),
                    Some(&b) if is_ruby_space(b) || b",=)|".contains(&b) => {
                        Ok((rest, Some(self.mk_op(OperandKind::Var(v), i, rest))))
                    }
                    // Ruby's boundary check (`peek(1) =~ /[\s,=)|]/`) raises on the lone
                    // first byte of a multi-byte character.
                    Some(&b) if b >= 0x80 => {
                        fail(rest, "invalid byte sequence after a variable name")
                    }
                    // Upstream tries only the first alternative that matches.
                    Some(_) => Ok((i, None)),
                };
            }
        }
        Ok((i, None))
    }

    fn mk_op(&self, kind: OperandKind, from: In<'_>, to: In<'_>) -> Operand {
        Operand {
            kind,
            span: self.span(from, to),
        }
    }

    /// call := (env|concat) '(' list ')'. Without the `(` this returns nothing but keeps
    /// the function name consumed, as upstream does (`envy` reads as `y`).
    fn call<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Option<Operand>> {
        let start = ws(i);
        let (i, func) = space(i, |i| opt(alt_func)(i))?;
        let Some(func) = func else {
            return Ok((i, None));
        };
        let (i, open) = space(i, |i| opt(tag("("))(i))?;
        if open.is_none() {
            return Ok((i, None));
        }
        if depth >= MAX_DEPTH {
            return too_deep(i);
        }
        let (i, args) = space(i, |i| self.list(i, depth + 1))?;
        let (i, close) = opt(tag(")"))(i)?;
        if close.is_none() {
            return fail(i, "expected `)`");
        }
        Ok((i, Some(self.mk_op(OperandKind::Call(func, args), start, i))))
    }

    /// list := item (',' item)* — upstream recurses once per item and skips one extra
    /// comma per level on the way out; this loop does the same without recursion.
    fn list<'a>(&self, mut i: In<'a>, depth: usize) -> R<'a, Vec<Operand>> {
        let mut items = Vec::new();
        loop {
            let (j, item) = self.item(i, depth)?;
            i = j;
            let Some(item) = item else { break };
            items.push(item);
            let (j, comma) = space(i, |i| opt(tag(","))(i))?;
            i = j;
            if comma.is_none() {
                break;
            }
        }
        for _ in 0..items.len() {
            match tag::<_, _, PErr>(",")(i) {
                Ok((j, _)) => i = j,
                Err(_) => break,
            }
        }
        Ok((i, items))
    }

    /// val := quoted | word
    fn val<'a>(&self, i: In<'a>) -> R<'a, Option<Operand>> {
        let start = i;
        if let Some(&q) = i.first().filter(|&&b| b == b'"' || b == b'\'') {
            let (i, body) = take_while(|b| b != q)(&i[1..])?;
            let (i, close) = opt(tag(&[q][..]))(i)?;
            if close.is_none() {
                return fail(i, format!("expected {}", q as char));
            }
            let s = String::from_utf8_lossy(body).into_owned();
            return Ok((i, Some(self.mk_op(OperandKind::Val(s), start, i))));
        }
        let i = ws(i);
        let start = i;
        let (j, word) = opt(take_while1(is_word_byte))(i)?;
        let j = ws(j);
        match word {
            None => Ok((j, None)),
            Some(w) if w[0] == b'$' => fail(
                start,
                "Strings cannot start with a dollar (shell code does not work). This can be bypassed by quoting the string.",
            ),
            Some(w) => {
                let s = String::from_utf8_lossy(w).into_owned();
                let end = &i[w.len()..];
                Ok((j, Some(self.mk_op(OperandKind::Val(s), start, end))))
            }
        }
    }

    /// The operand of `=~`/`!~`: a call, a bare token (`\S*[^\s)]+`) or `/.../`.
    fn regex<'a>(&self, i: In<'a>, depth: usize) -> R<'a, Option<RegexOperand>> {
        let (i, c) = self.call(i, depth)?;
        if let Some(c) = c {
            return Ok((i, Some(RegexOperand::Call(c))));
        }
        let i = ws(i);
        // `Regex.new(rest)` strips leading and trailing whitespace and NULs.
        let lead = i
            .iter()
            .take_while(|&&b| b == 0 || is_ruby_space(b))
            .count();
        let mut sub = &i[lead..];
        let trail = sub
            .iter()
            .rev()
            .take_while(|&&b| b == 0 || is_ruby_space(b))
            .count();
        sub = &sub[..sub.len() - trail];
        let raw: Option<Vec<u8>> = if sub.first() == Some(&b'/') {
            // Runs to the next `/` not preceded by a backslash; a missing closing
            // slash is fine (the token then runs to the end).
            let mut reg = vec![b'/'];
            let mut esc = false;
            let mut k = 1;
            while k < sub.len() {
                let c = sub[k];
                if c == b'/' && !esc {
                    reg.push(b'/');
                    break;
                }
                esc = c == b'\\' || (esc && is_cont(c));
                reg.push(c);
                k += 1;
            }
            Some(reg)
        } else {
            let run = sub.iter().take_while(|&&b| !is_ruby_space(b)).count();
            let mut end = run;
            while end > 0 && sub[end - 1] == b')' {
                end -= 1;
            }
            (end > 0).then(|| sub[..end].to_vec())
        };
        let Some(raw) = raw else {
            return Ok((ws(i), None));
        };
        // Upstream advances its byte position by the token's *character* count.
        let chars = raw.iter().filter(|&&b| !is_cont(b)).count();
        let start = i;
        let after = &i[chars.min(i.len())..];
        let raw_s = String::from_utf8_lossy(&raw).into_owned();
        let pattern = strip_slashes(&raw_s);
        let span = self.span(&start[lead.min(start.len())..], after);
        Ok((
            ws(after),
            Some(RegexOperand::Pattern {
                pattern,
                raw: Some(raw_s),
                span,
            }),
        ))
    }
}

/// `reg.gsub(%r{^/|/$}, '')` with Ruby's line anchors.
fn strip_slashes(raw: &str) -> String {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    for (k, &c) in b.iter().enumerate() {
        if c == b'/' {
            let at_line_start = k == 0 || b[k - 1] == b'\n';
            let at_line_end = k + 1 == b.len() || b[k + 1] == b'\n';
            if at_line_start || at_line_end {
                continue;
            }
        }
        out.push(c);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// WORD = `[^\s()"',=!]+`
fn is_word_byte(b: u8) -> bool {
    !is_ruby_space(b) && !b"()\"',=!".contains(&b)
}

// ---- Keyword scanners (all anchored, case-insensitive where upstream uses /i) ------

fn alt_or(i: In<'_>) -> R<'_, ()> {
    nom::branch::alt((tag_no_case("or"), tag("||")))(i).map(|(i, _)| (i, ()))
}

fn alt_and(i: In<'_>) -> R<'_, ()> {
    nom::branch::alt((tag_no_case("and"), tag("&&")))(i).map(|(i, _)| (i, ()))
}

fn alt_not(i: In<'_>) -> R<'_, ()> {
    nom::branch::alt((tag_no_case("not"), tag("!")))(i).map(|(i, _)| (i, ()))
}

/// IN = /in|not in/i → negated?
fn alt_in(i: In<'_>) -> R<'_, bool> {
    if let Ok((j, _)) = tag_no_case::<_, _, PErr>("in")(i) {
        return Ok((j, false));
    }
    tag_no_case("not in")(i).map(|(j, _)| (j, true))
}

/// IS = /is not|is/i → negated?
fn alt_is(i: In<'_>) -> R<'_, bool> {
    if let Ok((j, _)) = tag_no_case::<_, _, PErr>("is not")(i) {
        return Ok((j, true));
    }
    tag_no_case("is")(i).map(|(j, _)| (j, false))
}

fn alt_pred(i: In<'_>) -> R<'_, Pred> {
    for (name, p) in [
        ("present", Pred::Present),
        ("blank", Pred::Blank),
        ("true", Pred::True),
        ("false", Pred::False),
    ] {
        if let Ok((j, _)) = tag_no_case::<_, _, PErr>(name)(i) {
            return Ok((j, p));
        }
    }
    Err(nom::Err::Error(PErr {
        rest_len: i.len(),
        message: "expected a predicate".into(),
    }))
}

fn alt_func(i: In<'_>) -> R<'_, Func> {
    if let Ok((j, _)) = tag_no_case::<_, _, PErr>("env")(i) {
        return Ok((j, Func::Env));
    }
    tag_no_case("concat")(i).map(|(j, _)| (j, Func::Concat))
}

/// RE = /=~|~=/ or NRE = /!~/ → negated?
fn alt_re(i: In<'_>) -> R<'_, bool> {
    if let Ok((j, _)) = nom::branch::alt((tag::<_, _, PErr>("=~"), tag("~=")))(i) {
        return Ok((j, false));
    }
    tag("!~")(i).map(|(j, _)| (j, true))
}

/// EQ = /==|=/ or NEQ = /!=/ → negated?
fn alt_eq(i: In<'_>) -> R<'_, bool> {
    if let Ok((j, _)) = nom::branch::alt((tag::<_, _, PErr>("=="), tag("=")))(i) {
        return Ok((j, false));
    }
    tag("!=")(i).map(|(j, _)| (j, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_maps_offsets_back() {
        let (f, map) = filter("a \\\n b");
        assert_eq!(f, b"a   b");
        assert_eq!(map_offset(&map, 4), 5);
        assert_eq!(map_offset(&map, 2), 2);
    }

    #[test]
    fn strip_slashes_like_ruby_gsub() {
        assert_eq!(strip_slashes("/foo/"), "foo");
        assert_eq!(strip_slashes("a/b"), "a/b");
        assert_eq!(strip_slashes("v1/"), "v1");
        assert_eq!(strip_slashes("/a\\/\n/b/"), "a\\\nb");
    }
}
