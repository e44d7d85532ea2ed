//! `travis-local jobs`.
#[derive(clap::Args, Debug)]
pub struct JobsArgs {}
pub fn main(_args: &JobsArgs) -> i32 {
    eprintln!("travis-local jobs: not implemented yet");
    2
}
