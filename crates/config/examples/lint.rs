//! Stand-alone `lint` (same code as `travis-local lint`), handy while the other crates of
//! the workspace are being built: `cargo run -p travis-local-config --example lint -- FILE`.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: travis_local_config::cli::LintArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(travis_local_config::cli::main(&cli.args));
}
