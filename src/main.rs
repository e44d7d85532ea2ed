//! `travis-local`: thin entry point. Parses the command line with clap and hands each
//! subcommand to the crate that owns it; every crate's `cli::main` returns the process
//! exit code (documented in README.md, "Exit codes").

mod complete;

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
    Lint(travis_local_config::cli::LintArgs),
    /// Parse and evaluate an `if:` condition
    Condition(travis_local_condition::cli::ConditionArgs),
    /// Show which jobs a push, tag or pull request would run, and why others would not
    Jobs(travis_local_matrix::cli::JobsArgs),
    /// Print the bash script a job runs
    Compile(travis_local_script::cli::CompileArgs),
    /// List secure entries of the config and local secrets (never their values)
    Secrets(travis_local_script::cli::SecretsArgs),
    /// Run the build's jobs locally (in Docker by default, or on the host)
    Run(RunCommand),
    /// Build and list the images travis-local uses
    Image(travis_local_docker::cli::ImageArgs),
    /// Remove what killed runs left behind: job processes, containers, compose projects, run directories
    Clean(travis_local_docker::cli::CleanArgs),
    /// Amazon ECR helpers (log the host's Docker in to a registry)
    Ecr(travis_local_ecr::cli::EcrArgs),
    /// Print a shell completion script (bash and fish also complete job numbers)
    Completions(complete::CompletionsArgs),
    /// Print the man page (or write one page per subcommand with --out-dir)
    Man(complete::ManArgs),
    /// Job numbers and names of the build, for shell completion (one per line)
    #[command(name = "__complete-jobs", hide = true)]
    CompleteJobs(travis_local_matrix::FactArgs),
}

#[derive(clap::Args)]
struct RunCommand {
    #[command(flatten)]
    run: travis_local_runner::cli::RunArgs,
    #[command(flatten)]
    docker: travis_local_docker::cli::DockerArgs,
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Lint(args) => travis_local_config::cli::main(&args),
        Command::Condition(args) => travis_local_condition::cli::main(&args),
        Command::Jobs(args) => travis_local_matrix::cli::main(&args),
        Command::Compile(args) => travis_local_script::cli::compile_main(&args),
        Command::Secrets(args) => travis_local_script::cli::secrets_main(&args),
        Command::Run(RunCommand { run, docker }) => {
            let hooks: Vec<Box<dyn travis_local_runner::executor::JobHook>> =
                vec![Box::new(travis_local_ecr::EcrHook)];
            travis_local_runner::cli::main(&run, &hooks, &|kind, local| match kind {
                travis_local_runner::cli::ExecutorKind::Host => {
                    Ok(Box::new(travis_local_runner::host::HostExecutor))
                }
                travis_local_runner::cli::ExecutorKind::Docker => {
                    travis_local_docker::executor_from_args(&docker, local)
                }
                travis_local_runner::cli::ExecutorKind::Swarm => {
                    travis_local_docker::swarm_executor_from_args(&docker, local)
                }
            })
        }
        Command::Image(args) => travis_local_docker::cli::image_main(&args),
        Command::Clean(args) => travis_local_docker::cli::clean_main(&args),
        Command::Ecr(args) => travis_local_ecr::cli::main(&args),
        Command::Completions(args) => complete::completions(&args, Cli::command()),
        Command::Man(args) => complete::man(&args, Cli::command()),
        Command::CompleteJobs(facts) => complete::jobs(&facts),
    };
    std::process::exit(code);
}
