//! The `aws` stand-in written to `$HOME/.travis-local/bin/aws` in jobs that hold AWS
//! credentials.
//!
//! One job: answer `aws ecr get-login-password [--region R]` from the token the host
//! fetched (in `TRAVIS_LOCAL_ECR_PASSWORD`, a masked secret variable), so tutorials
//! that pipe it into `docker login` work in images without the AWS CLI. Everything
//! else fails loudly instead of pretending. The script holds no secret: the password
//! only ever lives in the job's environment. The directory is placed at the END of
//! PATH by the script compiler, so a real `aws` always wins.

/// Relative path (under the job's home) of the shim.
pub const SHIM_PATH: &str = ".travis-local/bin/aws";
/// Secret variable holding the registry password.
pub const PASSWORD_VAR: &str = "TRAVIS_LOCAL_ECR_PASSWORD";
/// Public variable: the region the token was fetched for.
pub const REGION_VAR: &str = "TRAVIS_LOCAL_ECR_REGION";
/// Public variable: the registry host from the token's proxy endpoint.
pub const REGISTRY_VAR: &str = "TRAVIS_LOCAL_ECR_REGISTRY";

/// The shim's text (POSIX sh).
pub fn script() -> String {
    format!(
        r#"#!/bin/sh
# aws: travis-local's stand-in for the AWS CLI (written by travis-local, not by
# your project). Only `aws ecr get-login-password [--region R]` is emulated: it
# prints the ECR password travis-local fetched on the host before the job.
# Install the real AWS CLI in the job to use anything else; it takes precedence.
unsupported() {{
  echo "aws: only \`aws ecr get-login-password\` is emulated by travis-local (got: aws $*); install the AWS CLI in the job image for other commands" >&2
  exit 252
}}
all="$*"
region=""
words=""
while [ $# -gt 0 ]; do
  case "$1" in
    --region) [ $# -ge 2 ] || unsupported "$all"; region="$2"; shift 2 ;;
    --region=*) region="${{1#--region=}}"; shift ;;
    --profile|--output|--endpoint-url|--cli-read-timeout|--cli-connect-timeout) [ $# -ge 2 ] || unsupported "$all"; shift 2 ;;
    --profile=*|--output=*|--endpoint-url=*|--no-cli-pager|--no-paginate|--debug|--no-verify-ssl) shift ;;
    --version)
      echo "travis-local aws shim (emulates only: aws ecr get-login-password)"
      exit 0 ;;
    -*) unsupported "$all" ;;
    *) words="${{words}} $1"; shift ;;
  esac
done
if [ "$words" != " ecr get-login-password" ]; then
  unsupported "$all"
fi
if [ -z "${{{password}:-}}" ]; then
  echo "aws: travis-local has no ECR token for this job (see the ecr line at the start of the job log)" >&2
  exit 255
fi
if [ -n "$region" ] && [ -n "${{{region}:-}}" ] && [ "$region" != "${{{region}}}" ]; then
  echo "aws: travis-local fetched the ECR token for region ${{{region}}}, not $region" >&2
  exit 255
fi
printf '%s\n' "${{{password}}}"
"#,
        password = PASSWORD_VAR,
        region = REGION_VAR,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aws");
        std::fs::write(&path, script()).unwrap();
        let mut cmd = Command::new("sh");
        cmd.arg(&path)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    const ENV: &[(&str, &str)] = &[(PASSWORD_VAR, "pw-1"), (REGION_VAR, "us-east-1")];

    #[test]
    fn prints_the_password() {
        for args in [
            &["ecr", "get-login-password"][..],
            &["ecr", "get-login-password", "--region", "us-east-1"],
            &["--region=us-east-1", "ecr", "get-login-password"],
            &[
                "--profile",
                "x",
                "ecr",
                "get-login-password",
                "--output",
                "text",
            ],
        ] {
            let (code, out, err) = run(args, ENV);
            assert_eq!((code, out.as_str()), (0, "pw-1\n"), "{args:?}: {err}");
        }
    }

    #[test]
    fn refuses_everything_else_clearly() {
        for args in [
            &["s3", "ls"][..],
            &["ecr", "get-login"],
            &["ecr", "get-login-password", "extra"],
            &["ecr", "get-login-password", "--bogus"],
            &[],
        ] {
            let (code, out, err) = run(args, ENV);
            assert_ne!(code, 0, "{args:?}");
            assert!(out.is_empty());
            assert!(
                err.contains("only `aws ecr get-login-password` is emulated by travis-local"),
                "{err}"
            );
        }
    }

    #[test]
    fn wrong_region_or_missing_token_fail() {
        let (code, out, err) = run(&["ecr", "get-login-password", "--region", "eu-west-1"], ENV);
        assert_ne!(code, 0);
        assert!(out.is_empty());
        assert!(err.contains("us-east-1"), "{err}");
        let (code, _, err) = run(&["ecr", "get-login-password"], &[]);
        assert_ne!(code, 0);
        assert!(err.contains("no ECR token"), "{err}");
    }

    #[test]
    fn script_holds_no_value() {
        assert!(!script().contains("pw-1"));
    }
}
