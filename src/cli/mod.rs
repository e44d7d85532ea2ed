//! Command-line flags of every subcommand (clap lives only in the binary) and the code
//! that turns them into the library crates' settings, calls the crates and prints.
//! Exit codes are named in [`crate::exit`].

pub mod cache;
pub mod compile;
pub mod condition;
pub mod docker;
pub mod ecr;
pub mod facts;
pub mod jobs;
pub mod lint;
pub mod run;
