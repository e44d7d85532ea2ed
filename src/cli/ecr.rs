//! Flags of `travis-local ecr login` (the work is in `travis_local_ecr::login`).
//! Exit codes: 0 logged in, 1 token or `docker login` failure, 2 usage (no region).

use crate::exit;
use travis_local_ecr::login::{LoginErrorKind, LoginOptions};

#[derive(clap::Args, Debug)]
pub struct EcrArgs {
    #[command(subcommand)]
    pub command: EcrCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum EcrCommand {
    /// Log the host's Docker in to an ECR registry (like `aws ecr get-login-password |
    /// docker login --username AWS --password-stdin REGISTRY`)
    Login(LoginArgs),
}

#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// AWS region [default: the AWS SDK's chain: AWS_REGION, AWS_DEFAULT_REGION, profile]
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Registry host to log in to instead of the token's proxy endpoint (needed with an
    /// emulator, e.g. `127.0.0.1:5000`)
    #[arg(long, value_name = "HOST")]
    pub registry: Option<String>,
    /// ECR API endpoint [default: AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL, else AWS]
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Docker CLI to run
    #[arg(long, value_name = "PATH", default_value = "docker")]
    pub docker: String,
}

pub fn main(args: &EcrArgs) -> i32 {
    match &args.command {
        EcrCommand::Login(a) => {
            let opts = LoginOptions {
                region: a.region.clone(),
                registry: a.registry.clone(),
                endpoint_url: a.endpoint_url.clone(),
                docker: a.docker.clone(),
            };
            match login(&opts) {
                Ok(storage) => {
                    println!("{storage}");
                    exit::OK
                }
                Err(e) => {
                    eprintln!("travis-local ecr login: {e}");
                    match e.kind {
                        LoginErrorKind::Usage => exit::USAGE,
                        LoginErrorKind::Failed => exit::FAILED,
                    }
                }
            }
        }
    }
}

fn login(opts: &LoginOptions) -> Result<String, travis_local_ecr::login::LoginError> {
    let token = travis_local_ecr::login::get_token(opts)?;
    eprintln!(
        "travis-local ecr login: got a token for region {} from {}; logging {} in to {}",
        token.region, token.endpoint, opts.docker, token.registry
    );
    travis_local_ecr::login::docker_login(opts, &token)
}
