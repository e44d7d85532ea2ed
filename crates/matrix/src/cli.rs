//! `travis-local jobs`: show which jobs a build would run, and why others would not.
use crate::FactArgs;

#[derive(clap::Args, Debug)]
pub struct JobsArgs {
    #[command(flatten)]
    pub facts: FactArgs,
}

pub fn main(_args: &JobsArgs) -> i32 {
    eprintln!("travis-local jobs: not implemented yet");
    2
}
