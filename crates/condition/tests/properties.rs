//! Property tests: printing a tree and parsing it again gives the same tree; the parser
//! and evaluator never panic; hostile nesting is refused with an error, not a crash.

use proptest::prelude::*;
use travis_local_condition::{
    eval, parse, Expr, ExprKind, Facts, Func, Operand, OperandKind, Pred, RegexOperand, Span, Var,
};

fn op(kind: OperandKind) -> Operand {
    Operand {
        kind,
        span: Span::default(),
    }
}

fn ex(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn var() -> impl Strategy<Value = Var> {
    prop::sample::select(Var::ALL.to_vec())
}

/// No source can spell a backslash-newline (the line-continuation filter runs first).
fn no_continuation(s: &str) -> bool {
    let b = s.as_bytes();
    !b.iter().enumerate().any(|(i, &c)| {
        c == b'\\'
            && b[i + 1..]
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
                .any(|&c| c == b'\n' || c == b'\r')
    })
}

/// Literals: anything but both quote characters at once (which no source can spell).
fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _.$()=!,~|&/\\\\\"\n-]{0,8}",
        "[a-zA-Z0-9 _.$()=!,~|&/\\\\'-]{0,8}",
        "[a-zé\u{1F600}\t\n]{0,4}",
    ]
    .prop_filter("no continuation", |s| no_continuation(s))
}

fn operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![
        var().prop_map(|v| op(OperandKind::Var(v))),
        literal().prop_map(|s| op(OperandKind::Val(s)))
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        (
            prop::sample::select(vec![Func::Env, Func::Concat]),
            prop::collection::vec(inner, 0..3),
        )
            .prop_map(|(f, args)| op(OperandKind::Call(f, args)))
    })
}

/// Regex patterns that have a source spelling: printable ASCII, as upstream's
/// char-counting scanner only round-trips ASCII patterns.
fn pattern() -> impl Strategy<Value = String> {
    "[ -~\n]{0,10}".prop_filter("needs a spelling", |p| {
        let bare = !p.is_empty()
            && !p.contains([' ', '\n'])
            && !p.starts_with('/')
            && !p.ends_with(['/', ')'])
            && !p.to_ascii_lowercase().starts_with("env")
            && !p.to_ascii_lowercase().starts_with("concat");
        let slash = !p.ends_with('\\')
            && !p.contains("/\n")
            && p.char_indices()
                .all(|(i, c)| c != '/' || p[..i].ends_with('\\'));
        (bare || slash) && no_continuation(p)
    })
}

fn regex_operand() -> impl Strategy<Value = RegexOperand> {
    prop_oneof![
        3 => pattern().prop_map(|p| RegexOperand::Pattern { pattern: p, raw: None, span: Span::default() }),
        1 => operand()
            .prop_filter("a call", |o| matches!(o.kind, OperandKind::Call(..)))
            .prop_map(RegexOperand::Call),
    ]
}

fn term() -> impl Strategy<Value = Expr> {
    let pred = prop::sample::select(vec![Pred::Present, Pred::Blank, Pred::True, Pred::False]);
    prop_oneof![
        (operand(), operand(), any::<bool>()).prop_map(|(lhs, rhs, negated)| ex(ExprKind::Eq {
            lhs,
            rhs,
            negated
        })),
        (
            operand(),
            prop::option::weighted(0.9, regex_operand()),
            any::<bool>()
        )
            .prop_map(|(lhs, regex, negated)| ex(ExprKind::Match {
                lhs,
                regex,
                negated
            })),
        (
            operand(),
            prop::option::weighted(0.9, prop::collection::vec(operand(), 1..4)),
            any::<bool>()
        )
            .prop_map(|(lhs, list, negated)| ex(ExprKind::In { lhs, list, negated })),
        (operand(), pred, any::<bool>()).prop_map(|(lhs, pred, negated)| ex(ExprKind::Is {
            lhs,
            pred,
            negated
        })),
        operand().prop_map(|o| ex(ExprKind::Bare(o))),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    term().prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| ex(ExprKind::Or(Box::new(a), Box::new(b)))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| ex(ExprKind::And(Box::new(a), Box::new(b)))),
            inner.prop_map(|a| ex(ExprKind::Not(Box::new(a)))),
        ]
    })
}

const TOKENS: &[&str] = &[
    " ",
    " ",
    "  ",
    "\t",
    "\n",
    "\\\n",
    "(",
    ")",
    ",",
    "=",
    "==",
    "!=",
    "=~",
    "~=",
    "!~",
    "!",
    "&&",
    "||",
    "AND",
    "and",
    "OR",
    "or",
    "NOT",
    "not",
    "IN",
    "NOT IN",
    "IS",
    "IS NOT",
    "present",
    "blank",
    "true",
    "false",
    "branch",
    "tag",
    "type",
    "env",
    "concat",
    "env(",
    "concat(",
    "'a b'",
    "\"x\"",
    "'",
    "\"",
    "/",
    "/a b/",
    "^v[0-9]+$",
    "\\",
    "master",
    "nothing",
    "ANDROID",
    "envy",
    "index",
    "$FOO",
    "1",
    "é",
    "a)",
    "\u{0}",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..14).prop_map(|t| t.concat())
}

fn ascii_regexes(e: &Expr) -> bool {
    let s = e.to_sexp().to_string();
    s.is_ascii()
}

fn facts() -> Facts {
    Facts::from_json(&serde_json::json!({
        "branch": "master", "tag": "v1", "type": "push", "fork": false,
        "commit_message": "a\nb", "env": ["FOO=foo BAR=\"b c\""]
    }))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn display_then_parse_round_trips(e in expr()) {
        let printed = e.to_string();
        let again = parse(&printed);
        prop_assert!(again.is_ok(), "{printed:?} did not parse: {again:?}");
        let again = again.unwrap();
        prop_assert_eq!(&again, &e, "printed as {:?}", printed);
    }

    #[test]
    fn parsed_sources_round_trip(src in soup()) {
        if let Ok(e) = parse(&src) {
            // Non-ASCII regex tokens only parse through upstream's byte/char miscount,
            // which no printed form can reproduce in general.
            if ascii_regexes(&e) || !src.contains(['=', '~']) {
                let printed = e.to_string();
                let again = parse(&printed);
                prop_assert!(again.is_ok(), "{src:?} printed as {printed:?}: {again:?}");
                prop_assert_eq!(&again.unwrap(), &e, "{:?} printed as {:?}", src, printed);
            }
            let _ = eval(&e, &facts());
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(src in "\\PC{0,40}|[ -~\\n]{0,40}|(.|\\n){0,40}") {
        match parse(&src) {
            Ok(e) => { let _ = eval(&e, &facts()); let _ = e.to_string(); }
            Err(err) => prop_assert!(err.offset <= src.len() && src.is_char_boundary(err.offset)),
        }
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let n = 20_000;
    for src in [
        "(".repeat(n),
        format!("{}a{}", "(".repeat(n), ")".repeat(n)),
        "NOT ".repeat(n) + "a",
        "! ".repeat(n) + "a",
        format!("{}a{}", "env(".repeat(n), ")".repeat(n)),
        "a AND ".repeat(n) + "a",
        "a OR ".repeat(n) + "a",
        format!("x IN ({})", "a,".repeat(n)),
    ] {
        match parse(&src) {
            Ok(e) => {
                let _ = eval(&e, &facts());
            }
            Err(e) => assert!(e.offset <= src.len()),
        }
    }
    // Long flat lists are fine (no recursion).
    let list = format!("branch IN ({}master)", "a, ".repeat(n));
    assert_eq!(eval(&parse(&list).unwrap(), &facts()), Ok(true));
}
