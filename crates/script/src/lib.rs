//! travis-local-script: turns one planned job into the bash script Travis would run
//! (phases, helpers, env order, deployment), and owns everything about secrets: loading
//! them, deciding which a job gets, and masking them in output.
//!
//! The runner uses: [`compile`] → [`Compiled`] (script text without secret values, plus
//! the process environment that carries them), [`secrets::SecretSettings::load`] and
//! [`Masker`] for every stream it prints or writes.

pub mod cache;
mod compile;
pub mod export_eval;
mod lang;
mod machine;
pub mod mask;
pub mod quote;
pub mod secrets;
pub mod services;

pub use compile::{compile, split_env_string, CompileOptions, DEPLOY_PHASES, PHASES};
pub use mask::Masker;
pub use secrets::{Secret, SecretSettings, Secrets, SecretsError, SecretsErrorKind};

/// The result of compiling a job. Its `Debug` output redacts every value of `env`,
/// `mask` and `job_env`.
#[derive(Clone, Default)]
pub struct Compiled {
    /// The complete bash script. Contains no secret value.
    pub script: String,
    /// Environment for the bash process: `__TL_SECRET_<n>` variables holding secret values
    /// that the script's export lines reference (and then unset). Never write to disk.
    pub env: Vec<(String, String)>,
    /// Secret values to mask (`[secure]`) in every output stream; feed to [`Masker::new`].
    pub mask: Vec<String>,
    /// Things to tell the user before the job starts (e.g. a `secure:` entry without a
    /// local value). Safe to print: they contain no secret value.
    pub notices: Vec<String>,
    /// The job's variables as the script exports them, in order (builtins, settings,
    /// .travis.yml, language versions), with secret values resolved and public values
    /// verbatim (unexpanded). For hooks (`JobHook::before_job`); treat as secret.
    pub job_env: Vec<(String, String)>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = |v: &[(String, String)]| {
            v.iter()
                .map(|(n, _)| format!("{n}=[secure]"))
                .collect::<Vec<_>>()
        };
        f.debug_struct("Compiled")
            .field("script", &format_args!("<{} bytes>", self.script.len()))
            .field("env", &names(&self.env))
            .field("mask", &format_args!("<{} values>", self.mask.len()))
            .field("notices", &self.notices)
            .field("job_env", &names(&self.job_env))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_values() {
        let c = Compiled {
            script: "x".into(),
            env: vec![("__TL_SECRET_0".into(), "hunter22".into())],
            mask: vec!["hunter22".into()],
            notices: vec![],
            job_env: vec![("TOKEN".into(), "hunter22".into())],
        };
        assert!(!format!("{c:?}").contains("hunter22"));
        let a = SecretSettings {
            secret: vec!["TOKEN=hunter22".into()],
            ..Default::default()
        };
        assert!(!format!("{a:?}").contains("hunter22"));
    }
}
