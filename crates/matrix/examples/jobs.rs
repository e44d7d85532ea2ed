//! Stand-alone `jobs` command (same as `travis-local jobs`), handy while developing this
//! crate: `cargo run -p travis-local-matrix --example jobs -- --branch dev`.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: travis_local_matrix::cli::JobsArgs,
}

fn main() {
    let cli = Cli::parse();
    std::process::exit(travis_local_matrix::cli::main(&cli.args));
}
