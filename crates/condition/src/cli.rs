//! `travis-local condition`.
#[derive(clap::Args, Debug)]
pub struct ConditionArgs {
    /// The condition text
    pub condition: String,
}
pub fn main(_args: &ConditionArgs) -> i32 {
    2
}
