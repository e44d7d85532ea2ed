//! Job script compilation and secrets. (Skeleton: issue 5.)
pub mod cli;
