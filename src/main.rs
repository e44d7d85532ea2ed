//! `travis-local`: the binary. Clap lives only here: `cli::*` parse each subcommand's
//! flags, turn them into the library crates' settings structs, call the crates and
//! print; every exit code is named in `exit` (documented in README.md, "Exit codes").

mod cli;
mod complete;
mod exit;
mod shellcheck;

use clap::{CommandFactory, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "travis-local",
    version,
    about = "Understand and run .travis.yml builds locally, exactly as Travis CI would",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate .travis.yml files offline, reporting every finding like travis-yml
    Lint(shellcheck::LintCommand),
    /// Parse and evaluate an `if:` condition
    Condition(cli::condition::ConditionArgs),
    /// Show which jobs a push, tag or pull request would run, and why others would not
    Jobs(cli::jobs::JobsArgs),
    /// Print the bash script a job runs
    Compile(cli::compile::CompileArgs),
    /// List secure entries of the config and local secrets (never their values)
    Secrets(cli::compile::SecretsArgs),
    /// Run the build's jobs locally (in Docker by default, or on the host)
    Run(RunCommand),
    /// Build and list the images travis-local uses
    Image(cli::docker::ImageArgs),
    /// Remove what killed runs left behind: job processes, containers, compose projects, run directories
    Clean(cli::docker::CleanArgs),
    /// List or remove the build caches (`cache:`) kept between runs
    Cache(cli::cache::CacheArgs),
    /// Amazon ECR helpers (log the host's Docker in to a registry)
    Ecr(cli::ecr::EcrArgs),
    /// Print a shell completion script (bash and fish also complete job numbers)
    Completions(complete::CompletionsArgs),
    /// Print the man page (or write one page per subcommand with --out-dir)
    Man(complete::ManArgs),
    /// Job numbers and names of the build, for shell completion (one per line)
    #[command(name = "__complete-jobs", hide = true)]
    CompleteJobs(cli::facts::FactArgs),
}

#[derive(clap::Args)]
struct RunCommand {
    #[command(flatten)]
    run: cli::run::RunArgs,
    #[command(flatten)]
    docker: cli::docker::DockerArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(args) => shellcheck::lint_main(&args),
        Command::Condition(args) => cli::condition::main(&args),
        Command::Jobs(args) => cli::jobs::main(&args),
        Command::Compile(args) => cli::compile::compile_main(&args),
        Command::Secrets(args) => cli::compile::secrets_main(&args),
        Command::Run(RunCommand { run, docker }) => {
            let hooks: Vec<Box<dyn travis_local_runner::executor::JobHook>> =
                vec![Box::new(travis_local_ecr::EcrHook)];
            cli::run::main(&run, &hooks, &|kind, local| {
                match kind {
                cli::run::ExecutorKind::Host if docker.debug.is_some() => {
                    Err(travis_local_runner::executor::ExecError {
                        environment: false,
                        message: "--debug needs the docker executor (a host job has no container to open a shell in): run with --executor docker".into(),
                    })
                }
                cli::run::ExecutorKind::Host => {
                    Ok(Box::new(travis_local_runner::host::HostExecutor))
                }
                cli::run::ExecutorKind::Docker => {
                    travis_local_docker::executor_from_args(&docker.options(), local)
                }
                cli::run::ExecutorKind::Swarm if docker.debug.is_some() => {
                    Err(travis_local_runner::executor::ExecError {
                        environment: false,
                        message: "--debug needs the docker executor (a swarm task cannot be attached from here): run with --executor docker".into(),
                    })
                }
                cli::run::ExecutorKind::Swarm => {
                    travis_local_docker::swarm_executor_from_args(&docker.options(), local)
                }
            }
            })
        }
        Command::Image(args) => cli::docker::image_main(&args),
        Command::Clean(args) => cli::docker::clean_main(&args),
        Command::Cache(args) => cli::cache::main(&args),
        Command::Ecr(args) => cli::ecr::main(&args),
        Command::Completions(args) => complete::completions(&args, Cli::command()),
        Command::Man(args) => complete::man(&args, Cli::command()),
        Command::CompleteJobs(facts) => complete::jobs(&facts),
    };
    std::process::exit(code);
}
