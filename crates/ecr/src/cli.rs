//! `travis-local ecr`.
#[derive(clap::Args, Debug)]
pub struct EcrArgs {}
pub fn main(_args: &EcrArgs) -> i32 {
    eprintln!("travis-local ecr: not implemented yet");
    2
}
