//! ECR support for travis-local: the job hook behind `aws ecr get-login-password`
//! inside jobs, and `travis-local ecr login` for the host's Docker.
//!
//! One job: when a job's final environment (after secrets) holds AWS credentials and a
//! region, fetch an ECR authorization token on the host with aws-sdk-ecr (honouring
//! `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL`, so an emulator such as moto works) and
//! hand the job a masked secret variable plus a small `aws` shim that prints it. Jobs
//! keep working unchanged on images without the AWS CLI, and the token never appears in
//! the script text. Deviation from ARCHITECTURE.md: no `publish` command; the job's own
//! `docker login`/`docker push` do the publishing, as on Travis.

pub mod login;
pub mod shim;
pub mod token;

use travis_local_runner::executor::{HookOutput, JobHook};

pub use token::{EcrLogin, TokenRequest};

/// Setting this variable to `false`/`0`/`no`/`off` in a job disables the hook.
pub const DISABLE_VAR: &str = "TRAVIS_LOCAL_ECR";

/// Hook that provides `aws ecr get-login-password` inside jobs whose environment holds
/// AWS credentials and a region.
#[derive(Debug, Default)]
pub struct EcrHook;

/// What the hook decided from a job's environment.
#[derive(Debug)]
pub enum Plan {
    /// Nothing to do (no credentials, or disabled).
    Skip,
    /// Credentials but something missing: say so in the job log, do nothing else.
    Notice(String),
    /// Fetch a token with this request.
    Fetch(TokenRequest),
}

/// Decide from the job's environment (later entries override earlier ones; simple
/// `$VAR` / `${VAR}` / `${VAR:-default}` references to earlier entries are expanded, as
/// bash will when it exports them).
pub fn plan(env: &[(String, String)]) -> Plan {
    let vars = Env::new(env);
    if let Some(v) = vars.get(DISABLE_VAR) {
        if matches!(
            v.to_ascii_lowercase().as_str(),
            "0" | "false" | "no" | "off"
        ) {
            return Plan::Skip;
        }
    }
    let (Some(key), Some(secret)) = (
        vars.get("AWS_ACCESS_KEY_ID"),
        vars.get("AWS_SECRET_ACCESS_KEY"),
    ) else {
        return Plan::Skip;
    };
    let Some(region) = vars
        .get("AWS_REGION")
        .or_else(|| vars.get("AWS_DEFAULT_REGION"))
    else {
        return Plan::Notice(
            "travis-local ecr: AWS credentials are set but no AWS_REGION or AWS_DEFAULT_REGION, \
             so `aws ecr get-login-password` is not emulated in this job"
                .to_string(),
        );
    };
    if !valid_region(&region) {
        return Plan::Notice(format!(
            "travis-local ecr: AWS_REGION {region:?} is not a region name, \
             so `aws ecr get-login-password` is not emulated in this job"
        ));
    }
    Plan::Fetch(TokenRequest {
        access_key_id: key,
        secret_access_key: secret,
        session_token: vars.get("AWS_SESSION_TOKEN"),
        region,
        endpoint_url: vars
            .get("AWS_ENDPOINT_URL_ECR")
            .or_else(|| vars.get("AWS_ENDPOINT_URL")),
    })
}

/// What the job receives for a fetched login.
pub fn hook_output(req: &TokenRequest, login: &EcrLogin) -> HookOutput {
    let mut env = vec![(shim::REGION_VAR.to_string(), req.region.clone())];
    if let Some(registry) = &login.registry {
        env.push((shim::REGISTRY_VAR.to_string(), registry.clone()));
    }
    let from = token::endpoint_label(req.endpoint_url.as_deref(), &req.region);
    HookOutput {
        secret_env: vec![(shim::PASSWORD_VAR.to_string(), login.password.clone())],
        env,
        home_files: vec![(
            shim::SHIM_PATH.to_string(),
            shim::script().into_bytes(),
            true,
        )],
        notices: vec![format!(
            "travis-local ecr: got an ECR login token from {from} for region {}{}; \
             `aws ecr get-login-password` prints it in this job (masked in the log)",
            req.region,
            login
                .registry
                .as_deref()
                .map(|r| format!(" (registry {r})"))
                .unwrap_or_default(),
        )],
    }
}

impl JobHook for EcrHook {
    fn name(&self) -> &str {
        "ecr"
    }

    fn before_job(&self, env: &[(String, String)]) -> Result<HookOutput, String> {
        match plan(env) {
            Plan::Skip => Ok(HookOutput::default()),
            Plan::Notice(line) => Ok(HookOutput {
                notices: vec![line],
                ..HookOutput::default()
            }),
            Plan::Fetch(req) => {
                // The runner prefixes the hook's name ("ecr: ...").
                let login = token::fetch(&req)?;
                Ok(hook_output(&req, &login))
            }
        }
    }
}

pub(crate) fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The job environment as an ordered list with simple shell-style expansion.
struct Env<'a> {
    entries: &'a [(String, String)],
}

impl<'a> Env<'a> {
    fn new(entries: &'a [(String, String)]) -> Self {
        Self { entries }
    }

    /// Final (expanded, unquoted) value of `name`, `None` when unset or empty.
    fn get(&self, name: &str) -> Option<String> {
        let idx = self.entries.iter().rposition(|(k, _)| k == name)?;
        let value = expand(unquote(&self.entries[idx].1), &self.entries[..idx], 0);
        (!value.is_empty()).then_some(value)
    }
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Expand `$NAME`, `${NAME}` and `${NAME:-default}` against earlier entries. Anything
/// more elaborate is kept verbatim (the caller then sees an odd value and says so).
fn expand(value: &str, earlier: &[(String, String)], depth: usize) -> String {
    if depth > 8 || !value.contains('$') {
        return value.to_string();
    }
    let lookup = |name: &str| -> String {
        match earlier.iter().rposition(|(k, _)| k == name) {
            Some(i) => expand(unquote(&earlier[i].1), &earlier[..i], depth + 1),
            None => String::new(),
        }
    };
    let mut out = String::new();
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(body) = after.strip_prefix('{') {
            let Some(end) = matching_brace(body) else {
                out.push_str(&rest[pos..]);
                return out;
            };
            let inner = &body[..end];
            let name_len = inner
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(inner.len());
            let (name, op) = inner.split_at(name_len);
            let current = lookup(name);
            if op.is_empty() {
                out.push_str(&current);
            } else if let Some(default) = op.strip_prefix(":-") {
                if current.is_empty() {
                    out.push_str(&expand(default, earlier, depth + 1));
                } else {
                    out.push_str(&current);
                }
            } else {
                out.push_str(&rest[pos..pos + 2 + end + 1]);
            }
            rest = &body[end + 1..];
        } else {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if name_len == 0 {
                out.push('$');
            } else {
                out.push_str(&lookup(&after[..name_len]));
            }
            rest = &after[name_len..];
        }
    }
    out.push_str(rest);
    out
}

fn matching_brace(body: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn no_credentials_means_nothing_happens() {
        assert!(matches!(
            plan(&env(&[("AWS_REGION", "us-east-1")])),
            Plan::Skip
        ));
        assert!(matches!(
            plan(&env(&[
                ("AWS_ACCESS_KEY_ID", "k"),
                ("AWS_REGION", "us-east-1")
            ])),
            Plan::Skip
        ));
        let out = EcrHook
            .before_job(&env(&[("TRAVIS_BRANCH", "development")]))
            .unwrap();
        assert!(out.secret_env.is_empty() && out.home_files.is_empty() && out.notices.is_empty());
    }

    #[test]
    fn credentials_without_region_give_a_notice() {
        let p = plan(&env(&[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
        ]));
        let Plan::Notice(line) = p else {
            panic!("{p:?}")
        };
        assert!(line.contains("AWS_REGION"));
    }

    #[test]
    fn picks_the_last_value_and_endpoint_precedence() {
        let p = plan(&env(&[
            ("AWS_ACCESS_KEY_ID", "old"),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:2"),
        ]));
        let Plan::Fetch(req) = p else { panic!("{p:?}") };
        assert_eq!(req.access_key_id, "k");
        assert_eq!(req.region, "eu-west-1");
        assert_eq!(req.endpoint_url.as_deref(), Some("http://127.0.0.1:2"));
    }

    #[test]
    fn disabled_by_variable() {
        let p = plan(&env(&[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "us-east-1"),
            ("TRAVIS_LOCAL_ECR", "false"),
        ]));
        assert!(matches!(p, Plan::Skip));
    }

    #[test]
    fn expands_simple_references_like_bash() {
        let e = env(&[
            ("BASE_REGION", "eu-central-1"),
            ("AWS_REGION", "\"${MISSING:-$BASE_REGION}\""),
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("X", "${AWS_REGION}.${NOPE:-d}/$AWS_ACCESS_KEY_ID$"),
        ]);
        let vars = Env::new(&e);
        assert_eq!(vars.get("AWS_REGION").as_deref(), Some("eu-central-1"));
        assert_eq!(vars.get("X").as_deref(), Some("eu-central-1.d/k$"));
        assert_eq!(expand("${A", &e, 0), "${A");
        assert_eq!(expand("${A/x/y}", &e, 0), "${A/x/y}");
    }

    #[test]
    fn odd_region_is_reported_not_fetched() {
        let p = plan(&env(&[
            ("AWS_ACCESS_KEY_ID", "k"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_REGION", "$(curl evil)"),
        ]));
        assert!(matches!(p, Plan::Notice(_)), "{p:?}");
    }

    #[test]
    fn output_carries_secret_shim_and_safe_notice() {
        let req = TokenRequest {
            access_key_id: "AKID".into(),
            secret_access_key: "SECRET".into(),
            session_token: None,
            region: "us-east-1".into(),
            endpoint_url: Some("http://127.0.0.1:5001".into()),
        };
        let login = EcrLogin {
            username: "AWS".into(),
            password: "pw-xyz".into(),
            registry: Some("1.dkr.ecr.us-east-1.amazonaws.com".into()),
            expires_at: None,
        };
        let out = hook_output(&req, &login);
        assert_eq!(
            out.secret_env,
            vec![(shim::PASSWORD_VAR.to_string(), "pw-xyz".to_string())]
        );
        assert!(out.env.iter().all(|(_, v)| !v.contains("pw-xyz")));
        assert_eq!(out.home_files.len(), 1);
        assert_eq!(out.home_files[0].0, ".travis-local/bin/aws");
        assert!(out.home_files[0].2);
        for line in &out.notices {
            for secret in ["pw-xyz", "SECRET", "AKID"] {
                assert!(!line.contains(secret), "{line}");
            }
        }
    }
}
