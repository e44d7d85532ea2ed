//! Cases restated from travis-yml's own `spec/travis/yml/matrix_spec.rb` (inputs written
//! in their normalised form, as `Travis::Yml.apply` produces them without defaults unless
//! the spec turns defaults on), checked against `expand`.

use serde_json::{json, Value};
use travis_local_matrix::{expand, BuildFacts};

fn rows(config: Value) -> Vec<Value> {
    expand(&config, &BuildFacts::push("o/r", "master"))
        .jobs
        .into_iter()
        .map(|j| j.config)
        .collect()
}

#[test]
fn no_matrix() {
    assert_eq!(rows(json!({})), vec![json!({})]);
}

#[test]
fn matrix_3_first_key_slowest() {
    let r = rows(json!({
        "rvm": ["2.2", "2.3"], "gemfile": ["str"],
        "env": {"jobs": [{"FOO": "foo"}, {"BAR": "bar"}, {"BAZ": "baz"}]}
    }));
    let got: Vec<(Value, Value)> = r
        .iter()
        .map(|j| (j["rvm"].clone(), j["env"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("2.2"), json!([{"FOO": "foo"}])),
            (json!("2.2"), json!([{"BAR": "bar"}])),
            (json!("2.2"), json!([{"BAZ": "baz"}])),
            (json!("2.3"), json!([{"FOO": "foo"}])),
            (json!("2.3"), json!([{"BAR": "bar"}])),
            (json!("2.3"), json!([{"BAZ": "baz"}])),
        ]
    );
}

#[test]
fn key_unsupported_by_language() {
    assert_eq!(
        rows(json!({"language": "c", "python": ["3.7"]})),
        vec![json!({"language": "c"})]
    );
}

#[test]
fn unsupported_matrix_key_leaves_no_bogus_job() {
    let r = rows(json!({
        "language": "shell", "compiler": ["gcc", "clang"],
        "jobs": {"include": [{"env": [{"ONE": "one"}]}]}
    }));
    assert_eq!(
        r,
        vec![json!({"language": "shell", "env": [{"ONE": "one"}]})]
    );
}

#[test]
fn os_matrix_with_defaults_drops_dist_off_linux() {
    let r = rows(json!({"language": "python", "os": ["linux", "osx", "windows"], "dist": "focal"}));
    assert_eq!(
        r,
        vec![
            json!({"os": "linux", "language": "python", "dist": "focal"}),
            json!({"os": "osx", "language": "python"}),
            json!({"os": "windows", "language": "python"}),
        ]
    );
}

#[test]
fn arch_on_osx_collapses() {
    let r = rows(json!({"os": ["linux", "osx"], "arch": ["amd64", "arm64"]}));
    assert_eq!(
        r,
        vec![
            json!({"os": "linux", "arch": "amd64"}),
            json!({"os": "linux", "arch": "arm64"}),
            json!({"os": "osx"}),
        ]
    );
}

#[test]
fn null_env_with_include() {
    let r = rows(json!({
        "rvm": ["2.2", "2.3"],
        "jobs": {"include": [{"rvm": "1.8.7", "env": [{"FOO": "foo"}]}]}
    }));
    assert_eq!(
        r,
        vec![
            json!({"rvm": "2.2"}),
            json!({"rvm": "2.3"}),
            json!({"rvm": "1.8.7", "env": [{"FOO": "foo"}]})
        ]
    );
}

#[test]
fn include_as_hash() {
    let r = rows(json!({"dist": "trusty", "jobs": {"include": {"env": [{"FOO": "foo"}]}}}));
    assert_eq!(r, vec![json!({"dist": "trusty", "env": [{"FOO": "foo"}]})]);
}

#[test]
fn removes_version() {
    assert_eq!(
        rows(json!({"language": "shell", "version": "= 0"})),
        vec![json!({"language": "shell"})]
    );
}

#[test]
fn empty_var_overwriting_global() {
    let r = rows(json!({
        "env": {"global": [{"ONE": "one"}]},
        "jobs": {"include": [{"env": [{"ONE": ""}]}]}
    }));
    assert_eq!(r[0]["env"], json!([{"ONE": "one"}, {"ONE": ""}]));
}

#[test]
fn include_inherits_legacy_first_env() {
    let r = rows(json!({
        "env": {"jobs": [{"FOO": "foo"}, {"BAR": "bar"}]},
        "jobs": {"include": [{"name": "x"}]}
    }));
    assert_eq!(r.len(), 3);
    assert_eq!(r[2]["env"], json!([{"FOO": "foo"}]));
}

#[test]
fn ppc64le_and_s390x() {
    let r = rows(json!({
        "language": "cpp", "os": ["linux"], "dist": "focal",
        "jobs": {"include": [
            {"os": "linux-ppc64le"},
            {"os": "linux", "arch": "ppc64le"},
            {"os": "linux", "arch": "s390x"},
            {"os": "linux", "arch": "s390x", "dist": "bionic"}
        ]}
    }));
    let got: Vec<(Value, Value, Value)> = r
        .iter()
        .map(|j| {
            (
                j["os"].clone(),
                j["dist"].clone(),
                j.get("arch").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (json!("linux-ppc64le"), json!("focal"), Value::Null),
            (json!("linux"), json!("focal"), json!("ppc64le")),
            (json!("linux"), json!("focal"), json!("s390x")),
            (json!("linux"), json!("bionic"), json!("s390x")),
        ]
    );
}

#[test]
fn stages_with_matching_env_vars() {
    // configs/stages: matrix jobs go to `test`, includes inherit `one`; stage order by
    // first appearance (test, one).
    let plan = expand(
        &json!({
            "env": {"jobs": [{"ONE": "one"}, {"TWO": "two"}]},
            "jobs": {"include": [{"stage": "one", "env": [{"ONE": "one"}]}, {"env": [{"TWO": "two"}]}]}
        }),
        &BuildFacts::push("o/r", "master"),
    );
    let got: Vec<(String, Value)> = plan
        .jobs
        .iter()
        .map(|j| (j.stage.clone(), j.config["env"].clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("test".to_string(), json!([{"ONE": "one"}])),
            ("test".to_string(), json!([{"TWO": "two"}])),
            ("one".to_string(), json!([{"ONE": "one"}])),
            ("one".to_string(), json!([{"TWO": "two"}])),
        ]
    );
}
