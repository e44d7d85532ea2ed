//! Upstream's rules and surprises, one test each, citing
//! `shared/spec/travis-config.md` (section numbers below). Trees are compared in
//! upstream's shape (`Expr::to_sexp`).

use serde_json::{json, Value};
use travis_local_condition::{eval, evaluate_str, parse, ConditionError, Facts};

fn tree(src: &str) -> Value {
    parse(src)
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
        .to_sexp()
}

fn facts(data: Value) -> Facts {
    Facts::from_json(&data).unwrap()
}

fn is(src: &str, data: Value) -> bool {
    evaluate_str(src, &facts(data)).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn parse_err(src: &str) -> (usize, String) {
    let e = parse(src).expect_err(src);
    (e.offset, e.message)
}

// ---- §4.2 Grammar and lexical rules -------------------------------------------

#[test]
fn s4_2_variables_are_case_sensitive() {
    // "Observed: `BRANCH = master` parses as [:eq, [:val,"BRANCH"], [:val,"master"]] and is false."
    assert_eq!(
        tree("BRANCH = master"),
        json!(["eq", ["val", "BRANCH"], ["val", "master"]])
    );
    assert!(!is("BRANCH = master", json!({"branch": "master"})));
}

#[test]
fn s4_2_draft_is_a_variable() {
    // "`draft` is in the code but not in the docs."
    assert_eq!(
        tree("draft = false"),
        json!(["eq", ["var", "draft"], ["val", "false"]])
    );
}

#[test]
fn s4_2_variable_needs_a_boundary() {
    // "A variable must be followed by whitespace, `,`, `=`, `)`, `|` or end of input."
    assert_eq!(
        tree("tags = x"),
        json!(["eq", ["val", "tags"], ["val", "x"]])
    );
    assert_eq!(tree("tag||x"), json!(["or", ["var", "tag"], ["val", "x"]]));
}

#[test]
fn s4_2_dollar_words_are_rejected() {
    // "A word starting with `$` raises ParseError: Strings cannot start with a dollar …"
    let (offset, message) = parse_err("branch = $FOO");
    assert_eq!(offset, 9);
    assert!(message.starts_with("Strings cannot start with a dollar"));
    // "This can be bypassed by quoting the string."
    assert_eq!(
        tree("branch = '$FOO'"),
        json!(["eq", ["var", "branch"], ["val", "$FOO"]])
    );
}

#[test]
fn s4_2_quotes_have_no_escapes_and_must_close() {
    // "Quoted: '...' or \"...\" with no escape sequences … An unterminated quote gives
    // \"expected ' at position N\"."
    assert_eq!(
        tree(r#"x = "a\b""#),
        json!(["eq", ["val", "x"], ["val", "a\\b"]])
    );
    assert_eq!(
        parse_err("branch = 'master"),
        (16, "expected '".to_string())
    );
}

#[test]
fn s4_2_regex_operands() {
    // "`/.../` … The outer slashes are stripped; escapes such as `\/` are kept verbatim."
    assert_eq!(
        tree(r"tag =~ /^v\/1$/"),
        json!(["match", ["var", "tag"], ["reg", r"^v\/1$"]])
    );
    // "a bare token `\S*[^\s)]+`: no whitespace, and it cannot end in `)`."
    // So in `(tag =~ ^(a|b)` the last `)` closes the outer parenthesis.
    assert_eq!(
        tree("(tag =~ ^(a|b)"),
        json!(["match", ["var", "tag"], ["reg", "^(a|b"]])
    );
    // "Quotes are not special here: `tag =~ 'v1'` becomes the regex `'v1'`."
    assert_eq!(
        tree("tag =~ 'v1'"),
        json!(["match", ["var", "tag"], ["reg", "'v1'"]])
    );
    // "Quoted regexes with spaces fail to parse."
    assert!(parse("tag =~ 'v1 beta'").is_err());
}

#[test]
fn s4_2_precedence_and_associativity() {
    // "`a OR b AND c` is `a OR (b AND c)`, and `NOT a = b AND c` is `(NOT a=b) AND c`."
    assert_eq!(
        tree("a OR b AND c"),
        json!(["or", ["val", "a"], ["and", ["val", "b"], ["val", "c"]]])
    );
    assert_eq!(
        tree("NOT a = b AND c"),
        json!([
            "and",
            ["not", ["eq", ["val", "a"], ["val", "b"]]],
            ["val", "c"]
        ])
    );
    // "Comparison operators do not chain, so `a = b = c` is an error."
    assert!(parse("a = b = c").is_err());
}

#[test]
fn s4_2_line_continuation() {
    // "`\` followed by optional whitespace and a newline is replaced by one space."
    assert_eq!(tree("a = b AND \\ \n c = d"), tree("a = b AND c = d"));
    // Offsets stay byte offsets into the text as given (for lint positions).
    assert_eq!(parse_err("a = b AND \\\n   ").0, 15);
}

#[test]
fn s4_2_lists_and_calls() {
    // "list := item (',' item)* ','? … a trailing comma is allowed"; "list must be non-empty".
    assert_eq!(
        tree("x IN (a, b,)"),
        json!(["in", ["val", "x"], [["val", "a"], ["val", "b"]]])
    );
    assert_eq!(parse_err("x IN ()").1, "expected a list of values");
    // "call := ('env' | 'concat') … case-insensitive; other names are parse errors"
    assert_eq!(tree("CONCAT(a)"), json!(["call", "concat", [["val", "a"]]]));
    assert!(parse("foo(bar)").is_err());
}

#[test]
fn s4_2_parse_errors_say_what_was_expected() {
    // `expected <an operand | ) | a list of values | '>`, and "Could not parse" for leftovers.
    assert_eq!(
        parse_err("branch ="),
        (8, "expected an operand".to_string())
    );
    assert_eq!(parse_err("(branch = x"), (11, "expected `)`".to_string()));
    let (offset, message) = parse_err("branch = x y");
    assert_eq!(offset, 11);
    assert!(message.starts_with("expected AND, OR or the end of the condition"));
    // travis-yml: `not` alone and `and true` are invalid conditions.
    assert!(parse("not").is_err() && parse("and true").is_err());
}

// ---- §4.3 Evaluation ----------------------------------------------------------

#[test]
fn s4_3_cast_and_equality() {
    // "`fork = false` works whether fork is `false` or `\"false\"`."
    assert!(is("fork = false", json!({"fork": false})));
    assert!(is("fork = false", json!({"fork": "false"})));
    // "A missing var is `nil`, so `draft = false` is false when draft is absent."
    assert!(!is("draft = false", json!({})));
    // Ruby `==` after casting: nil equals nil.
    assert!(is("tag = env(MISSING)", json!({})));
}

#[test]
fn s4_3_bare_terms_are_ruby_truthiness() {
    // "only `nil` and `false` … are false. So `\"\"`, `\"0\"` and `1` are true."
    for src in ["\"\"", "0", "1", "foo"] {
        assert!(is(src, json!({})), "{src}");
    }
    assert!(!is("false", json!({})) && !is("tag", json!({})) && !is("FALSE", json!({})));
}

#[test]
fn s4_3_match_semantics() {
    // "If either side is nil, the result is false." / "`!~` … is true when either side is nil."
    assert!(!is("tag =~ .*", json!({})));
    assert!(is("tag !~ .*", json!({})));
    // "`^` and `$` are line anchors, so `commit_message =~ ^foo$` matches any line."
    assert!(is(
        "commit_message =~ ^foo$",
        json!({"commit_message": "bar\nfoo\nbaz"})
    ));
    // Look-around occurs in real configs.
    assert!(is(r"branch =~ ^((?!wip).)*$", json!({"branch": "main"})));
    assert!(!is(r"branch =~ ^((?!wip).)*$", json!({"branch": "wip-x"})));
    // "An invalid regex raises ArgumentError \"Invalid regular expression: /…/\"."
    let e = evaluate_str("branch =~ /[z-a]/", &facts(json!({"branch": "x"}))).unwrap_err();
    assert!(
        matches!(&e, ConditionError::Eval(ev) if ev.message == "Invalid regular expression: /[z-a]/")
    );
    assert_eq!(e.offset(), 10);
}

#[test]
fn s4_3_is_true_means_truthy() {
    // "`branch IS true` is true for `branch: master`, while `branch = true` is false."
    assert!(is("branch IS true", json!({"branch": "master"})));
    assert!(!is("branch = true", json!({"branch": "master"})));
    // "IS present means non-empty … IS blank is its negation"; "IS NOT p is NOT (IS p)".
    assert!(is("branch IS blank", json!({"branch": ""})));
    assert!(is("tag IS NOT present", json!({})));
}

#[test]
fn s4_3_env_lookup() {
    // "later entries win. One pair of matching outer quotes is stripped. A missing name
    // or `env()` yields nil."
    let data = json!({"env": ["FOO=one", {"FOO": "\"two\""}]});
    assert!(is("env(FOO) = two", data.clone()));
    assert!(is("env() IS blank AND env(NOPE) IS blank", data));
    // "`concat(a, b, ...)` joins the `to_s` of each argument (nil becomes \"\")."
    assert!(is("concat(a, env(NOPE), b) = ab", json!({})));
    // env with two arguments is a Ruby ArgumentError at evaluation.
    assert!(eval(&parse("env(a, b)").unwrap(), &Facts::default()).is_err());
}

#[test]
fn s4_3_and_or_short_circuit() {
    // "AND, OR and NOT are ordinary short-circuit boolean operators": the invalid regex
    // on the right is never compiled.
    assert!(!is("tag = x AND branch =~ [z-a]", json!({})));
    assert!(is("tag IS blank OR branch =~ [z-a]", json!({})));
}

// ---- §4.5 Aliases and quirks --------------------------------------------------

#[test]
fn s4_5_aliases() {
    // "`!`→NOT, `&&`→AND, `||`→OR, `==`→`=`, `~=`→`=~`."
    assert_eq!(
        tree("! a == b && c ~= d || e"),
        tree("NOT a = b AND c =~ d OR e")
    );
}

#[test]
fn s4_5_negated_forms_agree() {
    // "`NOT x IN (...)` equals `x NOT IN (...)`; `NOT x IS present` equals `x IS NOT
    // present` equals `x IS blank`."
    for data in [json!({"branch": "a"}), json!({"branch": "z"}), json!({})] {
        assert_eq!(
            is("NOT branch IN (a, b)", data.clone()),
            is("branch NOT IN (a, b)", data.clone())
        );
        let p = is("NOT branch IS present", data.clone());
        assert_eq!(p, is("branch IS NOT present", data.clone()));
        assert_eq!(p, is("branch IS blank", data));
    }
}

#[test]
fn s4_5_bang_is_not_a_variable_boundary() {
    // "`branch!=master` parses as `\"branch\" != \"master\"`, a literal that is always true."
    assert_eq!(
        tree("branch!=master"),
        json!(["not_eq", ["val", "branch"], ["val", "master"]])
    );
    assert!(is("branch!=master", json!({"branch": "master"})));
}

#[test]
fn s4_5_not_and_or_match_as_prefixes() {
    // "`nothing = x` parses as `NOT (hing = x)`."
    assert_eq!(
        tree("nothing = x"),
        json!(["not", ["eq", ["val", "hing"], ["val", "x"]]])
    );
    // "`branch = master ANDROID` parses as `… AND ROID`."
    assert_eq!(
        tree("branch = master ANDROID"),
        json!([
            "and",
            ["eq", ["var", "branch"], ["val", "master"]],
            ["val", "ROID"]
        ])
    );
}

#[test]
fn s4_5_unquoted_attribute_names_are_attributes() {
    // "An unquoted RHS that equals an attribute name is that attribute … Quote it."
    assert_eq!(
        tree("branch = type"),
        json!(["eq", ["var", "branch"], ["var", "type"]])
    );
    assert_eq!(
        tree("branch = 'type'"),
        json!(["eq", ["var", "branch"], ["val", "type"]])
    );
}

// ---- Observed with the Ruby implementation (tools/differential) ----------------

#[test]
fn observed_scanner_never_backtracks() {
    // `env` without `(` stays consumed: `tag =~ environment` matches `ironment`.
    assert_eq!(
        tree("tag =~ environment"),
        json!(["match", ["var", "tag"], ["reg", "ironment"]])
    );
    // `IS` without a predicate stays consumed: `foo is = bar` is `foo = bar`.
    assert_eq!(
        tree("foo is = bar"),
        json!(["eq", ["val", "foo"], ["val", "bar"]])
    );
    // `IN` without parentheses at the end parses; evaluating it raises.
    assert_eq!(tree("foo in"), json!(["in", ["val", "foo"], null]));
    assert!(eval(&parse("foo in").unwrap(), &Facts::default()).is_err());
    // `=~` with nothing after it parses and is false.
    assert_eq!(tree("branch =~"), json!(["match", ["var", "branch"], null]));
    assert!(!is("branch =~", json!({"branch": "x"})));
}

#[test]
fn observed_non_ascii_regex_tokens() {
    // Upstream advances by the token's character count, not its byte length: a regex
    // token with non-ASCII characters leaves bytes behind and fails to parse …
    assert!(parse("branch =~ ^ü$").is_err());
    // … unless the leftover bytes happen to spell the rest of a valid condition.
    assert_eq!(
        tree("tag =~ ééOR y"),
        json!([
            "or",
            ["match", ["var", "tag"], ["reg", "ééOR"]],
            ["val", "y"]
        ])
    );
    // A non-ASCII byte right after a variable name makes Ruby's boundary check raise.
    assert!(parse("branché = x").is_err());
}

#[test]
fn found_by_fuzzing_trailing_nul_regex_round_trips() {
    // Upstream strips trailing NULs (and whitespace) from the rest of the input before
    // reading a regex token; a token ending in NUL survives only when `)` follows.
    let src = "(tag =~ ^*-macos$\0\0)";
    let e = parse(src).unwrap();
    assert_eq!(
        e.to_sexp(),
        json!(["match", ["var", "tag"], ["reg", "^*-macos$\0\0"]])
    );
    assert_eq!(parse(&e.to_string()).unwrap(), e);
    assert!(parse("tag =~ ^*-macos$\0\0").is_err());
}
