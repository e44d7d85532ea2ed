//! `travis-local lint`.
#[derive(clap::Args, Debug)]
pub struct LintArgs {
    /// Files to lint (default: .travis.yml; `-` reads stdin)
    pub paths: Vec<String>,
}
pub fn main(_args: &LintArgs) -> i32 {
    eprintln!("travis-local lint: not implemented yet");
    2
}
